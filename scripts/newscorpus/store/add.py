"""`newscorpus add`: new articles from plain text files, folders of them, or JSONL with only what a person knows.

The tool derives the rest: `text_sha256`, `updated_at`, `source_ref` (the file, or FILE:LINE), the id (a slug
of the title or the file name, a collision refused), null for the metadata nobody gave, and the split,
assigned by a hash of the id so that it never changes when the corpus grows and the shares of train,
validation and test follow the ratios. The text is normalised to NFC with `\\n` line breaks, and every
change of that kind is reported. Like `import`, an add is all or nothing and goes through the validator's
gate: nothing is written if the corpus would gain an error.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from . import storage
from .anchor import now_utc
from ..contract import SPLITS, load_contract
from ..errors import InputError, Refused
from .importer import apply_changes, merge, read_jsonl, read_utf8, records_to_table
from ..check.schema import record_findings

GIVEN = ("id", "text", "title", "url", "published", "publisher", "author", "license", "language",
         "original_language", "translation", "split")
DEFAULT_RATIOS = {"train": 0.8, "validation": 0.1, "test": 0.1}


@dataclass
class Added:
    record: dict
    source: str
    notes: list = field(default_factory=list)

    def line(self) -> str:
        r = self.record
        note = f"; {'; '.join(self.notes)}" if self.notes else ""
        return f"{r['id']}: {len(r['text']):,} characters, split {r['split']}, license {r['license']}, from {self.source}{note}"


@dataclass
class AddResult:
    added: list
    written: bool

    def summary(self) -> str:
        unlicensed = sum(a.record["license"] == "unknown" for a in self.added)
        tail = f" ({unlicensed} with license unknown: left out of releases until cleared)" if unlicensed else ""
        return f"articles: {len(self.added)} added{tail}"


def parse_ratios(value: str | None) -> dict:
    """`train=0.8,validation=0.1,test=0.1` (or `80/10/10`) -> shares summing to 1."""
    if not value:
        return dict(DEFAULT_RATIOS)
    try:
        if "=" in value:
            pairs = dict(p.split("=", 1) for p in value.split(","))
            ratios = {k.strip(): float(v) for k, v in pairs.items()}
        else:
            ratios = dict(zip(SPLITS, (float(x) for x in value.split("/")), strict=True))
    except ValueError:
        raise InputError(f"split ratios {value!r}: write train=0.8,validation=0.1,test=0.1 or 80/10/10") from None
    if set(ratios) - set(SPLITS) or any(v < 0 for v in ratios.values()) or sum(ratios.values()) <= 0:
        raise InputError(f"split ratios {value!r}: give non-negative shares of {', '.join(SPLITS)}")
    total = sum(ratios.values())
    return {s: ratios.get(s, 0.0) / total for s in SPLITS}


def split_for(article_id: str, ratios: dict) -> str:
    """The split of an article: a hash of its id placed on the cumulative ratios. Stable across runs and machines."""
    u = int.from_bytes(hashlib.sha256(f"newscorpus-split:{article_id}".encode()).digest()[:8], "big") / 2**64
    acc = 0.0
    for s in SPLITS:
        acc += ratios.get(s, 0.0)
        if u < acc:
            return s
    return [s for s in SPLITS if ratios.get(s, 0.0) > 0][-1]


def slug(value: str, limit: int = 80) -> str:
    """A lowercase ASCII slug (letters, digits, dashes) of a title or file name, cut at a dash before `limit`."""
    ascii_ = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    s = re.sub(r"[^a-z0-9]+", "-", ascii_.lower()).strip("-")
    if len(s) > limit:
        s = s[:limit].rsplit("-", 1)[0] or s[:limit]
    return s


def normalise(text: str) -> tuple[str, list[str]]:
    """NFC, `\\n` line breaks, no byte order mark; the list says what was changed (nothing is changed silently).
    A single final line break is the file's line terminator, not part of the text, and is dropped."""
    notes = []
    if text.startswith("\ufeff"):
        text = text[1:]
        notes.append("removed a byte order mark")
    crlf, cr = text.count("\r\n"), 0
    if crlf:
        text = text.replace("\r\n", "\n")
    cr = text.count("\r")
    if cr:
        text = text.replace("\r", "\n")
    if crlf or cr:
        notes.append(f"{crlf + cr} line break(s) made \\n")
    nfc = unicodedata.normalize("NFC", text)
    if nfc != text:
        changed = sum(1 for c in text if unicodedata.normalize("NFC", c) != c) or abs(len(text) - len(nfc))
        notes.append(f"NFC: {len(text) - len(nfc)} code point(s) fewer ({changed} decomposed character(s) composed)")
        text = nfc
    if text.endswith("\n"):
        stripped = text.rstrip("\n")
        if len(text) - len(stripped) > 1:
            notes.append(f"removed {len(text) - len(stripped)} trailing line breaks")
        text = stripped
    return text, notes


def _read_text(path: Path) -> str:
    return read_utf8(path, "; convert it first (iconv -f ... -t utf-8)")


def collect(paths: list[Path]) -> list[tuple[str, dict]]:
    """(source, given fields) for every article the paths name: .txt files, folders of .txt files (sorted), .jsonl."""
    out = []
    for path in map(Path, paths):
        if path.is_dir():
            files = sorted(p for p in path.rglob("*.txt") if p.is_file())
            if not files:
                raise InputError(f"{path}: no .txt file in this folder")
            out += [(str(p), {"text": _read_text(p), "_stem": p.stem}) for p in files]
        elif path.suffix == ".jsonl":
            for line, rec in read_jsonl(path):
                where = f"{path}:{line}"
                if not isinstance(rec, dict):
                    raise InputError(f"{where}: a record must be a JSON object")
                unknown = sorted(set(rec) - set(GIVEN))
                if unknown:
                    derived = [k for k in unknown if k in ("text_sha256", "updated_at", "source_ref")]
                    why = f" ({', '.join(derived)} is derived by the tool)" if derived else ""
                    raise InputError(f"{where}: unknown field(s) {', '.join(unknown)}{why}; fields are {', '.join(GIVEN)}")
                if not isinstance(rec.get("text"), str):
                    raise InputError(f"{where}: text is missing or not a string")
                out.append((where, dict(rec)))
        elif path.suffix == ".txt" or path.is_file() and path.suffix == "":
            if not path.exists():
                raise InputError(f"{path}: no such file")
            out.append((str(path), {"text": _read_text(path), "_stem": path.stem}))
        elif not path.exists():
            raise InputError(f"{path}: no such file or folder")
        else:
            raise InputError(f"{path}: not a .txt or .jsonl file (folders are read for *.txt)")
    return out


def build(items: list[tuple[str, dict]], defaults: dict, ratios: dict, taken: set, texts: dict, now: str) -> list[Added]:
    """Article records from what was given; InputError naming the source on a collision or an empty text."""
    added, seen_text = [], {}
    for source, given in items:
        stem = given.pop("_stem", None)
        rec = {k: given.get(k, defaults.get(k)) for k in GIVEN}
        text, notes = normalise(rec["text"])
        if not text.strip():
            raise InputError(f"{source}: the text is empty")
        rec["text"] = text
        if not rec["id"]:
            base = rec["title"] or stem
            rec["id"] = slug(base) if base else ""
            if len(rec["id"]) < 3:
                raise InputError(f"{source}: cannot make an id from {base!r}; give one (--id, or \"id\" in the JSONL)")
        if rec["id"] in taken:
            raise InputError(f"{source}: article id {rec['id']!r} is taken already; give another (--id, or \"id\" in the JSONL)")
        sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
        if sha in texts or sha in seen_text:
            raise InputError(f"{source}: the same text is already article {texts.get(sha) or seen_text[sha]!r}")
        taken.add(rec["id"])
        seen_text[sha] = rec["id"]
        rec["language"] = rec["language"] or "en"
        rec["license"] = rec["license"] or "unknown"
        rec["split"] = rec["split"] or split_for(rec["id"], ratios)
        rec.update(text_sha256=sha, source_ref=source[:500], updated_at=now)
        added.append(Added(rec, source, notes))
    return added


def add_articles(root: Path, paths: list, defaults: dict | None = None, ratios: dict | None = None,
                 dry_run: bool = False, now: str | None = None) -> AddResult:
    """Add the articles `paths` hold to the corpus at `root`, all or nothing."""
    root = Path(root)
    defaults = {k: v for k, v in (defaults or {}).items() if v is not None}
    contract = load_contract(root)
    items = collect(paths)
    if not items:
        raise InputError("nothing to add")
    if len(items) > 1 and ({"id", "title"} & set(defaults)):
        raise InputError(f"--id and --title name one article, and {len(items)} were given; use a JSONL file for many")
    now = now or now_utc()
    validator = contract.validators["articles"]
    with storage.corpus_lock(root):
        tables = storage.all_tables(root, contract)
        arts = tables["articles"]
        taken = set(arts["id"].to_pylist())
        texts = dict(zip(arts["text_sha256"].to_pylist(), arts["id"].to_pylist()))
        added = build(items, defaults, ratios or dict(DEFAULT_RATIOS), taken, texts, now)
        findings = []
        for a in added:
            findings += record_findings(validator, "articles", a.record, a.record["id"], a.source)
        if findings:
            raise Refused(f"{len(findings)} record finding(s); nothing was added", findings)
        incoming = records_to_table([a.record for a in added], "articles", contract)
        merged, *_ = merge(arts, incoming)
        try:
            apply_changes(root, {"articles": merged}, contract, dry_run=dry_run, current=tables)
        except Refused as exc:
            source = {a.record["id"]: a.source for a in added}
            from dataclasses import replace

            located = [replace(f, file=source[f.record]) if f.record in source and not f.file else f for f in exc.findings]
            raise Refused(str(exc), located) from None
    return AddResult(added, not dry_run)

