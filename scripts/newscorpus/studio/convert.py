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
from dataclasses import dataclass, field

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


@dataclass
class _Report:
    """The findings of one annotation, each naming it (task and annotation) as its record."""

    record: str
    findings: list = field(default_factory=list)

    def bad(self, check: str, where: str, message: str) -> None:
        self.findings.append(Finding(check, TABLE, self.record, where, message))

    def names(self, where: str) -> bool:
        """Whether a finding already names `where`."""
        return any(f.field == where for f in self.findings)

    @property
    def has_errors(self) -> bool:
        return any(f.severity == ERROR for f in self.findings)


@dataclass(frozen=True)
class _Vocabulary:
    """What the labeling config allows, derived from the contract (see config.py)."""

    labels: dict  # Labels control -> its labels
    choices: dict  # per-region Choices -> (region kind, allowed values)
    areas: dict  # per-region TextArea -> region kind
    relations: set  # relation labels: event roles and claim links

    @classmethod
    def of(cls, contract: Contract) -> "_Vocabulary":
        return cls(C.span_labels(contract), C.choice_sets(contract), C.text_areas(), set(C.relation_labels(contract)))


@dataclass
class _Links:
    """The relations of an annotation, each from its source region id to [(label, target region)]."""

    args: dict = field(default_factory=dict)  # event -> [(role, mention)]
    claimer: dict = field(default_factory=dict)  # claim -> [(claimer, mention)]
    cue: dict = field(default_factory=dict)  # claim -> [(cue, CUE region)]
    about: dict = field(default_factory=dict)  # claim -> [(about, event)]
    names: dict = field(default_factory=dict)  # EVENT entity mention -> [(names, event)]
    cue_linked: set = field(default_factory=set)  # CUE region ids some claim links

    def of_label(self, label: str) -> dict:
        return {C.CLAIMER: self.claimer, C.CUE: self.cue, C.ABOUT: self.about, C.NAMES: self.names}.get(label, self.args)


# what each relation label links: (source kind, target kind); any other label is an event role
_LINKS = {C.CLAIMER: ("claim", "entity"), C.CUE: ("claim", "cue"), C.ABOUT: ("claim", "event"), C.NAMES: ("entity", "event")}
_ROLE = ("event", "entity")


def result_to_records(result, article_id: str, text: str, origin: Origin, contract: Contract, prefix: str) -> tuple[dict, list]:
    """Records (table -> list) of one annotation's result, ids prefixed by `prefix` (the article id for gold,
    "<article_id>/<pseudonym>" for candidates), and the findings. If any finding is an error the records are {}."""
    report = _Report(origin.record)
    vocab = _Vocabulary.of(contract)
    if not isinstance(result, list):
        report.bad("studio-result-malformed", "result", "the result is not a list")
        return {}, report.findings
    regions, values, relations = _read_items(result, text, vocab, report)
    _apply_values(values, regions, vocab, report)
    links = _link_regions(relations, regions, vocab, report)
    event_id = {r.id: f"{prefix}/{safe_local(r.id, 'V')}" for r in regions.values() if r.kind == C.EVENT}
    entities, mention_of = _entities(regions, links, event_id, text, article_id, prefix, report)
    events = _events(regions, links, event_id, mention_of, text, article_id)
    claims = _claims(regions, links, event_id, mention_of, text, article_id, prefix, report)
    if report.has_errors:
        return {}, report.findings
    return _with_provenance({"entities": entities, "events": events, "claims": claims}, origin), report.findings


# --- pull, step 1: the result items, checked and sorted ------------------------------------------------------

def _read_items(result: list, text: str, vocab: _Vocabulary, report: _Report) -> tuple[dict[str, Region], list, list]:
    """The labelled regions of a result by id (each checked against the config and the text), and the
    per-region values and relations, (index, item) in result order, left for the later steps."""
    regions: dict[str, Region] = {}
    values: list[tuple[int, dict]] = []
    relations: list[tuple[int, dict]] = []
    for i, item in enumerate(result):
        if not isinstance(item, dict):
            report.bad("studio-result-malformed", f"result[{i}]", "a result item is not an object")
            continue
        if item.get("type") == "relation":
            relations.append((i, item))
            continue
        rid, control, value = item.get("id"), item.get("from_name"), item.get("value")
        where = f"region {shown(rid)}" if isinstance(rid, str) else f"result[{i}]"
        if not isinstance(rid, str) or not rid or not isinstance(value, dict):
            report.bad("studio-result-malformed", where, "a result item needs a region id and a value object")
            continue
        if not isinstance(control, str):
            report.bad("studio-result-malformed", where, f"from_name {shown(control)} is not the name of a control")
            continue
        if control in vocab.labels:
            region = _labelled_region(item, rid, control, value, where, text, vocab, report)
            if region is None:
                continue
            if rid in regions:
                report.bad("studio-region-duplicate", where, "two labelled regions share this id")
                continue
            regions[rid] = region
        elif control in vocab.choices or control in vocab.areas:
            values.append((i, item))
        else:
            report.bad("studio-label-unknown", where, f"control {control!r} is not in the labeling config"[:200])
    return regions, values, relations


def _labelled_region(item: dict, rid: str, control: str, value: dict, where: str, text: str, vocab: _Vocabulary,
                     report: _Report) -> Region | None:
    """The region of a Labels result: one known label, integer offsets within the text, stored text that is
    the article's at them. None (and a finding) if it is not."""
    if item.get("type") != "labels" or item.get("to_name") != C.TEXT:
        report.bad("studio-result-malformed", where, f"{control} results are of type labels on {C.TEXT}")
        return None
    labs = value.get("labels")
    if not isinstance(labs, list) or len(labs) != 1 or not isinstance(labs[0], str):
        report.bad("studio-result-malformed", where, f"a region has exactly one label, not {labs!r}"[:200])
        return None
    if labs[0] not in vocab.labels[control]:
        report.bad("studio-label-unknown", where, f"{labs[0]!r} is not a {control} label of the ontology"[:200])
        return None
    start, end = value.get("start"), value.get("end")
    if not (_int(start) and _int(end)):
        report.bad("studio-result-malformed", where, f"offsets {start!r}:{end!r} are not integers"[:200])
        return None
    if start < 0 or end > len(text) or start >= end:
        report.bad("studio-offset-out-of-bounds", where, f"span {start}:{end} is not within the article text (0:{len(text)})")
        return None
    expected = text[start:end]
    stored = value.get("text")
    if stored is not None and stored != expected and stored != expected.replace("\n", "\\n"):
        report.bad("studio-span-text-mismatch", where, f"stored text {str(stored)[:40]!r} is not the article's {expected[:40]!r} at {start}:{end}; "
                   + where_text_occurs(text, str(stored), start))
        return None
    return Region(rid, control, labs[0], start, end, {})


def _apply_values(values: list, regions: dict[str, Region], vocab: _Vocabulary, report: _Report) -> None:
    """Put each per-region value (a choice, or a text area's text) on the region it belongs to."""
    for _, item in values:
        rid, control, value = item["id"], item["from_name"], item["value"]
        where = f"region {shown(rid)}"
        region = regions.get(rid)
        if region is None:
            if not report.names(where):  # a region already refused: no second finding for its values
                report.bad("studio-result-malformed", where, f"a {control} value belongs to no labelled region")
            continue
        applies = vocab.choices[control][0] if control in vocab.choices else vocab.areas[control]
        fits = region.kind == applies and not (applies == C.CLAIM and region.label != C.CLAIM_LABEL)
        if not fits:
            report.bad("studio-result-malformed", where, f"{control} does not apply to a {region.label} region")
            continue
        if control in vocab.choices:
            got = value.get("choices")
            if not isinstance(got, list) or len(got) != 1:
                report.bad("studio-result-malformed", where, f"{control} takes one choice, not {got!r}"[:200])
                continue
            if got[0] not in vocab.choices[control][1]:
                report.bad("studio-label-unknown", where, f"{got[0]!r} is not a value of {control}"[:200])
                continue
            val = got[0]
        else:
            got = value.get("text")
            if isinstance(got, str):
                got = [got]
            if not isinstance(got, list) or not all(isinstance(s, str) for s in got):
                report.bad("studio-result-malformed", where, f"{control} text is not a list of strings")
                continue
            val = "\n".join(s.strip() for s in got).strip()
        if control in region.values:
            report.bad("studio-region-duplicate", where, f"two {control} values")
            continue
        region.values[control] = val


# --- pull, step 2: relations -----------------------------------------------------------------------------

def _link_regions(relations: list, regions: dict[str, Region], vocab: _Vocabulary, report: _Report) -> _Links:
    """The relations, each label one link normalised to (source kind -> target kind) whichever way it was
    drawn; then the claims with several claimers or cues and the CUE regions no claim links."""
    links = _Links()
    for i, item in relations:
        frm, to, labs = item.get("from_id"), item.get("to_id"), item.get("labels")
        where = f"relation {shown(frm)}->{shown(to)}"
        if not isinstance(frm, str) or not isinstance(to, str):
            report.bad("studio-result-malformed", f"result[{i}]", "a relation needs from_id and to_id")
            continue
        missing = [x for x in (frm, to) if x not in regions]
        if missing:
            report.bad("studio-relation-dangling", where, f"region {shown(missing[0])} is not in the annotation")
            continue
        if not isinstance(labs, list) or not labs or not all(isinstance(x, str) for x in labs):
            report.bad("studio-result-malformed", where, "a relation has no label")
            continue
        a, b = regions[frm], regions[to]
        for lab in labs:
            if lab not in vocab.relations:
                report.bad("studio-label-unknown", where, f"relation label {lab!r} is not an event role or a claim link"[:200])
                continue
            want = _LINKS.get(lab, _ROLE)
            kinds = (a.kind if a.kind != C.CLAIM else "claim", b.kind if b.kind != C.CLAIM else "claim")
            if kinds == want:
                src, dst = a, b
            elif kinds[::-1] == want:
                src, dst = b, a
            else:
                report.bad("studio-relation-invalid", where, f"{lab} links a {want[0]} to a {want[1]}, not a {a.label} to a {b.label}")
                continue
            links.of_label(lab).setdefault(src.id, []).append((lab, dst))
            if lab == C.CUE:
                links.cue_linked.add(dst.id)
    for rid, found in (*links.claimer.items(), *links.cue.items()):
        if len(found) > 1:
            report.bad("studio-relation-invalid", f"region {shown(rid)}", f"a claim has one {found[0][0]}, not {len(found)}")
    for r in regions.values():
        if r.kind == "cue" and r.id not in links.cue_linked:
            report.bad("studio-relation-invalid", f"region {shown(r.id)}", "a CUE region is linked to no claim")
    return links


# --- pull, step 3: the records ---------------------------------------------------------------------------

def _entities(regions: dict[str, Region], links: _Links, event_id: dict, text: str, article_id: str, prefix: str,
              report: _Report) -> tuple[list, dict]:
    """The entities: mention regions grouped by cluster key (a mention with none is an entity of its own),
    and for each mention region id its (entity id, mention id)."""
    clusters: dict[str, list[Region]] = {}
    for r in regions.values():
        if r.kind == C.ENTITY:
            key = r.values.get("cluster") or ""
            clusters.setdefault(key if key else "\x00" + r.id, []).append(r)
    mention_of: dict[str, tuple[str, str]] = {}
    entities = []
    for key, members in clusters.items():
        single = key.startswith("\x00")
        eid = f"{prefix}/{safe_local('E-' + members[0].id if single else key, 'E')}"
        types = sorted({m.label for m in members})
        names = sorted({m.values["name"] for m in members if m.values.get("name")})
        qids = sorted({m.values["wikidata"] for m in members if m.values.get("wikidata")})
        label = members[0].id if single else key
        for what, vals in (("types", types), ("names", names), ("Wikidata ids", qids)):
            if len(vals) > 1:
                report.bad("studio-cluster-conflict", f"region {shown(members[0].id)}", f"cluster {label!r} has {len(vals)} {what}: {', '.join(map(repr, vals))}"[:300])
        ordered = sorted(members, key=lambda m: (m.start, m.end))
        named = [m for m in ordered if m.values.get("kind", "NAM") == "NAM"]
        name = names[0] if names else text[(named or ordered)[0].start:(named or ordered)[0].end]
        mentions = []
        for m in members:
            mid = f"{prefix}/{safe_local(m.id, 'M')}"
            mention_of[m.id] = (eid, mid)
            mentions.append({"id": mid, "start": m.start, "end": m.end, "text": text[m.start:m.end], "kind": m.values.get("kind", "NAM")})
        # the events its mentions name, each once, in the order drawn
        named_events = dict.fromkeys(event_id[d.id] for m in ordered for _, d in links.names.get(m.id, []))
        entities.append({"id": eid, "article_id": article_id, "type": types[0], "name": name,
                         "wikidata": qids[0] if qids else None, "mentions": mentions, "event_ids": list(named_events)})
    return entities, mention_of


def _mention_ref(mention_of: dict, region: Region) -> dict:
    entity_id, mention_id = mention_of[region.id]
    return {"entity_id": entity_id, "mention_id": mention_id}


def _events(regions: dict[str, Region], links: _Links, event_id: dict, mention_of: dict, text: str, article_id: str) -> list:
    """The events: one a trigger region, its arguments the role relations to mentions."""
    return [{"id": event_id[r.id], "article_id": article_id, "type": r.label,
             "trigger": {"start": r.start, "end": r.end, "text": text[r.start:r.end]},
             "arguments": [{"role": lab, **_mention_ref(mention_of, d)} for lab, d in links.args.get(r.id, [])],
             "realis": r.values.get("realis", "actual"), "polarity": r.values.get("polarity", "positive"),
             "time": r.values.get("time") or None}
            for r in regions.values() if r.kind == C.EVENT]


def _claims(regions: dict[str, Region], links: _Links, event_id: dict, mention_of: dict, text: str, article_id: str,
            prefix: str, report: _Report) -> list:
    """The claims: one a CLAIM region, with its claimer, cue and events from the relations. by_author, when not
    chosen, is whether the claim has no claimer, no cue and no quote; its quote is then none."""
    claims = []
    for r in regions.values():
        if r.kind != C.CLAIM or r.label != C.CLAIM_LABEL:
            continue
        who = links.claimer.get(r.id, [])
        cues = links.cue.get(r.id, [])
        quote = r.values.get("quote")
        by_author = r.values.get("by_author")
        by_author = (by_author == C.YES) if by_author else (not who and not cues and quote in (None, "none"))
        if quote is None and by_author:
            quote = "none"
        for field_name, val in (("stance", r.values.get("stance")), ("quote", quote), ("topic", r.values.get("topic"))):
            if not val:
                report.bad("studio-value-missing", f"region {shown(r.id)}", f"the claim has no {field_name}")
        cw = r.values.get("checkworthy")
        cue = cues[0][1] if cues else None
        claims.append({"id": f"{prefix}/{safe_local(r.id, 'C')}", "article_id": article_id,
                       "span": {"start": r.start, "end": r.end, "text": text[r.start:r.end]},
                       "claimer": _mention_ref(mention_of, who[0][1]) if who else None,
                       "by_author": by_author,
                       "cue": {"start": cue.start, "end": cue.end, "text": text[cue.start:cue.end]} if cue else None,
                       "quote": quote, "stance": r.values.get("stance"), "topic": r.values.get("topic"),
                       "event_ids": [event_id[d.id] for _, d in links.about.get(r.id, [])],
                       "checkworthy": None if cw is None else cw == C.YES})
    return claims


def _with_provenance(records: dict, origin: Origin) -> dict:
    """Each record with its provenance columns: who, gold or candidate, from where, when."""
    prov = {"annotator": origin.annotator, "status": origin.status, "origin": "label-studio",
            "source_ref": origin.source_ref, "updated_at": origin.updated_at}
    return {table: [{**r, **prov} for r in rows] for table, rows in records.items()}
