"""The validator: level 1 schema, level 2 integrity, level 3 consistency, level 4 corpus.

Checks yield findings; they never print and never raise on bad data. Every check works on whole Arrow
columns (pyarrow compute and numpy); no check loops in Python over annotation records. Levels gate each
other: a record that fails level 1 is left out of levels 2 to 4, and if a table cannot be read at all,
levels 2 to 4 do not run.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .contract import ANNOTATION_TABLES, TABLES, Contract, load_contract
from .errors import StorageError
from .findings import CHECKS, ERROR, Finding, sort_findings
from .schemacheck import compile_table
from . import storage

_WHITESPACE = np.array([c for c in range(0x3001) if chr(c).isspace()] + [0x3000, 0x2028, 0x2029, 0x85], dtype=np.uint32)


@dataclass
class Report:
    findings: list
    counts: dict = field(default_factory=dict)  # table -> rows read
    skipped_levels: bool = False

    @property
    def errors(self) -> list:
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def warnings(self) -> list:
        return [f for f in self.findings if f.severity != ERROR]

    @property
    def ok(self) -> bool:
        return not self.errors


def validate_corpus(root: Path, contract: Contract | None = None, select=None, ignore=None) -> Report:
    """Read every table under `root` and check it."""
    contract = contract or load_contract(root)
    tables, findings = {}, []
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
    findings: list[Finding] = []
    clean, excluded = {}, {}
    for table in TABLES:
        data = tables[table]
        found, bad = compile_table(table, contract.schemas[table]).check(data)
        findings += found
        clean[table] = data.filter(pa.array(~bad)) if bad.any() else data
        excluded[table] = data.filter(pa.array(bad)) if bad.any() else data.slice(0, 0)
    c = Corpus(contract, clean, excluded)
    for check in (c.ids, c.articles_text, c.references, c.spans, c.roles, c.clusters, c.claims, c.duplicates, c.corpus):
        findings += check()
    return Report(sort_findings(findings))


def _np(arr) -> np.ndarray:
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr.to_numpy(zero_copy_only=False)


def _col(table: pa.Table, name: str) -> pa.Array:
    col = table.column(name)
    return col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col


class Corpus:
    """The clean rows of every table and the views the checks share (flat mentions, arguments)."""

    def __init__(self, contract: Contract, tables: dict, excluded: dict | None = None):
        self.contract = contract
        self.t = tables
        self.mentions = flat_mentions(tables["entities"])
        self.arguments = flat_arguments(tables["events"])
        # ids of rows that failed level 1: references to them are not reported again as unresolved
        excluded = excluded or {}
        self.failed = {t: _failed_ids(excluded.get(t), "id") for t in TABLES}
        self.failed["mentions"] = _failed_mention_ids(excluded.get("entities"))

    def _unresolved(self, idx, values, kind: str) -> np.ndarray:
        """Positions whose reference did not resolve, leaving out those that point at a row that failed level 1."""
        missing = _np(pc.is_null(idx))
        failed = self.failed.get(kind)
        if failed is not None and len(failed) and missing.any():
            missing &= ~_np(pc.is_in(values, value_set=failed))
        return missing

    # --- level 2 -------------------------------------------------------------------------------------
    def ids(self):
        views = [(t, self.t[t], "id", None) for t in TABLES] + [("entities", self.mentions, "mention_id", "entity_id")]
        for table, data, col, owner in views:
            if data.num_rows == 0:
                continue
            counts = data.group_by(col).aggregate([(col, "count")])
            dup = counts.filter(pc.greater(counts[f"{col}_count"], 1))[col]
            if len(dup) == 0:
                continue
            mask = pc.is_in(data[col], value_set=dup.combine_chunks())
            rows = data.filter(mask)
            kind = "mention" if owner else table[:-1]
            for rec, value, path in zip((rows[owner] if owner else rows[col]).to_pylist(), rows[col].to_pylist(),
                                        rows["path"].to_pylist() if owner else [None] * rows.num_rows):
                yield Finding("id-duplicate", table, rec, path or "id", f"{kind} id {value} is used more than once")

    def articles_text(self):
        arts = self.t["articles"]
        if arts.num_rows == 0:
            return
        # a per-article pass (not per annotation): hashing and NFC tests run in C over each text
        for aid, text, sha in zip(arts["id"].to_pylist(), arts["text"].to_pylist(), arts["text_sha256"].to_pylist()):
            digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
            if digest != sha:
                yield Finding("text-sha256-mismatch", "articles", aid, "text_sha256", f"is {sha[:12]}..., the text hashes to {digest[:12]}...")
            if "\r" in text:
                yield Finding("text-not-normalized", "articles", aid, "text", "has \\r line breaks; store \\n only")
            elif not unicodedata.is_normalized("NFC", text):
                yield Finding("text-not-normalized", "articles", aid, "text", "is not in Unicode NFC")

    def _article_index(self, article_ids) -> pa.Array:
        return pc.index_in(article_ids, value_set=_col(self.t["articles"], "id"))

    def references(self):
        for table in ANNOTATION_TABLES:
            data = self.t[table]
            if data.num_rows == 0:
                continue
            missing = pa.array(self._unresolved(self._article_index(data["article_id"]), data["article_id"], "articles"))
            for rid, aid in zip(data.filter(missing)["id"].to_pylist(), data.filter(missing)["article_id"].to_pylist()):
                yield Finding("article-ref-unresolved", table, rid, "article_id", f"article {aid} is not in the corpus")
        # event arguments and claimers point at entities and mentions
        claims = self.t["claims"]
        claimers = claims.filter(pc.is_valid(claims["claimer"]))
        cl = claimers["claimer"].combine_chunks() if claimers.num_rows else None
        refs = [("events", self.arguments, "entity_id", "mention_id")]
        if cl is not None:
            refs.append(("claims", pa.table({
                "id": claimers["id"], "article_id": claimers["article_id"], "status": claimers["status"],
                "annotator": claimers["annotator"], "entity_id": cl.field("entity_id"), "mention_id": cl.field("mention_id"),
                "path": pa.array(["claimer"] * claimers.num_rows)}), "entity_id", "mention_id"))
        ents = self.t["entities"]
        for table, view, ecol, mcol in refs:
            if view.num_rows == 0:
                continue
            yield from self._ref(table, view, ecol, ents, "id", "entity-ref-unresolved", "entity", ".entity_id", "entities")
            m_idx = pc.index_in(view[mcol], value_set=_col(self.mentions, "mention_id"))
            unresolved = _np(pc.is_null(m_idx))
            silent = unresolved & ~self._unresolved(m_idx, view[mcol], "mentions")
            ids, paths, mids, eids = (view[c].to_pylist() for c in ("id", "path", mcol, ecol))
            owner = _np(pc.take(_col(self.mentions, "entity_id"), pc.fill_null(m_idx, 0))) if self.mentions.num_rows else None
            for i in np.flatnonzero(unresolved & ~silent):
                yield Finding("mention-ref-unresolved", table, ids[i], paths[i] + ".mention_id", f"mention {mids[i]} does not exist")
            if owner is not None:
                wrong = ~unresolved & (owner != np.asarray(eids, dtype=object))
                for i in np.flatnonzero(wrong):
                    yield Finding("mention-entity-mismatch", table, ids[i], paths[i] + ".mention_id",
                                  f"mention {mids[i]} belongs to entity {owner[i]}, not {eids[i]}")
        # claims point at events
        if claims.num_rows:
            ev = claims.select(["id", "article_id", "status", "annotator", "event_ids"])
            flat = ev["event_ids"].combine_chunks()
            if len(flat.flatten()):
                parents = _np(pc.list_parent_indices(flat))
                offsets = _np(flat.offsets)
                pos = np.arange(len(flat.flatten())) + offsets[0] - offsets[parents]
                view = pa.table({
                    "id": pc.take(_col(ev, "id"), parents), "article_id": pc.take(_col(ev, "article_id"), parents),
                    "status": pc.take(_col(ev, "status"), parents), "annotator": pc.take(_col(ev, "annotator"), parents),
                    "event_id": flat.flatten(), "path": pa.array([f"event_ids[{p}]" for p in pos.tolist()])})
                yield from self._ref("claims", view, "event_id", self.t["events"], "id", "event-ref-unresolved", "event", "", "events")

    def _ref(self, table, view, col, target, target_col, check, kind, suffix, target_table):
        """References from view[col] to target[target_col]: unresolved, other article, other status/annotator."""
        idx = pc.index_in(view[col], value_set=_col(target, target_col))
        unresolved = _np(pc.is_null(idx))
        report = self._unresolved(idx, view[col], target_table)
        ids, paths, vals = view["id"].to_pylist(), view["path"].to_pylist(), view[col].to_pylist()
        for i in np.flatnonzero(report):
            yield Finding(check, table, ids[i], paths[i] + suffix, f"{kind} {vals[i]} does not exist")
        if target.num_rows == 0:
            return
        take = pc.fill_null(idx, 0)
        for tcol, fcheck, what in (("article_id", "reference-cross-article", "article"), ("status", "reference-status-mismatch", "status"),
                                   ("annotator", "reference-status-mismatch", "annotator")):
            theirs = _np(pc.take(_col(target, tcol), take))
            ours = _np(view[tcol])
            for i in np.flatnonzero(~unresolved & (theirs != ours)):
                yield Finding(fcheck, table, ids[i], paths[i] + suffix, f"{kind} {vals[i]} has {what} {theirs[i]}, this record has {ours[i]}")
                if fcheck == "reference-cross-article":
                    unresolved[i] = True  # one finding per reference is enough

    def spans(self):
        views = []
        if self.mentions.num_rows:
            views.append(("entities", self.mentions.rename_columns(
                ["entity_id" if n == "entity_id" else n for n in self.mentions.column_names]), "entity_id"))
        for table, col in (("events", "trigger"), ("claims", "span"), ("claims", "cue")):
            data = self.t[table]
            data = data.filter(pc.is_valid(data[col])) if data.num_rows else data
            if data.num_rows == 0:
                continue
            s = data[col].combine_chunks()
            views.append((table, pa.table({"entity_id": data["id"], "article_id": data["article_id"],
                                           "start": s.field("start"), "end": s.field("end"), "text": s.field("text"),
                                           "path": pa.array([col] * data.num_rows)}), "entity_id"))
        arts = self.t["articles"]
        if not views or arts.num_rows == 0:
            return
        art_text = _col(arts, "text")
        art_len = _np(pc.utf8_length(art_text)).astype(np.int64)
        art_off = np.concatenate([[0], np.cumsum(art_len)])
        big = np.frombuffer("".join(art_text.to_pylist()).encode("utf-32-le"), dtype=np.uint32)
        for table, view, idcol in views:
            yield from _check_spans(table, view, idcol, self._article_index(view["article_id"]), art_len, art_off, big)

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
        ids, paths, roles, types = (args[c].to_pylist() for c in ("id", "path", "role", "event_type"))
        for i in np.flatnonzero(bad_role):
            yield Finding("event-role-not-allowed", "events", ids[i], paths[i] + ".role", f"role {roles[i]} is not a role of {types[i]}")
        ents = self.t["entities"]
        if ents.num_rows == 0:
            return
        idx = pc.index_in(args["entity_id"], value_set=_col(ents, "id"))
        etype = pc.take(_col(ents, "type"), pc.fill_null(idx, 0))
        fill = pc.binary_join_element_wise(key, etype, "|")
        bad_fill = _np(pc.is_valid(idx)) & ~bad_role & _np(pc.invert(pc.is_in(fill, value_set=pa.array(allowed_fill))))
        et = etype.to_pylist()
        for i in np.flatnonzero(bad_fill):
            yield Finding("event-argument-type-not-allowed", "events", ids[i], paths[i] + ".entity_id",
                          f"a {et[i]} entity cannot fill role {roles[i]} of {types[i]}")

    def clusters(self):
        m = self.mentions
        if m.num_rows:
            keys = ["article_id", "status", "annotator", "start", "end"]
            g = m.group_by(keys).aggregate([("entity_id", "count_distinct"), ("entity_id", "list")])
            g = g.filter(pc.greater(g["entity_id_count_distinct"], 1))
            for row in g.to_pylist():
                ents = sorted(set(row["entity_id_list"]))
                yield Finding("span-multiple-entities", "entities", ents[0], "mentions",
                              f"span {row['start']}:{row['end']} is a mention of {len(ents)} entities: {', '.join(ents)}")
        ents = self.t["entities"]
        wd = ents.filter(pc.is_valid(ents["wikidata"])) if ents.num_rows else ents
        if wd.num_rows == 0:
            return
        g = wd.group_by(["article_id", "status", "annotator", "wikidata"]).aggregate([("id", "list")])
        for row in g.filter(pc.greater(pc.list_value_length(g["id_list"]), 1)).to_pylist():
            ids = sorted(row["id_list"])
            yield Finding("wikidata-multiple-clusters", "entities", ids[1], "wikidata",
                          f"{row['wikidata']} is also the id of {ids[0]} in the same article; merge the clusters")
        g = wd.group_by(["wikidata"]).aggregate([("type", "count_distinct"), ("type", "list"), ("id", "list")])
        for row in g.filter(pc.greater(g["type_count_distinct"], 1)).to_pylist():
            pairs = sorted(zip(row["id_list"], row["type_list"]))
            yield Finding("wikidata-type-conflict", "entities", pairs[0][0], "type",
                          f"{row['wikidata']} has types {', '.join(sorted(set(row['type_list'])))} across the corpus ({', '.join(f'{i}: {t}' for i, t in pairs[:4])})")

    def claims(self):
        claims, ents = self.t["claims"], self.t["entities"]
        if claims.num_rows == 0:
            return
        by_author = _np(claims["by_author"])
        inconsistent = by_author & (_np(pc.is_valid(claims["claimer"])) | _np(pc.is_valid(claims["cue"])) | _np(pc.not_equal(claims["quote"], "none")))
        ids = claims["id"].to_pylist()
        for i in np.flatnonzero(inconsistent):
            yield Finding("claim-claimer-inconsistent", "claims", ids[i], "by_author",
                          "a claim by the author has no claimer, no cue and quote none")
        with_claimer = claims.filter(pc.is_valid(claims["claimer"]))
        if with_claimer.num_rows == 0 or ents.num_rows == 0:
            return
        eid = with_claimer["claimer"].combine_chunks().field("entity_id")
        idx = pc.index_in(eid, value_set=_col(ents, "id"))
        etype = pc.take(_col(ents, "type"), pc.fill_null(idx, 0))
        bad = _np(pc.is_valid(idx)) & _np(pc.invert(pc.is_in(etype, value_set=pa.array(self.contract.claimer_types))))
        cids, et = with_claimer["id"].to_pylist(), etype.to_pylist()
        for i in np.flatnonzero(bad):
            yield Finding("claimer-type-not-allowed", "claims", cids[i], "claimer.entity_id",
                          f"a {et[i]} entity cannot be a claimer (allowed: {', '.join(self.contract.claimer_types)})")

    def duplicates(self):
        views = []
        ev = self.t["events"]
        if ev.num_rows:
            trig = ev["trigger"].combine_chunks()
            views.append(("events", "trigger", pa.table({"id": ev["id"], "a": ev["article_id"], "s": ev["status"], "n": ev["annotator"],
                                                         "k": ev["type"], "start": trig.field("start"), "end": trig.field("end")})))
        cl = self.t["claims"]
        if cl.num_rows:
            sp = cl["span"].combine_chunks()
            views.append(("claims", "span", pa.table({"id": cl["id"], "a": cl["article_id"], "s": cl["status"], "n": cl["annotator"],
                                                      "k": pa.array([""] * cl.num_rows), "start": sp.field("start"), "end": sp.field("end")})))
        if self.mentions.num_rows:
            m = self.mentions
            views.append(("entities", None, pa.table({"id": m["entity_id"], "a": m["article_id"], "s": m["status"], "n": m["annotator"],
                                                      "k": m["entity_id"], "start": m["start"], "end": m["end"], "path": m["path"]})))
        for table, field_name, view in views:
            g = view.group_by(["a", "s", "n", "k", "start", "end"]).aggregate([("id", "list")] + ([("path", "list")] if field_name is None else []))
            for row in g.filter(pc.greater(pc.list_value_length(g["id_list"]), 1)).to_pylist():
                if field_name is None:
                    paths = sorted(row["path_list"])
                    yield Finding("annotation-duplicate", table, row["id_list"][0], paths[1],
                                  f"the same mention {row['start']}:{row['end']} is listed twice ({', '.join(paths)})")
                else:
                    ids = sorted(row["id_list"])
                    what = f"{row['k']} event with trigger" if table == "events" else "claim with span"
                    yield Finding("annotation-duplicate", table, ids[1], field_name,
                                  f"duplicates {ids[0]}: same {what} {row['start']}:{row['end']}")

    # --- level 4 -------------------------------------------------------------------------------------
    def corpus(self):
        arts = self.t["articles"]
        if arts.num_rows == 0:
            return
        norm = pc.replace_substring_regex(pc.utf8_lower(arts["text"]), r"[^\p{L}\p{N}]+", "")
        view = pa.table({"norm": norm, "id": arts["id"], "split": arts["split"]})
        g = view.group_by(["norm"]).aggregate([("id", "list"), ("split", "list")])
        for row in g.filter(pc.greater(pc.list_value_length(g["id_list"]), 1)).to_pylist():
            pairs = sorted(zip(row["id_list"], row["split_list"]))
            splits = sorted({s for _, s in pairs})
            others = ", ".join(f"{i} ({s})" for i, s in pairs[1:])
            if len(splits) > 1:
                yield Finding("article-split-leak", "articles", pairs[0][0], "split", f"same text as {others}: splits {' and '.join(splits)} leak")
            else:
                yield Finding("article-duplicate-text", "articles", pairs[0][0], "text", f"same text as {others}")
        gold_articles = [self.t[t].filter(pc.equal(self.t[t]["status"], "gold"))["article_id"] for t in ANNOTATION_TABLES if self.t[t].num_rows]
        annotated = pa.chunked_array([c for ch in gold_articles for c in ch.chunks], pa.string()) if gold_articles else pa.chunked_array([], pa.string())
        lonely = arts.filter(pc.invert(pc.is_in(arts["id"], value_set=annotated.combine_chunks())))
        for aid in lonely["id"].to_pylist():
            yield Finding("article-unannotated", "articles", aid, None, "has no gold annotation yet")
        unknown = arts.filter(pc.equal(arts["license"], "unknown"))
        for aid in unknown["id"].to_pylist():
            yield Finding("license-unknown", "articles", aid, "license", "license is unknown; clear it before redistributing the text")


def _failed_ids(data, col):
    return _col(data, col) if data is not None and data.num_rows else None


def _failed_mention_ids(entities):
    if entities is None or entities.num_rows == 0:
        return None
    lists = entities["mentions"].combine_chunks()
    flat = lists.flatten()
    return flat.field("id") if len(flat) else None


def flat_mentions(entities: pa.Table) -> pa.Table:
    """One row a mention: mention_id, start, end, text, kind, and its entity's id, article, type, status,
    annotator, and its path in the entity record (mentions[i])."""
    names = ["mention_id", "start", "end", "text", "kind", "entity_id", "article_id", "entity_type", "status", "annotator", "path"]
    if entities.num_rows == 0:
        return pa.table({n: pa.array([], pa.int32() if n in ("start", "end") else pa.string()) for n in names})
    lists = entities["mentions"].combine_chunks()
    flat = lists.flatten()
    parents = pc.list_parent_indices(lists)
    offsets = _np(lists.offsets)
    pos = np.arange(len(flat)) + offsets[0] - offsets[_np(parents)]
    cols = {"mention_id": flat.field("id"), "start": flat.field("start"), "end": flat.field("end"), "text": flat.field("text"),
            "kind": flat.field("kind")}
    for src, dst in (("id", "entity_id"), ("article_id", "article_id"), ("type", "entity_type"), ("status", "status"), ("annotator", "annotator")):
        cols[dst] = pc.take(_col(entities, src), parents)
    cols["path"] = pa.array([f"mentions[{p}]" for p in pos.tolist()], pa.string())
    return pa.table(cols)


def flat_arguments(events: pa.Table) -> pa.Table:
    """One row an event argument, with its event's id, type, article, status and annotator."""
    names = ["id", "event_type", "article_id", "status", "annotator", "role", "entity_id", "mention_id", "path"]
    lists = events["arguments"].combine_chunks() if events.num_rows else None
    if lists is None or len(lists.flatten()) == 0:
        return pa.table({n: pa.array([], pa.string()) for n in names})
    flat = lists.flatten()
    parents = pc.list_parent_indices(lists)
    offsets = _np(lists.offsets)
    pos = np.arange(len(flat)) + offsets[0] - offsets[_np(parents)]
    cols = {dst: pc.take(_col(events, src), parents) for src, dst in
            (("id", "id"), ("type", "event_type"), ("article_id", "article_id"), ("status", "status"), ("annotator", "annotator"))}
    cols.update({"role": flat.field("role"), "entity_id": flat.field("entity_id"), "mention_id": flat.field("mention_id"),
                 "path": pa.array([f"arguments[{p}]" for p in pos.tolist()], pa.string())})
    return pa.table(cols)


def _check_spans(table, view, idcol, art_idx, art_len, art_off, big):
    """Bounds, order, text equality and white-space edges of every span in `view`, vectorised with numpy
    over UTF-32 code points. Spans of unknown articles were reported by references()."""
    known = _np(pc.is_valid(art_idx))
    a = _np(pc.fill_null(art_idx, 0)).astype(np.int64)
    start, end = _np(view["start"]).astype(np.int64), _np(view["end"]).astype(np.int64)
    text = _col(view, "text")
    ids, paths = view[idcol].to_pylist(), view["path"].to_pylist()
    reversed_ = known & (start >= end)
    oob = known & ~reversed_ & (end > art_len[a])
    for i in np.flatnonzero(reversed_):
        yield Finding("span-reversed", table, ids[i], paths[i], f"start {start[i]} is not before end {end[i]}")
    for i in np.flatnonzero(oob):
        yield Finding("span-out-of-bounds", table, ids[i], paths[i], f"end {end[i]} is past the end of the article text ({art_len[a[i]]} characters)")
    slen = _np(pc.utf8_length(text)).astype(np.int64)
    sbuf = np.frombuffer("".join(text.to_pylist()).encode("utf-32-le"), dtype=np.uint32)
    soff = np.concatenate([[0], np.cumsum(slen)])[:-1]
    ok = known & ~reversed_ & ~oob
    mismatch = ok & (slen != end - start)
    same_len = ok & ~mismatch & (slen > 0)
    sel = np.flatnonzero(same_len)
    if len(sel):
        lens = slen[sel]
        total = int(lens.sum())
        span_of = np.repeat(np.arange(len(sel)), lens)
        within = np.arange(total) - np.repeat(np.concatenate([[0], np.cumsum(lens)])[:-1], lens)
        src = art_off[a[sel]][span_of] + start[sel][span_of] + within
        dst = soff[sel][span_of] + within
        diff = np.bincount(span_of, weights=(big[src] != sbuf[dst]), minlength=len(sel)) > 0
        mismatch[sel[diff]] = True
    texts = text.to_pylist()
    for i in np.flatnonzero(mismatch):
        actual = "".join(map(chr, big[art_off[a[i]] + start[i]: art_off[a[i]] + end[i]]))
        yield Finding("span-text-mismatch", table, ids[i], paths[i] + ".text", f"is {texts[i][:60]!r}, the article has {actual[:60]!r} at {start[i]}:{end[i]}")
    has = slen > 0
    first = np.zeros(len(slen), dtype=np.uint32)
    last = np.zeros(len(slen), dtype=np.uint32)
    first[has] = sbuf[soff[has]]
    last[has] = sbuf[soff[has] + slen[has] - 1]
    edge = has & (np.isin(first, _WHITESPACE) | np.isin(last, _WHITESPACE))
    for i in np.flatnonzero(edge):
        yield Finding("span-whitespace-edge", table, ids[i], paths[i] + ".text", f"{texts[i][:60]!r} starts or ends with white space")


def has_errors(findings) -> bool:
    return any(CHECKS[f.check].severity == ERROR for f in findings)
