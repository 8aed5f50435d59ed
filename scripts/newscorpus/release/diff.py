"""`newscorpus release diff`: what changed, annotation by annotation, between two releases or revisions.

Each side is reduced to a snapshot (snapshot.py: a release folder, a corpus root or a git revision).
The diff lists ids added, removed and changed (with the fields that changed), and articles moved to
another split. It is columnar: the two sides are joined on id and compared column by column in Arrow,
so only the ids in the diff become Python objects.

Removing a released record, or moving an article to another split, breaks whoever trained or evaluated
on the previous release, so a build refuses it unless it is declared, with a reason, in the corpus'
changes/declared.yaml (see docs/release.md). Declaring an article covers the annotations of that
article; declaring an entity covers its mentions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import yaml

from ..store import storage
from ..contract import SPLITS
from ..errors import InputError, Refused, first_line
from ..store.remote import corpus_name, corpus_text
from .snapshot import KINDS, Snapshot, np_bool, sorted_ids

DECLARED_FILE = "changes/declared.yaml"


class UndeclaredChanges(Refused):
    """A build would remove released records or move articles without a declaration; `problems` lists them."""

    def __init__(self, message, problems):
        super().__init__(message, [])
        self.problems = list(problems)


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
    old: Snapshot | None
    new: Snapshot
    initial: bool = False
    owners: dict = field(default_factory=dict)  # kind -> removed id -> (article id, entity id) in the old snapshot

    def as_dict(self) -> dict:
        return {"initial": self.initial,
                **{k: {"added": list(c.added), "removed": c.removed, "changed": c.changed} for k, c in self.kinds.items()},
                "moved": {k: {"from": a, "to": b} for k, (a, b) in self.moved.items()}}

    def empty(self) -> bool:
        return not self.moved and not any(self.kinds.values())


_INTEGER, _FLOATING = pa.types.is_integer, pa.types.is_floating


def _is_list(t) -> bool:
    return pa.types.is_list(t) or pa.types.is_large_list(t)


def _pyequal(a, b) -> np.ndarray:
    return np.fromiter((x == y for x, y in zip(a.to_pylist(), b.to_pylist())), bool, count=len(a))


def _same(a, b) -> np.ndarray:
    """a[i] == b[i] for every row, as Python compares the values (None == None, lists and structs by value),
    over two aligned arrays; columnar where the types allow it, value by value where they do not."""
    a, b = storage.plain(storage.one_array(a)), storage.plain(storage.one_array(b))
    n = len(a)
    if n == 0:
        return np.ones(0, bool)
    ta, tb = a.type, b.type
    av, bv = np_bool(a.is_valid()), np_bool(b.is_valid())
    if pa.types.is_struct(ta) and pa.types.is_struct(tb):
        na, nb = [f.name for f in ta], [f.name for f in tb]
        if sorted(na) != sorted(nb) or len(set(na)) != len(na):
            return _pyequal(a, b)
        ca, cb = dict(zip(na, a.flatten())), dict(zip(nb, b.flatten()))
        eq = np.ones(n, bool)
        for name in na:
            eq &= _same(ca[name], cb[name])
    elif _is_list(ta) and _is_list(tb):
        la = pc.fill_null(pc.list_value_length(a), -1).to_numpy(zero_copy_only=False)
        lb = pc.fill_null(pc.list_value_length(b), -1).to_numpy(zero_copy_only=False)
        eq = av & bv & (la == lb)
        rows = np.flatnonzero(eq & (la > 0))
        if len(rows):
            take = pa.array(rows)
            sub_a, sub_b = a.take(take), b.take(take)
            same = _same(sub_a.flatten(), sub_b.flatten())
            if not same.all():
                parents = pc.list_parent_indices(sub_a).to_numpy(zero_copy_only=False)
                eq[rows[np.bincount(parents[~same], minlength=len(rows)) > 0]] = False
    elif pa.types.is_nested(ta) or pa.types.is_nested(tb):
        return _pyequal(a, b)
    else:
        if ta != tb:
            if _INTEGER(ta) and _INTEGER(tb):
                try:
                    a, b = a.cast(pa.int64()), b.cast(pa.int64())
                except pa.ArrowInvalid:  # an unsigned value beyond int64
                    return _pyequal(a, b)
            elif _FLOATING(ta) and _FLOATING(tb):
                a, b = a.cast(pa.float64()), b.cast(pa.float64())
            elif (pa.types.is_string(ta) or pa.types.is_large_string(ta)) and (pa.types.is_string(tb) or pa.types.is_large_string(tb)):
                a, b = a.cast(pa.large_string()), b.cast(pa.large_string())
            else:
                return _pyequal(a, b)
        try:
            eq = np_bool(pc.fill_null(pc.equal(a, b), False))
        except (pa.ArrowNotImplementedError, pa.ArrowInvalid, pa.ArrowTypeError):
            return _pyequal(a, b)
    return np.where(av & bv, eq, ~av & ~bv)


def _id_codes(old_ids, new_ids) -> tuple[np.ndarray, np.ndarray, int]:
    """The ids of both sides as integer codes (one code an id, a null id included) and the number of codes."""
    both = pa.concat_arrays([*old_ids.chunks, *new_ids.chunks]) if old_ids.num_chunks + new_ids.num_chunks else pa.array([], pa.large_string())
    encoded = pc.dictionary_encode(both, null_encoding="encode")
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    return codes[:len(old_ids)], codes[len(old_ids):], len(encoded.dictionary)


def _last_rows(codes: np.ndarray, n_codes: int) -> np.ndarray | None:
    """The rows to keep so that each id has one row, its last one (in row order); None when none repeats."""
    if not len(codes) or np.bincount(codes, minlength=n_codes).max() <= 1:
        return None
    _, first_from_end = np.unique(codes[::-1], return_index=True)
    return np.sort(len(codes) - 1 - first_from_end)


def _rows(column, rows: np.ndarray | None):
    return column if rows is None else column.take(pa.array(rows))


def _diff_kind(kind: str, old: pa.Table, new: pa.Table) -> tuple[KindChanges, dict, dict]:
    """The changes of one kind, the split moves (articles), and the article and entity of each removed id.
    The sides are joined on integer codes of their ids and compared one column at a time."""
    old_codes, new_codes, n_codes = _id_codes(old["id"], new["id"])
    old_keep, new_keep = _last_rows(old_codes, n_codes), _last_rows(new_codes, n_codes)
    if old_keep is not None:
        old, old_codes = old.take(pa.array(old_keep)), old_codes[old_keep]
    if new_keep is not None:
        new, new_codes = new.take(pa.array(new_keep)), new_codes[new_keep]
    old_at = np.full(n_codes, -1, np.int64)
    old_at[old_codes] = np.arange(len(old_codes))
    new_at = np.full(n_codes, -1, np.int64)
    new_at[new_codes] = np.arange(len(new_codes))
    added, gone = np.flatnonzero(old_at[new_codes] < 0), np.flatnonzero(new_at[old_codes] < 0)
    c = KindChanges(added=sorted_ids(_rows(new["id"], added)), removed=sorted_ids(_rows(old["id"], gone)))
    gone_ids = _rows(old["id"], gone).to_pylist()
    owner_cols = [_rows(old[n], gone).to_pylist() if n in old.column_names else [None] * len(gone) for n in ("article_id", "entity_id")]
    owners = dict(zip(gone_ids, zip(*owner_cols)))
    new_rows = np.flatnonzero(old_at[new_codes] >= 0)  # the ids on both sides, rows of new and of old
    old_rows = old_at[new_codes[new_rows]]
    every = np.arange(max(len(new_rows), 0))
    new_rows_or_all = None if len(new_rows) == new.num_rows else new_rows
    old_rows_or_all = None if len(old_rows) == old.num_rows and np.array_equal(old_rows, every) else old_rows
    fields = {}  # row of new_rows -> [field names], fields in sorted order
    for name in sorted((set(old.column_names) | set(new.column_names)) - {"id"}):
        if name in old.column_names and name in new.column_names:
            differs = ~_same(_rows(old[name], old_rows_or_all), _rows(new[name], new_rows_or_all))
        elif name in old.column_names:
            differs = np_bool(_rows(old[name], old_rows_or_all).is_valid())
        else:
            differs = np_bool(_rows(new[name], new_rows_or_all).is_valid())
        for row in np.flatnonzero(differs).tolist():
            fields.setdefault(row, []).append(name)
    rows = sorted(fields)
    ids = _rows(new["id"], new_rows[rows]).to_pylist() if rows else []
    moved, splits = {}, {}
    if kind == "articles" and rows:
        split_rows = np.array([r for r in rows if "split" in fields[r]], np.int64)
        a = _rows(old["split"], old_rows[split_rows]).to_pylist() if "split" in old.column_names else [None] * len(split_rows)
        b = _rows(new["split"], new_rows[split_rows]).to_pylist() if "split" in new.column_names else [None] * len(split_rows)
        splits = dict(zip(split_rows.tolist(), zip(a, b)))
    for rid, row in sorted(zip(ids, rows)):
        names = fields[row]
        if kind == "articles" and "split" in names:
            moved[rid] = splits[row]
            names.remove("split")
        if names:
            c.changed[rid] = names
    return c, moved, owners


def diff_snapshots(old: Snapshot | None, new: Snapshot) -> Changes:
    if old is None:
        kinds = {k: KindChanges(added=new.id_list(k)) for k in KINDS}
        return Changes(kinds, {}, None, new, initial=True)
    kinds, moved, owners = {}, {}, {}
    for k in KINDS:
        kinds[k], m, owners[k] = _diff_kind(k, old[k], new[k])
        moved.update(m)
    return Changes(kinds, moved, old, new, owners=owners)


# --- declarations ---------------------------------------------------------------------------------
def load_declared(root) -> list[dict]:
    """The declared removals and moves of changes/declared.yaml ([] if there is none) of a corpus, local or
    on object storage."""
    path = corpus_name(root, DECLARED_FILE)
    try:
        text = corpus_text(root, DECLARED_FILE)
        if text is None:
            return []
        data = yaml.safe_load(text) or []
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"{path}: not readable YAML: {first_line(exc)}") from None
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


class _Reasons:
    """The declared reasons of one diff, indexed once for the many records a report asks about."""

    def __init__(self, changes: Changes, declared):
        self.changes = changes
        self.index = _declared_index(declared)
        self.removed = {k: set(c.removed) for k, c in changes.kinds.items()}

    def of(self, kind: str, rid: str, change: str = "removed", to=None) -> str | None:
        if (kind, rid, change, to) in self.index:
            return self.index[(kind, rid, change, to)]
        if change != "removed" or self.changes.old is None:
            return None
        aid, eid = self.changes.owners.get(kind, {}).get(rid, (None, None))
        if kind == "mentions" and eid in self.removed["entities"]:
            r = self.of("entities", eid)
            if r:
                return r
        if kind != "articles" and aid in self.removed["articles"]:
            return self.index.get(("articles", aid, "removed", None))
        return None


def reason_of(changes: Changes, declared, kind: str, rid: str, change: str = "removed", to=None) -> str | None:
    """The declared reason for removing (or moving) a record, directly or through its article or entity
    (a removed record's; see Changes.owners)."""
    return _Reasons(changes, declared).of(kind, rid, change, to)


UNLICENSED_REASON = "left out: its license is `unknown` (not cleared for redistribution)"


def left_out_declarations(left_out) -> list[dict]:
    """The removals a build declares itself: the articles it left out for their unknown license (their
    annotations are covered through the article)."""
    return [{"kind": "articles", "id": aid, "change": "removed", "reason": UNLICENSED_REASON} for aid in left_out]


def undeclared(changes: Changes, declared) -> list[str]:
    """One line a removal or split move with no declared reason."""
    reasons = _Reasons(changes, declared)
    problems = []
    for kind in KINDS:
        for rid in changes.kinds[kind].removed:
            if not reasons.of(kind, rid):
                problems.append(f"{kind} [{rid}]: removed since the previous release, not declared in {DECLARED_FILE}")
    for aid, (a, b) in sorted(changes.moved.items()):
        if not reasons.of("articles", aid, "moved", b):
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
    reasons = _Reasons(changes, declared)
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
            why = reasons.of(k, rid)
            lines.append(f"{bullet}removed: `{rid}`" + (f" ({why})" if why else " (undeclared)"))
        for rid, fields in c.changed.items():
            lines.append(f"{bullet}changed: `{rid}` ({', '.join(fields)})")
    if changes.moved:
        lines.append("")
        lines.append("### split moves" if markdown else "moved:")
        for aid, (a, b) in sorted(changes.moved.items()):
            why = reasons.of("articles", aid, "moved", b)
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
