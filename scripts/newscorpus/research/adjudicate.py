"""`newscorpus adjudicate`: the candidates' disagreements on an article, and the gold rows chosen from them.

`disagreements()` lines the annotators' versions of an article up item by item (mention spans, event
triggers, claim spans) and says where they differ; the CLI shows it side by side.

`adjudicate()` builds the article's gold rows from the candidates and stores them through
importer.apply_changes (validated against the whole corpus, written atomically, Refused with findings
on error), replacing every gold row of the article. What is taken:

* `prefer=X`: annotator X's whole version;
* `decisions` (the --from FILE, JSON): {"default": X, "take": {"Y": [candidate record ids]}, "drop": [ids]}:
  X's version, without the records listed in "drop", plus the listed records of other annotators.
  Records are whole entity clusters, events and claims. References of a taken event or claim (argument
  fillers, claimers, event ids) are followed by span to the chosen mentions and by trigger to the chosen
  events; a reference with no counterpart among the chosen records is refused (mention-ref-unresolved,
  event-ref-unresolved) before anything is written.

Gold ids live in the gold id space "<article>/E1", "<article>/M1", "<article>/V1", "<article>/C1".
A chosen record equal in substance (same mention span; same event type and trigger; same claim span;
an entity with the same first mention) to a gold record stored now keeps that record's id; every other
one gets a new number after the largest the article has used, in text order, so an id never names a
different thing. Provenance: annotator = the adjudicator, status gold, origin manual, source_ref
"adjudicated:<candidate record id>", updated_at now.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from ..store import storage
from ..store.versions import Version, annotation_rows, versions as versions_of
from ..contract import ANNOTATION_TABLES, Contract, load_contract
from ..errors import InputError, Refused
from ..findings import Finding
from ..store.importer import apply_changes, records_to_table

PREFIX = {"entities": "E", "mentions": "M", "events": "V", "claims": "C"}
ANNOTATOR_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")


# ---------------------------------------------------------------------------------------------------
# disagreements


@dataclass
class Item:
    """One thing the annotators may disagree on: a mention span, an event trigger or a claim span.
    `versions`: annotator -> a short description of what that annotator has there (None: nothing)."""

    kind: str  # mention | event | claim
    start: int
    end: int
    text: str
    versions: dict
    records: dict = field(default_factory=dict)  # annotator -> candidate record ids

    @property
    def agreed(self) -> bool:
        vals = list(self.versions.values())
        return all(v is not None for v in vals) and len(set(vals)) == 1

    def as_dict(self) -> dict:
        return {"kind": self.kind, "start": self.start, "end": self.end, "text": self.text, "agreed": self.agreed,
                "versions": self.versions, "records": self.records}


@dataclass
class Disagreements:
    article_id: str
    annotators: list
    items: list  # of Item, in text order

    @property
    def disagreed(self) -> list:
        return [i for i in self.items if not i.agreed]

    def as_dict(self) -> dict:
        return {"article_id": self.article_id, "annotators": self.annotators,
                "items": len(self.items), "disagreements": [i.as_dict() for i in self.disagreed]}


def _cluster_key(v: Version) -> dict:
    """mention span -> the spans of its cluster (so a mention's coreference can be compared across versions)."""
    out = {}
    for e in v.entities:
        spans = tuple(sorted((m["start"], m["end"]) for m in e["mentions"]))
        for m in e["mentions"]:
            out[(m["start"], m["end"])] = spans
    return out


def _describe_mention(m, e, clusters, text) -> str:
    others = [text[s:t] for s, t in clusters[(m["start"], m["end"])] if (s, t) != (m["start"], m["end"])]
    chain = f" = {' | '.join(others[:6])}{' …' if len(others) > 6 else ''}" if others else " (singleton)"
    return f"{e['type']} {m['kind']}{chain}"


def _describe_event(v: dict, index: dict) -> str:
    args = ", ".join(sorted(f"{a['role']}={index[a['mention_id']][0]['text'] if a['mention_id'] in index else '?'}" for a in v["arguments"]))
    return f"{v['type']} {v['realis']}/{v['polarity']} time={v['time'] or '-'} [{args}]"


def _describe_claim(c: dict, index: dict) -> str:
    who = "author" if c["by_author"] else (index[c["claimer"]["mention_id"]][0]["text"] if c["claimer"] and c["claimer"]["mention_id"] in index else "unnamed")
    cue = (c["cue"] or {}).get("text", "-")
    return f"by {who} cue={cue} {c['quote']}/{c['stance']} checkworthy={c['checkworthy']} events={len(c['event_ids'])}"


def compare_versions(versions: dict[str, Version], text: str) -> list[Item]:
    """Items in text order, one for each distinct mention span, (trigger span, event type) and claim span."""
    items: dict[tuple, Item] = {}

    def put(kind, start, end, ann, desc, rid, extra=()):
        key = (start, end, kind, *extra)
        item = items.setdefault(key, Item(kind, start, end, text[start:end], {a: None for a in versions}))
        # an annotator with two records at one key (not valid, but possible in candidates) shows both
        item.versions[ann] = desc if item.versions[ann] is None else f"{item.versions[ann]} || {desc}"
        item.records.setdefault(ann, []).append(rid)

    for ann, v in sorted(versions.items()):
        index, clusters = v.mention_index(), _cluster_key(v)
        for e in v.entities:
            for m in e["mentions"]:
                put("mention", m["start"], m["end"], ann, _describe_mention(m, e, clusters, text), e["id"])
        for ev in v.events:
            put("event", ev["trigger"]["start"], ev["trigger"]["end"], ann, _describe_event(ev, index), ev["id"], (ev["type"],))
        for c in v.claims:
            put("claim", c["span"]["start"], c["span"]["end"], ann, _describe_claim(c, index), c["id"])
    order = {"mention": 0, "event": 1, "claim": 2}
    return [items[k] for k in sorted(items, key=lambda k: (k[0], -k[1], order[k[2]], k[3:]))]


def _load(root: Path, article_id: str, contract: Contract):
    tables = storage.all_tables(root, contract)
    arts = tables["articles"].filter(pc.equal(tables["articles"]["id"], article_id))
    if arts.num_rows == 0:
        raise InputError(f"article {article_id!r} is not in the corpus")
    versions = versions_of(tables, "candidate", [article_id]).get(article_id, {})
    return tables, arts.to_pylist()[0], versions


def disagreements(root: Path | str, article_id: str, contract: Contract | None = None) -> Disagreements:
    """The candidates' versions of the article lined up item by item; `.disagreed` lists where they differ."""
    root = Path(root)
    contract = contract or load_contract(root)
    _, art, versions = _load(root, article_id, contract)
    if not versions:
        raise InputError(f"article {article_id!r} has no candidate rows to adjudicate")
    return Disagreements(article_id, sorted(versions), compare_versions(versions, art["text"]))


# ---------------------------------------------------------------------------------------------------
# adjudication


@dataclass
class Adjudication:
    article_id: str
    records: dict  # table -> gold rows written (or that would be)
    replaced: dict  # table -> number of gold rows of the article replaced
    findings: list  # the corpus' findings after the change (warnings)
    written: bool

    def summary(self) -> str:
        new = ", ".join(f"{len(self.records[t])} {t}" for t in ANNOTATION_TABLES)
        old = ", ".join(f"{self.replaced[t]} {t}" for t in ANNOTATION_TABLES)
        return f"{self.article_id}: gold is now {new} (replacing {old})" + ("" if self.written else " (dry run: nothing written)")


def read_decisions(path: Path) -> dict:
    """The --from FILE: JSON {"default": annotator, "take": {annotator: [ids]}, "drop": [ids]}."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not a JSON decisions file: {exc}") from None
    if not isinstance(data, dict) or set(data) - {"default", "take", "drop"}:
        raise InputError(f'{path}: a decisions file is a JSON object with keys "default", "take", "drop"')
    take, drop = data.get("take", {}), data.get("drop", [])
    if not isinstance(take, dict) or not all(isinstance(v, list) and all(isinstance(x, str) for x in v) for v in take.values()):
        raise InputError(f'{path}: "take" maps annotators to lists of candidate record ids')
    if not isinstance(drop, list) or not all(isinstance(x, str) for x in drop):
        raise InputError(f'{path}: "drop" is a list of candidate record ids')
    if data.get("default") is not None and not isinstance(data["default"], str):
        raise InputError(f'{path}: "default" is an annotator pseudonym or null')
    return {"default": data.get("default"), "take": take, "drop": drop}


def _chosen(versions: dict[str, Version], decisions: dict) -> dict:
    """table -> [(annotator, candidate row)] chosen by the decisions."""
    default, take, drop = decisions["default"], decisions.get("take", {}), set(decisions.get("drop", []))
    for ann in [default, *take] if default else list(take):
        if ann not in versions:
            raise InputError(f"annotator {ann!r} has no candidate version of this article (have: {', '.join(sorted(versions)) or 'none'})")
    chosen: dict[str, list] = {t: [] for t in ANNOTATION_TABLES}
    found = set()
    for ann, v in sorted(versions.items()):
        wanted = set(take.get(ann, ()))
        for table in ANNOTATION_TABLES:
            for row in getattr(v, table):
                if (ann == default and row["id"] not in drop) or row["id"] in wanted:
                    chosen[table].append((ann, row))
                found.add(row["id"])
    unknown = sorted((set().union(*map(set, take.values())) | drop) - found) if (take or drop) else []
    if unknown:
        raise InputError(f"not candidate records of this article: {', '.join(unknown[:5])}{' …' if len(unknown) > 5 else ''}")
    return chosen


def _local_number(rid: str, letter: str) -> int | None:
    local = rid.rsplit("/", 1)[-1]
    return int(local[1:]) if local[:1] == letter and local[1:].isdigit() else None


class _GoldIds:
    """The article's gold ids as they are, by substance (a mention's span, an entity's first span, an event's
    type and trigger, a claim's span), so that a record adjudicated again keeps its id; and new ids,
    numbered after the highest in use."""

    def __init__(self, article_id: str, current_gold: dict):
        self.article_id = article_id
        ents, events, claims = current_gold["entities"], current_gold["events"], current_gold["claims"]
        self.mention = {(m["start"], m["end"]): m["id"] for e in ents for m in e["mentions"]}
        self.entity = {min((m["start"], m["end"]) for m in e["mentions"]): e["id"] for e in ents}
        self.event = {(v["type"], v["trigger"]["start"], v["trigger"]["end"]): v["id"] for v in events}
        self.claim = {(c["span"]["start"], c["span"]["end"]): c["id"] for c in claims}
        self.used = {k: 0 for k in PREFIX}
        for kind, ids in (("entities", [e["id"] for e in ents]), ("events", [v["id"] for v in events]), ("claims", [c["id"] for c in claims]),
                          ("mentions", [m["id"] for e in ents for m in e["mentions"]])):
            self.used[kind] = max([n for n in (_local_number(i, PREFIX[kind]) for i in ids) if n is not None], default=0)

    def fresh(self, kind: str) -> str:
        self.used[kind] += 1
        return f"{self.article_id}/{PREFIX[kind]}{self.used[kind]}"


def build_gold(article_id: str, versions: dict[str, Version], decisions: dict, current_gold: dict,
               adjudicator: str, now: str) -> dict:
    """The gold rows (table -> list) from the chosen candidate rows, in the gold id space. Raises Refused
    if a chosen event or claim refers to something the choice does not contain."""
    chosen = _chosen(versions, decisions)
    indexes = {ann: v.mention_index() for ann, v in versions.items()}
    gold_ids = _GoldIds(article_id, current_gold)
    old_mention, old_entity, old_event, old_claim = gold_ids.mention, gold_ids.entity, gold_ids.event, gold_ids.claim
    fresh = gold_ids.fresh
    prov = {"annotator": adjudicator, "status": "gold", "origin": "manual", "updated_at": now}
    # mentions and entities
    mention_by_span: dict[tuple, tuple[str, str]] = {}  # span -> (gold mention id, gold entity id)
    entities = []
    ents = sorted(chosen["entities"], key=lambda ar: min((m["start"], m["end"]) for m in ar[1]["mentions"]))
    all_mentions = sorted(((m["start"], m["end"]), m) for _, e in ents for m in e["mentions"])
    mention_id = {}
    for sp, m in all_mentions:
        if sp in mention_id:
            continue  # the same span in two chosen clusters: span-multiple-entities will say so
        mention_id[sp] = old_mention.get(sp) or fresh("mentions")
    for ann, e in ents:
        first = min((m["start"], m["end"]) for m in e["mentions"])
        eid = old_entity.get(first) or fresh("entities")
        ms = [{**m, "id": mention_id[(m["start"], m["end"])]} for m in sorted(e["mentions"], key=lambda m: (m["start"], m["end"]))]
        for m in ms:
            mention_by_span.setdefault((m["start"], m["end"]), (m["id"], eid))
        entities.append({**e, "id": eid, "mentions": ms, **prov, "source_ref": f"adjudicated:{e['id']}"})
    problems: list[Finding] = []

    def follow(table, rid, path, ann, cand_mention_id):
        hit = indexes[ann].get(cand_mention_id)
        target = mention_by_span.get((hit[0]["start"], hit[0]["end"])) if hit else None
        if target is None:
            where = f"{hit[0]['start']}:{hit[0]['end']} {hit[0]['text']!r}" if hit else cand_mention_id
            problems.append(Finding("mention-ref-unresolved", table, rid, path,
                                    f"the chosen {table[:-1]} refers to mention {where}, which no chosen entity has"))
            return {"entity_id": cand_mention_id, "mention_id": cand_mention_id}
        return {"entity_id": target[1], "mention_id": target[0]}

    # events
    events, event_by_trigger, cand_event_key = [], {}, {}
    for ann, v in sorted(chosen["events"], key=lambda ar: (ar[1]["trigger"]["start"], ar[1]["trigger"]["end"], ar[1]["type"])):
        key = (v["type"], v["trigger"]["start"], v["trigger"]["end"])
        vid = old_event.get(key) or fresh("events")
        cand_event_key[v["id"]] = key
        event_by_trigger.setdefault(key, vid)
        args = [{"role": a["role"], **follow("events", vid, f"arguments[{i}].mention_id", ann, a["mention_id"])} for i, a in enumerate(v["arguments"])]
        events.append({**v, "id": vid, "arguments": args, **prov, "source_ref": f"adjudicated:{v['id']}"})
    all_events = {ev["id"]: (ev["type"], ev["trigger"]["start"], ev["trigger"]["end"]) for ver in versions.values() for ev in ver.events}

    def follow_events(table, rid, ids, what):
        """The chosen counterparts (same type and trigger) of the events `ids` a chosen record links to."""
        out = []
        for i, e in enumerate(ids):
            gid = event_by_trigger.get(all_events.get(e))
            if gid is None:
                problems.append(Finding("event-ref-unresolved", table, rid, f"event_ids[{i}]",
                                        f"the chosen {what} event {e}, which has no chosen counterpart (same type and trigger)"))
            else:
                out.append(gid)
        return out

    for ent in entities:  # an EVENT entity's links follow the events chosen
        ent["event_ids"] = follow_events("entities", ent["id"], ent.get("event_ids") or [], "entity names")
    # claims
    claims = []
    for ann, c in sorted(chosen["claims"], key=lambda ar: (ar[1]["span"]["start"], ar[1]["span"]["end"])):
        cid = old_claim.get((c["span"]["start"], c["span"]["end"])) or fresh("claims")
        claimer = follow("claims", cid, "claimer.mention_id", ann, c["claimer"]["mention_id"]) if c["claimer"] else None
        event_ids = follow_events("claims", cid, c["event_ids"], "claim is about")
        claims.append({**c, "id": cid, "claimer": claimer, "event_ids": event_ids, **prov, "source_ref": f"adjudicated:{c['id']}"})
    if problems:
        raise Refused(f"refused: {len(problems)} reference(s) of the chosen records have no chosen counterpart; nothing was written", problems)
    return {"entities": entities, "events": events, "claims": claims}


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def adjudicate(root: Path | str, article_id: str, adjudicator: str, prefer: str | None = None, decisions: dict | None = None,
               dry_run: bool = False, now: str | None = None, contract: Contract | None = None) -> Adjudication:
    """Replace the article's gold rows by the candidates chosen with `prefer` or `decisions` (see the
    module docstring). Validated and written atomically through importer.apply_changes; Refused with
    findings, and nothing written, if the result would add an error to the corpus."""
    root = Path(root)
    if (prefer is None) == (decisions is None):
        raise InputError("give either an annotator to prefer or a decisions file")
    if not isinstance(adjudicator, str) or not ANNOTATOR_RE.match(adjudicator) or not 2 <= len(adjudicator) <= 64:
        raise InputError(f"adjudicator {adjudicator!r} is not a pseudonym (lowercase letters, digits and dashes)")
    decisions = {"default": prefer, "take": {}, "drop": []} if prefer is not None else decisions
    contract = contract or load_contract(root)
    with storage.corpus_lock(root):
        tables, _, versions = _load(root, article_id, contract)
        if not versions:
            raise InputError(f"article {article_id!r} has no candidate rows to adjudicate")
        is_old = {}
        for t in ANNOTATION_TABLES:
            data = tables[t]
            is_old[t] = pc.and_(pc.equal(data["article_id"], article_id), pc.equal(data["status"], "gold")) if data.num_rows else None
        current_gold = {t: rows.to_pylist() for t, rows in annotation_rows(tables, "gold", [article_id]).items()}
        gold = build_gold(article_id, versions, decisions, current_gold, adjudicator, now or _now())
        changes = {}
        for t in ANNOTATION_TABLES:
            data = tables[t]
            keep = data.filter(pc.invert(is_old[t])) if is_old[t] is not None else data
            new = records_to_table(gold[t], t, contract) if gold[t] else contract.arrow_schema(t).empty_table()
            changes[t] = pa.concat_tables([keep, new.cast(keep.schema)]) if keep.num_rows else new
        findings = apply_changes(root, changes, contract, dry_run=dry_run, current=tables)
    return Adjudication(article_id, gold, {t: len(current_gold[t]) for t in ANNOTATION_TABLES}, findings, not dry_run)
