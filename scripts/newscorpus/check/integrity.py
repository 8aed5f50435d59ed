"""Level 2, integrity: ids, references, spans, article texts and event times, each check a function of
the Corpus of clean rows that yields findings. RUNS is what the validator runs, in order."""

from __future__ import annotations

import hashlib
import unicodedata
from collections import Counter

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..contract import ANNOTATION_TABLES
from ..findings import Finding
from ..store import storage
from ..store.flat import column as _col, item_paths as _paths, numpy_of as _np
from . import timex
from .arrays import constant_column, differs, utf8_bytes, values_at
from .text import (CONTROL, CONTROL_OR_BOM_RE2, CONTROL_RE2, PUNCT_EDGE_BYTE, WHITESPACE_CHARS, WHITESPACE_EDGE_BYTE, Texts,
                   may_need_normalizing, punctuation_edge, trimmed, where_text_occurs)
from .views import Corpus


def ids(c: Corpus):
    """id-duplicate (an id used twice by records of one kind) and id-collision (an id used by records of
    two kinds: reported on the record of the later kind, articles, entities, mentions, events, claims,
    naming the earlier one), from one sort of every id: ids are stored sorted, so it is nearly free, and
    only the few ids seen more than once are looked at further."""
    kinds = [("article", "articles", c.t["articles"], "id", None), ("entity", "entities", c.t["entities"], "id", None),
             ("mention", "entities", c.mentions, "mention_id", "entity_id"), ("event", "events", c.t["events"], "id", None),
             ("claim", "claims", c.t["claims"], "id", None)]
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


def text_hygiene(c: Corpus):
    """Control characters (but \n and \t; \r is text-not-normalized) and byte order marks in texts and titles."""
    arts = c.t["articles"]
    for col in ("text", "title"):
        if arts.num_rows == 0:
            return
        values = _col(arts, col)
        # the texts: only those the one pass of suspect_texts picked; the titles: one pass of their own
        rows = c.suspect_texts() if col == "text" else np.flatnonzero(_np(pc.fill_null(pc.match_substring_regex(values, CONTROL_OR_BOM_RE2), False)))
        if not len(rows):
            continue
        sub = values.take(pa.array(rows))
        for check, pattern, what in (("text-control-characters", CONTROL_RE2, "control character"), ("text-bom", "\ufeff", "byte order mark")):
            hit = _np(pc.fill_null(pc.match_substring_regex(sub, pattern) if check != "text-bom" else
                                   pc.match_substring(sub, pattern), False))
            if not hit.any():
                continue
            for i in rows[hit].tolist():
                aid, text = arts["id"][int(i)].as_py(), values[int(i)].as_py()
                at = [j for j, ch in enumerate(text) if (CONTROL.match(ch) if check != "text-bom" else ch == "\ufeff")]
                yield Finding(check, "articles", aid, col, f"has {len(at)} {what}(s), the first {text[at[0]]!r} at offset {at[0]}")


def articles_text(c: Corpus):
    arts = c.t["articles"]
    if arts.num_rows == 0:
        return
    # a per-article pass (not per annotation): the hash of the UTF-8 bytes where Arrow holds them; the \r
    # and NFC tests (in Python) only on the texts whose bytes hold a \r or a character NFC may change
    texts = _col(arts, "text")
    buf, off = utf8_bytes(texts)
    mv = memoryview(buf)
    bounds = off.tolist()
    ids = arts["id"].to_pylist()
    for i, (aid, sha) in enumerate(zip(ids, arts["text_sha256"].to_pylist())):
        digest = hashlib.sha256(mv[bounds[i]:bounds[i + 1]]).hexdigest()
        if digest != sha:
            yield Finding("text-sha256-mismatch", "articles", aid, "text_sha256", f"is {sha[:12]}..., the text hashes to {digest[:12]}...")
    for i in np.flatnonzero(may_need_normalizing(buf, off)).tolist():
        text = texts[i].as_py()
        if "\r" in text:
            yield Finding("text-not-normalized", "articles", ids[i], "text", "has \\r line breaks; store \\n only")
        elif not unicodedata.is_normalized("NFC", text):
            yield Finding("text-not-normalized", "articles", ids[i], "text", "is not in Unicode NFC")


def references(c: Corpus):
    for table in ANNOTATION_TABLES:
        data = c.t[table]
        if data.num_rows == 0:
            continue
        missing = pa.array(c.unresolved(c.article_index(table), data["article_id"], "articles"))
        for rid, aid in zip(data.filter(missing)["id"].to_pylist(), data.filter(missing)["article_id"].to_pylist()):
            yield Finding("article-ref-unresolved", table, rid, "article_id", f"article {aid} is not in the corpus")
    # event arguments and claimers point at entities and mentions
    claimers = c.claimers()
    cl = storage.one_array(claimers["claimer"]) if claimers.num_rows else None
    refs = [("events", c.arguments, "entity_id", "mention_id")]
    if cl is not None:
        refs.append(("claims", pa.table({
            "id": claimers["id"], "article_id": claimers["article_id"], "status": claimers["status"],
            "annotator": claimers["annotator"], "entity_id": cl.field("entity_id"), "mention_id": cl.field("mention_id"),
            "path": constant_column("claimer", claimers.num_rows)}), "entity_id", "mention_id"))
    ents = c.t["entities"]
    for table, view, ecol, mcol in refs:
        if view.num_rows == 0:
            continue
        e_idx, m_idx = c.ref_index()[table]
        yield from _ref(c, table, view, ecol, ents, "id", "entity-ref-unresolved", "entity", ".entity_id", "entities", e_idx)
        unresolved = _np(pc.is_null(m_idx))
        report = c.unresolved(m_idx, view[mcol], "mentions")
        sel = np.flatnonzero(report)
        for rid, path, mid in zip(*(values_at(view[k], sel) for k in ("id", "path", mcol))):
            yield Finding("mention-ref-unresolved", table, rid, path + ".mention_id", f"mention {mid} does not exist")
        if c.mentions.num_rows:
            owner = pc.take(_col(c.mentions, "entity_id"), pc.fill_null(m_idx, 0))
            sel = np.flatnonzero(~unresolved & differs(owner, view[ecol]))
            for rid, path, mid, own, eid in zip(*(values_at(view[k], sel) for k in ("id", "path", mcol)), values_at(owner, sel), values_at(view[ecol], sel)):
                yield Finding("mention-entity-mismatch", table, rid, path + ".mention_id",
                              f"mention {mid} belongs to entity {own}, not {eid}")
    # claims, and EVENT entities, point at events
    for table in ("claims", "entities"):
        data = c.t[table]
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
            yield from _ref(c, table, view, "event_id", c.t["events"], "id", "event-ref-unresolved", "event", "", "events")


def _ref(c: Corpus, table, view, col, target, target_col, check, kind, suffix, target_table, idx=None):
    """References from view[col] to target[target_col] (their rows `idx`, if known): unresolved, other
    article, other status/annotator."""
    if idx is None:
        idx = pc.index_in(view[col], value_set=_col(target, target_col))
    unresolved = _np(pc.is_null(idx))
    report = c.unresolved(idx, view[col], target_table)
    sel = np.flatnonzero(report)
    for rid, path, val in zip(*(values_at(view[k], sel) for k in ("id", "path", col))):
        yield Finding(check, table, rid, path + suffix, f"{kind} {val} does not exist")
    if target.num_rows == 0:
        return
    take = pc.fill_null(idx, 0)
    for tcol, fcheck, what in (("article_id", "reference-cross-article", "article"), ("status", "reference-status-mismatch", "status"),
                               ("annotator", "reference-status-mismatch", "annotator")):
        theirs = pc.take(_col(target, tcol), take)
        sel = np.flatnonzero(~unresolved & differs(theirs, view[tcol]))
        for rid, path, val, th, ou in zip(*(values_at(view[k], sel) for k in ("id", "path", col)), values_at(theirs, sel), values_at(view[tcol], sel)):
            yield Finding(fcheck, table, rid, path + suffix, f"{kind} {val} has {what} {th}, this record has {ou}")
        if fcheck == "reference-cross-article":
            unresolved[sel] = True  # one finding per reference is enough


def spans(c: Corpus):
    views = []
    if c.mentions.num_rows:
        views.append(("entities", c.mentions, "entity_id", c.article_index("mentions")))
    for table, col in (("events", "trigger"), ("claims", "span"), ("claims", "cue")):
        data = c.t[table]
        if data.num_rows == 0:
            continue
        art = c.article_index(table)
        if data[col].null_count:
            valid = pc.is_valid(data[col])
            data, art = data.filter(valid), pc.filter(art, valid)
        if data.num_rows == 0:
            continue
        s = storage.one_array(data[col])
        views.append((table, pa.table({"entity_id": data["id"], "article_id": data["article_id"],
                                       "start": s.field("start"), "end": s.field("end"), "text": s.field("text"),
                                       "path": constant_column(col, data.num_rows)}), "entity_id", art))
    arts = c.t["articles"]
    if not views or arts.num_rows == 0:
        return
    texts = Texts(_col(arts, "text"))
    for table, view, idcol, art in views:
        yield from _check_spans(table, view, idcol, art, texts)
        if table != "claims":  # GUIDELINES §1.1, checked for mentions and triggers (see the check's meaning)
            yield from _check_punctuation_edges(table, view, idcol)


def times(c: Corpus):
    """time-invalid: what the time pattern cannot say, checked once a distinct value (the column has few)."""
    events = c.t["events"]
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
    for rid, code in zip(values_at(events["id"], rows), values_at(codes, rows)):
        yield Finding("time-invalid", "events", rid, "time", why[code])


def _check_spans(table, view, idcol, art_idx, texts: Texts):
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
    for rid, path, s, e in zip(values_at(view[idcol], sel), values_at(view["path"], sel), start[sel].tolist(), end[sel].tolist()):
        yield Finding("span-reversed", table, rid, path, f"start {s} is not before end {e}")
    sel = np.flatnonzero(oob)
    for rid, path, e, n in zip(values_at(view[idcol], sel), values_at(view["path"], sel), end[sel].tolist(), art_len[a[sel]].tolist()):
        yield Finding("span-out-of-bounds", table, rid, path, f"end {e} is past the end of the article text ({n} characters)")
    sbuf, soff = utf8_bytes(text)
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
    for i, rid, path, txt in zip(sel.tolist(), values_at(view[idcol], sel), values_at(view["path"], sel), values_at(text, sel)):
        ai = int(a[i])
        actual = texts.slice(ai, int(start[i]), int(end[i]))
        where = where_text_occurs(texts.slice(ai, 0, int(art_len[ai])), txt, int(start[i]))
        yield Finding("span-text-mismatch", table, rid, path + ".text", f"text[{start[i]}:{end[i]}] is {actual[:60]!r}; {where}")
    # white space at an edge: the first and last bytes of every text pick the few candidates (an ASCII
    # space, or a byte that may belong to a non-ASCII one), which are then checked as characters
    cand = np.flatnonzero(blen > 0)
    if len(cand):
        cand = cand[WHITESPACE_EDGE_BYTE[sbuf[soff[cand]]] | WHITESPACE_EDGE_BYTE[sbuf[soff[cand + 1] - 1]]]
    edge = np.zeros(len(blen), dtype=bool)
    if len(cand):
        sub = text.take(pa.array(cand))
        first = pc.is_in(pc.utf8_slice_codeunits(sub, 0, 1), value_set=WHITESPACE_CHARS)
        last = pc.is_in(pc.utf8_slice_codeunits(sub, -1), value_set=WHITESPACE_CHARS)
        edge[cand] = _np(pc.or_(first, last))
    sel = np.flatnonzero(edge)
    for rid, path, txt in zip(values_at(view[idcol], sel), values_at(view["path"], sel), values_at(text, sel)):
        yield Finding("span-whitespace-edge", table, rid, path + ".text", f"{txt[:60]!r} starts or ends with white space")


def _check_punctuation_edges(table, view, idcol):
    """mention-punctuation-edge: the first and last bytes of every span text pick the candidates (an ASCII
    punctuation mark, or a byte of a non-ASCII quotation mark), which are then looked at as text."""
    text = _col(view, "text")
    sbuf, soff = utf8_bytes(text)
    cand = np.flatnonzero(np.diff(soff) > 0)
    if len(cand):
        cand = cand[PUNCT_EDGE_BYTE[sbuf[soff[cand]]] | PUNCT_EDGE_BYTE[sbuf[soff[cand + 1] - 1]]]
    if not len(cand):
        return
    for rid, path, txt in zip(values_at(view[idcol], cand), values_at(view["path"], cand), values_at(text, cand)):
        why = punctuation_edge(txt)
        if why:
            yield Finding("mention-punctuation-edge", table, rid, path + ".text", f"{txt[:60]!r} {why}; the span would be {trimmed(txt)[:60]!r}")


RUNS = (ids, articles_text, text_hygiene, references, spans, times)
