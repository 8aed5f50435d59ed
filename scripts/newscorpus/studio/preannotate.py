"""Pre-annotation: entity suggestions for articles that have no gold yet, sent to Label Studio as predictions,
so that an annotator corrects instead of starting from a blank text; and, at pull, how much of them was kept.

The gazetteer is built from the corpus' own gold entities. Its names are the text of every NAM mention and the
name of every cluster that has a NAM mention, each with the entity's type, name and Wikidata id. Nominal (NOM)
and pronominal (PRO) mentions are left out: "the country", "the alliance", "he" refer to a different entity
in every article, so a match elsewhere would propose a wrong cluster and Wikidata id. So are the value types
(DATE, TIME, MONEY, QUANTITY, CARDINAL): "Monday", "five", "2014" are values relative to their article, and
the cluster name of one is a normalised value ("2022-01-10"), not a name. The name of a cluster with no NAM
mention is a description ("leaders of the other five CSTO member states"), not a name either.

Matching is case-sensitive and on token boundaries: a match may not start or end inside a word (a letter,
digit, underscore or combining mark on both sides of its edge). Where matches overlap, the longest wins,
then the leftmost; regions never overlap. Offsets are code points (Python str indices), as in the corpus
and in Label Studio.

A spaCy pipeline (`--model`) can add suggestions. It is loaded from what is installed or from a folder, never
downloaded. Its OntoNotes labels map to the ontology's entity types through the `ontonotes` field of
schema/ontology.json; labels with no type there (WORK_OF_ART, LANGUAGE, PERCENT, ORDINAL) are dropped. Where
both suggest, the gazetteer wins: it carries the cluster and the Wikidata id.

The prediction result has the shape push gives gold mentions (convert.records_to_result): an `entity` region
with the type as label, per-region `kind` NAM and `cluster` (the same key on every match of one entity: its
Wikidata id, else a slug of its name), and `name` and `wikidata` on the first match of the entity.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from ..contract import Contract
from ..errors import InputError, SetupError
from . import config as C
from .convert import _per_region, _span_item

# Types whose mentions are values relative to their article, not names (see the module docstring).
VALUE_TYPES = ("DATE", "TIME", "MONEY", "QUANTITY", "CARDINAL")
# Prefixes of the model_version of a pre-annotation prediction (gold predictions are "gold-<ontology version>").
PREFIXES = ("gazetteer-", "spacy-")
FIGURES_PATH = Path("annotations") / ".preannotation.json"
FIGURE_KEYS = ("suggested", "accepted", "changed", "removed", "added")


def is_preannotation(model_version) -> bool:
    return isinstance(model_version, str) and any(model_version.startswith(p) or f"+{p}" in model_version for p in PREFIXES)


# --- the gazetteer -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Entry:
    type: str
    name: str
    wikidata: str | None
    key: str  # cluster key in a pre-annotated article


@dataclass(frozen=True)
class Match:
    start: int
    end: int
    entry: Entry

    @property
    def text_range(self) -> tuple[int, int]:
        return self.start, self.end


class Gazetteer:
    """Surface string -> Entry. Build it with build_gazetteer."""

    def __init__(self, surfaces: dict[str, Entry]):
        self.surfaces = dict(sorted(surfaces.items()))
        by_first: dict[str, list[str]] = defaultdict(list)
        for s in self.surfaces:
            by_first[s[0]].append(s)
        self._by_first = {c: sorted(v, key=len, reverse=True) for c, v in by_first.items()}

    def __len__(self) -> int:
        return len(self.surfaces)

    @property
    def version(self) -> str:
        """gazetteer-<first 12 hex digits of the SHA-256 of its content>."""
        payload = json.dumps([[s, e.type, e.name, e.wikidata, e.key] for s, e in self.surfaces.items()],
                             ensure_ascii=False, separators=(",", ":"))
        return "gazetteer-" + hashlib.sha256(payload.encode("utf-8")).hexdigest()[:12]

    def candidates(self, text: str) -> list[Match]:
        """Every occurrence of a surface in text on token boundaries (overlapping ones included)."""
        out = []
        n = len(text)
        for p, ch in enumerate(text):
            group = self._by_first.get(ch)
            if not group or (p > 0 and _word(text[p - 1]) and _word(ch)):
                continue
            for s in group:
                e = p + len(s)
                if e > n or not text.startswith(s, p):
                    continue
                if e < n and _word(text[e - 1]) and _word(text[e]):
                    continue
                out.append(Match(p, e, self.surfaces[s]))
        return out

    def match(self, text: str) -> list[Match]:
        """Non-overlapping matches in text: the longest first, then the leftmost; sorted by offset."""
        return resolve(self.candidates(text))


def _word(ch: str) -> bool:
    return ch.isalnum() or ch == "_" or unicodedata.category(ch).startswith("M")


def resolve(matches: list, taken: list[tuple[int, int]] | None = None) -> list:
    """Of overlapping spans (objects with start and end), keep the longest, then the leftmost; none may overlap
    a range in `taken`. Sorted by offset."""
    chosen = list(taken or [])
    kept = []
    for m in sorted(matches, key=lambda m: (-(m.end - m.start), m.start)):
        if any(m.start < e and s < m.end for s, e in chosen):
            continue
        chosen.append((m.start, m.end))
        kept.append(m)
    return sorted(kept, key=lambda m: (m.start, m.end))


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-")


def build_gazetteer(entities: list[dict], contract: Contract | None = None) -> Gazetteer:
    """The gazetteer of gold entity records (dicts as storage gives them). A surface that several entities
    share goes to the one with most mentions of it (then the first by type, name, Wikidata id)."""
    types = set(contract.entity_types) if contract is not None else None
    votes: dict[str, Counter] = defaultdict(Counter)
    for ent in entities:
        if ent.get("status", "gold") != "gold" or ent["type"] in VALUE_TYPES or (types is not None and ent["type"] not in types):
            continue
        ident = (ent["type"], ent["name"], ent.get("wikidata"))
        named = [m["text"] for m in ent["mentions"] if m.get("kind") == "NAM" and m["text"].strip()]
        if not named:
            continue
        for s in named:
            votes[s][ident] += 1
        if ent["name"] and ent["name"].strip() and ent["name"] not in named:
            votes[ent["name"]][ident] += 1
    keys: dict[tuple, str] = {}
    used: set[str] = set()
    for ident in sorted({i for c in votes.values() for i in c}, key=lambda i: (i[0], i[1], i[2] or "")):
        etype, name, qid = ident
        key = qid or _slug(name) or "g"
        if key in used:
            key = f"{key}-{hashlib.sha1(f'{etype}|{name}|{qid}'.encode('utf-8')).hexdigest()[:6]}"
        used.add(key)
        keys[ident] = key
    surfaces = {}
    for s, c in votes.items():
        ident = sorted(c.items(), key=lambda kv: (-kv[1], kv[0][0], kv[0][1], kv[0][2] or ""))[0][0]
        surfaces[s] = Entry(ident[0], ident[1], ident[2], keys[ident])
    return Gazetteer(surfaces)


# --- a spaCy pipeline --------------------------------------------------------------------------------------

class SpacyModel:
    """A spaCy pipeline loaded from an installed package or a folder; InputError (one line) if it cannot be."""

    def __init__(self, name_or_path: str, contract: Contract):
        try:
            import spacy
        except ImportError:
            raise SetupError(f"--model {name_or_path}: spaCy is not installed (pip install spacy)") from None
        try:
            self.nlp = spacy.load(name_or_path)
        except (OSError, ValueError, KeyError) as exc:  # E050 not found, E053 bad config, ...
            first = " ".join(str(exc).split())[:160]
            raise InputError(f"--model {name_or_path}: not an installed spaCy pipeline or pipeline folder ({first})") from None
        meta = self.nlp.meta or {}
        self.version = f"spacy-{_slug(str(meta.get('name') or 'pipeline')) or 'pipeline'}-{meta.get('version') or '0'}"
        self.labels = label_map(contract)

    def matches(self, text: str) -> list[Match]:
        out = []
        for ent in self.nlp(text).ents:
            etype = self.labels.get(ent.label_)
            if etype is None or ent.start_char >= ent.end_char:
                continue
            out.append(Match(ent.start_char, ent.end_char, Entry(etype, ent.text, None, "")))
        return out


def label_map(contract: Contract) -> dict[str, str]:
    """OntoNotes label -> ontology entity type, from the `ontonotes` field of each type in ontology.json."""
    return {v["ontonotes"]: k for k, v in contract.ontology["entity_types"].items() if v.get("ontonotes")}


# --- the prediction ----------------------------------------------------------------------------------------

def suggest(text: str, gazetteer: Gazetteer | None = None, model: SpacyModel | None = None) -> list[Match]:
    """The pre-annotation of one text: gazetteer matches, then model entities that overlap none of them."""
    found = gazetteer.match(text) if gazetteer is not None else []
    if model is not None:
        extra = resolve(model.matches(text), taken=[m.text_range for m in found])
        found = sorted(found + extra, key=lambda m: (m.start, m.end))
    return found


def matches_to_result(text: str, matches: list[Match]) -> list[dict]:
    """Label Studio result items for matches, region ids p1, p2, ... in text order. A model entity (no cluster
    key) is keyed by its type and text, so that its repeated mentions form one cluster."""
    out = []
    seen: set[str] = set()
    for i, m in enumerate(matches, 1):
        rid = f"p{i}"
        span = {"start": m.start, "end": m.end, "text": text[m.start:m.end]}
        e = m.entry
        key = e.key or f"{e.type}-{_slug(e.name) or hashlib.sha1(e.name.encode('utf-8')).hexdigest()[:8]}"
        out.append(_span_item(rid, C.ENTITY, e.type, span))
        out.append(_per_region(rid, "kind", span, "choices", "NAM"))
        out.append(_per_region(rid, "cluster", span, "textarea", key))
        if key not in seen:
            seen.add(key)
            if e.key:  # a gazetteer entity: its canonical name and id; a model entity's name is its first mention
                out.append(_per_region(rid, "name", span, "textarea", e.name))
                if e.wikidata:
                    out.append(_per_region(rid, "wikidata", span, "textarea", e.wikidata))
    return out


class Preannotator:
    """What push uses: one prediction (model_version, result) per article text, or None when nothing matched."""

    def __init__(self, gazetteer: Gazetteer | None = None, model: SpacyModel | None = None):
        self.gazetteer, self.model = gazetteer, model
        parts = ([gazetteer.version] if gazetteer is not None else []) + ([model.version] if model is not None else [])
        self.version = "+".join(parts)

    def prediction(self, text: str) -> dict | None:
        result = matches_to_result(text, suggest(text, self.gazetteer, self.model))
        return {"model_version": self.version, "result": result} if result else None


# --- figures: what the annotators did with the suggestions --------------------------------------------------

def _regions(result) -> list[tuple[str, int, int, str]]:
    out = []
    for item in result if isinstance(result, list) else []:
        if not isinstance(item, dict) or item.get("from_name") != C.ENTITY or item.get("type") != "labels":
            continue
        v = item.get("value") or {}
        labs = v.get("labels")
        if isinstance(v.get("start"), int) and isinstance(v.get("end"), int) and isinstance(labs, list) and len(labs) == 1:
            out.append((str(item.get("id")), v["start"], v["end"], labs[0]))
    return out


def compare(predicted, annotated) -> dict:
    """Counts of one annotation against the prediction it started from (entity regions only): suggestions
    accepted (same span and label), changed (an annotated region overlaps it, but span or label differ),
    removed (nothing overlaps it); and regions the annotator added (overlapping no suggestion)."""
    pred, ann = _regions(predicted), _regions(annotated)
    exact = {(s, e, lab) for _, s, e, lab in ann}
    counts = dict.fromkeys(FIGURE_KEYS, 0)
    counts["suggested"] = len(pred)
    for _, s, e, lab in pred:
        if (s, e, lab) in exact:
            counts["accepted"] += 1
        elif any(a_s < e and s < a_e for _, a_s, a_e, _ in ann):
            counts["changed"] += 1
        else:
            counts["removed"] += 1
    counts["added"] = sum(1 for _, s, e, _ in ann if not any(p_s < e and s < p_e for _, p_s, p_e, _ in pred))
    return counts


def read_figures(root) -> dict:
    """The stored per-annotation figures ({} if none): source_ref -> {model_version, suggested, accepted, ...}.
    `root` is a corpus folder or a RemoteCorpus."""
    from ..store.remote import RemoteCorpus

    if isinstance(root, RemoteCorpus):
        path, text = f"{root}/{FIGURES_PATH.as_posix()}", root.read_text(FIGURES_PATH.as_posix())
    else:
        path = Path(root) / FIGURES_PATH
        text = path.read_text(encoding="utf-8") if path.is_file() else None
    if text is None:
        return {}
    try:
        data = json.loads(text)
    except ValueError:
        raise InputError(f"{path}: not JSON; restore it from git or delete it and pull again") from None
    anns = data.get("annotations") if isinstance(data, dict) else None
    if not isinstance(anns, dict):
        raise InputError(f"{path}: no 'annotations' object; restore it from git or delete it and pull again")
    return anns


def merge_figures(old: dict, project_prefix: str, new: dict) -> dict:
    """The stored figures with this project's entries replaced by `new` (source_ref -> figures)."""
    kept = {k: v for k, v in old.items() if not k.startswith(project_prefix)}
    return dict(sorted({**kept, **new}.items()))


def write_figures(root: Path, figures: dict) -> bool:
    """Write annotations/.preannotation.json whole or not at all (the caller holds the corpus lock); nothing
    when it would not change. True if written."""
    path = Path(root) / FIGURES_PATH
    body = json.dumps({"version": 1, "annotations": figures}, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    if path.is_file() and path.read_text(encoding="utf-8") == body:
        return False
    if not figures and not path.is_file():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(body)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


def summarize(figures: dict) -> dict | None:
    """Totals of the stored figures for `newscorpus stats`, or None when there are none."""
    if not figures:
        return None
    total = dict.fromkeys(FIGURE_KEYS, 0)
    for f in figures.values():
        for k in FIGURE_KEYS:
            total[k] += int(f.get(k, 0))
    return {"annotations": len(figures), **total,
            "model_versions": sorted({str(f.get("model_version")) for f in figures.values()})}


def format_figures(s: dict) -> str:
    """One line of pre-annotation figures (summarize)."""
    return (f"{s['suggested']} suggestion(s) in {s['annotations']} annotation(s): {s['accepted']} accepted, {s['changed']} changed, "
            f"{s['removed']} removed; {s['added']} region(s) added by annotators ({', '.join(s['model_versions'])})")
