"""`newscorpus release diff`: what changed, annotation by annotation, between two releases or revisions.

A side of a diff is a release folder (one with croissant.json), a corpus root (a folder with
schema/ontology.json: its current tables) or a git revision of the corpus the command runs in. Each is
reduced to the same snapshot: for articles, entities, mentions, events and claims, an Arrow table of the
released records, one row an id (gold only, provenance left out, labels as names, an article with its
split, an entity with the ids of its mentions). The diff lists ids added, removed and changed (with the
fields that changed), and articles moved to another split. It is columnar: the two sides are joined on
id and compared column by column in Arrow, so only the ids in the diff become Python objects.

Removing a released record, or moving an article to another split, breaks whoever trained or evaluated
on the previous release, so a build refuses it unless it is declared, with a reason, in the corpus'
changes/declared.yaml (see docs/release.md). Declaring an article covers the annotations of that
article; declaring an entity covers its mentions.
"""

from __future__ import annotations

import io
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import yaml

from ..store import storage
from ..store.versions import annotated_ids
from ..contract import SPLITS
from ..errors import InputError, Refused, SetupError

KINDS = ("articles", "entities", "mentions", "events", "claims")
DECLARED_FILE = "changes/declared.yaml"
PROVENANCE = ("status", "annotator", "origin", "source_ref", "updated_at")


class UndeclaredChanges(Refused):
    """A build would remove released records or move articles without a declaration; `problems` lists them."""

    def __init__(self, message, problems):
        super().__init__(message, [])
        self.problems = list(problems)


# --- snapshots ------------------------------------------------------------------------------------
# A snapshot is columnar: kind -> an Arrow table with `id` and one column a released field, one row a record.
# Nothing is turned into Python objects but the ids that end up in the diff.

@dataclass
class Snapshot:
    """kind -> Arrow table (`id` + one column a field; labels as names; articles with their `split`, entities
    with the ids of their mentions). Where an id repeats, the diff takes its last row (as a dict filled row by
    row would)."""

    tables: dict
    left_out: list = field(default_factory=list)  # annotated articles left out for their unknown license

    def __getitem__(self, kind: str) -> pa.Table:
        return self.tables[kind]

    def ids(self, kind: str) -> list:
        """The ids of a kind, each once, sorted (Arrow sorts strings by code point, as Python does)."""
        return _sorted_ids(pc.unique(self.tables[kind]["id"]))

    def id_list(self, kind: str) -> "IdList":
        """ids(kind) as an IdList: counted now, read again (from the snapshot's tables) only when listed."""
        return IdList(lambda: _sorted_unique(self.tables[kind]["id"]))


def _sorted_unique(ids) -> pa.Array:
    """The ids, each once, sorted: sorted first, then told apart from their neighbour (no hash table)."""
    ids = storage.one_array(ids)
    nulls = ids.null_count
    if nulls:
        ids = pc.drop_null(ids)
    if len(ids) > 1:
        ids = pc.take(ids, pc.sort_indices(ids))
        differs = pc.not_equal(ids.slice(1), ids.slice(0, len(ids) - 1))
        if not pc.all(differs).as_py():
            ids = pc.filter(ids, pa.concat_arrays([pa.array([True]), differs]))
    return pa.concat_arrays([ids, pa.nulls(1, ids.type)]) if nulls else ids  # a null id once, last, as unique() and a sort give it


class IdList(Sequence):
    """A sorted list of ids that are not held in memory: a first release lists every id as added, which as
    Python strings would take several times the room of the release. `ids` gives them (sorted, each once)
    as an Arrow array; they are counted once, and read again only when listed. Compares equal to the list
    of the same ids."""

    def __init__(self, ids):
        self._source = ids
        self._len = len(ids())

    def __len__(self) -> int:
        return self._len

    def __getitem__(self, i):
        rows = range(len(self))[i]
        if isinstance(i, slice):
            return pc.take(self._source(), pa.array(rows, pa.int64())).to_pylist() if len(rows) else []
        return self._source()[rows].as_py()

    def __iter__(self):
        ids = self._source()
        for start in range(0, len(ids), 1 << 16):
            yield from ids.slice(start, 1 << 16).to_pylist()

    def __eq__(self, other) -> bool:
        if not isinstance(other, (list, tuple, IdList)):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other))

    def __repr__(self) -> str:
        return f"IdList({self[:3]}{'...' if len(self) > 3 else ''}, {len(self)} ids)"


def _sorted_ids(ids) -> list:
    return pc.take(ids, pc.sort_indices(ids)).to_pylist() if len(ids) else []


def _np_bool(arr) -> np.ndarray:
    return np.asarray(storage.one_array(arr).to_numpy(zero_copy_only=False), dtype=bool)


def _concat(tables: list) -> pa.Table | None:
    tables = [t for t in tables if t is not None]
    if not tables:
        return None
    if len(tables) == 1:
        return tables[0]
    try:
        return pa.concat_tables(tables, promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):  # shards of unrelated schemas
        return _table_of([r for t in tables for r in t.to_pylist()])


def _table_of(records: list) -> pa.Table | None:
    """Records (dicts) as a table of the union of their keys (a missing key is null); None if there are none."""
    if not records:
        return None
    names = list(dict.fromkeys(k for r in records for k in r))
    return pa.table({k: pa.array([r.get(k) for r in records]) for k in names})


def _without_columns(t: pa.Table, names) -> pa.Table:
    return t.drop_columns([n for n in names if n in t.column_names])


def _entities_and_mentions(entities: pa.Table) -> tuple[pa.Table, pa.Table]:
    """Entities with `mentions` as the list of their mention ids (none: an empty list), and the mentions,
    one row each, with their entity's id, article and type."""
    n = entities.num_rows
    if "mentions" not in entities.column_names:
        empty = pa.ListArray.from_arrays(pa.array(np.zeros(n + 1, np.int32)), pa.array([], pa.string()))
        return entities.append_column("mentions", empty), pa.table({"id": pa.array([], pa.string())})
    lists = storage.one_array(entities["mentions"])
    items = pc.list_flatten(lists)
    parents = pc.list_parent_indices(lists)
    names = [f.name for f in items.type]
    children = dict(zip(names, items.flatten()))
    lengths = pc.fill_null(pc.list_value_length(lists), 0).to_numpy(zero_copy_only=False)
    offsets = pa.array(np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64))
    mention_ids = pa.LargeListArray.from_arrays(offsets, children["id"])
    i = entities.column_names.index("mentions")
    entities = entities.set_column(i, pa.field("mentions", mention_ids.type), mention_ids)
    cols = {name: arr for name, arr in children.items()}
    cols["entity_id"] = pc.take(entities["id"], parents)
    cols["article_id"] = pc.take(entities["article_id"], parents)
    cols["entity_type"] = pc.take(entities["type"], parents)
    return entities, pa.table(cols)


def _snapshot(articles: pa.Table | None, annotations: dict) -> Snapshot:
    """The snapshot of released rows: articles (with `split`) and entities, events, claims (provenance out)."""
    out = {}
    ents = annotations.get("entities")
    mentions = None
    if ents is not None:
        ents, mentions = _entities_and_mentions(ents)
    for kind, t in (("articles", articles), ("entities", ents), ("mentions", mentions),
                    ("events", annotations.get("events")), ("claims", annotations.get("claims"))):
        if t is None:
            t = pa.table({"id": pa.array([], pa.large_string())})
        else:  # one id type on every side, for the joins of the diff
            t = t.set_column(t.column_names.index("id"), pa.field("id", pa.large_string()), t["id"].cast(pa.large_string()))
        out[kind] = t
    return Snapshot(out)


def snapshot_tables(articles, entities, events, claims, include_unlicensed: bool = True) -> Snapshot:
    """The snapshot of corpus tables (Arrow, as stored): gold rows of annotated articles; without the
    articles whose license is `unknown` (and their annotations), as a build leaves them out, unless
    `include_unlicensed` (Snapshot.left_out: those of them with a gold annotation)."""
    unlicensed = None
    if not include_unlicensed and articles is not None and articles.num_rows and "license" in articles.column_names:
        unknown = pc.fill_null(pc.equal(storage.plain(storage.one_array(articles["license"])), "unknown"), False)
        if pc.any(unknown).as_py():
            unlicensed = pc.filter(storage.plain(storage.one_array(articles["id"])), unknown).cast(pa.large_string())
            articles = articles.filter(pc.invert(unknown))
    present = {k: t for k, t in (("entities", entities), ("events", events), ("claims", claims))
               if t is not None and t.num_rows and "status" in t.column_names}
    gold = {k: t.filter(pc.equal(t["status"], "gold")) for k, t in present.items()}
    gold_aids = annotated_ids(gold).cast(pa.large_string()) if unlicensed is not None else None
    if unlicensed is not None:
        gold = {k: t.filter(pc.invert(pc.is_in(storage.plain(storage.one_array(t["article_id"])).cast(pa.large_string()),
                                                value_set=unlicensed))) for k, t in gold.items()}
    ann = {k: _without_columns(t, PROVENANCE) for k, t in gold.items() if t.num_rows}
    if articles is not None and articles.num_rows and ann:
        annotated = annotated_ids(gold).cast(pa.large_string())
        articles = articles.filter(pc.is_in(articles["id"].cast(pa.large_string()), value_set=annotated))
        articles = _without_columns(articles, ("source_ref", "updated_at")) if articles.num_rows else None
    else:
        articles = None
    snap = _snapshot(articles, ann)
    if unlicensed is not None and len(gold_aids):
        snap.left_out = _sorted_ids(pc.filter(unlicensed, pc.is_in(unlicensed, value_set=gold_aids)))
    return snap


def snapshot_records(articles, entities, events, claims) -> Snapshot:
    """The snapshot of corpus records (dicts as stored): gold rows of annotated articles."""
    return snapshot_tables(*(_table_of(list(rows)) for rows in (articles, entities, events, claims)))


def _decode(arr, feature):
    """`arr` (a release column: labels as ClassLabel ids) with its labels as names."""
    from datasets import ClassLabel, List

    if not _has_label(feature):
        return arr
    arr = storage.one_array(arr)
    if isinstance(feature, ClassLabel):
        return pc.take(pa.array(feature.names, pa.string()), arr)
    mask = arr.is_null() if arr.null_count else None
    if isinstance(feature, dict):
        children = dict(zip([f.name for f in arr.type], arr.flatten()))
        return pa.StructArray.from_arrays([_decode(children[k], f) for k, f in feature.items()], names=list(feature), mask=mask)
    if isinstance(feature, List):
        offsets = arr.offsets.to_numpy()
        values = arr.values.slice(int(offsets[0]), int(offsets[-1] - offsets[0]))
        offsets = pa.array(offsets - offsets[0])
        cls = pa.LargeListArray if pa.types.is_large_list(arr.type) else pa.ListArray
        return cls.from_arrays(offsets, _decode(values, feature.feature), mask=mask)
    return arr


def _has_label(feature) -> bool:
    from datasets import ClassLabel, List

    if isinstance(feature, ClassLabel):
        return True
    if isinstance(feature, dict):
        return any(_has_label(f) for f in feature.values())
    return isinstance(feature, List) and _has_label(feature.feature)


def _release_rows(table: pa.Table, features) -> pa.Table:
    return pa.table({name: _decode(table[name], features[name]) if name in features else table[name]
                     for name in table.column_names})


def snapshot_config_tables(parts: dict) -> Snapshot:
    """The snapshot of release data: `parts` is config -> a list of (split, table, Features), in the order of
    the release's file names (the articles, entities, events and claims configs)."""
    tables = {}
    for config in ("articles", "entities", "events", "claims"):
        decoded = []
        for split, table, features in parts.get(config, ()):
            rows = _release_rows(table, features)
            if config == "articles":
                rows = rows.append_column("split", pa.array([split] * rows.num_rows, pa.string()))
            decoded.append(rows)
        tables[config] = _concat(decoded)
    return _snapshot(tables["articles"], {k: tables[k] for k in ("entities", "events", "claims")})


def snapshot_built(ctables: dict, schema) -> Snapshot:
    """The snapshot of a release being built, from its config tables (the rows its data files hold)."""
    parts = {}
    for config in ("articles", "entities", "events", "claims"):
        feats = schema.features(config)
        parts[config] = [(split, ctables[config][split], feats) for split in sorted(ctables[config])]
    return snapshot_config_tables(parts)


class _ReleaseKinds(Mapping):
    """kind -> snapshot table of a release folder, read from its data files each time it is asked for, so
    that a diff holds one kind of each side at a time."""

    def __init__(self, folder: Path, ids_only: bool = False):
        self.folder, self.ids_only = folder, ids_only

    def __getitem__(self, kind: str) -> pa.Table:
        if kind not in KINDS:
            raise KeyError(kind)
        if self.ids_only:  # the mentions config has the ids of the entities' mentions
            ids = [c for _, t, _ in _release_parts(self.folder, kind, columns=["id"]) for c in t["id"].chunks]
            return pa.table({"id": pa.chunked_array(ids, pa.string())})
        config = "entities" if kind == "mentions" else kind
        return snapshot_config_tables({config: _release_parts(self.folder, config)})[kind]

    def __iter__(self):
        return iter(KINDS)

    def __len__(self):
        return len(KINDS)


def _release_parts(folder: Path, config: str, columns=None) -> list:
    from datasets import Features

    parts = []
    for path in sorted((folder / "data" / config).glob("*.parquet")):
        table = pq.read_table(path, columns=columns)
        parts.append((path.name.split("-", 1)[0], table, Features.from_arrow_schema(pq.read_schema(path))))
    return parts


def snapshot_release(folder: Path) -> Snapshot:
    """The snapshot of a built release folder, read from its articles, entities, events and claims configs
    (a kind at a time, when the diff asks for it)."""
    folder = Path(folder)
    if not (folder / "data").is_dir():
        raise InputError(f"{folder}: not a release folder (no data/)")
    return Snapshot(_ReleaseKinds(folder))


def snapshot_release_ids(folder: Path) -> Snapshot:
    """The ids of a built release folder, all a diff against no previous release needs (a kind at a time,
    when the diff asks for it)."""
    return Snapshot(_ReleaseKinds(Path(folder), ids_only=True))


def snapshot_corpus(root: Path, include_unlicensed: bool = False) -> Snapshot:
    """The snapshot of the corpus as `release build` would release it (with or without include_unlicensed)."""
    from ..store import storage
    from ..contract import load_contract

    t = storage.all_tables(Path(root), load_contract(root))
    return snapshot_tables(*(t[n] for n in ("articles", "entities", "events", "claims")), include_unlicensed=include_unlicensed)


def _git(root: Path, *args) -> bytes:
    try:
        return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True).stdout
    except FileNotFoundError:
        raise SetupError("git is not installed") from None
    except subprocess.CalledProcessError as exc:
        msg = exc.stderr.decode(errors="replace").strip().splitlines()
        raise InputError(f"git {' '.join(args[:2])}: {msg[-1] if msg else 'failed'}") from None


def snapshot_git(root: Path, rev: str, include_unlicensed: bool = False) -> Snapshot:
    """The snapshot of the corpus tables as committed at git revision `rev` of the repo holding `root`, as
    `release build` would release them."""
    root = Path(root).resolve()
    prefix = _git(root, "rev-parse", "--show-prefix").decode().strip()
    commit = _git(root, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}").decode().strip()
    names = _git(root, "ls-tree", "-r", "--name-only", commit, "--", f"{prefix}corpus", f"{prefix}annotations").decode().splitlines()
    parts = {t: [] for t in ("articles", "entities", "events", "claims")}
    for name in sorted(names):
        rel = name[len(prefix):]
        pieces = rel.split("/")
        if not rel.endswith(".parquet") or len(pieces) not in (2, 3):
            continue
        table = pieces[1].removesuffix(".parquet")
        if table not in parts or (pieces[0] == "corpus") != (table == "articles"):
            continue
        parts[table].append(pq.read_table(io.BytesIO(_git(root, "show", f"{commit}:{name}"))))
    return snapshot_tables(*(_concat(parts[t]) for t in ("articles", "entities", "events", "claims")),
                           include_unlicensed=include_unlicensed)


def resolve(spec: str, root: Path | None, include_unlicensed: bool = False) -> tuple[str, Snapshot]:
    """(label, snapshot) of a diff side: a release folder, a corpus root or a git revision (the corpus sides
    as `release build` would release them: articles of unknown license left out unless include_unlicensed)."""
    p = Path(spec)
    if p.is_dir() and (p / "croissant.json").is_file():
        return f"release {spec}", snapshot_release(p)
    if p.is_dir() and (p / "schema" / "ontology.json").is_file():
        return f"corpus {spec}", snapshot_corpus(p, include_unlicensed)
    if root is None:
        raise InputError(f"{spec}: not a release folder or corpus root, and no corpus here to resolve a git revision in")
    try:
        return f"git {spec}", snapshot_git(root, spec, include_unlicensed)
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
    av, bv = _np_bool(a.is_valid()), _np_bool(b.is_valid())
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
            eq = _np_bool(pc.fill_null(pc.equal(a, b), False))
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
    c = KindChanges(added=_sorted_ids(_rows(new["id"], added)), removed=_sorted_ids(_rows(old["id"], gone)))
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
            differs = _np_bool(_rows(old[name], old_rows_or_all).is_valid())
        else:
            differs = _np_bool(_rows(new[name], new_rows_or_all).is_valid())
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
