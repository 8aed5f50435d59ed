"""Label Studio results <-> corpus records, and the conversion checks (level 0, ids studio-*).

Records to results (push): the gold records of an article become one prediction. Each region id is the
local part of a record id (the id without "<article_id>/"), so that a pulled region maps back to the record
it came from: mention M1 is region "M1", event V1 region "V1", claim C1 region "C1", its cue region "C1.cue".
An entity is the cluster of the mention regions that share a cluster key (its local id, "E1").

Results to records (pull): every result is checked first. Label Studio stores whatever the API sends, so an
unknown label, an offset past the text, a span whose text is not the article's, a relation to a missing
region are findings naming the task, the annotation and the region; an annotation with any error finding
becomes no record at all. Offsets are code points (Python str indices). Span text is recomputed from the
article; the text Label Studio stores for a span drawn in the browser has each line break written as a
backslash and an n, which is accepted as the same text.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

from ..contract import Contract
from ..findings import ERROR, WARNING, Check, Finding, register
from ..check.text import where_text_occurs
from . import config as C

TABLE = "label-studio"

CHECKS = (
    Check("studio-result-malformed", 0, ERROR, "A Label Studio result item does not have the shape the labeling config produces (no value, non-integer offsets, no or several labels on a region, a per-region value of no region or of the wrong kind of region)."),
    Check("studio-label-unknown", 0, ERROR, "A region, choice or relation label, or a control name, is not one the config derived from the ontology has."),
    Check("studio-offset-out-of-bounds", 0, ERROR, "A region's start or end is negative, past the end of the article text, or start is not before end."),
    Check("studio-span-text-mismatch", 0, ERROR, "The text Label Studio stored for a region is not the article's text at its offsets (a browser line break written as \\n aside)."),
    Check("studio-region-duplicate", 0, ERROR, "Two labelled regions, or two values of one per-region control, share a region id in one annotation."),
    Check("studio-relation-dangling", 0, ERROR, "A relation names a region id that the annotation does not have."),
    Check("studio-relation-invalid", 0, ERROR, "A relation links regions of kinds its label cannot link (a role not between an event and a mention, a claimer not to a mention), a claim has two claimers or cues, or a cue is linked to no claim."),
    Check("studio-value-missing", 0, ERROR, "A claim region has no stance, quote type or topic, or a quote type cannot be derived."),
    Check("studio-cluster-conflict", 0, ERROR, "Mentions sharing a cluster key have different entity types, names or Wikidata ids."),
    Check("studio-text-changed", 0, ERROR, "The article's text changed since it was pushed (its SHA-256 is not the task's): its annotations are refused, not re-anchored."),
    Check("studio-article-unknown", 0, WARNING, "A task names an article that is not in the corpus; its annotations are left in Label Studio."),
    Check("studio-gold-conflict", 0, ERROR, "The article's gold rows were edited locally since they were pushed; the ground truth in Label Studio would overwrite them, so they are kept and reported."),
    Check("studio-gold-ambiguous", 0, ERROR, "More than one annotation of a task is marked ground truth, or the adjudication rule names an annotator with several; no gold is taken from the task."),
    Check("studio-annotation-refused", 0, ERROR, "The records of an annotation would add a validator error to the corpus (listed with it); nothing of that annotation is stored."),
    Check("studio-annotation-superseded", 0, WARNING, "An annotator has several annotations of one task; only the latest updated is pulled."),
)
register(*CHECKS)

_LOCAL = re.compile(r"[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*")


def local_id(record_id: str, article_id: str) -> str:
    """The region id of a record: its id without the article prefix."""
    prefix = article_id + "/"
    return record_id[len(prefix):] if record_id.startswith(prefix) else record_id


def safe_local(key: str, tag: str) -> str:
    """A local id usable in a record id: the key itself if it fits the id pattern, else tag + a hash of it."""
    if _LOCAL.fullmatch(key):
        return key
    return f"{tag}-{hashlib.sha1(key.encode('utf-8')).hexdigest()[:10]}"


def canonical_hash(rows: list[dict]) -> str:
    """SHA-256 of records as canonical JSON (sorted by table then id): the fingerprint of an article's gold."""
    payload = json.dumps(sorted(rows, key=lambda r: (r.get("_table", ""), r["id"])), sort_keys=True, ensure_ascii=False,
                         separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def gold_fingerprint(entities: list, events: list, claims: list) -> str:
    rows = [{"_table": t, **r} for t, rs in (("entities", entities), ("events", events), ("claims", claims)) for r in rs]
    return canonical_hash(rows)


# --- records -> Label Studio result (push) ---------------------------------------------------------------

def _span_item(rid: str, control: str, label: str, span: dict) -> dict:
    return {"id": rid, "from_name": control, "to_name": C.TEXT, "type": "labels",
            "value": {"start": span["start"], "end": span["end"], "text": span["text"], "labels": [label]}}


def _per_region(rid: str, control: str, span: dict, kind: str, value) -> dict:
    v = {"start": span["start"], "end": span["end"]}
    if kind == "choices":
        v["choices"] = [value]
    else:
        v["text"] = [value]
    return {"id": rid, "from_name": control, "to_name": C.TEXT, "type": kind, "value": v}


def _relation(frm: str, to: str, label: str) -> dict:
    return {"from_id": frm, "to_id": to, "type": "relation", "direction": "right", "labels": [label]}


def records_to_result(article_id: str, entities: list, events: list, claims: list) -> list[dict]:
    """The prediction result of an article's gold records (region ids = local record ids)."""
    out, rels = [], []
    mention_region = {}
    for ent in entities:
        key = local_id(ent["id"], article_id)
        for i, m in enumerate(ent["mentions"]):
            rid = local_id(m["id"], article_id)
            mention_region[m["id"]] = rid
            out.append(_span_item(rid, C.ENTITY, ent["type"], m))
            out.append(_per_region(rid, "kind", m, "choices", m["kind"]))
            out.append(_per_region(rid, "cluster", m, "textarea", key))
            if i == 0:
                out.append(_per_region(rid, "name", m, "textarea", ent["name"]))
                if ent["wikidata"]:
                    out.append(_per_region(rid, "wikidata", m, "textarea", ent["wikidata"]))
    event_region = {}
    for ev in events:
        rid = local_id(ev["id"], article_id)
        event_region[ev["id"]] = rid
        t = ev["trigger"]
        out.append(_span_item(rid, C.EVENT, ev["type"], t))
        out.append(_per_region(rid, "realis", t, "choices", ev["realis"]))
        out.append(_per_region(rid, "polarity", t, "choices", ev["polarity"]))
        if ev["time"]:
            out.append(_per_region(rid, "time", t, "textarea", ev["time"]))
        for arg in ev["arguments"]:
            rels.append(_relation(rid, mention_region.get(arg["mention_id"], local_id(arg["mention_id"], article_id)), arg["role"]))
    for ent in entities:  # an EVENT entity names events: from its first mention to each event's trigger
        for eid in ent.get("event_ids") or ():
            rels.append(_relation(mention_region[ent["mentions"][0]["id"]], event_region.get(eid, local_id(eid, article_id)), C.NAMES))
    for cl in claims:
        rid = local_id(cl["id"], article_id)
        s = cl["span"]
        out.append(_span_item(rid, C.CLAIM, C.CLAIM_LABEL, s))
        out.append(_per_region(rid, "stance", s, "choices", cl["stance"]))
        out.append(_per_region(rid, "quote", s, "choices", cl["quote"]))
        out.append(_per_region(rid, "by_author", s, "choices", C.YES if cl["by_author"] else C.NO))
        if cl["checkworthy"] is not None:
            out.append(_per_region(rid, "checkworthy", s, "choices", C.YES if cl["checkworthy"] else C.NO))
        out.append(_per_region(rid, "topic", s, "textarea", cl["topic"]))
        if cl["claimer"]:
            mid = cl["claimer"]["mention_id"]
            rels.append(_relation(rid, mention_region.get(mid, local_id(mid, article_id)), C.CLAIMER))
        if cl["cue"]:
            cue_id = rid + ".cue"
            out.append(_span_item(cue_id, C.CLAIM, C.CUE_LABEL, cl["cue"]))
            rels.append(_relation(rid, cue_id, C.CUE))
        for eid in cl["event_ids"]:
            rels.append(_relation(rid, event_region.get(eid, local_id(eid, article_id)), C.ABOUT))
    return out + rels


# --- Label Studio result -> records (pull) ---------------------------------------------------------------

@dataclass(frozen=True)
class Origin:
    """Where an annotation comes from and what its records get as provenance."""

    project_id: int
    task_id: int
    annotation_id: int
    annotator: str  # pseudonym
    status: str  # gold | candidate
    updated_at: str  # YYYY-MM-DDTHH:MM:SSZ

    @property
    def record(self) -> str:
        return f"task {self.task_id} annotation {self.annotation_id}"

    @property
    def source_ref(self) -> str:
        return f"label-studio:project/{self.project_id}/task/{self.task_id}/annotation/{self.annotation_id}"


@dataclass
class Region:
    id: str
    control: str
    label: str
    start: int
    end: int
    values: dict  # per-region control name -> value (str)

    @property
    def kind(self) -> str:
        if self.control == C.CLAIM and self.label == C.CUE_LABEL:
            return "cue"
        return self.control  # entity | event | claim


def shown(value) -> str:
    """A value from an export as it may appear in a one-line finding: itself if it is plain printable text of
    at most 80 characters, else its repr clipped (no line break, escape sequence or bidi override gets through)."""
    if isinstance(value, str) and value.isprintable() and len(value) <= 80:
        return value
    return repr(value)[:80]


def _int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def result_to_records(result, article_id: str, text: str, origin: Origin, contract: Contract, prefix: str) -> tuple[dict, list]:
    """Records (table -> list) of one annotation's result, ids prefixed by `prefix` (the article id for gold,
    "<article_id>/<pseudonym>" for candidates), and the findings. If any finding is an error the records are {}."""
    findings: list[Finding] = []
    rec = origin.record

    def bad(check, field, message):
        findings.append(Finding(check, TABLE, rec, field, message))

    labels = C.span_labels(contract)
    choices = C.choice_sets(contract)
    areas = C.text_areas()
    rel_labels = set(C.relation_labels(contract))
    regions: dict[str, Region] = {}
    pending: list[tuple[int, dict]] = []
    relations: list[tuple[int, dict]] = []
    if not isinstance(result, list):
        bad("studio-result-malformed", "result", "the result is not a list")
        return {}, findings
    for i, item in enumerate(result):
        if not isinstance(item, dict):
            bad("studio-result-malformed", f"result[{i}]", "a result item is not an object")
            continue
        if item.get("type") == "relation":
            relations.append((i, item))
            continue
        rid, control, value = item.get("id"), item.get("from_name"), item.get("value")
        where = f"region {shown(rid)}" if isinstance(rid, str) else f"result[{i}]"
        if not isinstance(rid, str) or not rid or not isinstance(value, dict):
            bad("studio-result-malformed", where, "a result item needs a region id and a value object")
            continue
        if not isinstance(control, str):
            bad("studio-result-malformed", where, f"from_name {shown(control)} is not the name of a control")
            continue
        if control in labels:
            if item.get("type") != "labels" or item.get("to_name") != C.TEXT:
                bad("studio-result-malformed", where, f"{control} results are of type labels on {C.TEXT}")
                continue
            labs = value.get("labels")
            if not isinstance(labs, list) or len(labs) != 1 or not isinstance(labs[0], str):
                bad("studio-result-malformed", where, f"a region has exactly one label, not {labs!r}"[:200])
                continue
            if labs[0] not in labels[control]:
                bad("studio-label-unknown", where, f"{labs[0]!r} is not a {control} label of the ontology"[:200])
                continue
            start, end = value.get("start"), value.get("end")
            if not (_int(start) and _int(end)):
                bad("studio-result-malformed", where, f"offsets {start!r}:{end!r} are not integers"[:200])
                continue
            if start < 0 or end > len(text) or start >= end:
                bad("studio-offset-out-of-bounds", where, f"span {start}:{end} is not within the article text (0:{len(text)})")
                continue
            expected = text[start:end]
            stored = value.get("text")
            if stored is not None and stored != expected and stored != expected.replace("\n", "\\n"):
                bad("studio-span-text-mismatch", where, f"stored text {str(stored)[:40]!r} is not the article's {expected[:40]!r} at {start}:{end}; "
                    + where_text_occurs(text, str(stored), start))
                continue
            if rid in regions:
                bad("studio-region-duplicate", where, "two labelled regions share this id")
                continue
            regions[rid] = Region(rid, control, labs[0], start, end, {})
        elif control in choices or control in areas:
            pending.append((i, item))
        else:
            bad("studio-label-unknown", where, f"control {control!r} is not in the labeling config"[:200])
    for i, item in pending:
        rid, control, value = item["id"], item["from_name"], item["value"]
        where = f"region {shown(rid)}"
        region = regions.get(rid)
        if region is None:
            if not any(f.field == where for f in findings):
                bad("studio-result-malformed", where, f"a {control} value belongs to no labelled region")
            continue
        applies = choices[control][0] if control in choices else areas[control]
        fits = region.kind == applies and not (applies == C.CLAIM and region.label != C.CLAIM_LABEL)
        if not fits:
            bad("studio-result-malformed", where, f"{control} does not apply to a {region.label} region")
            continue
        if control in choices:
            got = value.get("choices")
            if not isinstance(got, list) or len(got) != 1:
                bad("studio-result-malformed", where, f"{control} takes one choice, not {got!r}"[:200])
                continue
            if got[0] not in choices[control][1]:
                bad("studio-label-unknown", where, f"{got[0]!r} is not a value of {control}"[:200])
                continue
            val = got[0]
        else:
            got = value.get("text")
            if isinstance(got, str):
                got = [got]
            if not isinstance(got, list) or not all(isinstance(s, str) for s in got):
                bad("studio-result-malformed", where, f"{control} text is not a list of strings")
                continue
            val = "\n".join(s.strip() for s in got).strip()
        if control in region.values:
            bad("studio-region-duplicate", where, f"two {control} values")
            continue
        region.values[control] = val

    # relations: each label one link, normalised to (source kind -> target kind)
    args: dict[str, list] = {}
    claimer: dict[str, list] = {}
    cue: dict[str, list] = {}
    about: dict[str, list] = {}
    named_events: dict[str, list] = {}  # EVENT entity mention region -> [(NAMES, event region)]
    cue_linked: set[str] = set()
    for i, item in relations:
        frm, to, labs = item.get("from_id"), item.get("to_id"), item.get("labels")
        where = f"relation {shown(frm)}->{shown(to)}"
        if not isinstance(frm, str) or not isinstance(to, str):
            bad("studio-result-malformed", f"result[{i}]", "a relation needs from_id and to_id")
            continue
        missing = [x for x in (frm, to) if x not in regions]
        if missing:
            bad("studio-relation-dangling", where, f"region {shown(missing[0])} is not in the annotation")
            continue
        if not isinstance(labs, list) or not labs or not all(isinstance(x, str) for x in labs):
            bad("studio-result-malformed", where, "a relation has no label")
            continue
        a, b = regions[frm], regions[to]
        for lab in labs:
            if lab not in rel_labels:
                bad("studio-label-unknown", where, f"relation label {lab!r} is not an event role or a claim link"[:200])
                continue
            want = {C.CLAIMER: ("claim", "entity"), C.CUE: ("claim", "cue"), C.ABOUT: ("claim", "event"),
                    C.NAMES: ("entity", "event")}.get(lab, ("event", "entity"))
            kinds = (a.kind if a.kind != C.CLAIM else "claim", b.kind if b.kind != C.CLAIM else "claim")
            if kinds == want:
                src, dst = a, b
            elif kinds[::-1] == want:
                src, dst = b, a
            else:
                bad("studio-relation-invalid", where, f"{lab} links a {want[0]} to a {want[1]}, not a {a.label} to a {b.label}")
                continue
            target = {C.CLAIMER: claimer, C.CUE: cue, C.ABOUT: about, C.NAMES: named_events}.get(lab, args)
            target.setdefault(src.id, []).append((lab, dst))
            if lab == C.CUE:
                cue_linked.add(dst.id)
    for rid, links in (*claimer.items(), *cue.items()):
        if len(links) > 1:
            bad("studio-relation-invalid", f"region {shown(rid)}", f"a claim has one {links[0][0]}, not {len(links)}")
    for r in regions.values():
        if r.kind == "cue" and r.id not in cue_linked:
            bad("studio-relation-invalid", f"region {shown(r.id)}", "a CUE region is linked to no claim")

    # entities: mention regions grouped by cluster key
    clusters: dict[str, list[Region]] = {}
    for r in regions.values():
        if r.kind == C.ENTITY:
            key = r.values.get("cluster") or ""
            clusters.setdefault(key if key else "\x00" + r.id, []).append(r)
    entity_of: dict[str, str] = {}  # mention region id -> entity record id
    mention_id: dict[str, str] = {}
    entities = []
    for key, members in clusters.items():
        single = key.startswith("\x00")  # no cluster key: an entity of its own
        eid = f"{prefix}/{safe_local('E-' + members[0].id if single else key, 'E')}"
        types = sorted({m.label for m in members})
        names = sorted({m.values["name"] for m in members if m.values.get("name")})
        qids = sorted({m.values["wikidata"] for m in members if m.values.get("wikidata")})
        label = members[0].id if single else key
        for what, vals in (("types", types), ("names", names), ("Wikidata ids", qids)):
            if len(vals) > 1:
                bad("studio-cluster-conflict", f"region {shown(members[0].id)}", f"cluster {label!r} has {len(vals)} {what}: {', '.join(map(repr, vals))}"[:300])
        ordered = sorted(members, key=lambda m: (m.start, m.end))
        named = [m for m in ordered if m.values.get("kind", "NAM") == "NAM"]
        name = names[0] if names else text[(named or ordered)[0].start:(named or ordered)[0].end]
        mentions = []
        for m in members:
            mid = f"{prefix}/{safe_local(m.id, 'M')}"
            entity_of[m.id], mention_id[m.id] = eid, mid
            mentions.append({"id": mid, "start": m.start, "end": m.end, "text": text[m.start:m.end], "kind": m.values.get("kind", "NAM")})
        entities.append({"id": eid, "article_id": article_id, "type": types[0], "name": name,
                         "wikidata": qids[0] if qids else None, "mentions": mentions,
                         "event_ids": [d.id for m in ordered for _, d in named_events.get(m.id, [])]})

    event_id = {r.id: f"{prefix}/{safe_local(r.id, 'V')}" for r in regions.values() if r.kind == C.EVENT}
    for ent in entities:  # event region ids -> event record ids, each once, in the order drawn
        ent["event_ids"] = list(dict.fromkeys(event_id[rid] for rid in ent["event_ids"]))
    events = []
    for r in regions.values():
        if r.kind != C.EVENT:
            continue
        events.append({"id": event_id[r.id], "article_id": article_id, "type": r.label,
                       "trigger": {"start": r.start, "end": r.end, "text": text[r.start:r.end]},
                       "arguments": [{"role": lab, "entity_id": entity_of[d.id], "mention_id": mention_id[d.id]} for lab, d in args.get(r.id, [])],
                       "realis": r.values.get("realis", "actual"), "polarity": r.values.get("polarity", "positive"),
                       "time": r.values.get("time") or None})
    claims = []
    for r in regions.values():
        if r.kind != C.CLAIM or r.label != C.CLAIM_LABEL:
            continue
        who = claimer.get(r.id, [])
        cues = cue.get(r.id, [])
        quote = r.values.get("quote")
        by_author = r.values.get("by_author")
        by_author = (by_author == C.YES) if by_author else (not who and not cues and quote in (None, "none"))
        if quote is None and by_author:
            quote = "none"
        for field_name, val in (("stance", r.values.get("stance")), ("quote", quote), ("topic", r.values.get("topic"))):
            if not val:
                bad("studio-value-missing", f"region {shown(r.id)}", f"the claim has no {field_name}")
        cw = r.values.get("checkworthy")
        claims.append({"id": f"{prefix}/{safe_local(r.id, 'C')}", "article_id": article_id,
                       "span": {"start": r.start, "end": r.end, "text": text[r.start:r.end]},
                       "claimer": {"entity_id": entity_of[who[0][1].id], "mention_id": mention_id[who[0][1].id]} if who else None,
                       "by_author": by_author,
                       "cue": {"start": cues[0][1].start, "end": cues[0][1].end, "text": text[cues[0][1].start:cues[0][1].end]} if cues else None,
                       "quote": quote, "stance": r.values.get("stance"), "topic": r.values.get("topic"),
                       "event_ids": [event_id[d.id] for _, d in about.get(r.id, [])],
                       "checkworthy": None if cw is None else cw == C.YES})
    if any(f.severity == ERROR for f in findings):
        return {}, findings
    prov = {"annotator": origin.annotator, "status": origin.status, "origin": "label-studio",
            "source_ref": origin.source_ref, "updated_at": origin.updated_at}
    return {"entities": [{**e, **prov} for e in entities], "events": [{**e, **prov} for e in events],
            "claims": [{**c, **prov} for c in claims]}, findings
