"""The validator: level 1 schema, level 2 integrity, level 3 consistency, level 4 corpus.

Checks yield findings; they never print and never raise on bad data. Every check works on whole Arrow
columns (pyarrow compute and numpy); no check loops in Python over annotation records. Levels gate each
other: a record that fails level 1 is left out of levels 2 to 4, and if a table cannot be read at all,
levels 2 to 4 do not run.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import math
import os
import re
import shutil
import tempfile
import unicodedata
import zlib
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..contract import ANNOTATION_TABLES, SCHEMA_VERSION_KEY, TABLES, Contract, check_data_version, load_contract
from ..errors import StorageError
from ..findings import CHECKS, ERROR, Finding, sort_findings
from .schema import compile_table, equal_runs
from ..store import storage
from ..store.flat import ENTITY_FIELDS as _ENTITY_FIELDS, column as _col, flat_arguments, flat_mentions, item_paths as _paths, numpy_of as _np
from . import timex

_WHITESPACE = np.array([c for c in range(0x3001) if chr(c).isspace()] + [0x3000, 0x2028, 0x2029, 0x85], dtype=np.uint32)


@dataclass
class Report:
    findings: list
    counts: dict = field(default_factory=dict)  # table -> rows read
    skipped_levels: bool = False
    method: str = "in memory"  # how the rows were read and partitioned (validate_partitioned)

    @property
    def errors(self) -> list:
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def warnings(self) -> list:
        return [f for f in self.findings if f.severity != ERROR]

    @property
    def ok(self) -> bool:
        return not self.errors


def validate_corpus(root: Path, contract: Contract | None = None, select=None, ignore=None, *, partitions: int | None = None,
                    spill: bool = False) -> Report:
    """Read every table under `root` and check it.

    A small corpus is read and checked in memory. A large one (more than SMALL_CORPUS_BYTES of Parquet)
    is checked partition by partition, so that peak memory does not grow with the corpus
    (validate_partitioned); the findings are the same. `partitions` forces the number of partitions
    (1: in memory); `spill` forces the spill to temporary files even where the shards are aligned."""
    contract = contract or load_contract(root)
    if partitions is None:
        partitions = partitions_for(root)
    if partitions > 1:
        report = validate_partitioned(root, contract, partitions, spill=spill)
        report.findings = _select(report.findings, select, ignore)
        return report
    tables, findings = {}, []
    with storage.read_lock(root):  # one version of the corpus, and a write cut short is finished first
        for table in TABLES:
            try:
                tables[table] = storage.read_table(root, table, contract)
            except StorageError as exc:
                path, _, message = str(exc).partition(": ")
                findings.append(Finding("table-unreadable", table, None, None, message or str(exc), path))
    report = check_tables(contract, tables) if len(tables) == len(TABLES) else Report([], skipped_levels=True)
    report.findings = _select(findings + report.findings, select, ignore)
    report.counts = {t: tables[t].num_rows for t in tables}
    return report


def _select(findings, select, ignore):
    if select:
        findings = [f for f in findings if f.check in select]
    if ignore:
        findings = [f for f in findings if f.check not in ignore]
    return sort_findings(findings)


def check_tables(contract: Contract, tables: dict) -> Report:
    """All checks over in-memory tables (already of the contract's Arrow schemas)."""
    findings, _ = check_level1(contract, tables)
    return Report(sort_findings(findings))


def check_level1(contract: Contract, tables: dict, local: bool = False) -> tuple[list, "Corpus"]:
    """Level 1 findings, then levels 2 to 4 over the rows that passed level 1; and the Corpus checked.
    With local=True (a partition of the corpus) the corpus-wide checks are left out."""
    findings: list[Finding] = []
    clean, excluded = {}, {}
    for table in TABLES:
        data = tables[table]
        found, bad = compile_table(table, contract.schemas[table]).check(data)
        findings += found
        data = _decoded(data)
        clean[table] = data.filter(pa.array(~bad)) if bad.any() else data
        excluded[table] = data.filter(pa.array(bad)) if bad.any() else data.slice(0, 0)
    c = Corpus(contract, clean, excluded, local=local)
    for check in (c.ids, c.articles_text, c.text_hygiene, c.references, c.spans, c.roles, c.times, c.event_links, c.clusters, c.claims,
                  c.duplicates, c.corpus, c.personal_data):
        findings += check()
    return findings, c


def _decoded(data: pa.Table) -> pa.Table:
    """`data` with the DECODED_AFTER_L1 columns that were read as dictionaries made plain again."""
    for name in DECODED_AFTER_L1:
        i = data.schema.get_field_index(name)
        if i >= 0 and pa.types.is_dictionary(data.schema.field(i).type):
            plain = data.schema.field(i).type.value_type
            data = data.set_column(i, data.schema.field(i).with_type(plain), data.column(i).cast(plain))
    return data


def _at(values, rows: np.ndarray) -> list:
    """values[rows] as Python objects: only the rows a finding is about are ever converted."""
    if len(rows) == 0:
        return []
    values = storage.one_array(values)
    return values.take(pa.array(rows, pa.int64())).to_pylist()


def _differs(a, b) -> np.ndarray:
    """a != b element-wise over Arrow arrays, a null on one side only counting as different."""
    ne = pc.not_equal(a, b)
    both_null = pc.and_(pc.is_null(a), pc.is_null(b))
    return _np(pc.and_not(pc.fill_null(ne, True), both_null))


def _repeat(value: str, n: int) -> pa.Array:
    """`value` n times, as a dictionary array: nothing is copied n times."""
    return pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, np.int32)), pa.array([value], pa.string()))


def _codes(values) -> np.ndarray:
    """An int64 code for every value of a string column, equal values (nulls alike) having equal codes,
    for group-bys and comparisons on integers instead of strings. A column of long runs of equal values
    (article_id, status, annotator of stored tables) is coded by hashing one value a run; anything else by
    hashing every value."""
    values = storage.plain(storage.one_array(values))
    if len(values) == 0:
        return np.zeros(0, np.int64)
    runs = equal_runs(values)
    if runs is not None:
        heads, run = runs
        return _np(pc.dictionary_encode(heads).indices).astype(np.int64)[_np(run)]
    return _np(pc.dictionary_encode(values, null_encoding="encode").indices).astype(np.int64)


def _shared(key: np.ndarray) -> np.ndarray:
    """The positions whose key occurs more than once (by a sort of the keys: numpy sorts integers fast)."""
    if len(key) < 2:
        return np.zeros(0, np.int64)
    s = np.sort(key)
    again = s[1:] == s[:-1]
    if not again.any():
        return np.zeros(0, np.int64)
    return np.flatnonzero(np.isin(key, np.unique(s[1:][again])))


def _combine(*codes: np.ndarray) -> np.ndarray:
    """One int64 code for every tuple of codes (equal tuples, equal codes)."""
    out = codes[0]
    for c in codes[1:]:
        if len(c) and c.min() < 0:
            c = c - c.min()
        width = int(c.max()) + 1 if len(c) else 1
        if len(out) and int(out.max()) >= (1 << 62) // width:  # would overflow: renumber first
            out = np.unique(out, return_inverse=True)[1].astype(np.int64)
        out = out * width + c
    return out


class Corpus:
    """The clean rows of every table and the views the checks share (flat mentions, arguments)."""

    def __init__(self, contract: Contract, tables: dict, excluded: dict | None = None, local: bool = False):
        self.contract = contract
        self.local = local  # a partition of the corpus: leave the corpus-wide checks to the caller
        self.t = tables
        self.mentions = flat_mentions(tables["entities"], _ENTITY_FIELDS[:1])  # the checks need no other field of the entity
        self.arguments = flat_arguments(tables["events"])
        # ids of rows that failed level 1: references to them are not reported again as unresolved
        excluded = excluded or {}
        self.failed = {t: _failed_ids(excluded.get(t), "id") for t in TABLES}
        self.failed["mentions"] = _failed_mention_ids(excluded.get("entities"))
        self._article_rows: dict = {}  # table -> row in articles of each row (_article_index)
        self._spans_grouped = None  # the mentions grouped by span (_mention_spans)
        self._wikidata = None  # the entities with a Wikidata id (wikidata)
        self._with_claimer = None  # the claims with a claimer (_claimers)
        self._refs = None  # the rows the arguments and claimers point at (_ref_index)
        self._suspects = None  # the texts with what may be a control character, a BOM or personal data
        self._scopes: dict = {}  # table -> code of (article_id, status, annotator) of each row (_scope)

    def _unresolved(self, idx, values, kind: str) -> np.ndarray:
        """Positions whose reference did not resolve, leaving out those that point at a row that failed level 1."""
        missing = _np(pc.is_null(idx))
        failed = self.failed.get(kind)
        if failed is not None and len(failed) and missing.any():
            missing &= ~_np(pc.is_in(values, value_set=failed))
        return missing

    # --- level 2 -------------------------------------------------------------------------------------
    def ids(self):
        """id-duplicate (an id used twice by records of one kind) and id-collision (an id used by records of
        two kinds: reported on the record of the later kind, articles, entities, mentions, events, claims,
        naming the earlier one), from one sort of every id: ids are stored sorted, so it is nearly free, and
        only the few ids seen more than once are looked at further."""
        kinds = [("article", "articles", self.t["articles"], "id", None), ("entity", "entities", self.t["entities"], "id", None),
                 ("mention", "entities", self.mentions, "mention_id", "entity_id"), ("event", "events", self.t["events"], "id", None),
                 ("claim", "claims", self.t["claims"], "id", None)]
        columns = [_col(d, col) for _, _, d, col, _ in kinds if d.num_rows]
        if not columns:
            return
        every = pa.concat_arrays(columns)
        every = every.take(pc.sort_indices(every))
        again = _np(pc.fill_null(pc.equal(every.slice(0, len(every) - 1), every.slice(1)), False))
        if not again.any():
            return
        repeated = pc.unique(every.slice(1).filter(pa.array(again)))
        hits = []  # (kind index, value, record, path) of every record whose id is seen more than once
        for k, (_, _, data, col, owner) in enumerate(kinds):
            if data.num_rows == 0:
                continue
            hit = data.filter(pc.is_in(data[col], value_set=repeated))
            hits += [(k, value, rec, path) for value, rec, path in zip(
                hit[col].to_pylist(), (hit[owner] if owner else hit[col]).to_pylist(),
                hit["path"].to_pylist() if owner else [None] * hit.num_rows)]
        uses = Counter((k, value) for k, value, _, _ in hits)
        first: dict = {}
        for k, value, _, _ in hits:
            first.setdefault(value, k)  # hits are in kind order
        for k, value, rec, path in hits:
            kind, table = kinds[k][0], kinds[k][1]
            if uses[k, value] > 1:
                yield Finding("id-duplicate", table, rec, path or "id", f"{kind} id {value} is used more than once")
            if first[value] != k:
                other = kinds[first[value]][0]
                yield Finding("id-collision", table, rec, f"{path}.id" if path else "id",
                              f"{kind} id {value} is also the id of a{'n' if other[0] in 'aeiou' else ''} {other}")

    def text_hygiene(self):
        """Control characters (but \n and \t; \r is text-not-normalized) and byte order marks in texts and titles."""
        arts = self.t["articles"]
        for col in ("text", "title"):
            if arts.num_rows == 0:
                return
            values = _col(arts, col)
            # the texts: only those the one pass of _suspect_texts picked; the titles: one pass of their own
            rows = self._suspect_texts() if col == "text" else np.flatnonzero(_np(pc.fill_null(pc.match_substring_regex(values, _CONTROL_OR_BOM_RE2), False)))
            if not len(rows):
                continue
            sub = values.take(pa.array(rows))
            for check, pattern, what in (("text-control-characters", _CONTROL_RE2, "control character"), ("text-bom", "\ufeff", "byte order mark")):
                hit = _np(pc.fill_null(pc.match_substring_regex(sub, pattern) if check != "text-bom" else
                                       pc.match_substring(sub, pattern), False))
                if not hit.any():
                    continue
                for i in rows[hit].tolist():
                    aid, text = arts["id"][int(i)].as_py(), values[int(i)].as_py()
                    at = [j for j, ch in enumerate(text) if (_CONTROL.match(ch) if check != "text-bom" else ch == "\ufeff")]
                    yield Finding(check, "articles", aid, col, f"has {len(at)} {what}(s), the first {text[at[0]]!r} at offset {at[0]}")

    def personal_data(self):
        """E-mail addresses and phone numbers in article texts: a warning to look at before a release. The
        message gives the kind and the offsets, never the value (it would travel into CI logs)."""
        arts = self.t["articles"]
        if arts.num_rows == 0:
            return
        texts = _col(arts, "text")
        # a columnar pre-filter that every match of _EMAIL or _PHONE passes (an @; eight digits with at most
        # three separators between two of them), so that the Python regexes run on few texts
        rows = self._suspect_texts()
        if len(rows):
            rows = rows[_np(pc.fill_null(pc.match_substring_regex(texts.take(pa.array(rows)), _PERSONAL_RE2), False))]
        for i in rows.tolist():
            aid, text = arts["id"][int(i)].as_py(), texts[int(i)].as_py()
            found = [(m.start(), m.end(), "an e-mail address") for m in _EMAIL.finditer(text)]
            found += [(m.start(), m.end(), "a phone number") for m in _PHONE.finditer(text)
                      if sum(ch.isdigit() for ch in m.group()) >= 8 and not any(s <= m.start() < e for s, e, _ in found)]
            for start, end, what in sorted(found)[:20]:
                yield Finding("text-personal-data", "articles", aid, "text", f"has what looks like {what} at {start}:{end}")

    def _suspect_texts(self) -> np.ndarray:
        """The rows of the texts that text_hygiene() or personal_data() must look at: one pass of one regular
        expression over all texts, which each of their own regular expressions implies."""
        if self._suspects is None:
            texts = _col(self.t["articles"], "text")
            self._suspects = np.flatnonzero(_np(pc.fill_null(pc.match_substring_regex(texts, f"{_CONTROL_OR_BOM_RE2}|{_PERSONAL_RE2}"), False)))
        return self._suspects

    def articles_text(self):
        arts = self.t["articles"]
        if arts.num_rows == 0:
            return
        # a per-article pass (not per annotation): the hash of the UTF-8 bytes where Arrow holds them; the \r
        # and NFC tests (in Python) only on the texts whose bytes hold a \r or a character NFC may change
        texts = _col(arts, "text")
        buf, off = _utf8(texts)
        mv = memoryview(buf)
        bounds = off.tolist()
        ids = arts["id"].to_pylist()
        for i, (aid, sha) in enumerate(zip(ids, arts["text_sha256"].to_pylist())):
            digest = hashlib.sha256(mv[bounds[i]:bounds[i + 1]]).hexdigest()
            if digest != sha:
                yield Finding("text-sha256-mismatch", "articles", aid, "text_sha256", f"is {sha[:12]}..., the text hashes to {digest[:12]}...")
        for i in np.flatnonzero(_may_need_normalizing(buf, off)).tolist():
            text = texts[i].as_py()
            if "\r" in text:
                yield Finding("text-not-normalized", "articles", ids[i], "text", "has \\r line breaks; store \\n only")
            elif not unicodedata.is_normalized("NFC", text):
                yield Finding("text-not-normalized", "articles", ids[i], "text", "is not in Unicode NFC")

    @functools.cached_property
    def _mention_entity_rows(self) -> np.ndarray:
        """The row in entities of each mention (of self.mentions, in order)."""
        return _np(pc.list_parent_indices(storage.one_array(self.t["entities"]["mentions"])))

    def _article_index(self, table: str) -> pa.Array:
        """The row in articles of each row's article_id (null if none), computed once per table; the
        mentions' from their entities'."""
        cache = self._article_rows
        if table not in cache:
            if table == "mentions":
                cache[table] = pc.take(self._article_index("entities"), self._mention_entity_rows)
            else:
                cache[table] = pc.index_in(self.t[table]["article_id"], value_set=_col(self.t["articles"], "id"))
        return cache[table]

    def references(self):
        for table in ANNOTATION_TABLES:
            data = self.t[table]
            if data.num_rows == 0:
                continue
            missing = pa.array(self._unresolved(self._article_index(table), data["article_id"], "articles"))
            for rid, aid in zip(data.filter(missing)["id"].to_pylist(), data.filter(missing)["article_id"].to_pylist()):
                yield Finding("article-ref-unresolved", table, rid, "article_id", f"article {aid} is not in the corpus")
        # event arguments and claimers point at entities and mentions
        claims = self.t["claims"]
        claimers = self._claimers()
        cl = storage.one_array(claimers["claimer"]) if claimers.num_rows else None
        refs = [("events", self.arguments, "entity_id", "mention_id")]
        if cl is not None:
            refs.append(("claims", pa.table({
                "id": claimers["id"], "article_id": claimers["article_id"], "status": claimers["status"],
                "annotator": claimers["annotator"], "entity_id": cl.field("entity_id"), "mention_id": cl.field("mention_id"),
                "path": _repeat("claimer", claimers.num_rows)}), "entity_id", "mention_id"))
        ents = self.t["entities"]
        for table, view, ecol, mcol in refs:
            if view.num_rows == 0:
                continue
            e_idx, m_idx = self._ref_index()[table]
            yield from self._ref(table, view, ecol, ents, "id", "entity-ref-unresolved", "entity", ".entity_id", "entities", e_idx)
            unresolved = _np(pc.is_null(m_idx))
            report = self._unresolved(m_idx, view[mcol], "mentions")
            sel = np.flatnonzero(report)
            for rid, path, mid in zip(*(_at(view[c], sel) for c in ("id", "path", mcol))):
                yield Finding("mention-ref-unresolved", table, rid, path + ".mention_id", f"mention {mid} does not exist")
            if self.mentions.num_rows:
                owner = pc.take(_col(self.mentions, "entity_id"), pc.fill_null(m_idx, 0))
                sel = np.flatnonzero(~unresolved & _differs(owner, view[ecol]))
                for rid, path, mid, own, eid in zip(*(_at(view[c], sel) for c in ("id", "path", mcol)), _at(owner, sel), _at(view[ecol], sel)):
                    yield Finding("mention-entity-mismatch", table, rid, path + ".mention_id",
                                  f"mention {mid} belongs to entity {own}, not {eid}")
        # claims, and EVENT entities, point at events
        for table in ("claims", "entities"):
            data = self.t[table]
            if not data.num_rows:
                continue
            ev = data.select(["id", "article_id", "status", "annotator", "event_ids"])
            flat = storage.one_array(ev["event_ids"])
            if len(flat.flatten()):
                parents = _np(pc.list_parent_indices(flat))
                offsets = _np(flat.offsets)
                pos = np.arange(len(flat.flatten())) + offsets[0] - offsets[parents]
                view = pa.table({
                    "id": pc.take(_col(ev, "id"), parents), "article_id": pc.take(_col(ev, "article_id"), parents),
                    "status": pc.take(_col(ev, "status"), parents), "annotator": pc.take(_col(ev, "annotator"), parents),
                    "event_id": flat.flatten(), "path": _paths("event_ids[", pos)})
                yield from self._ref(table, view, "event_id", self.t["events"], "id", "event-ref-unresolved", "event", "", "events")

    def _claimers(self) -> pa.Table:
        """The clean claims that have a claimer."""
        if self._with_claimer is None:
            claims = self.t["claims"]
            self._with_claimer = claims.filter(pc.is_valid(claims["claimer"])) if claims.num_rows else claims
        return self._with_claimer

    def _ref_index(self) -> dict:
        """table -> (row in entities, row in the flat mentions) of each event argument ("events") and claimer
        ("claims"), null where unresolved: one lookup each, shared by references(), roles() and claims()."""
        if self._refs is None:
            args, claimers = self.arguments, self._claimers()
            cl = storage.one_array(claimers["claimer"]) if claimers.num_rows else None
            n = args.num_rows
            out = []
            for name, target, tcol in (("entity_id", self.t["entities"], "id"), ("mention_id", self.mentions, "mention_id")):
                probe = [_col(args, name)] + ([cl.field(name)] if cl is not None else [])
                idx = pc.index_in(pa.concat_arrays([p.cast(pa.string()) for p in probe]), value_set=_col(target, tcol))
                out.append((idx.slice(0, n), idx.slice(n)))
            self._refs = {"events": (out[0][0], out[1][0]), "claims": (out[0][1], out[1][1])}
        return self._refs

    def _ref(self, table, view, col, target, target_col, check, kind, suffix, target_table, idx=None):
        """References from view[col] to target[target_col] (their rows `idx`, if known): unresolved, other
        article, other status/annotator."""
        if idx is None:
            idx = pc.index_in(view[col], value_set=_col(target, target_col))
        unresolved = _np(pc.is_null(idx))
        report = self._unresolved(idx, view[col], target_table)
        sel = np.flatnonzero(report)
        for rid, path, val in zip(*(_at(view[c], sel) for c in ("id", "path", col))):
            yield Finding(check, table, rid, path + suffix, f"{kind} {val} does not exist")
        if target.num_rows == 0:
            return
        take = pc.fill_null(idx, 0)
        for tcol, fcheck, what in (("article_id", "reference-cross-article", "article"), ("status", "reference-status-mismatch", "status"),
                                   ("annotator", "reference-status-mismatch", "annotator")):
            theirs = pc.take(_col(target, tcol), take)
            sel = np.flatnonzero(~unresolved & _differs(theirs, view[tcol]))
            for rid, path, val, th, ou in zip(*(_at(view[c], sel) for c in ("id", "path", col)), _at(theirs, sel), _at(view[tcol], sel)):
                yield Finding(fcheck, table, rid, path + suffix, f"{kind} {val} has {what} {th}, this record has {ou}")
            if fcheck == "reference-cross-article":
                unresolved[sel] = True  # one finding per reference is enough

    def spans(self):
        views = []
        if self.mentions.num_rows:
            views.append(("entities", self.mentions, "entity_id", self._article_index("mentions")))
        for table, col in (("events", "trigger"), ("claims", "span"), ("claims", "cue")):
            data = self.t[table]
            if data.num_rows == 0:
                continue
            art = self._article_index(table)
            if data[col].null_count:
                valid = pc.is_valid(data[col])
                data, art = data.filter(valid), pc.filter(art, valid)
            if data.num_rows == 0:
                continue
            s = storage.one_array(data[col])
            views.append((table, pa.table({"entity_id": data["id"], "article_id": data["article_id"],
                                           "start": s.field("start"), "end": s.field("end"), "text": s.field("text"),
                                           "path": _repeat(col, data.num_rows)}), "entity_id", art))
        arts = self.t["articles"]
        if not views or arts.num_rows == 0:
            return
        texts = _Texts(_col(arts, "text"))
        for table, view, idcol, art in views:
            yield from _check_spans(table, view, idcol, art, texts)
            if table != "claims":  # GUIDELINES §1.1, checked for mentions and triggers (see the check's meaning)
                yield from _check_punctuation_edges(table, view, idcol)

    # --- level 3 -------------------------------------------------------------------------------------
    def roles(self):
        args = self.arguments
        if args.num_rows == 0:
            return
        onto = self.contract.ontology["event_types"]
        allowed_roles = [f"{ev}|{role}" for ev, spec in onto.items() for role in spec["roles"]]
        allowed_fill = [f"{ev}|{role}|{t}" for ev, spec in onto.items() for role, ts in spec["roles"].items() for t in ts]
        key = pc.binary_join_element_wise(args["event_type"], args["role"], "|")
        bad_role = _np(pc.invert(pc.is_in(key, value_set=pa.array(allowed_roles))))
        sel = np.flatnonzero(bad_role)
        for rid, path, role, etype in zip(*(_at(args[c], sel) for c in ("id", "path", "role", "event_type"))):
            yield Finding("event-role-not-allowed", "events", rid, path + ".role", f"role {role} is not a role of {etype}")
        ents = self.t["entities"]
        if ents.num_rows == 0:
            return
        idx = self._ref_index()["events"][0]
        etype = pc.take(_col(ents, "type"), pc.fill_null(idx, 0))
        fill = pc.binary_join_element_wise(key, etype, "|")
        bad_fill = _np(pc.is_valid(idx)) & ~bad_role & _np(pc.invert(pc.is_in(fill, value_set=pa.array(allowed_fill))))
        sel = np.flatnonzero(bad_fill)
        for rid, path, role, evtype, et in zip(*(_at(args[c], sel) for c in ("id", "path", "role", "event_type")), _at(etype, sel)):
            yield Finding("event-argument-type-not-allowed", "events", rid, path + ".entity_id",
                          f"a {et} entity cannot fill role {role} of {evtype}")

    def event_links(self):
        """event-link-not-event: only an EVENT entity names events (GUIDELINES 2.6)."""
        ents = self.t["entities"]
        if ents.num_rows == 0:
            return
        linked = _np(pc.fill_null(pc.greater(pc.list_value_length(storage.one_array(ents["event_ids"])), 0), False))
        bad = linked & _np(pc.not_equal(_col(ents, "type"), "EVENT"))
        sel = np.flatnonzero(bad)
        for rid, etype in zip(_at(ents["id"], sel), _at(ents["type"], sel)):
            yield Finding("event-link-not-event", "entities", rid, "event_ids",
                          f"a {etype} entity names no events: only an EVENT entity links to event rows")

    def times(self):
        """time-invalid: what the time pattern cannot say, checked once a distinct value (the column has few)."""
        events = self.t["events"]
        if events.num_rows == 0:
            return
        col = storage.one_array(events.column("time"))
        if pa.types.is_dictionary(col.type):
            values, codes = col.dictionary, col.indices
        else:
            values = pc.unique(col)
            codes = pc.index_in(col, value_set=values)
        why = {i: w for i, v in enumerate(values.to_pylist()) if v is not None and (w := timex.problem(v))}
        if not why:
            return
        rows = np.flatnonzero(_np(pc.fill_null(pc.is_in(codes, value_set=pa.array(list(why), codes.type)), False)))
        for rid, code in zip(_at(events["id"], rows), _at(codes, rows)):
            yield Finding("time-invalid", "events", rid, "time", why[code])

    def _scope(self, table: str) -> np.ndarray:
        """The code of each row's (article_id, status, annotator): the rows that may be compared with one
        another. The mentions' come from their entities'."""
        if table not in self._scopes:
            if table == "mentions":
                self._scopes[table] = self._scope("entities")[self._mention_entity_rows]
            else:
                data = self.t[table]
                self._scopes[table] = _combine(*(_codes(data[c]) for c in ("article_id", "status", "annotator")))
        return self._scopes[table]

    def _mention_spans(self) -> tuple:
        """(rows, groups) for the mentions that share their span (scope, start, end) with another mention,
        the only ones clusters() and duplicates() look at: `rows` has each one's span key, a code of its
        entity id and its row; `groups` the number of mentions and of distinct entities of each span key.
        The span keys are integers, sorted by numpy; only the few shared ones are grouped."""
        if self._spans_grouped is None:
            m = self.mentions
            key = _combine(self._scope("mentions"), _np(m["start"]).astype(np.int64), _np(m["end"]).astype(np.int64))
            shared = _shared(key)
            rows = pa.table({"key": key[shared], "entity": _codes(_col(m, "entity_id").take(pa.array(shared))), "row": shared})
            self._spans_grouped = (rows, rows.group_by(["key"]).aggregate([("entity", "count_distinct"), ("entity", "count")]))
        return self._spans_grouped

    def _mentions_in(self, groups: pa.Table) -> pa.Table:
        """The mentions whose span key is one of `groups`', with their span key and entity code."""
        rows, _ = self._mention_spans()
        rows = rows.join(groups.select(["key"]), keys="key", join_type="inner")
        m = self.mentions.take(rows["row"])
        return m.append_column("key", rows["key"]).append_column("entity", rows["entity"])

    def clusters(self):
        m = self.mentions
        if m.num_rows:
            _, g = self._mention_spans()
            g = g.filter(pc.greater(g["entity_count_distinct"], 1))
            if g.num_rows:
                rows = self._mentions_in(g)
                g = rows.select(["key", "start", "end", "entity_id"]).group_by(["key", "start", "end"]).aggregate([("entity_id", "list")])
                for row in g.to_pylist():
                    ents = sorted(set(row["entity_id_list"]))
                    yield Finding("span-multiple-entities", "entities", ents[0], "mentions",
                                  f"span {row['start']}:{row['end']} is a mention of {len(ents)} entities: {', '.join(ents)}")
        wd = self.wikidata()
        if wd.num_rows == 0:
            return
        scope = self._scope("entities")[_np(pc.is_valid(self.t["entities"]["wikidata"]))]
        g = _groups_of(pa.table({"scope": scope, "wikidata": wd["wikidata"], "id": wd["id"]}), ["scope", "wikidata"], "id")
        for row in g.to_pylist():
            ids = sorted(row["id_list"])
            yield Finding("wikidata-multiple-clusters", "entities", ids[1], "wikidata",
                          f"{row['wikidata']} is also the id of {ids[0]} in the same article; merge the clusters")
        if not self.local:
            yield from wikidata_conflicts(wd.select(["wikidata", "type", "id"]))

    def wikidata(self) -> pa.Table:
        """The clean entities that have a Wikidata id."""
        if self._wikidata is None:
            ents = self.t["entities"]
            self._wikidata = ents.filter(pc.is_valid(ents["wikidata"])) if ents.num_rows else ents
        return self._wikidata

    def claims(self):
        claims, ents = self.t["claims"], self.t["entities"]
        if claims.num_rows == 0:
            return
        by_author = _np(claims["by_author"])
        inconsistent = by_author & (_np(pc.is_valid(claims["claimer"])) | _np(pc.is_valid(claims["cue"])) | _np(pc.not_equal(claims["quote"], "none")))
        for rid in _at(claims["id"], np.flatnonzero(inconsistent)):
            yield Finding("claim-claimer-inconsistent", "claims", rid, "by_author",
                          "a claim by the author has no claimer, no cue and quote none")
        with_claimer = self._claimers()
        if with_claimer.num_rows == 0 or ents.num_rows == 0:
            return
        idx = self._ref_index()["claims"][0]
        etype = pc.take(_col(ents, "type"), pc.fill_null(idx, 0))
        bad = _np(pc.is_valid(idx)) & _np(pc.invert(pc.is_in(etype, value_set=pa.array(self.contract.claimer_types))))
        sel = np.flatnonzero(bad)
        for cid, et in zip(_at(with_claimer["id"], sel), _at(etype, sel)):
            yield Finding("claimer-type-not-allowed", "claims", cid, "claimer.entity_id",
                          f"a {et} entity cannot be a claimer (allowed: {', '.join(self.contract.claimer_types)})")

    def duplicates(self):
        """annotation-duplicate: two events of one type with the same trigger, two claims with the same span
        (in one scope: article, status, annotator), or one entity listing the same mention span twice.
        Grouped on integer codes; only the few duplicated rows are turned into Python objects."""
        views = []
        ev = self.t["events"]
        if ev.num_rows:
            trig = storage.one_array(ev["trigger"])
            views.append(("events", "trigger", pa.table({"id": ev["id"], "scope": self._scope("events"), "type": _codes(ev["type"]),
                                                         "start": trig.field("start"), "end": trig.field("end"), "k": ev["type"]})))
        cl = self.t["claims"]
        if cl.num_rows:
            sp = storage.one_array(cl["span"])
            views.append(("claims", "span", pa.table({"id": cl["id"], "scope": self._scope("claims"), "type": np.zeros(cl.num_rows, np.int64),
                                                      "start": sp.field("start"), "end": sp.field("end")})))
        for table, field_name, view in views:
            g = _groups_of(view, ["scope", "type", "start", "end"], "id", also=["k"] if table == "events" else [])
            for row in g.to_pylist():
                ids = sorted(row["id_list"])
                what = f"{row['k_list'][0]} event with trigger" if table == "events" else "claim with span"
                yield Finding("annotation-duplicate", table, ids[1], field_name,
                              f"duplicates {ids[0]}: same {what} {row['start']}:{row['end']}")
        if self.mentions.num_rows:
            # only the spans with more mentions than entities can hold the same mention twice
            _, g = self._mention_spans()
            g = g.filter(pc.greater(g["entity_count"], g["entity_count_distinct"]))
            if g.num_rows:
                m = self._mentions_in(g)
                g = _groups_of(m.select(["key", "entity", "start", "end", "entity_id", "path"]), ["key", "entity", "start", "end"],
                               "entity_id", also=["path"])
                for row in g.to_pylist():
                    paths = sorted(row["path_list"])
                    yield Finding("annotation-duplicate", "entities", row["entity_id_list"][0], paths[1],
                                  f"the same mention {row['start']}:{row['end']} is listed twice ({', '.join(paths)})")

    # --- level 4 -------------------------------------------------------------------------------------
    def corpus(self):
        arts = self.t["articles"]
        if arts.num_rows == 0:
            return
        if not self.local:
            yield from same_texts(pa.table({"norm": normalized_text(arts["text"]), "id": arts["id"], "split": arts["split"]}))
        gold_articles = [pc.filter(self.t[t]["article_id"], pc.equal(self.t[t]["status"], "gold")) for t in ANNOTATION_TABLES if self.t[t].num_rows]
        annotated = pa.chunked_array([c for ch in gold_articles for c in ch.chunks], pa.string()) if gold_articles else pa.chunked_array([], pa.string())
        lonely = arts.filter(pc.invert(pc.is_in(arts["id"], value_set=storage.one_array(annotated))))
        for aid in lonely["id"].to_pylist():
            yield Finding("article-unannotated", "articles", aid, None, "has no gold annotation yet")
        unknown = arts.filter(pc.equal(arts["license"], "unknown"))
        for aid in unknown["id"].to_pylist():
            yield Finding("license-unknown", "articles", aid, "license", "license is unknown; clear it before redistributing the text")


_CONTROL_RE2 = "[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x{9f}]"
_CONTROL_OR_BOM_RE2 = "[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x{9f}\\x{feff}]"
_PERSONAL_RE2 = "@|[0-9](?:[ .()+-]{0,3}[0-9]){7}"
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_PHONE = re.compile(r"(?<![\w+])(?:(?:\+|00)[1-9][0-9]{0,2}[ .-]?(?:\(0?[0-9]{1,4}\)[ .-]?)?[0-9]{2,4}(?:[ .-]?[0-9]{2,4}){1,4}"
                    r"|\([0-9]{3}\) ?[0-9]{3}-[0-9]{4}|[0-9]{3}-[0-9]{3}-[0-9]{4})(?![\w])")


def _code_points(b: np.ndarray, lead: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The code point that starts at each of the positions `lead` (lead bytes of multi-byte sequences in
    the valid UTF-8 bytes `b`) and its length in bytes."""
    first = b[lead]
    n = np.where(first >= 0xF0, 4, np.where(first >= 0xE0, 3, 2))
    code = (first & np.where(n == 2, 0x1F, np.where(n == 3, 0x0F, 0x07))).astype(np.int64)
    for k in (1, 2, 3):
        more = np.flatnonzero(n > k)
        code[more] = (code[more] << 6) | (b[lead[more] + k] & 0x3F)
    return code, n


def _may_need_normalizing(buf: np.ndarray, off: np.ndarray) -> np.ndarray:
    """For every text (bytes buf[off[i]:off[i + 1]]): whether it holds a \r or a character from U+0300 on
    that NFC may change or combine with what precedes it. The others are in NFC for sure: Unicode's quick
    check says yes to a text of characters with NFC_QC=Yes and combining class 0, and every character
    below U+0300 is so."""
    lo, hi = int(off[0]), int(off[-1])
    b = buf[lo:hi]
    flagged = np.flatnonzero(b == 0x0D)
    wide = np.flatnonzero(b >= 0xCC)  # lead bytes of U+0300 and above (continuation bytes are below 0xC0)
    if len(wide):
        code, _ = _code_points(b, wide)
        distinct, inverse = np.unique(code, return_inverse=True)
        unsafe = np.array([not _nfc_inert(c) for c in distinct.tolist()], dtype=bool)[inverse]
        flagged = np.concatenate([flagged, wide[unsafe]])
    out = np.zeros(len(off) - 1, dtype=bool)
    out[np.searchsorted(off[1:] - lo, flagged, side="right")] = True
    return out


@functools.lru_cache(maxsize=None)
def _nfc_inert(cp: int) -> bool:
    """A character that NFC leaves as it is and never combines with the one before: NFC maps it to itself,
    its combining class is 0, it is not the second of a canonical pair, and not a Hangul vowel or final."""
    ch = chr(cp)
    return (unicodedata.normalize("NFC", ch) == ch and unicodedata.combining(ch) == 0 and cp not in _second_of_pair()
            and not (0x1161 <= cp <= 0x1175 or 0x11A8 <= cp <= 0x11C2))


@functools.lru_cache(maxsize=1)
def _second_of_pair() -> frozenset:
    """Every character that is the second of a canonical two-character decomposition (those of all planes
    with composites: up to U+2FFFF)."""
    out = set()
    for cp in range(0xC0, 0x30000):
        dec = unicodedata.decomposition(chr(cp))
        if dec and not dec.startswith("<"):
            parts = dec.split()
            if len(parts) == 2:
                out.add(int(parts[1], 16))
    return frozenset(out)


def normalized_text(text) -> pa.Array:
    """The text as compared for duplicates and split leaks: lower case, letters and digits only (the code
    points of Unicode categories L and N, as unicodedata has them). Done on the UTF-8 bytes in numpy, about
    ten times faster than a regular expression: ASCII bytes by two range comparisons, and the few
    multi-byte sequences decoded, their distinct code points looked up in Python."""
    low = pc.utf8_lower(text)
    low = storage.one_array(low)
    if low.offset:  # the result below reuses the validity bitmap, so it must start at bit 0
        low = pa.concat_arrays([low])
    buf, off = _utf8(low)
    lo, hi = int(off[0]), int(off[-1])
    b = buf[lo:hi]
    keep = np.subtract(b, 0x61, dtype=np.uint8) < 26  # a-z (the text is lower case already)
    keep |= np.subtract(b, 0x30, dtype=np.uint8) < 10  # 0-9
    wide = np.flatnonzero(b >= 0xC0)  # lead bytes of multi-byte sequences (the input is valid UTF-8)
    if len(wide):
        code, n = _code_points(b, wide)
        distinct, inverse = np.unique(code, return_inverse=True)
        letter = np.array([unicodedata.category(chr(c))[0] in "LN" for c in distinct.tolist()], dtype=bool)[inverse]
        for k in (0, 1, 2, 3):
            more = np.flatnonzero(n > k)
            keep[wide[more] + k] = letter[more]
    starts = off[:-1] - lo
    nonempty = starts < off[1:] - lo
    kept = np.zeros(len(starts), np.int64)
    if nonempty.any():  # reduceat gives the element itself for an empty range: sum the non-empty ones only
        kept[nonempty] = np.add.reduceat(keep, starts[nonempty], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(kept)]).astype(np.int64 if pa.types.is_large_string(low.type) else np.int32)
    # the kept bytes, compressed by Arrow's filter (twice as fast as numpy's boolean indexing)
    mask = pa.Array.from_buffers(pa.bool_(), len(keep), [None, pa.py_buffer(np.packbits(keep, bitorder="little"))])
    data = pc.filter(pa.Array.from_buffers(pa.uint8(), len(b), [None, pa.py_buffer(b)]), mask).buffers()[1]
    return pa.Array.from_buffers(low.type, len(low), [low.buffers()[0], pa.py_buffer(offsets), data], null_count=low.null_count)


def same_texts(view: pa.Table):
    """article-split-leak and article-duplicate-text over (norm, id, split); norm may be the text or a digest of it."""
    g = _groups_of(view, ["norm"], "id", also=["split"])
    for row in g.to_pylist():
        pairs = sorted(zip(row["id_list"], row["split_list"]))
        splits = sorted({s for _, s in pairs})
        others = ", ".join(f"{i} ({s})" for i, s in pairs[1:])
        if len(splits) > 1:
            yield Finding("article-split-leak", "articles", pairs[0][0], "split", f"same text as {others}: splits {' and '.join(splits)} leak")
        else:
            yield Finding("article-duplicate-text", "articles", pairs[0][0], "text", f"same text as {others}")


def wikidata_conflicts(view: pa.Table):
    """wikidata-type-conflict over (wikidata, type, id) of clean entities."""
    g = view.group_by(["wikidata"]).aggregate([("type", "count_distinct")])
    bad = g.filter(pc.greater(g["type_count_distinct"], 1))["wikidata"]
    if len(bad) == 0:
        return
    rows = view.filter(pc.is_in(view["wikidata"], value_set=storage.one_array(bad)))
    g = rows.group_by(["wikidata"]).aggregate([("type", "list"), ("id", "list")])
    for row in g.to_pylist():
        pairs = sorted(zip(row["id_list"], row["type_list"]))
        yield Finding("wikidata-type-conflict", "entities", pairs[0][0], "type",
                      f"{row['wikidata']} has types {', '.join(sorted(set(row['type_list'])))} across the corpus ({', '.join(f'{i}: {t}' for i, t in pairs[:4])})")


def _groups_of(view: pa.Table, keys: list, col: str, also=()) -> pa.Table:
    """The groups of `view` by `keys` that have more than one row, with `col` (and `also`) listed. Only
    the few such groups are materialised as lists."""
    if view.num_rows > 1:  # only the rows whose key is shared can be in a group: find them on one integer key
        codes = []
        for k in keys:
            c = view[k]
            plain = pa.types.is_integer(c.type) and c.null_count == 0
            codes.append(_np(c).astype(np.int64) if plain else _codes(c))
        shared = _shared(_combine(*codes))
        if len(shared) < view.num_rows:
            view = view.take(pa.array(shared))
    g = view.group_by(keys).aggregate([(col, "count")])
    g = g.filter(pc.greater(g[f"{col}_count"], 1))
    rows = view.join(g.select(keys), keys=keys, join_type="inner") if g.num_rows else view.slice(0, 0)
    rows = rows.cast(pa.schema([pa.field(f.name, f.type.value_type if pa.types.is_dictionary(f.type) else f.type) for f in rows.schema]))
    return rows.group_by(keys).aggregate([(col, "list")] + [(c, "list") for c in also])


def _failed_ids(data, col):
    return _col(data, col) if data is not None and data.num_rows else None


def _failed_mention_ids(entities):
    if entities is None or entities.num_rows == 0:
        return None
    lists = storage.one_array(entities["mentions"])
    flat = lists.flatten()
    return flat.field("id") if len(flat) else None


def _utf8(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The UTF-8 bytes of a string array and the byte offset of each value (len + 1), zero-copy."""
    arr = storage.one_array(arr)
    off = storage.string_offsets(arr).astype(np.int64, copy=False)
    data = arr.buffers()[2]
    buf = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    return buf, off


class _Texts:
    """The article texts as UTF-8 bytes with, for every code point, its byte position: spans (code-point
    offsets) are compared byte for byte without decoding any text in Python."""

    def __init__(self, text: pa.Array):
        self.text = text
        self._words = None
        self.buf, self.off = _utf8(text)
        self.lo, hi = int(self.off[0]), int(self.off[-1])
        lead = np.empty(hi - self.lo + 1, dtype=bool)  # a UTF-8 lead byte, and the end of the last text
        np.not_equal(self.buf[self.lo:hi] & 0xC0, 0x80, out=lead[:-1])
        lead[-1] = True
        self.cp_pos = np.flatnonzero(lead)  # byte position (from lo) of each code point, and the end
        self.length = np.diff(np.searchsorted(self.cp_pos, self.off - self.lo))  # code points of each text
        self.cp_off = np.concatenate([[0], np.cumsum(self.length)])

    def byte_at(self, a: np.ndarray, cp: np.ndarray) -> np.ndarray:
        return self.cp_pos[self.cp_off[a] + cp] + self.lo

    def substrings(self, bs: np.ndarray, be: np.ndarray) -> pa.Array:
        """The texts' bytes [bs, be) for every pair, as a string array copied by Arrow: string views onto
        the text buffer (a length, then the first 12 bytes inline, or for a longer string its first 4
        bytes, buffer 0 and its offset), built as four 32-bit words a view from unaligned word reads of
        the text buffer, then cast to plain strings."""
        n = len(bs)
        ln = (be - bs).astype(np.int64)
        if self._words is None:  # the 32-bit word at every byte position of the texts (padded at the end)
            self._padded = np.concatenate([self.buf, np.zeros(16, np.uint8)])
            self._words = np.ndarray((len(self.buf) + 12,), dtype="<u4", buffer=self._padded, strides=(1,))
        views = np.empty((n, 4), dtype="<u4")
        views[:, 0] = ln
        for k in range(3):  # inline bytes 4k..4k+3, those past the end of the string zeroed
            kept = np.clip(ln - 4 * k, 0, 4).astype(np.uint64) * np.uint64(8)
            views[:, 1 + k] = self._words[bs + 4 * k] & ((np.uint64(1) << kept) - np.uint64(1)).astype(np.uint32)
        long = np.flatnonzero(ln > 12)
        views[long, 2] = 0  # buffer 0
        views[long, 3] = bs[long]
        data = self.text.buffers()[2] or pa.py_buffer(b"")
        return pc.cast(pa.Array.from_buffers(pa.string_view(), n, [None, pa.py_buffer(views), data]), pa.string())

    def slice(self, a: int, start: int, end: int) -> str:
        return self.buf[self.byte_at(a, start): self.byte_at(a, end)].tobytes().decode("utf-8")


_WHITESPACE_CHARS = pa.array([chr(c) for c in _WHITESPACE.tolist()], pa.string())
# bytes that may be the first or last byte of a white-space character: the ASCII ones, and the lead and
# continuation bytes of the non-ASCII ones (so any byte from 0x80 that one of them has)
_EDGE_BYTE = np.isin(np.arange(256), [b for c in _WHITESPACE.tolist() for b in chr(c).encode("utf-8")])


def _check_spans(table, view, idcol, art_idx, texts: _Texts):
    """Bounds, order, text equality and white-space edges of every span in `view`, vectorised with numpy
    over UTF-8 bytes (offsets are code points). Spans of unknown articles were reported by references()."""
    known = _np(pc.is_valid(art_idx))
    a = _np(pc.fill_null(art_idx, 0)).astype(np.int64)
    start, end = _np(view["start"]).astype(np.int64), _np(view["end"]).astype(np.int64)
    text = _col(view, "text")
    art_len = texts.length
    reversed_ = known & (start >= end)
    oob = known & ~reversed_ & (end > art_len[a])
    sel = np.flatnonzero(reversed_)
    for rid, path, s, e in zip(_at(view[idcol], sel), _at(view["path"], sel), start[sel].tolist(), end[sel].tolist()):
        yield Finding("span-reversed", table, rid, path, f"start {s} is not before end {e}")
    sel = np.flatnonzero(oob)
    for rid, path, e, n in zip(_at(view[idcol], sel), _at(view["path"], sel), end[sel].tolist(), art_len[a[sel]].tolist()):
        yield Finding("span-out-of-bounds", table, rid, path, f"end {e} is past the end of the article text ({n} characters)")
    sbuf, soff = _utf8(text)
    blen = np.diff(soff)  # the span texts' lengths in bytes: equal texts have equal bytes, so no need of characters
    ok = known & ~reversed_ & ~oob
    mismatch = np.zeros(len(blen), dtype=bool)
    cand = np.flatnonzero(ok)
    if len(cand):
        bs = texts.byte_at(a[cand], start[cand])
        be = texts.byte_at(a[cand], end[cand])
        differ = (be - bs) != blen[cand]
        same = np.flatnonzero(~differ)
        if len(same):
            differ[same] = _np(pc.not_equal(texts.substrings(bs[same], be[same]), text.take(pa.array(cand[same]))))
        mismatch[cand[differ]] = True
    sel = np.flatnonzero(mismatch)
    for i, rid, path, txt in zip(sel.tolist(), _at(view[idcol], sel), _at(view["path"], sel), _at(text, sel)):
        ai = int(a[i])
        actual = texts.slice(ai, int(start[i]), int(end[i]))
        where = where_text_occurs(texts.slice(ai, 0, int(art_len[ai])), txt, int(start[i]))
        yield Finding("span-text-mismatch", table, rid, path + ".text", f"text[{start[i]}:{end[i]}] is {actual[:60]!r}; {where}")
    # white space at an edge: the first and last bytes of every text pick the few candidates (an ASCII
    # space, or a byte that may belong to a non-ASCII one), which are then checked as characters
    cand = np.flatnonzero(blen > 0)
    if len(cand):
        cand = cand[_EDGE_BYTE[sbuf[soff[cand]]] | _EDGE_BYTE[sbuf[soff[cand + 1] - 1]]]
    edge = np.zeros(len(blen), dtype=bool)
    if len(cand):
        sub = text.take(pa.array(cand))
        first = pc.is_in(pc.utf8_slice_codeunits(sub, 0, 1), value_set=_WHITESPACE_CHARS)
        last = pc.is_in(pc.utf8_slice_codeunits(sub, -1), value_set=_WHITESPACE_CHARS)
        edge[cand] = _np(pc.or_(first, last))
    sel = np.flatnonzero(edge)
    for rid, path, txt in zip(_at(view[idcol], sel), _at(view["path"], sel), _at(text, sel)):
        yield Finding("span-whitespace-edge", table, rid, path + ".text", f"{txt[:60]!r} starts or ends with white space")


def where_text_occurs(article: str, needle: str, start: int) -> str:
    """Where `needle` (a span's stored text) does occur in `article`, nearest to `start` (code points): for a
    span-text-mismatch message, so that the fix (the offsets, or the text) is plain."""
    if not needle:
        return "the span's text is empty"
    best, i = None, article.find(needle)
    while i >= 0:
        if best is None or abs(i - start) < abs(best - start):
            best = i
        if i >= start:  # later occurrences are only farther
            break
        i = article.find(needle, i + 1)
    if best is None:
        return f"{needle[:60]!r} does not occur in the text"
    return f"{needle[:60]!r} occurs at {best}-{best + len(needle)} (nearest)"


# GUIDELINES §1.1: a mention or trigger never starts or ends with punctuation or a quotation mark;
# brackets only where one is left unmatched; a final period that belongs to an abbreviation is kept
_EDGE_PUNCT = ".,;:!?"
_QUOTES = "\"'`\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u201f\u00ab\u00bb\u2039\u203a"
_BRACKETS = {")": "(", "]": "[", "}": "{"}
_PUNCT_EDGE_CHARS = frozenset(_EDGE_PUNCT + _QUOTES + "".join(_BRACKETS) + "".join(_BRACKETS.values()))
_PUNCT_EDGE_BYTE = np.isin(np.arange(256), sorted({b for c in _PUNCT_EDGE_CHARS for b in c.encode("utf-8")}))
ABBREVIATIONS = frozenset("Inc Co Corp Ltd Jr Sr St Mt Dr Mr Mrs Ms Gen Col Lt Sgt Prof Bros".split())


def abbreviation_period(text: str) -> bool:
    """Whether the final period of `text` belongs to an abbreviation: its last token (before the period)
    has a period of its own (`U.S.`, `U.K.`), is a single capital letter (`John F.`) or is one of
    ABBREVIATIONS (`Inc.`, `Co.`, `Jr.`, `St.`, ...)."""
    if not text.endswith(".") or len(text) < 2 or text[-2] in _PUNCT_EDGE_CHARS or text[-2].isspace():
        return False
    token = text[:-1].split()[-1].rsplit("-", 1)[-1]
    return "." in token or (len(token) == 1 and token.isupper()) or token in ABBREVIATIONS


def punctuation_edge(text: str) -> str | None:
    """What is wrong with the edges of a span's text under GUIDELINES §1.1 (None: nothing): it starts with
    punctuation, a quotation mark or a bracket, or ends with punctuation (an abbreviation's period aside),
    a quotation mark, an opening bracket or a closing one whose opening bracket is not in the span."""
    if not text:
        return None
    first, last = text[0], text[-1]
    if first in _PUNCT_EDGE_CHARS:
        return f"starts with {first!r}"
    if last in _EDGE_PUNCT and not (last == "." and abbreviation_period(text)):
        return f"ends with {last!r}"
    if last in _QUOTES or last in _BRACKETS.values():
        return f"ends with {last!r}"
    if last in _BRACKETS and _BRACKETS[last] not in text[:-1]:
        return f"ends with an unmatched {last!r}"
    return None


def _check_punctuation_edges(table, view, idcol):
    """mention-punctuation-edge: the first and last bytes of every span text pick the candidates (an ASCII
    punctuation mark, or a byte of a non-ASCII quotation mark), which are then looked at as text."""
    text = _col(view, "text")
    sbuf, soff = _utf8(text)
    cand = np.flatnonzero(np.diff(soff) > 0)
    if len(cand):
        cand = cand[_PUNCT_EDGE_BYTE[sbuf[soff[cand]]] | _PUNCT_EDGE_BYTE[sbuf[soff[cand + 1] - 1]]]
    if not len(cand):
        return
    for rid, path, txt in zip(_at(view[idcol], cand), _at(view["path"], cand), _at(text, cand)):
        why = punctuation_edge(txt)
        if why:
            yield Finding("mention-punctuation-edge", table, rid, path + ".text", f"{txt[:60]!r} {why}; the span would be {_trimmed(txt)[:60]!r}")


def _trimmed(text: str) -> str:
    """`text` with the edges punctuation_edge() finds taken off, one character at a time."""
    while text and (why := punctuation_edge(text)):
        text = (text[1:] if why.startswith("starts") else text[:-1]).strip()
    return text


# --- bounded memory: the corpus checked partition by partition ----------------------------------------------
#
# Every row goes to partition crc32(key) % P, its key being its article (articles: id; annotations:
# article_id, or the article part of its id if article_id is null). All level 2 and 3 checks but one
# look within an article, so they run on each partition as they would on the whole corpus. What crosses
# articles is handled so that the findings stay exactly those of the in-memory path:
# - ids follow "<article_id>/<local>". Where an id, a mention id or a reference names another article
#   than its row's (a defect, or a cross-article reference), the two articles are linked; the linked
#   articles ("tainted") are checked again together, from the partition files, and their per-partition
#   findings of levels 2 to 4 are replaced by that check's.
# - wikidata-type-conflict, article-split-leak and article-duplicate-text are corpus-wide: each partition
#   gives a small projection ((wikidata, type) pairs; one (text digest, id, split) row an article) and
#   they are checked over those at the end.

SMALL_CORPUS_BYTES = 8 << 20  # Parquet bytes up to which a corpus is checked in memory, at once
PARTITION_BYTES = 4 << 20  # Parquet bytes checked at once (about 2,500 articles of 50 annotation rows): small
# pieces keep the hash tables of the checks in the CPU caches, and peak memory low
SPILL_SPLIT = 4  # partitions a spilled file holds (each is checked on its own)
GROUP_BYTES = 64 << 20  # Parquet bytes of aligned shards read at once, at most
SPILL_OPTIONS = dict(compression="lz4", use_dictionary=True, write_statistics=False)
_WIKIDATA = pa.schema([("wikidata", pa.string()), ("type", pa.string()), ("id", pa.string())])
_LOCAL_GLOBAL = {"wikidata-type-conflict", "article-split-leak", "article-duplicate-text"}


def partitions_for(root: Path) -> int:
    """1 (in memory) for a small corpus, else one partition per PARTITION_BYTES of Parquet."""
    size = 0
    for table in TABLES:
        try:
            size += sum(p.stat().st_size for p in storage.table_files(root, table))
        except (StorageError, OSError):
            return 1  # the in-memory path reports it
    return 1 if size <= SMALL_CORPUS_BYTES else max(2, math.ceil(size / PARTITION_BYTES))


def validate_partitioned(root: Path, contract: Contract, partitions: int, workers: int | None = None, workdir: Path | None = None,
                         *, spill: bool = False) -> Report:
    """validate_corpus in about `partitions` parts, each checked on its own (two at a time).

    Where the shards are aligned by article (_aligned_groups), each group of shards is read straight
    from the corpus and split in memory; otherwise every row is first spilled to a hash partition in
    temporary Parquet files (_spill)."""
    tmp = Path(tempfile.mkdtemp(prefix="newscorpus-validate-", dir=workdir))
    try:
        with storage.read_lock(root):  # one version of the corpus, read from several processes
            groups = None if spill else _aligned_groups(root, partitions)
            if groups is not None:
                units = [("files", g) for g in groups]
                counts = {t: sum(g.rows[t] for g in groups) for t in TABLES}
                report = _check_units(contract, tmp, units, counts, [], workers)
                if report is not None:
                    report.method = f"aligned shards: {len(groups)} group(s) in {sum(g.split for g in groups)} partition(s), no spill"
                    return report
                # a shard that cannot be read: the spill below names it, as the in-memory path does
            files = max(1, math.ceil(partitions / SPILL_SPLIT))
            method = f"spilled to {files} file(s) in {files * math.ceil(partitions / files)} partition(s)"
            findings, counts = _spill(root, contract, files, tmp)
            if len(counts) < len(TABLES):
                return Report(sort_findings(findings), counts, skipped_levels=True, method=method)
            units = [("spill", _Spilled(p, math.ceil(partitions / files))) for p in range(files)]
            report = _check_units(contract, tmp, units, counts, findings, workers)
            report.method = method
            return report
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _check_units(contract: Contract, tmp: Path, units: list, counts: dict, findings: list, workers: int | None) -> Report | None:
    """Every unit (a spilled partition or a group of aligned shards) checked on its own, then what crosses
    them. None if a shard could not be read (only aligned shards are read here)."""
    workers = workers or min(2, os.cpu_count() or 1, sum(u[1].split for u in units))
    stride = len(units) if units and units[0][0] == "spill" else 1
    # a worker takes a unit, or, when there are fewer units than workers, every other partition of one
    share = workers if len(units) < workers else 1
    args = [(contract, tmp, i, u, stride, (w, share)) for i, u in enumerate(units) for w in range(share)]
    workers = min(workers, len(args))
    try:
        if workers > 1:
            with ProcessPoolExecutor(workers) as pool:
                results = list(pool.map(_check_unit, *zip(*args)))
        else:
            results = [_check_unit(*a) for a in args]
    except StorageError:
        return None
    edges, pairs, digests = [], [], []
    local = []
    for found, keys, part_edges, part_pairs, part_digests in results:
        findings += [f for f, k in zip(found, keys) if k is None]
        local += [(f, k) for f, k in zip(found, keys) if k is not None]
        edges += part_edges
        pairs.append(part_pairs)
        digests.append(part_digests)
    tainted = _linked(edges)
    findings += [f for f, k in local if k not in tainted]
    if tainted:
        findings += _check_tainted(contract, tmp, units, tainted)
    findings += same_texts(pa.concat_tables(digests))
    findings += _wikidata_conflicts(tmp, pa.concat_tables(pairs))
    return Report(sort_findings(findings), counts)


@dataclass
class _Spilled:
    """A spilled file: rows hashed to `index` of the files, split into `split` partitions in memory."""

    index: int
    split: int


@dataclass
class _Group:
    """Aligned shards: the files of each table whose rows belong to the articles lo..hi (one articles shard)."""

    files: dict
    lo: str
    hi: str
    rows: dict
    split: int = 1  # partitions it is split into in memory


def _aligned_groups(root: Path, partitions: int) -> list | None:
    """The shards grouped by article, if they are aligned: every shard of every table holds rows whose
    article (articles: id; annotations: article_id, never null) lies within the id range of one articles
    shard, per the Parquet statistics, and the articles shards do not overlap. Shards written by `synth`
    are; so are a corpus's shards cut at the same articles. None otherwise (or if a group is too big to
    read at once, or a statistic is missing): then the rows are spilled."""
    info = {}
    try:
        for table in TABLES:
            info[table] = [_key_range(p, "id" if table == "articles" else "article_id") for p in storage.table_files(root, table)]
    except (StorageError, OSError, pa.ArrowException):
        return None
    arts = sorted((r for r in info["articles"] if r is not None and r[3] > 0), key=lambda r: r[1])
    if not arts or any(r is None for t in TABLES for r in info[t]) or any(a[2] >= b[1] for a, b in zip(arts, arts[1:])):
        return None
    groups = [_Group({t: [] for t in TABLES}, lo, hi, {t: 0 for t in TABLES}) for _, lo, hi, _, _ in arts]
    sizes = [0] * len(groups)
    starts = [g.lo for g in groups]
    for table in TABLES:
        for path, lo, hi, rows, size in info[table]:
            if rows == 0:
                continue
            i = bisect.bisect_right(starts, lo) - 1
            if i < 0 or hi > groups[i].hi:
                return None
            groups[i].files[table].append(path)
            groups[i].rows[table] += rows
            sizes[i] += size
    if max(sizes) > GROUP_BYTES:
        return None
    total = sum(sizes)
    for g, size in zip(groups, sizes):
        g.split = max(1, math.ceil(partitions * size / total))
    return groups


def _key_range(path: Path, key: str):
    """(path, min, max, rows, bytes) of a Parquet file's `key` column from its statistics; None if a row
    group has no min/max or may hold a null key. Reads only the footer."""
    md = pq.ParquetFile(path).metadata
    j = storage.column_chunk_index(md, key)
    lo = hi = None
    for i in range(md.num_row_groups):
        rg = md.row_group(i)
        if rg.num_rows == 0:
            continue
        st = rg.column(j).statistics if j is not None else None
        if st is None or not st.has_min_max or st.null_count is None or st.null_count > 0 or not isinstance(st.min, str):
            return None
        lo = st.min if lo is None else min(lo, st.min)
        hi = st.max if hi is None else max(hi, st.max)
    return (path, lo or "", hi or "", md.num_rows, path.stat().st_size)


def _load_unit(contract: Contract, tmp: Path, unit) -> dict:
    kind, where = unit
    if kind == "spill":
        return _read_partition(contract, tmp, where.index)
    out = {}
    for table in TABLES:
        schema = contract.arrow_schema(table)
        parts = [data for path in where.files[table] for data in read_rows(path, schema, dictionary=True, threads=False)]
        out[table] = pa.concat_tables(parts) if parts else schema.empty_table()
    return out


def _split(tables: dict, parts: int, stride: int, share: tuple = (0, 1)):
    """The tables of a unit in `parts` partitions, each holding every row of its articles; only those p
    with p % share[1] == share[0] are made, one at a time.

    Where every table is sorted by article (as stored shards are), a partition is a range of articles and
    a zero-copy slice of each table. Otherwise the rows are hashed by article; a spilled file holds the
    articles whose hash is its index modulo `stride` (the number of files), so the split uses the hash
    divided by it."""
    if parts <= 1:
        if share[0] == 0:
            yield tables
        return
    keys = {t: _keys(t, d) for t, d in tables.items()}
    if stride == 1 and all(_is_sorted(k) for k in keys.values()) and len(keys["articles"]):
        arts = keys["articles"]
        cuts = [arts[i * len(arts) // parts] for i in range(1, parts)]
        # the number of (sorted) keys below each cut: a binary search
        bounds = {t: [0, *(bisect.bisect_left(k, c.as_py(), key=pa.StringScalar.as_py) for c in cuts), len(k)] for t, k in keys.items()}
        ordered = tables
    else:
        ordered, bounds = {}, {}
        for t, d in tables.items():  # rows sorted by partition once; each partition is then a slice
            of = _partition_of(keys[t], parts, stride)
            ordered[t] = d.take(pa.array(np.argsort(of, kind="stable")))
            bounds[t] = np.concatenate([[0], np.cumsum(np.bincount(of, minlength=parts))]).tolist()
    for p in range(share[0], parts, share[1]):
        yield {t: d.slice(bounds[t][p], bounds[t][p + 1] - bounds[t][p]) for t, d in ordered.items()}


def _is_sorted(keys: pa.Array) -> bool:
    return len(keys) < 2 or bool(_np(pc.less_equal(keys.slice(0, len(keys) - 1), keys.slice(1))).all())


def _check_unit(contract: Contract, tmp: Path, index: int, unit, stride: int = 1, share: tuple = (0, 1)):
    """One unit (its partitions p with p % share[1] == share[0]): the findings, the article key of each
    level 2-4 finding (None for level 1, which is per row and kept whatever happens), the links between
    articles, and the corpus-wide projections."""
    tables = _load_unit(contract, tmp, unit)
    found, keys, edges, pairs, digests, wds = [], [], [], [], [], []
    for part in _split(tables, unit[1].split, stride, share):
        findings, corpus = check_level1(contract, part, local=True)
        found += findings
        keys += _finding_keys(findings, part)
        edges += _edges(part)
        wd = corpus.wikidata()
        wd = wd.select(["wikidata", "type", "id"]).cast(_WIKIDATA) if wd.num_rows else _WIKIDATA.empty_table()
        wds.append(wd)
        pairs.append(wd.group_by(["wikidata", "type"]).aggregate([]))
        digests.append(_digests(corpus.t["articles"]))
    pq.write_table(pa.concat_tables(wds) if wds else _WIKIDATA.empty_table(), tmp / f"wikidata-{index:05d}-{share[0]:03d}.parquet", **SPILL_OPTIONS)
    del tables
    pa.default_memory_pool().release_unused()  # a worker checks many units: give the freed memory back
    if not digests:  # a share with no partition
        return [], [], [], _WIKIDATA.empty_table().select(["wikidata", "type"]), _digests(contract.arrow_schema("articles").empty_table())
    return found, keys, edges, pa.concat_tables(pairs), pa.concat_tables(digests)


def _prefix(values: list) -> list:
    return [v.split("/", 1)[0] if v is not None else None for v in values]


def _keys(table: str, data: pa.Table) -> pa.Array:
    """The article each row belongs to (see above); "" when even that is null."""
    if table == "articles":
        return pc.fill_null(_col(data, "id"), "")
    key = storage.plain(_col(data, "article_id"))  # (a dictionary before level 1, as read)
    if key.null_count:
        ids = _col(data, "id")
        fill = pa.array(_prefix(ids.filter(pc.is_null(key)).to_pylist()), pa.string())
        key = pc.replace_with_mask(key, pc.is_null(key), fill)
    return pc.fill_null(key, "")


def _partition_of(keys: pa.Array, partitions: int, stride: int = 1) -> np.ndarray:
    enc = pc.dictionary_encode(keys)
    part = np.array([zlib.crc32(k.encode("utf-8")) // stride % partitions for k in enc.dictionary.to_pylist()], dtype=np.int64)
    return part[_np(enc.indices)] if len(part) else np.zeros(len(keys), np.int64)


def _spill_path(tmp: Path, table: str, p: int) -> Path:
    return tmp / f"{table}-{p:05d}.parquet"


# Top-level string columns that only the JSON Schema (level 1) looks at, all of them few distinct values:
# read as dictionaries, they are neither decoded into strings nor checked more than once a distinct value.
L1_ONLY_COLUMNS = ("name", "origin", "source_ref", "updated_at", "realis", "polarity", "time", "stance", "topic",
                   "language", "original_language", "translation", "publisher", "author", "published")
# Columns of few distinct values that later levels read too: read as dictionaries as well (Parquet stores
# them so), checked once a distinct value, then decoded for levels 2 to 4; reading and decoding costs less
# than reading them as strings (~6 ms against ~10 ms for 600,000 values).
DECODED_AFTER_L1 = ("article_id", "type", "annotator", "status")


def read_rows(path: Path, schema: pa.Schema, dictionary: bool = False, threads: bool = True):
    """A table file in pieces of bounded size (a row group at a time for a big single file); with
    dictionary=True, the L1_ONLY_COLUMNS and DECODED_AFTER_L1 it has are read as dictionaries. Worker
    processes, already one a core, read with threads=False (Arrow's threads would only add their cost)."""
    pf = None
    try:
        pf = pq.ParquetFile(path, page_checksum_verification=True)
        as_dictionary = []
        if dictionary:  # only plain string columns the file has: conform() names a missing or mistyped one as in memory
            stored = pf.schema_arrow
            as_dictionary = [f.name for f in schema if f.name in L1_ONLY_COLUMNS + DECODED_AFTER_L1 and pa.types.is_string(f.type)
                             and f.name in stored.names and pa.types.is_string(stored.field(f.name).type)]
            if as_dictionary:
                pf = pq.ParquetFile(path, page_checksum_verification=True, read_dictionary=as_dictionary, metadata=pf.metadata)
        check_data_version(pf.schema_arrow.metadata, (schema.metadata or {}).get(SCHEMA_VERSION_KEY, b"").decode(), str(path))
        if pf.metadata.num_rows <= 1_000_000 or pf.num_row_groups == 1:
            yield storage.conform(pf.read(use_threads=threads), schema, str(path), as_dictionary)
            return
        for i in range(pf.num_row_groups):
            yield storage.conform(pf.read_row_group(i, use_threads=threads), schema, str(path), as_dictionary)
    except (OSError, pa.ArrowException) as exc:
        raise StorageError(f"{path}: unreadable Parquet: {str(exc).splitlines()[0]}") from None


def _spill(root: Path, contract: Contract, partitions: int, tmp: Path) -> tuple[list, dict]:
    """Read every table once and write its rows to their partitions. A table that cannot be read gives
    table-unreadable and no counts (levels 2 to 4 then do not run), as in the in-memory path."""
    findings, counts = [], {}
    for table in TABLES:
        schema = contract.arrow_schema(table)
        rel = storage.relaxed(schema)
        writers: dict = {}
        n = 0
        try:
            for path in storage.table_files(root, table):
                for data in read_rows(path, schema):
                    n += data.num_rows
                    part = _partition_of(_keys(table, data), partitions)
                    order = np.argsort(part, kind="stable")
                    sizes = np.bincount(part, minlength=partitions)
                    data = data.take(pa.array(order))
                    start = 0
                    for p in np.flatnonzero(sizes).tolist():
                        if p not in writers:
                            writers[p] = pq.ParquetWriter(_spill_path(tmp, table, p), rel, **SPILL_OPTIONS)
                        writers[p].write_table(data.slice(start, int(sizes[p])))
                        start += int(sizes[p])
            counts[table] = n
        except StorageError as exc:
            path, _, message = str(exc).partition(": ")
            findings.append(Finding("table-unreadable", table, None, None, message or str(exc), path))
        finally:
            for w in writers.values():
                w.close()
    return findings, counts


def _read_partition(contract: Contract, tmp: Path, p: int) -> dict:
    out = {}
    for table in TABLES:
        path = _spill_path(tmp, table, p)
        schema = storage.relaxed(contract.arrow_schema(table))
        out[table] = pq.read_table(path, schema=schema) if path.exists() else schema.empty_table()
    return out


def _finding_keys(findings: list, tables: dict) -> list:
    keys: list = [None] * len(findings)
    for table in TABLES:
        at = [i for i, f in enumerate(findings) if f.table == table and CHECKS[f.check].level >= 2]
        if not at:
            continue
        data = tables[table]
        idx = pc.index_in(pa.array([findings[i].record for i in at], pa.string()), value_set=_col(data, "id"))
        owner = pc.take(_keys(table, data), pc.fill_null(idx, 0)).to_pylist()
        for i, k in zip(at, owner):
            keys[i] = k
    return keys


def _digests(arts: pa.Table) -> pa.Table:
    """One small row per clean article: a digest (BLAKE2b, 16 bytes) of its normalised text, its id and split."""
    norm = normalized_text(_col(arts, "text")) if arts.num_rows else pa.array([], pa.string())
    buf, off = _utf8(norm) if len(norm) else (np.zeros(0, np.uint8), np.zeros(1, np.int64))
    mv = memoryview(buf)
    digests = [hashlib.blake2b(mv[off[i]:off[i + 1]], digest_size=16).digest() for i in range(len(norm))]
    return pa.table({"norm": pa.array(digests, pa.binary()), "id": _col(arts, "id") if arts.num_rows else pa.array([], pa.string()),
                     "split": _col(arts, "split") if arts.num_rows else pa.array([], pa.string())})


def _prefix_differs(values: pa.Array, keys: pa.Array) -> np.ndarray:
    """Where values[i] (an id) is not null and its part before the first "/" (all of it if it has none)
    is not keys[i].

    Where the values come in sorted stretches of one key (the ids of a stored table: sorted, in runs of
    one article), only the first and last value of each stretch are split: if both start with key + "/",
    so does every value between them (the strings with a given prefix are an interval of the sort
    order). The values of the other stretches (a defect) are split one by one."""
    n = len(values)
    if n > 2:
        brk = np.empty(n, dtype=bool)
        brk[0] = True
        brk[1:] = _np(pc.fill_null(pc.or_(pc.not_equal(keys.slice(1), keys.slice(0, n - 1)),
                                          pc.less(values.slice(1), values.slice(0, n - 1))), True))
        heads = np.flatnonzero(brk)
        if len(heads) * 4 <= n:
            tails = np.append(heads[1:], n) - 1
            ends = pa.array(np.concatenate([heads, tails]))
            ev, ek = values.take(ends), keys.take(ends)
            good = ~_split_differs(ev, ek) & _np(pc.fill_null(pc.match_substring(ev, "/"), False))
            bad = ~(good[:len(heads)] & good[len(heads):])
            out = np.zeros(n, dtype=bool)
            if bad.any():
                run = np.cumsum(brk) - 1
                rows = np.flatnonzero(bad[run])
                out[rows] = _split_differs(values.take(pa.array(rows)), keys.take(pa.array(rows)))
            return out
    return _split_differs(values, keys)


def _split_differs(values: pa.Array, keys: pa.Array) -> np.ndarray:
    """_prefix_differs for every value, by splitting each at its first "/" (faster, measured, than
    comparing the bytes before it in numpy)."""
    head = pc.list_element(pc.split_pattern(values, "/", max_splits=1), 0)
    return _np(pc.fill_null(pc.not_equal(head, keys), False))


def _edges(tables: dict) -> list:
    """(article, other article) for every id or reference of a row that names another article than the row's."""
    out = []

    def check(values, keys):
        values = storage.one_array(values)
        sel = np.flatnonzero(_prefix_differs(values, keys))
        if len(sel):
            out.extend(zip(_at(keys, sel), _prefix(_at(values, sel))))

    def nested(keys, lists, fields):
        lists = storage.one_array(lists)
        flat = lists.flatten()
        if len(flat) == 0:
            return
        k = pc.take(keys, pc.list_parent_indices(lists))
        for name in fields:
            check(flat.field(name) if name else flat, k)

    for table in ANNOTATION_TABLES:
        data = tables[table]
        if data.num_rows == 0:
            continue
        keys = _keys(table, data)
        check(data["id"], keys)
        if table == "entities":
            nested(keys, data["mentions"], ["id"])
            nested(keys, data["event_ids"], [None])
        elif table == "events":
            nested(keys, data["arguments"], ["entity_id", "mention_id"])
        else:
            claimer = _col(data, "claimer")
            check(claimer.field("entity_id"), keys)
            check(claimer.field("mention_id"), keys)
            nested(keys, data["event_ids"], [None])
    return out


def _linked(edges: list) -> set:
    """The articles linked to another by an edge (union-find over the few edges there are)."""
    parent: dict = {}

    def find(x):
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb
    return set(parent)


def _check_tainted(contract: Contract, tmp: Path, units: list, tainted: set) -> list:
    """Levels 2 to 4 (corpus-wide checks aside) over the rows of the linked articles, all together, read
    again from the units that hold them."""
    wanted = pa.array(sorted(tainted), pa.string())
    parts = {zlib.crc32(k.encode("utf-8")) % len(units) for k in tainted}
    gathered = {t: [] for t in TABLES}
    for i, unit in enumerate(units):
        if unit[0] == "spill" and unit[1].index not in parts or unit[0] == "files" and not any(unit[1].lo <= k <= unit[1].hi for k in tainted):
            continue
        tables = _load_unit(contract, tmp, unit)
        for t in TABLES:
            data = tables[t]
            if data.num_rows:
                gathered[t].append(data.filter(pc.is_in(_keys(t, data), value_set=wanted)))
    tables = {t: pa.concat_tables(v, promote_options="permissive") if v else storage.relaxed(contract.arrow_schema(t)).empty_table()
              for t, v in gathered.items()}
    findings, _ = check_level1(contract, tables, local=True)
    return [f for f in findings if CHECKS[f.check].level >= 2]


def _wikidata_conflicts(tmp: Path, pairs: pa.Table) -> list:
    """wikidata-type-conflict from the distinct (wikidata, type) pairs of every partition; the rows of a
    conflicting Wikidata id are read back from the partitions' small projections."""
    if pairs.num_rows == 0:
        return []
    pairs = pairs.group_by(["wikidata", "type"]).aggregate([])
    g = pairs.group_by(["wikidata"]).aggregate([("type", "count")])
    bad = storage.one_array(g.filter(pc.greater(g["type_count"], 1))["wikidata"])
    if len(bad) == 0:
        return []
    rows = [pq.read_table(path, filters=pc.is_in(pc.field("wikidata"), value_set=bad)) for path in sorted(tmp.glob("wikidata-*.parquet"))]
    return list(wikidata_conflicts(pa.concat_tables(rows)))
