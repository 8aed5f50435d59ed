"""What the checks of levels 2 to 4 share: the Corpus of clean rows and its views, computed once each."""

from __future__ import annotations

import functools

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..contract import TABLES, Contract
from ..store import storage
from ..store.flat import ENTITY_FIELDS, column as _col, flat_arguments, flat_mentions, numpy_of as _np
from .arrays import codes_of, combined_codes, shared_positions
from .text import CONTROL_OR_BOM_RE2, PERSONAL_RE2


class Corpus:
    """The clean rows of every table (`t`) and the views the checks of levels 2 to 4 share: the flat
    mentions and event arguments, the ids of the rows that failed level 1, and lookups computed once on
    first use (the article row of each row, the rows a reference points at, the scope codes, the mentions
    that share a span, the texts that may hold a control character or personal data)."""

    def __init__(self, contract: Contract, tables: dict, excluded: dict | None = None, local: bool = False):
        self.contract = contract
        self.local = local  # a partition of the corpus: leave the corpus-wide checks to the caller
        self.t = tables
        self.mentions = flat_mentions(tables["entities"], ENTITY_FIELDS[:1])  # the checks need no other field of the entity
        self.arguments = flat_arguments(tables["events"])
        # ids of rows that failed level 1: references to them are not reported again as unresolved
        excluded = excluded or {}
        self.failed = {t: _failed_ids(excluded.get(t), "id") for t in TABLES}
        self.failed["mentions"] = _failed_mention_ids(excluded.get("entities"))
        self._article_rows: dict = {}  # table -> row in articles of each row (article_index)
        self._spans_grouped = None  # the mentions grouped by span (mention_spans)
        self._wikidata = None  # the entities with a Wikidata id (wikidata)
        self._with_claimer = None  # the claims with a claimer (claimers)
        self._refs = None  # the rows the arguments and claimers point at (ref_index)
        self._suspects = None  # the texts with what may be a control character, a BOM or personal data
        self._scopes: dict = {}  # table -> code of (article_id, status, annotator) of each row (scope)

    def unresolved(self, idx, values, kind: str) -> np.ndarray:
        """Positions whose reference did not resolve, leaving out those that point at a row that failed level 1."""
        missing = _np(pc.is_null(idx))
        failed = self.failed.get(kind)
        if failed is not None and len(failed) and missing.any():
            missing &= ~_np(pc.is_in(values, value_set=failed))
        return missing

    def suspect_texts(self) -> np.ndarray:
        """The rows of the texts that text_hygiene() or personal_data() must look at: one pass of one regular
        expression over all texts, which each of their own regular expressions implies."""
        if self._suspects is None:
            texts = _col(self.t["articles"], "text")
            self._suspects = np.flatnonzero(_np(pc.fill_null(pc.match_substring_regex(texts, f"{CONTROL_OR_BOM_RE2}|{PERSONAL_RE2}"), False)))
        return self._suspects

    @functools.cached_property
    def mention_entity_rows(self) -> np.ndarray:
        """The row in entities of each mention (of self.mentions, in order)."""
        return _np(pc.list_parent_indices(storage.one_array(self.t["entities"]["mentions"])))

    def article_index(self, table: str) -> pa.Array:
        """The row in articles of each row's article_id (null if none), computed once per table; the
        mentions' from their entities'."""
        cache = self._article_rows
        if table not in cache:
            if table == "mentions":
                cache[table] = pc.take(self.article_index("entities"), self.mention_entity_rows)
            else:
                cache[table] = pc.index_in(self.t[table]["article_id"], value_set=_col(self.t["articles"], "id"))
        return cache[table]

    def claimers(self) -> pa.Table:
        """The clean claims that have a claimer."""
        if self._with_claimer is None:
            claims = self.t["claims"]
            self._with_claimer = claims.filter(pc.is_valid(claims["claimer"])) if claims.num_rows else claims
        return self._with_claimer

    def ref_index(self) -> dict:
        """table -> (row in entities, row in the flat mentions) of each event argument ("events") and claimer
        ("claims"), null where unresolved: one lookup each, shared by references(), roles() and claims()."""
        if self._refs is None:
            args, claimers = self.arguments, self.claimers()
            cl = storage.one_array(claimers["claimer"]) if claimers.num_rows else None
            n = args.num_rows
            out = []
            for name, target, tcol in (("entity_id", self.t["entities"], "id"), ("mention_id", self.mentions, "mention_id")):
                probe = [_col(args, name)] + ([cl.field(name)] if cl is not None else [])
                idx = pc.index_in(pa.concat_arrays([p.cast(pa.string()) for p in probe]), value_set=_col(target, tcol))
                out.append((idx.slice(0, n), idx.slice(n)))
            self._refs = {"events": (out[0][0], out[1][0]), "claims": (out[0][1], out[1][1])}
        return self._refs

    def scope(self, table: str) -> np.ndarray:
        """The code of each row's (article_id, status, annotator): the rows that may be compared with one
        another. The mentions' come from their entities'."""
        if table not in self._scopes:
            if table == "mentions":
                self._scopes[table] = self.scope("entities")[self.mention_entity_rows]
            else:
                data = self.t[table]
                self._scopes[table] = combined_codes(*(codes_of(data[c]) for c in ("article_id", "status", "annotator")))
        return self._scopes[table]

    def mention_spans(self) -> tuple:
        """(rows, groups) for the mentions that share their span (scope, start, end) with another mention,
        the only ones clusters() and duplicates() look at: `rows` has each one's span key, a code of its
        entity id and its row; `groups` the number of mentions and of distinct entities of each span key.
        The span keys are integers, sorted by numpy; only the few shared ones are grouped."""
        if self._spans_grouped is None:
            m = self.mentions
            key = combined_codes(self.scope("mentions"), _np(m["start"]).astype(np.int64), _np(m["end"]).astype(np.int64))
            shared = shared_positions(key)
            rows = pa.table({"key": key[shared], "entity": codes_of(_col(m, "entity_id").take(pa.array(shared))), "row": shared})
            self._spans_grouped = (rows, rows.group_by(["key"]).aggregate([("entity", "count_distinct"), ("entity", "count")]))
        return self._spans_grouped

    def mentions_in(self, groups: pa.Table) -> pa.Table:
        """The mentions whose span key is one of `groups`', with their span key and entity code."""
        rows, _ = self.mention_spans()
        rows = rows.join(groups.select(["key"]), keys="key", join_type="inner")
        m = self.mentions.take(rows["row"])
        return m.append_column("key", rows["key"]).append_column("entity", rows["entity"])

    def wikidata(self) -> pa.Table:
        """The clean entities that have a Wikidata id."""
        if self._wikidata is None:
            ents = self.t["entities"]
            self._wikidata = ents.filter(pc.is_valid(ents["wikidata"])) if ents.num_rows else ents
        return self._wikidata


def _failed_ids(data, col):
    return _col(data, col) if data is not None and data.num_rows else None


def _failed_mention_ids(entities):
    if entities is None or entities.num_rows == 0:
        return None
    lists = storage.one_array(entities["mentions"])
    flat = lists.flatten()
    return flat.field("id") if len(flat) else None
