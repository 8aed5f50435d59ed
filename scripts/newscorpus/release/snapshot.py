"""Snapshots of a corpus or a release for `newscorpus release diff` and the build's changelog.

A side of a diff is a release folder (one with croissant.json), a corpus root (a folder with
schema/ontology.json: its current tables) or a git revision of the corpus the command runs in (resolve).
Each is reduced to the same snapshot: for articles, entities, mentions, events and claims, an Arrow table
of the released records, one row an id (gold only, provenance left out, labels as names, an article with
its split, an entity with the ids of its mentions). Nothing is turned into Python objects but the ids
that end up in a diff.
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

from ..store import storage
from ..store.versions import annotated_ids
from ..errors import InputError, SetupError

KINDS = ("articles", "entities", "mentions", "events", "claims")
PROVENANCE = ("status", "annotator", "origin", "source_ref", "updated_at")


@dataclass
class Snapshot:
    """kind -> Arrow table (`id` + one column a field; labels as names; articles with their `split`, entities
    with the ids of their mentions). Where an id repeats, the diff takes its last row (as a dict filled row by
    row would)."""

    tables: dict
    left_out: list = field(default_factory=list)  # annotated articles left out for their unknown license
    counts: dict | None = None  # kind -> how many ids, where they are known to be unique (not counted again)

    def __getitem__(self, kind: str) -> pa.Table:
        return self.tables[kind]

    def ids(self, kind: str) -> list:
        """The ids of a kind, each once, sorted (Arrow sorts strings by code point, as Python does)."""
        return sorted_ids(pc.unique(self.tables[kind]["id"]))

    def id_list(self, kind: str) -> "IdList":
        """ids(kind) as an IdList: counted now, read again (from the snapshot's tables) only when listed."""
        return IdList(lambda: _sorted_unique(self.tables[kind]["id"]), (self.counts or {}).get(kind))


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

    def __init__(self, ids, length: int | None = None):
        self._source = ids
        self._len = len(ids()) if length is None else length

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


def sorted_ids(ids) -> list:
    return pc.take(ids, pc.sort_indices(ids)).to_pylist() if len(ids) else []


def np_bool(arr) -> np.ndarray:
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
        snap.left_out = sorted_ids(pc.filter(unlicensed, pc.is_in(unlicensed, value_set=gold_aids)))
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


def snapshot_release_ids(folder: Path, counts: dict | None = None) -> Snapshot:
    """The ids of a built release folder, all a diff against no previous release needs (a kind at a time,
    when the diff asks for it). `counts` (kind -> rows) is given by a build that wrote the folder from a
    corpus that validates, whose ids are unique in each kind: its ids are then read only when listed."""
    return Snapshot(_ReleaseKinds(Path(folder), ids_only=True), counts=counts)


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
