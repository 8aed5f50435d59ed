"""`newscorpus retext`: change an article's text after annotation, every span re-anchored, nothing shifted silently.

Old and new text are diffed (difflib, on code points). A span that lies wholly inside a stretch the edit did
not touch moves by that stretch's offset. A span the edit touches cannot be moved safely: each is reported
(`span-edit-unresolved`: record, field, its old text, what the new text has there) and the change is refused,
unless the user says how to resolve them:

- `nearest`: re-anchor to the occurrence of the span's text in the new text nearest to where the edit put it;
  a span whose text no longer occurs stays unresolved;
- `drop`: remove what the span carries: a mention (and the arguments and claimers citing it; an entity left
  without mentions), an event whose trigger is touched (and the claims' links to it), a claim whose span is
  touched, a cue (set to null);
- `nearest,drop`: nearest where it can, drop the rest.

Gold and candidate rows alike. The change goes through the importer's gate: all or nothing.
"""

from __future__ import annotations

import bisect
import difflib
import copy
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from . import storage
from .versions import annotation_rows
from .add import _read_text, normalise
from .anchor import now_utc, occurrences
from ..contract import load_contract
from ..errors import InputError, Refused
from ..findings import ERROR, Check, Finding, register
from .importer import apply_changes, merge, records_to_table

CHECKS = [Check("span-edit-unresolved", 0, ERROR, "Retext: the new text changes the characters of a span, so it cannot be moved by the diff; "
                                                  "say how to resolve it (--resolve nearest, drop) or edit less.")]
register(*CHECKS)
RESOLVE = ("nearest", "drop")


@dataclass
class RetextResult:
    article_id: str
    changed: bool
    moved: int = 0
    kept: int = 0
    nearest: list = field(default_factory=list)
    dropped: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    inserted: int = 0
    removed: int = 0

    def lines(self) -> list[str]:
        if not self.changed:
            return [f"{self.article_id}: the text is unchanged; nothing written"]
        out = [f"{self.article_id}: text changed (+{self.inserted:,} / -{self.removed:,} code points); "
               f"{self.moved} span(s) moved, {self.kept} in place, {len(self.nearest)} re-anchored to the nearest occurrence, "
               f"{len(self.dropped)} dropped" + (f"; {'; '.join(self.notes)}" if self.notes else "")]
        out += [f"  re-anchored {x}" for x in self.nearest] + [f"  dropped {x}" for x in self.dropped]
        return out


class _Mapper:
    """Old offsets -> new offsets, through the stretches a diff of the two texts leaves equal."""

    def __init__(self, old: str, new: str):
        ops = difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes()
        self.equal = [(i1, i2, j1) for tag, i1, i2, j1, _ in ops if tag == "equal"]
        self.starts = [e[0] for e in self.equal]
        self.ops = ops

    def move(self, start: int, end: int) -> tuple[int, int] | None:
        k = bisect.bisect_right(self.starts, start) - 1
        if k >= 0:
            i1, i2, j1 = self.equal[k]
            if i1 <= start and end <= i2:
                return start + j1 - i1, end + j1 - i1
        return None

    def where(self, pos: int) -> int:
        """About where old offset `pos` is in the new text (for the nearest occurrence and the report)."""
        for _tag, i1, i2, j1, j2 in self.ops:
            if i1 <= pos < i2 or (i1 == i2 == pos):
                return j1 + min(pos - i1, max(j2 - j1 - 1, 0))
        return self.ops[-1][4] if self.ops else 0


def _nearest(new: str, text: str, around: int) -> tuple[int, int] | None:
    hits = occurrences(new, text) or [i for i in range(len(new)) if new.startswith(text, i)]
    if not hits:
        return None
    best = min(hits, key=lambda h: (abs(h - around), h))
    return best, best + len(text)


class _Reanchor:
    """Moves the spans of one article's records from its old text to the new one, as `resolve` says; records
    what it did in `result`, the spans it could not move in `unresolved`, the records it dropped in `removed`."""

    def __init__(self, mapper: "_Mapper", new: str, resolve: tuple, file: Path, result: RetextResult):
        self.mapper, self.new, self.resolve, self.file, self.result = mapper, new, resolve, file, result
        self.unresolved: list[Finding] = []
        self.dropped_mentions: set = set()
        self.removed = {t: set() for t in ("entities", "events", "claims")}

    def span(self, span: dict, table: str, rid: str, fld: str) -> dict | None:
        """The span in the new text; None when it is to be dropped; the old span (and a finding) when unresolved."""
        result = self.result
        moved = self.mapper.move(span["start"], span["end"])
        if moved:
            if moved != (span["start"], span["end"]):
                result.moved += 1
            else:
                result.kept += 1
            return {**span, "start": moved[0], "end": moved[1]}
        if "nearest" in self.resolve:
            hit = _nearest(self.new, span["text"], self.mapper.where(span["start"]))
            if hit:
                result.nearest.append(f"{rid} {fld} {span['text']!r}: {span['start']}-{span['end']} -> {hit[0]}-{hit[1]}")
                return {**span, "start": hit[0], "end": hit[1]}
        if "drop" in self.resolve:
            result.dropped.append(f"{rid} {fld} {span['text']!r} ({span['start']}-{span['end']})")
            return None
        at = self.mapper.where(span["start"])
        self.unresolved.append(Finding("span-edit-unresolved", table, rid, fld,
                                       f"{span['text']!r} at {span['start']}-{span['end']} is changed by the edit "
                                       f"(the new text has {self.new[at:at + len(span['text'])]!r} about there)", str(self.file)))
        return span

    def entities(self, rows: list) -> None:
        for e in rows:
            kept = []
            for i, m in enumerate(e["mentions"]):
                sp = self.span(m, "entities", e["id"], f"mentions[{i}]")
                if sp is None:
                    self.dropped_mentions.add(m["id"])
                else:
                    kept.append(sp)
            e["mentions"] = kept
            if not kept:
                self.removed["entities"].add(e["id"])
                self.result.dropped.append(f"{e['id']} (no mention left)")

    def events(self, rows: list) -> None:
        for v in rows:
            sp = self.span(v["trigger"], "events", v["id"], "trigger")
            if sp is None:
                self.removed["events"].add(v["id"])
                continue
            v["trigger"] = sp
            args = [a for a in v["arguments"] if a["mention_id"] not in self.dropped_mentions]
            if len(args) != len(v["arguments"]):
                self.result.dropped.append(f"{v['id']} {len(v['arguments']) - len(args)} argument(s) (their mention was dropped)")
            v["arguments"] = args

    def claims(self, rows: list) -> None:
        for c in rows:
            sp = self.span(c["span"], "claims", c["id"], "span")
            if sp is None:
                self.removed["claims"].add(c["id"])
                continue
            c["span"] = sp
            if c["cue"] is not None:
                c["cue"] = self.span(c["cue"], "claims", c["id"], "cue")
            if c["claimer"] is not None and c["claimer"]["mention_id"] in self.dropped_mentions:
                self.result.dropped.append(f"{c['id']} claimer (its mention was dropped)")
                c["claimer"] = None
            self._event_links(c)

    def entity_event_links(self, rows: list) -> None:
        """An EVENT entity's links to events that were dropped go too (after events() has run)."""
        for e in rows:
            if e["id"] not in self.removed["entities"] and e.get("event_ids"):
                self._event_links(e)

    def _event_links(self, rec: dict) -> None:
        links = [x for x in rec["event_ids"] if x not in self.removed["events"]]
        if len(links) != len(rec["event_ids"]):
            self.result.dropped.append(f"{rec['id']} {len(rec['event_ids']) - len(links)} event link(s) (the event was dropped)")
        rec["event_ids"] = links


def retext(root: Path, article_id: str, file: Path, resolve: tuple = (), dry_run: bool = False, now: str | None = None) -> RetextResult:
    """Replace the text of `article_id` by the text of `file` and re-anchor every span of its records (gold and
    candidate). Raises InputError for a bad option, file or article, Refused when spans stay unresolved or the
    new corpus would add an error; then nothing is written."""
    root, file = Path(root), Path(file)
    bad = set(resolve) - set(RESOLVE)
    if bad:
        raise InputError(f"--resolve {', '.join(sorted(bad))}: use nearest, drop or nearest,drop")
    new, notes = normalise(_read_text(file))
    if not new.strip():
        raise InputError(f"{file}: the text is empty")
    contract = load_contract(root)
    now = now or now_utc()
    with storage.corpus_lock(root):
        tables = storage.all_tables(root, contract)
        arts = tables["articles"]
        rows = arts.filter(pc.equal(arts["id"], article_id)).to_pylist()
        if not rows:
            raise InputError(f"article {article_id!r} is not in the corpus")
        art = rows[0]
        old = art["text"]
        if old == new:
            return RetextResult(article_id, False, notes=notes)
        mapper = _Mapper(old, new)
        changed_ops = [op for op in mapper.ops if op[0] != "equal"]
        result = RetextResult(article_id, True, notes=notes, inserted=sum(j2 - j1 for _t, _i1, _i2, j1, j2 in changed_ops),
                              removed=sum(i2 - i1 for _t, i1, i2, _j1, _j2 in changed_ops))
        of = {t: rows.to_pylist() for t, rows in annotation_rows(tables, None, [article_id]).items()}
        before = copy.deepcopy(of)
        move = _Reanchor(mapper, new, resolve, file, result)
        move.entities(of["entities"])
        move.events(of["events"])
        move.claims(of["claims"])
        move.entity_event_links(of["entities"])
        if move.unresolved:
            raise Refused(f"{file}: {len(move.unresolved)} span(s) of {article_id} cannot be moved by the diff; nothing was written "
                          "(--resolve nearest, drop or nearest,drop says how to resolve them)", move.unresolved)
        art.update(text=new, text_sha256=hashlib.sha256(new.encode("utf-8")).hexdigest(), updated_at=now, source_ref=str(file)[:500])
        changes = {"articles": merge(arts, records_to_table([art], "articles", contract))[0]}
        changes.update(_changed_tables(tables, of, before, move.removed, now, contract))
        apply_changes(root, changes, contract, dry_run=dry_run, current=tables)
    return result


def _changed_tables(tables: dict, of: dict, before: dict, removed: dict, now: str, contract) -> dict:
    """table -> its new full table, for the annotation tables whose records of the article changed: the
    changed records stamped `now`, the removed ones gone."""
    changes = {}
    for t, recs in of.items():
        was = {r["id"]: r for r in before[t]}
        changed = [r for r in recs if r["id"] not in removed[t] and r != was[r["id"]]]
        for r in changed:
            r["updated_at"] = now
        if not changed and not removed[t]:
            continue
        current = tables[t]
        if removed[t]:
            current = current.filter(pc.invert(pc.is_in(current["id"], value_set=pa.array(sorted(removed[t]), pa.string()))))
        changes[t] = merge(current, records_to_table(changed, t, contract))[0] if changed else current
    return changes
