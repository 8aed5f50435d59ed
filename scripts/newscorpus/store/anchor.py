"""Annotations given by their text, anchored to exact code-point offsets by the tool.

A person writing a JSONL batch of annotations should not count characters. Wherever a record of
`entities`, `events` or `claims` holds a span (a mention, a trigger, a claim span, a cue), it may give
instead of `{"start", "end", "text"}`:

- `"Kazakhstan"` or `{"text": "Kazakhstan"}`: the text must occur exactly once in the article;
- `{"text": "Kazakhstan", "occurrence": 2}`: its 2nd occurrence (1-based, in text order);
- `{"text": "country", "context": "the country's wealth"}`: the context occurs once in the article, the
  text once within it (an `occurrence` then counts within the context);
- for an entity mention only, `"occurrence": "all"`: one mention for every occurrence.

Text is matched exactly (case, accents) and on word boundaries: "Kazakh" is not found inside
"Kazakhstan". An event argument or a claimer may name its mention by span the same way,
`{"role": "place", "mention": "Almaty"}`, and it is resolved to the stored mention with exactly that
span (its entity_id and mention_id). Ids may be local (`E1`, `M3`, `V2`) and get the article prefix;
an absent id is assigned after the highest one of its kind in the article. Provenance fields that are
absent get defaults: status gold, origin import, source_ref FILE:LINE, updated_at now.

Whatever cannot be anchored is a finding (level 0, `span-not-found`, `span-ambiguous`,
`mention-not-found`) naming file, line, record and field, with a hint of where the text does occur.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timezone

from ..findings import ERROR, Check, Finding, register

CHECKS = [
    Check("span-not-found", 0, ERROR, "Import: a span given by its text (and occurrence or context) does not occur in the article on word boundaries; the message says where similar text occurs."),
    Check("span-ambiguous", 0, ERROR, "Import: a span given by its text occurs more than once and no occurrence or context says which."),
    Check("mention-not-found", 0, ERROR, "Import: an event argument or a claimer names a mention by its span, and no stored mention of the article has exactly that span (or more than one has)."),
]
register(*CHECKS)

_PREFIX = {"entities": "E", "mentions": "M", "events": "V", "claims": "C"}
_LOCAL_NUM = re.compile(r"^([A-Za-z]+)(\d+)$")


def now_utc() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _word(ch: str) -> bool:
    return ch.isalnum() or ch == "_" or unicodedata.category(ch).startswith("M")


def occurrences(text: str, needle: str, lo: int = 0, hi: int | None = None) -> list[int]:
    """Start offsets of `needle` in text[lo:hi] that do not begin or end inside a word."""
    hi = len(text) if hi is None else hi
    out, i = [], text.find(needle, lo, hi)
    while i >= 0:
        j = i + len(needle)
        left_ok = not (_word(needle[0]) and i > 0 and _word(text[i - 1]))
        right_ok = not (_word(needle[-1]) and j < len(text) and _word(text[j]))
        if left_ok and right_ok:
            out.append(i)
        i = text.find(needle, i + 1, hi)
    return out


def _hint(text: str, needle: str) -> str:
    """Where something like `needle` does occur: inside a word, or with other case."""
    i = text.find(needle)
    if i >= 0:
        a, b = i, i + len(needle)
        while a > 0 and _word(text[a - 1]):
            a -= 1
        while b < len(text) and _word(text[b]):
            b += 1
        return f"; it occurs only inside a word, first at {i} ({text[a:b]!r})"
    low = text.casefold().find(needle.casefold()) if len(text.casefold()) == len(text) else -1
    if low >= 0:
        return f"; with other case it occurs at {low} ({text[low:low + len(needle)]!r})"
    return ""


class _Unresolved(Exception):
    def __init__(self, check: str, message: str):
        super().__init__(message)
        self.check, self.message = check, message


def _spec(value) -> dict | None:
    """A span given by text, as a dict; None if `value` is already the full-offset form (or not a span)."""
    if isinstance(value, str):
        return {"text": value}
    if isinstance(value, dict) and isinstance(value.get("text"), str) and value["text"] and "start" not in value and "end" not in value:
        return value
    return None


def find_spans(text: str, spec: dict, allow_all: bool = False) -> list[tuple[int, int]]:
    """The (start, end) a text-form span names; _Unresolved otherwise."""
    needle, occ, context = spec["text"], spec.get("occurrence"), spec.get("context")
    lo, hi, where = 0, len(text), "the article"
    if context is not None:
        if not isinstance(context, str) or not context:
            raise _Unresolved("span-not-found", "context must be a non-empty string")
        found = [m.start() for m in re.finditer(re.escape(context), text)] if context else []
        if not found:
            raise _Unresolved("span-not-found", f"context {context!r} does not occur in the article{_hint(text, context)}")
        if len(found) > 1:
            raise _Unresolved("span-ambiguous", f"context {context!r} occurs {len(found)} times (at {_list(found)}); give a longer one")
        lo, hi, where = found[0], found[0] + len(context), f"context {context!r}"
    starts = occurrences(text, needle, lo, hi)
    starts = [s for s in starts if s + len(needle) <= hi]
    if not starts:
        raise _Unresolved("span-not-found", f"{needle!r} does not occur in {where}{_hint(text[lo:hi] if context else text, needle)}")
    if occ == "all" and allow_all:
        return [(s, s + len(needle)) for s in starts]
    if occ is None:
        if len(starts) > 1:
            raise _Unresolved("span-ambiguous", f"{needle!r} occurs {len(starts)} times in {where} (at {_list(starts)}); "
                                                f"give \"occurrence\" (1-{len(starts)}) or a \"context\"")
        return [(starts[0], starts[0] + len(needle))]
    if isinstance(occ, bool) or not isinstance(occ, int) or occ < 1:
        extra = ' or "all"' if allow_all else ""
        raise _Unresolved("span-not-found", f"occurrence must be a whole number from 1{extra}, not {occ!r}")
    if occ > len(starts):
        raise _Unresolved("span-not-found", f"occurrence {occ}, but {needle!r} occurs {len(starts)} time(s) in {where} (at {_list(starts)})")
    s = starts[occ - 1]
    return [(s, s + len(needle))]


def _list(starts: list[int]) -> str:
    return ", ".join(map(str, starts[:8])) + (", ..." if len(starts) > 8 else "")


def _qualify(aid: str, value):
    return f"{aid}/{value}" if isinstance(value, str) and value and "/" not in value else value


class Anchor:
    """Resolves the text-form records of one import batch against the stored corpus."""

    def __init__(self, tables: dict, source: str, annotator: str | None = None, now: str | None = None):
        arts = tables["articles"]
        self.texts = dict(zip(arts["id"].to_pylist(), arts["text"].to_pylist()))
        self.source, self.annotator, self.now = source, annotator, now or now_utc()
        self.mentions: dict[tuple, list] = {}  # (article, status, annotator, start, end) -> [(entity_id, mention_id)]
        self.used: dict[tuple, int] = {}  # (article, kind letter) -> highest number used
        for table in ("entities", "events", "claims"):
            for rid in tables[table]["id"].to_pylist():
                self._note_id(rid)
        ents = tables["entities"].select(["id", "article_id", "status", "annotator", "mentions"]).to_pylist()
        for e in ents:
            for m in e["mentions"] or ():
                self._note_id(m["id"])
                self._add_mention(e["article_id"], e["status"], e["annotator"], m, e["id"])

    def _note_id(self, rid) -> None:
        if isinstance(rid, str) and "/" in rid:
            aid, local = rid.split("/", 1)
            m = _LOCAL_NUM.match(local)
            if m:
                key = (aid, m.group(1))
                self.used[key] = max(self.used.get(key, 0), int(m.group(2)))

    def _add_mention(self, aid, status, annotator, m, eid) -> None:
        self.mentions.setdefault((aid, status, annotator, m["start"], m["end"]), []).append((eid, m["id"]))

    def _new_id(self, aid: str, kind: str) -> str:
        letter = _PREFIX[kind]
        n = self.used.get((aid, letter), 0) + 1
        self.used[(aid, letter)] = n
        return f"{aid}/{letter}{n}"

    def resolve(self, table: str, records: list[tuple[int, object]]) -> tuple[list[tuple[int, object]], list[Finding]]:
        """The records with spans anchored, ids qualified or assigned, defaults filled; and the findings."""
        out, findings = [], []
        for line, rec in records:  # first pass: every explicit id is taken before any is assigned
            if isinstance(rec, dict) and isinstance(rec.get("article_id"), str):
                aid = rec["article_id"]
                self._note_id(_qualify(aid, rec.get("id")))
                for m in rec.get("mentions") or () if table == "entities" else ():
                    if isinstance(m, dict):
                        self._note_id(_qualify(aid, m.get("id")))
        for line, rec in records:
            if not isinstance(rec, dict) or not isinstance(rec.get("article_id"), str):
                out.append((line, rec))  # the schema check says what is wrong with it
                continue
            rec, errs = self._record(table, dict(rec), line)
            out.append((line, rec))
            findings += errs
        return out, findings

    def _record(self, table: str, rec: dict, line: int) -> tuple[dict, list[Finding]]:
        """One record: its id qualified (or assigned), the import's defaults filled, its spans anchored."""
        aid = rec["article_id"]
        rec["id"] = _qualify(aid, rec["id"]) if rec.get("id") else self._new_id(aid, table)
        defaults = {"status": "gold", "origin": "import", "source_ref": f"{self.source}:{line}", "updated_at": self.now}
        if self.annotator:
            defaults["annotator"] = self.annotator
        for k, v in defaults.items():
            rec.setdefault(k, v)
        r = _Resolving(self, table, rec, line)
        {"entities": self._entity, "events": self._event, "claims": self._claim}[table](r)
        return rec, r.errs

    def _entity(self, r: "_Resolving") -> None:
        """Every mention anchored (one given by its text alone may become several: allow_all), new mentions
        numbered, the name taken from the first named mention; the mentions noted for later references."""
        rec, aid = r.rec, r.aid
        mentions = []
        for i, m in enumerate(rec.get("mentions") or []):
            if not isinstance(m, dict):
                mentions.append(m)
                continue
            spans = r.spans({k: m[k] for k in ("text", "occurrence", "context", "start", "end") if k in m}, f"mentions[{i}]", allow_all=True)
            for n, s in enumerate(spans):
                if "start" in m or "end" in m:
                    new = dict(m)
                else:
                    new = {k: v for k, v in m.items() if k not in ("occurrence", "context")} | s
                if new.get("id") and n == 0:
                    new["id"] = _qualify(aid, new["id"])
                elif len(spans) > 1 or not new.get("id"):
                    new["id"] = self._new_id(aid, "mentions")
                mentions.append(new)
        if "mentions" in rec:
            rec["mentions"] = mentions
        if "name" not in rec:
            named = [m for m in mentions if isinstance(m, dict) and m.get("kind") == "NAM" and isinstance(m.get("text"), str)]
            first = named or [m for m in mentions if isinstance(m, dict) and isinstance(m.get("text"), str)]
            if first:
                rec["name"] = first[0]["text"]
        rec.setdefault("wikidata", None)
        if not r.errs:
            for m in mentions:
                if isinstance(m, dict) and isinstance(m.get("start"), int) and isinstance(m.get("end"), int):
                    self._add_mention(aid, rec["status"], rec.get("annotator"), m, rec["id"])

    def _event(self, r: "_Resolving") -> None:
        rec = r.rec
        if "trigger" in rec:
            got = r.spans(rec["trigger"], "trigger")
            rec["trigger"] = got[0] if got else rec["trigger"]
        rec["arguments"] = [r.mention_ref(a, f"arguments[{i}]") if isinstance(a, dict) else a for i, a in enumerate(rec.get("arguments") or [])]
        rec.setdefault("realis", "actual")
        rec.setdefault("polarity", "positive")
        rec.setdefault("time", None)

    def _claim(self, r: "_Resolving") -> None:
        rec = r.rec
        for field in ("span", "cue"):
            if rec.get(field) is not None:
                got = r.spans(rec[field], field)
                rec[field] = got[0] if got else rec[field]
        if isinstance(rec.get("claimer"), (dict, str)):
            claimer = rec["claimer"] if isinstance(rec["claimer"], dict) else {"mention": rec["claimer"]}
            rec["claimer"] = r.mention_ref(claimer, "claimer")
        rec.setdefault("claimer", None)
        rec.setdefault("cue", None)
        rec["event_ids"] = [_qualify(r.aid, e) for e in rec.get("event_ids") or []]


class _Resolving:
    """One record being resolved: its article's text, where it came from, and the findings so far."""

    def __init__(self, batch: Anchor, table: str, rec: dict, line: int):
        self.batch, self.table, self.rec = batch, table, rec
        self.aid = rec["article_id"]
        self.rid = rec["id"] if isinstance(rec["id"], str) else f"line {line}"
        self.where = f"{batch.source}:{line}"
        self.text = batch.texts.get(self.aid)
        self.errs: list[Finding] = []

    def _finding(self, check: str, field: str, message: str) -> None:
        self.errs.append(Finding(check, self.table, self.rid, field, message, self.where))

    def spans(self, value, field: str, allow_all: bool = False) -> list:
        """The span(s) a text-form value anchors to (a value already in offsets as it is); [] and a finding
        if it does not anchor."""
        spec = _spec(value)
        if spec is None:
            return [value]
        if self.text is None:
            self._finding("span-not-found", field, f"article {self.aid!r} is not in the corpus (add it first)")
            return []
        try:
            found = find_spans(self.text, spec, allow_all)
        except _Unresolved as exc:
            self._finding(exc.check, field, exc.message)
            return []
        return [{"start": s, "end": e, "text": self.text[s:e]} for s, e in found]

    def mention_ref(self, arg: dict, field: str) -> dict:
        """An argument or claimer: ids qualified, or a `mention` given by its text resolved to the one
        mention of this version of the article with that span."""
        aid, rec = self.aid, self.rec
        if "mention" not in arg:
            return {k: _qualify(aid, v) if k in ("entity_id", "mention_id") else v for k, v in arg.items()}
        arg = dict(arg)
        spans = self.spans(arg.pop("mention"), field)
        if not spans:
            return arg
        s = spans[0]
        hits = self.batch.mentions.get((aid, rec["status"], rec.get("annotator"), s["start"], s["end"]), [])
        if len(hits) != 1:
            what = "no mention" if not hits else f"{len(hits)} mentions"
            self._finding("mention-not-found", field,
                          f"{what} of article {aid!r} ({rec['status']}, {rec.get('annotator')}) has the span {s['start']}-{s['end']} {s['text']!r}; "
                          "import the entity first")
            return arg
        arg["entity_id"], arg["mention_id"] = hits[0]
        return arg
