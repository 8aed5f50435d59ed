"""Fault injection for the synthetic corpus: one injector a check id, each editing one article's records so that
the validator reports exactly the findings it returns.

`generate(out, articles=N, faults=RATE)` (bench/synth.py) gives about RATE x N articles one fault each, the check
ids taken in turn, and lists in `manifest.json`, for every fault, the exact findings (check, table, record,
field) the validator must report. Two check ids cannot be stored in a Parquet table of the contract's schemas
and are not injected: `schema-structure` (the Arrow schema fixes fields and types; a file that breaks it is
`table-unreadable`) and `schema-other` (the schemas use no keyword the columnar engine does not compile).
`table-unreadable` stops levels 2 to 4, so `generate` makes it separately, with `unreadable=True`.
"""

from __future__ import annotations

import hashlib
from typing import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..contract import TABLES

NOT_INJECTABLE = ("schema-structure", "schema-other", "table-unreadable")


class _Article:
    """The records of one article as Python dicts, and helpers that add records to them."""

    def __init__(self, article, entities, events, claims):
        self.a, self.ents, self.evs, self.cls = article, entities, events, claims
        self.extra_articles: list = []
        self.aid = article["id"]
        self.prov = {k: entities[0][k] if entities else events[0][k] for k in ("annotator", "status", "origin", "source_ref", "updated_at")}

    @property
    def span_a(self):  # a trigger span: a single token no mention uses
        return dict(self.evs[0]["trigger"])

    @property
    def span_b(self):  # a claim span: starts where no mention, trigger or cue does
        return dict(self.cls[0]["span"])

    def entity(self, etype, sp, local="EF1", wikidata=None, aid=None, **prov):
        aid = aid or self.aid
        rec = {"id": f"{aid}/{local}", "article_id": aid, "type": etype, "name": sp["text"], "wikidata": wikidata,
               "mentions": [{"id": f"{aid}/M{local}", **sp, "kind": "NAM"}], "event_ids": [], **{**self.prov, **prov}}
        self.ents.append(rec)
        return rec

    def event(self, etype, trigger, arguments, local="VF1", **prov):
        rec = {"id": f"{self.aid}/{local}", "article_id": self.aid, "type": etype, "trigger": trigger, "arguments": arguments,
               "realis": "actual", "polarity": "positive", "time": None, **{**self.prov, **prov}}
        self.evs.append(rec)
        return rec

    def claim(self, sp, local="CF1", **kw):
        rec = {"id": f"{self.aid}/{local}", "article_id": self.aid, "span": sp, "claimer": None, "by_author": True, "cue": None,
               "quote": "none", "stance": "affirm", "topic": "an injected claim", "event_ids": [], "checkworthy": None, **self.prov}
        rec.update(kw)
        self.cls.append(rec)
        return rec

    def copy_article(self, suffix, **changes):
        rec = {**self.a, "id": f"{self.aid}-{suffix}", **changes}
        self.extra_articles.append(rec)
        return rec


def _arg(role, ent, mention_id=None):
    return {"role": role, "entity_id": ent["id"] if isinstance(ent, dict) else ent,
            "mention_id": mention_id or ent["mentions"][0]["id"]}


# --- the injectors -----------------------------------------------------------------------------------------
# Each takes (check, art, partner, fault_no): the check id, the article to change, a clean article of the same
# shard that two checks change too, and the fault's number in the corpus; it returns the findings the validator
# must report, as [check, table, record, field].

Injector = Callable[[str, _Article, _Article, int], list]
INJECTORS: dict[str, Injector] = {}  # check ids added to findings.CHECKS later need an injector here


def _injects(*checks: str):
    def register(fn: Injector) -> Injector:
        for check in checks:
            INJECTORS[check] = fn
        return fn

    return register


def injectable_checks() -> list[str]:
    from ..findings import CHECKS

    return [c.id for c in CHECKS.values() if c.level >= 1 and c.id in INJECTORS]


def inject(check: str, art: _Article, partner: _Article, fault_no: int) -> list:
    """Change `art` (and for two checks its `partner`, a clean article of the same shard) so that the validator
    reports exactly the returned findings, as [check, table, record, field]."""
    if check not in INJECTORS:
        raise ValueError(f"no fault injector for check {check}")
    return INJECTORS[check](check, art, partner, fault_no)


# level 1: schemas
@_injects("schema-null")
def _schema_null(check, a, partner, fault_no):
    c = a.cls[0]
    c["topic"] = None
    return [[check, "claims", c["id"], "topic"]]


@_injects("schema-enum")
def _schema_enum(check, a, partner, fault_no):
    c = a.cls[0]
    c["stance"] = "maybe"
    return [[check, "claims", c["id"], "stance"]]


@_injects("schema-pattern")
def _schema_pattern(check, a, partner, fault_no):
    c = a.cls[0]
    c["updated_at"] = "yesterday"
    return [[check, "claims", c["id"], "updated_at"]]


@_injects("schema-length")
def _schema_length(check, a, partner, fault_no):
    c = a.cls[0]
    c["topic"] = "x" * 201
    return [[check, "claims", c["id"], "topic"]]


@_injects("schema-range")
def _schema_range(check, a, partner, fault_no):
    c = a.cls[0]
    c["span"] = {**c["span"], "start": -1}
    return [[check, "claims", c["id"], "span.start"]]


@_injects("schema-items")
def _schema_items(check, a, partner, fault_no):
    e = a.entity("PER", a.span_a)
    e["mentions"] = []
    return [[check, "entities", e["id"], "mentions"]]


# level 2: ids and references
@_injects("id-duplicate")
def _id_duplicate(check, a, partner, fault_no):
    e = a.ents[0]
    e["mentions"].append({**e["mentions"][0], **a.span_a})
    return [[check, "entities", e["id"], "mentions[0]"], [check, "entities", e["id"], f"mentions[{len(e['mentions']) - 1}]"]]


@_injects("article-ref-unresolved")
def _article_ref_unresolved(check, a, partner, fault_no):
    c = a.claim(a.span_a, article_id=f"{a.aid}-gone")
    return [[check, "claims", c["id"], "article_id"]]


@_injects("entity-ref-unresolved")
def _entity_ref_unresolved(check, a, partner, fault_no):
    e0 = a.ents[0]
    v = a.event("contact.meet", a.span_b, [_arg("participant", f"{a.aid}/EZZ", e0["mentions"][0]["id"])])
    return [[check, "events", v["id"], "arguments[0].entity_id"], ["mention-entity-mismatch", "events", v["id"], "arguments[0].mention_id"]]


@_injects("mention-ref-unresolved")
def _mention_ref_unresolved(check, a, partner, fault_no):
    e = a.entity("PER", a.span_a)
    v = a.event("contact.meet", a.span_b, [_arg("participant", e, f"{a.aid}/MZZ")])
    return [[check, "events", v["id"], "arguments[0].mention_id"]]


@_injects("mention-entity-mismatch")
def _mention_entity_mismatch(check, a, partner, fault_no):
    e = a.entity("PER", a.span_a)
    v = a.event("contact.meet", a.span_b, [_arg("participant", e, a.ents[0]["mentions"][0]["id"])])
    return [[check, "events", v["id"], "arguments[0].mention_id"]]


@_injects("event-ref-unresolved")
def _event_ref_unresolved(check, a, partner, fault_no):
    c = a.claim(a.span_a, event_ids=[f"{a.aid}/VZZ"])
    return [[check, "claims", c["id"], "event_ids[0]"]]


@_injects("reference-cross-article")
def _reference_cross_article(check, a, partner, fault_no):
    c = a.claim(a.span_a, event_ids=[partner.evs[0]["id"]])
    return [[check, "claims", c["id"], "event_ids[0]"]]


@_injects("reference-status-mismatch")
def _reference_status_mismatch(check, a, partner, fault_no):
    c = a.claim(a.span_a, event_ids=[a.evs[0]["id"]], status="candidate")
    return [[check, "claims", c["id"], "event_ids[0]"]]


# level 2: spans and text
@_injects("span-out-of-bounds")
def _span_out_of_bounds(check, a, partner, fault_no):
    n = len(a.a["text"])
    c = a.claim({"start": n - 2, "end": n + 5, "text": "xxxxxxx"})
    return [[check, "claims", c["id"], "span"]]


@_injects("span-reversed")
def _span_reversed(check, a, partner, fault_no):
    c = a.claim({"start": 10, "end": 5, "text": "abcde"})
    return [[check, "claims", c["id"], "span"]]


@_injects("span-text-mismatch")
def _span_text_mismatch(check, a, partner, fault_no):
    sp = a.span_a
    c = a.claim({**sp, "text": "#" * (sp["end"] - sp["start"])})
    return [[check, "claims", c["id"], "span.text"]]


@_injects("span-whitespace-edge")
def _span_whitespace_edge(check, a, partner, fault_no):
    sp, text = a.span_a, a.a["text"]
    start, end = (sp["start"] - 1, sp["end"]) if sp["start"] > 0 else (sp["start"], sp["end"] + 1)
    c = a.claim({"start": start, "end": end, "text": text[start:end]})
    return [[check, "claims", c["id"], "span.text"]]


@_injects("text-sha256-mismatch")
def _text_sha256_mismatch(check, a, partner, fault_no):
    a.a["text_sha256"] = hashlib.sha256(b"not this text").hexdigest()
    return [[check, "articles", a.aid, "text_sha256"]]


@_injects("text-not-normalized")
def _text_not_normalized(check, a, partner, fault_no):
    a.a["text"] += "\r" if fault_no % 2 else " Cafe\u0301"
    a.a["text_sha256"] = hashlib.sha256(a.a["text"].encode()).hexdigest()
    return [[check, "articles", a.aid, "text"]]


# level 3: the ontology and consistency
@_injects("event-role-not-allowed")
def _event_role_not_allowed(check, a, partner, fault_no):
    e = a.entity("PER", a.span_a)
    v = a.event("contact.meet", a.span_b, [_arg("victim", e)])
    return [[check, "events", v["id"], "arguments[0].role"]]


@_injects("event-argument-type-not-allowed")
def _event_argument_type_not_allowed(check, a, partner, fault_no):
    e = a.entity("DATE", a.span_a)
    v = a.event("contact.meet", a.span_b, [_arg("participant", e)])
    return [[check, "events", v["id"], "arguments[0].entity_id"]]


@_injects("span-multiple-entities")
def _span_multiple_entities(check, a, partner, fault_no):
    e0 = a.ents[0]
    sp = {k: e0["mentions"][0][k] for k in ("start", "end", "text")}
    e = a.entity("PER", sp)
    return [[check, "entities", min(e0["id"], e["id"]), "mentions"]]


@_injects("wikidata-multiple-clusters")
def _wikidata_multiple_clusters(check, a, partner, fault_no):
    q = f"Q{900000000 + fault_no}"
    e1 = a.entity("GPE", a.span_a, "EF1", wikidata=q)
    e2 = a.entity("GPE", a.span_b, "EF2", wikidata=q)
    return [[check, "entities", sorted([e1["id"], e2["id"]])[1], "wikidata"]]


@_injects("wikidata-type-conflict")
def _wikidata_type_conflict(check, a, partner, fault_no):
    q = f"Q{900000000 + fault_no}"
    e1 = a.entity("GPE", a.span_a, "EF1", wikidata=q)
    e2 = partner.entity("ORG", partner.span_a, "EF1", wikidata=q)
    return [[check, "entities", min(e1["id"], e2["id"]), "type"]]


@_injects("claimer-type-not-allowed")
def _claimer_type_not_allowed(check, a, partner, fault_no):
    e = a.entity("DATE", a.span_a)
    c = a.claim(a.span_a, by_author=False, claimer={"entity_id": e["id"], "mention_id": e["mentions"][0]["id"]}, quote="indirect")
    return [[check, "claims", c["id"], "claimer.entity_id"]]


@_injects("claim-claimer-inconsistent")
def _claim_claimer_inconsistent(check, a, partner, fault_no):
    c = a.claim(a.span_a, quote="direct")
    return [[check, "claims", c["id"], "by_author"]]


@_injects("annotation-duplicate")
def _annotation_duplicate(check, a, partner, fault_no):
    v0 = a.evs[0]
    v = a.event(v0["type"], dict(v0["trigger"]), [])
    return [[check, "events", sorted([v0["id"], v["id"]])[1], "trigger"]]


# level 4: articles
@_injects("article-split-leak", "article-duplicate-text")
def _article_copy(check, a, partner, fault_no):
    other = {"train": "test", "validation": "train", "test": "train"}[a.a["split"]] if check == "article-split-leak" else a.a["split"]
    copy = a.copy_article("leak" if check == "article-split-leak" else "dup", split=other)
    a.entity("PER", a.span_a, "E1", aid=copy["id"])
    return [[check, "articles", min(a.aid, copy["id"]), "split" if check == "article-split-leak" else "text"]]


@_injects("article-unannotated")
def _article_unannotated(check, a, partner, fault_no):
    text = f"An article about {a.aid} that nobody has annotated yet."
    copy = a.copy_article("bare", text=text, text_sha256=hashlib.sha256(text.encode()).hexdigest())
    return [[check, "articles", copy["id"], None]]


@_injects("license-unknown")
def _license_unknown(check, a, partner, fault_no):
    a.a["license"] = "unknown"
    return [[check, "articles", a.aid, "license"]]


# --- applying them to a shard --------------------------------------------------------------------------------

def apply_faults(tables: dict, local_idx: np.ndarray, rank0: int, checks: list, manifest: list, schemas: dict) -> dict:
    """Edit the faulty articles (and their partners) as Python records, then put them back."""
    arts = tables["articles"]
    n = arts.num_rows
    taken = set(local_idx.tolist())
    partners = {}
    free = (i for i in range(n) if i not in taken)
    for i in local_idx.tolist():
        partners[i] = next(free, None)
        taken.add(partners[i])
    touched = sorted(taken - {None})
    ids = arts["id"].take(pa.array(touched))
    rows = {}
    for t in TABLES:
        data = tables[t]
        key = data["id"] if t == "articles" else data["article_id"]
        mask = pc.is_in(key, value_set=ids)
        recs = data.filter(mask).to_pylist()
        tables[t] = data.filter(pc.invert(mask))
        rows[t] = recs
    by_art = {aid: {t: [] for t in TABLES} for aid in ids.to_pylist()}
    for t in TABLES:
        for r in rows[t]:
            by_art[r["id"] if t == "articles" else r["article_id"]][t].append(r)
    view = {aid: _Article(d["articles"][0], d["entities"], d["events"], d["claims"]) for aid, d in by_art.items()}
    aid_of = dict(zip(touched, ids.to_pylist()))
    for j, i in enumerate(local_idx.tolist()):
        fault_no = rank0 + j  # the k-th fault of the corpus checks the k-th check id, in turn
        check = checks[fault_no % len(checks)]
        art = view[aid_of[i]]
        partner = view[aid_of[partners[i]]] if partners[i] is not None else art
        expected = inject(check, art, partner, fault_no)
        manifest.append({"check": check, "article": art.aid, "expected": expected})
    new = {t: [] for t in TABLES}
    for v in view.values():
        new["articles"] += [v.a, *v.extra_articles]
        new["entities"] += v.ents
        new["events"] += v.evs
        new["claims"] += v.cls
    for t in TABLES:
        tables[t] = pa.concat_tables([tables[t].cast(schemas[t]), pa.Table.from_pylist(new[t], schema=schemas[t])])
    return tables
