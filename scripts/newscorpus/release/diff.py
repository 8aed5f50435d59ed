"""`newscorpus release diff`: what changed, annotation by annotation, between two releases or revisions.

A side of a diff is a release folder (one with croissant.json), a corpus root (a folder with
schema/ontology.json: its current tables) or a git revision of the corpus the command runs in. Each is
reduced to the same snapshot: for articles, entities, mentions, events and claims, id -> the released
record (gold only, provenance left out, labels as names, an article with its split, an entity with the
ids of its mentions). The diff lists ids added, removed and changed (with the fields that changed), and
articles moved to another split.

Removing a released record, or moving an article to another split, breaks whoever trained or evaluated
on the previous release, so a build refuses it unless it is declared, with a reason, in the corpus'
changes/declared.yaml (see docs/release.md). Declaring an article covers the annotations of that
article; declaring an entity covers its mentions.
"""

from __future__ import annotations

import io
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.parquet as pq
import yaml

from ..errors import InputError, Refused

KINDS = ("articles", "entities", "mentions", "events", "claims")
DECLARED_FILE = "changes/declared.yaml"
PROVENANCE = ("status", "annotator", "origin", "source_ref", "updated_at")
SPLITS = ("train", "validation", "test")


class UndeclaredChanges(Refused):
    """A build would remove released records or move articles without a declaration; `problems` lists them."""

    def __init__(self, message, problems):
        super().__init__(message, [])
        self.problems = list(problems)


# --- snapshots ------------------------------------------------------------------------------------
def snapshot_records(articles, entities, events, claims) -> dict:
    """The snapshot of corpus records (dicts as stored): gold rows of annotated articles."""
    ann = {"entities": entities, "events": events, "claims": claims}
    ann = {k: [r for r in rows if r.get("status") == "gold"] for k, rows in ann.items()}
    annotated = {r["article_id"] for rows in ann.values() for r in rows}
    snap = {k: {} for k in KINDS}
    for a in articles:
        if a["id"] in annotated:
            _add(snap, "articles", {k: v for k, v in a.items() if k not in ("source_ref", "updated_at")})
    for kind, rows in ann.items():
        for r in rows:
            rec = {k: v for k, v in r.items() if k not in PROVENANCE}
            _add(snap, kind, rec)
    return snap


def _add(snap: dict, kind: str, rec: dict) -> None:
    if kind == "entities":
        for m in rec.get("mentions") or []:
            snap["mentions"][m["id"]] = {**{k: v for k, v in m.items() if k != "id"}, "entity_id": rec["id"],
                                         "article_id": rec["article_id"], "entity_type": rec["type"]}
        rec = {**rec, "mentions": [m["id"] for m in rec.get("mentions") or []]}
    snap[kind][rec["id"]] = {k: v for k, v in rec.items() if k != "id"}


def _decode(value, feature):
    from datasets import ClassLabel, List

    if value is None:
        return None
    if isinstance(feature, ClassLabel):
        return feature.int2str(value)
    if isinstance(feature, dict):
        return {k: _decode(value.get(k), f) for k, f in feature.items()}
    if isinstance(feature, List):
        return [_decode(v, feature.feature) for v in value]
    return value


def snapshot_release(folder: Path) -> dict:
    """The snapshot of a built release folder, read from its articles, entities, events and claims configs."""
    from datasets import Features

    folder = Path(folder)
    if not (folder / "data").is_dir():
        raise InputError(f"{folder}: not a release folder (no data/)")
    snap = {k: {} for k in KINDS}
    for kind in ("articles", "entities", "events", "claims"):
        for path in sorted((folder / "data" / kind).glob("*.parquet")):
            table = pq.read_table(path)
            features = Features.from_arrow_schema(table.schema)
            split = path.name.split("-", 1)[0]
            for row in table.to_pylist():
                rec = _decode(row, features)
                if kind == "articles":
                    rec["split"] = split
                _add(snap, kind, rec)
    return snap


def snapshot_corpus(root: Path) -> dict:
    from .. import storage
    from ..contract import load_contract

    t = storage.all_tables(Path(root), load_contract(root))
    return snapshot_records(*(t[n].to_pylist() for n in ("articles", "entities", "events", "claims")))


def _git(root: Path, *args) -> bytes:
    try:
        return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True).stdout
    except FileNotFoundError:
        raise InputError("git is not installed") from None
    except subprocess.CalledProcessError as exc:
        msg = exc.stderr.decode(errors="replace").strip().splitlines()
        raise InputError(f"git {' '.join(args[:2])}: {msg[-1] if msg else 'failed'}") from None


def snapshot_git(root: Path, rev: str) -> dict:
    """The snapshot of the corpus tables as committed at git revision `rev` of the repo holding `root`."""
    root = Path(root).resolve()
    prefix = _git(root, "rev-parse", "--show-prefix").decode().strip()
    commit = _git(root, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}").decode().strip()
    names = _git(root, "ls-tree", "-r", "--name-only", commit, "--", f"{prefix}corpus", f"{prefix}annotations").decode().splitlines()
    records = {t: [] for t in ("articles", "entities", "events", "claims")}
    for name in sorted(names):
        rel = name[len(prefix):]
        parts = rel.split("/")
        if not rel.endswith(".parquet") or len(parts) not in (2, 3):
            continue
        table = parts[1].removesuffix(".parquet")
        if table not in records or (parts[0] == "corpus") != (table == "articles"):
            continue
        data = _git(root, "show", f"{commit}:{name}")
        records[table] += pq.read_table(io.BytesIO(data)).to_pylist()
    return snapshot_records(records["articles"], records["entities"], records["events"], records["claims"])


def resolve(spec: str, root: Path | None) -> tuple[str, dict]:
    """(label, snapshot) of a diff side: a release folder, a corpus root or a git revision."""
    p = Path(spec)
    if p.is_dir() and (p / "croissant.json").is_file():
        return f"release {spec}", snapshot_release(p)
    if p.is_dir() and (p / "schema" / "ontology.json").is_file():
        return f"corpus {spec}", snapshot_corpus(p)
    if root is None:
        raise InputError(f"{spec}: not a release folder or corpus root, and no corpus here to resolve a git revision in")
    try:
        return f"git {spec}", snapshot_git(root, spec)
    except InputError as exc:
        raise InputError(f"{spec}: not a release folder, a corpus root or a git revision ({exc})") from None


# --- diff -----------------------------------------------------------------------------------------
@dataclass
class KindChanges:
    added: list = field(default_factory=list)
    removed: list = field(default_factory=list)
    changed: dict = field(default_factory=dict)  # id -> [field names]

    def __bool__(self):
        return bool(self.added or self.removed or self.changed)


@dataclass
class Changes:
    kinds: dict  # kind -> KindChanges
    moved: dict  # article id -> (old split, new split)
    old: dict | None  # the snapshots, to say which article a removed record was in
    new: dict
    initial: bool = False

    def as_dict(self) -> dict:
        return {"initial": self.initial,
                **{k: {"added": c.added, "removed": c.removed, "changed": c.changed} for k, c in self.kinds.items()},
                "moved": {k: {"from": a, "to": b} for k, (a, b) in self.moved.items()}}

    def empty(self) -> bool:
        return not self.moved and not any(self.kinds.values())


def diff_snapshots(old: dict | None, new: dict) -> Changes:
    if old is None:
        kinds = {k: KindChanges(added=sorted(new[k])) for k in KINDS}
        return Changes(kinds, {}, None, new, initial=True)
    kinds, moved = {}, {}
    for k in KINDS:
        a, b = old[k], new[k]
        c = KindChanges(added=sorted(set(b) - set(a)), removed=sorted(set(a) - set(b)))
        for rid in sorted(set(a) & set(b)):
            fields = sorted(f for f in set(a[rid]) | set(b[rid]) if a[rid].get(f) != b[rid].get(f))
            if k == "articles" and "split" in fields:
                moved[rid] = (a[rid].get("split"), b[rid].get("split"))
                fields.remove("split")
            if fields:
                c.changed[rid] = fields
        kinds[k] = c
    return Changes(kinds, moved, old, new)


# --- declarations ---------------------------------------------------------------------------------
def load_declared(root: Path) -> list[dict]:
    """The declared removals and moves of changes/declared.yaml ([] if there is none)."""
    path = Path(root) / DECLARED_FILE
    if not path.is_file():
        return []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"{path}: not readable YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, list):
        raise InputError(f"{path}: must be a list of declarations")
    for i, d in enumerate(data):
        where = f"{path}: entry {i + 1}"
        if not isinstance(d, dict):
            raise InputError(f"{where}: not a mapping")
        if d.get("kind") not in KINDS:
            raise InputError(f"{where}: kind must be one of {', '.join(KINDS)}")
        if d.get("change") not in ("removed", "moved"):
            raise InputError(f"{where}: change must be removed or moved")
        if not isinstance(d.get("id"), str) or not d["id"]:
            raise InputError(f"{where}: needs an id")
        if not isinstance(d.get("reason"), str) or not d["reason"].strip():
            raise InputError(f"{where}: needs a reason")
        if d["change"] == "moved" and (d["kind"] != "articles" or d.get("to") not in SPLITS):
            raise InputError(f"{where}: a move is of an article and needs `to:` one of {', '.join(SPLITS)}")
    return data


def _declared_index(declared) -> dict:
    return {(d["kind"], d["id"], d["change"], d.get("to")): d["reason"] for d in declared}


def reason_of(changes: Changes, declared, kind: str, rid: str, change: str = "removed", to=None) -> str | None:
    """The declared reason for removing (or moving) a record, directly or through its article or entity."""
    idx = _declared_index(declared)
    if (kind, rid, change, to) in idx:
        return idx[(kind, rid, change, to)]
    if change != "removed" or changes.old is None:
        return None
    rec = changes.old[kind].get(rid, {})
    if kind == "mentions" and rec.get("entity_id") in changes.kinds["entities"].removed:
        r = reason_of(changes, declared, "entities", rec["entity_id"])
        if r:
            return r
    aid = rec.get("article_id")
    if kind != "articles" and aid in changes.kinds["articles"].removed:
        return idx.get(("articles", aid, "removed", None))
    return None


def undeclared(changes: Changes, declared) -> list[str]:
    """One line a removal or split move with no declared reason."""
    problems = []
    for kind in KINDS:
        for rid in changes.kinds[kind].removed:
            if not reason_of(changes, declared, kind, rid):
                problems.append(f"{kind} [{rid}]: removed since the previous release, not declared in {DECLARED_FILE}")
    for aid, (a, b) in sorted(changes.moved.items()):
        if not reason_of(changes, declared, "articles", aid, "moved", b):
            problems.append(f"articles [{aid}]: moved from {a} to {b}, not declared in {DECLARED_FILE}")
    return problems


# --- reports --------------------------------------------------------------------------------------
def _ids(ids, limit=None) -> str:
    shown = [f"`{i}`" for i in (ids if limit is None else ids[:limit])]
    more = f" and {len(ids) - limit} more" if limit is not None and len(ids) > limit else ""
    return ", ".join(shown) + more


def format_diff(changes: Changes, declared=(), markdown: bool = False) -> list[str]:
    """The diff as lines: a summary table, then every id added, removed, changed or moved."""
    lines = ["| | added | removed | changed |", "| --- | ---: | ---: | ---: |"] if markdown else []
    for k in KINDS:
        c = changes.kinds[k]
        if markdown:
            lines.append(f"| {k} | {len(c.added)} | {len(c.removed)} | {len(c.changed)} |")
        else:
            lines.append(f"{k:9} {len(c.added):6} added {len(c.removed):6} removed {len(c.changed):6} changed")
    if changes.moved:
        lines.append(f"| articles moved to another split | {len(changes.moved)} | | |" if markdown
                     else f"moved     {len(changes.moved):6} article(s) to another split")
    if changes.initial:
        return lines
    for k in KINDS:
        c = changes.kinds[k]
        if not c:
            continue
        lines.append("")
        lines.append(f"### {k}" if markdown else f"{k}:")
        bullet = "- " if markdown else "  "
        if c.added:
            lines.append(f"{bullet}added: {_ids(c.added)}")
        for rid in c.removed:
            why = reason_of(changes, declared, k, rid)
            lines.append(f"{bullet}removed: `{rid}`" + (f" ({why})" if why else " (undeclared)"))
        for rid, fields in c.changed.items():
            lines.append(f"{bullet}changed: `{rid}` ({', '.join(fields)})")
    if changes.moved:
        lines.append("")
        lines.append("### split moves" if markdown else "moved:")
        for aid, (a, b) in sorted(changes.moved.items()):
            why = reason_of(changes, declared, "articles", aid, "moved", b)
            lines.append(f"{'- ' if markdown else '  '}`{aid}`: {a} -> {b}" + (f" ({why})" if why else " (undeclared)"))
    return lines


CHANGELOG_HEAD = """# Changelog

Annotation-level changes of each release against the one before it, newest first: ids of the articles,
entities, mentions, events and claims added, removed and changed, and of articles moved to another split.
Generated by `newscorpus release build`; removals and split moves carry the reason declared in the
corpus' `changes/declared.yaml`.
"""


def render_changelog(version: str, prev_version: str | None, changes: Changes, declared, old_log: str | None) -> str:
    out = [CHANGELOG_HEAD, f"## {version}", ""]
    if changes.initial:
        counts = ", ".join(f"{len(changes.kinds[k].added)} {k}" for k in KINDS)
        out += [f"First release: {counts}.", ""]
    elif changes.empty():
        out += [f"Against {prev_version}: no annotation changed.", ""]
    else:
        out += [f"Against {prev_version}:", "", *format_diff(changes, declared, markdown=True), ""]
    text = "\n".join(out)
    if old_log:
        start = old_log.find("\n## ")
        if start >= 0:
            text += old_log[start + 1:].rstrip("\n") + "\n"
    return text.rstrip("\n") + "\n"
