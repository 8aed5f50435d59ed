"""`newscorpus release build`: a folder laid out like a Hub dataset repo, built only from a corpus that
validates.

    README.md                 dataset card: YAML (configs, dataset_info with ClassLabels) + generated prose
    DATASHEET.md              the repo's datasheet with its figures block regenerated from the release
    CHANGELOG.md              annotation-level changes against the previous release (newest first)
    croissant.json            Croissant 1.0 metadata
    SHA256SUMS                sha256 of every other file of the release (sha256sum -c format)
    data/<config>/<split>-NNNNN-of-NNNNN.parquet

Everything is written to a temporary folder beside the target and renamed into place at the end, so a
refused or failed build leaves nothing behind. The same corpus and version give byte-identical data
files: rows are sorted by id, writer options are fixed, and no time stamp is written into them.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ..store import storage
from ..contract import SPLITS, load_contract
from ..errors import InputError, Refused
from ..check.validate import validate_corpus
from .features import CONFIGS, release_schema

SEMVER = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")
MAX_SHARD_BYTES = 500 * 1000 * 1000  # uncompressed Arrow bytes a shard, as push_to_hub cuts them
MAX_ROW_GROUP_BYTES = 100 * 1000 * 1000
PARQUET_OPTIONS = dict(compression="zstd", compression_level=3, use_dictionary=True, write_statistics=True,
                       write_page_index=True, data_page_size=1 << 20)
CHECKSUMS = "SHA256SUMS"
HF_METADATA_KEY = b"huggingface"


def parse_version(version: str) -> tuple[int, int, int]:
    m = SEMVER.match(version or "")
    if not m:
        raise InputError(f"version {version!r} is not X.Y.Z (semantic versioning, no leading v)")
    return tuple(int(x) for x in m.groups())


@dataclass
class BuildResult:
    out: Path
    version: str
    files: dict = field(default_factory=dict)  # relative path -> size
    rows: dict = field(default_factory=dict)  # config -> split -> rows
    previous: Path | None = None
    diff: object = None
    warnings: list = field(default_factory=list)  # the validator's warnings (personal data, unknown licenses, ...)
    left_out: list = field(default_factory=list)  # annotated articles left out because their license is unknown
    included_unlicensed: list = field(default_factory=list)  # ... released anyway (include_unlicensed)


def left_out_line(ids: list, limit: int = 10) -> str:
    """One line saying which annotated articles a build left out for their unknown license."""
    n = len(ids)
    shown = ", ".join(ids[:limit]) + (f" and {n - limit} more" if n > limit else "")
    return (f"left out {n} article{'s' * (n != 1)} whose license is unknown, with all {'their' if n != 1 else 'its'} "
            f"annotations: {shown} (clear the license, or pass --include-unlicensed)")


def _hf_metadata(features) -> bytes:
    """The Features JSON as datasets writes it under the `huggingface` schema metadata key."""
    return json.dumps({"info": {"features": features.to_dict()}}, sort_keys=False).encode()


def _layout(rows: int, nbytes: int, max_shard_bytes: int, max_row_group_bytes: int) -> tuple[int, int, int]:
    """(shards, rows a shard, rows a row group) of a split of `rows` rows and `nbytes` bytes of Arrow data."""
    row_bytes = nbytes / rows if rows else 1
    n_shards = max(1, math.ceil(nbytes / max_shard_bytes)) if rows else 1
    n_shards = min(n_shards, max(rows, 1))
    per_shard = math.ceil(rows / n_shards) if rows else 0
    if rows:  # no empty shard at the end (9 rows in 4 shards of 3 would leave one): datasets cannot read one
        n_shards = math.ceil(rows / per_shard)
    group_rows = max(1, int(max_row_group_bytes // max(row_bytes, 1)))
    return n_shards, per_shard, group_rows


def _shard_path(folder: Path, split: str, i: int, n_shards: int) -> Path:
    return folder / f"{split}-{i:05d}-of-{n_shards:05d}.parquet"


def write_split(table: pa.Table, features, folder: Path, split: str, max_shard_bytes: int = MAX_SHARD_BYTES,
                max_row_group_bytes: int = MAX_ROW_GROUP_BYTES) -> list[Path]:
    """Write one split, given whole, as `<split>-NNNNN-of-NNNNN.parquet` shards of at most about
    max_shard_bytes of Arrow data, row groups of at most about max_row_group_bytes: the SplitWriter of a
    build, fed one piece."""
    size = SplitSize()
    size.add(table)
    writer = SplitWriter(size, features, folder, split, max_shard_bytes, max_row_group_bytes)
    writer.add(table)
    writer.close()
    return [_shard_path(folder, split, i, writer.n_shards) for i in range(writer.n_shards)]


def _value_range(arr: pa.Array) -> tuple[int, int]:
    """The range of values (string bytes, list items) an array of a variable-size type refers to."""
    if not len(arr):
        return 0, 0
    wide = pa.types.is_large_list(arr.type) or pa.types.is_large_string(arr.type) or pa.types.is_large_binary(arr.type)
    offsets = np.frombuffer(arr.buffers()[1], np.int64 if wide else np.int32)
    return int(offsets[arr.offset]), int(offsets[arr.offset + len(arr)])


class ArrowSize:
    """What `nbytes` of the concatenation of the arrays added would be, without concatenating them, counted
    as pyarrow counts it: a validity bitmap if any part has one (but not a struct's own), offsets without
    the last one, values."""

    def __init__(self, type_: pa.DataType):
        self.type = type_
        self.length = 0
        self.validity = False  # whether a part has a validity bitmap
        self.data = 0  # bytes of string values
        if pa.types.is_struct(type_):
            self.children = [ArrowSize(f.type) for f in type_]
        elif pa.types.is_list(type_) or pa.types.is_large_list(type_):
            self.children = [ArrowSize(type_.value_type)]
        else:
            self.children = []

    def add(self, arr) -> None:
        for chunk in (arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]):
            self._add(chunk)

    def _add(self, arr: pa.Array) -> None:
        t = self.type
        self.length += len(arr)
        self.validity |= arr.buffers()[0] is not None
        if pa.types.is_struct(t):
            for i, child in enumerate(self.children):
                child._add(arr.field(i))
        elif self.children:  # a list
            start, end = _value_range(arr)
            self.children[0]._add(arr.values.slice(start, end - start))
        elif pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_binary(t) or pa.types.is_large_binary(t):
            start, end = _value_range(arr)
            self.data += end - start

    @property
    def nbytes(self) -> int:
        t, n = self.type, self.length
        if pa.types.is_struct(t):
            return sum(c.nbytes for c in self.children)
        total = (n + 7) // 8 if self.validity else 0
        wide = pa.types.is_large_list(t) or pa.types.is_large_string(t) or pa.types.is_large_binary(t)
        if self.children:
            return total + (8 if wide else 4) * n + self.children[0].nbytes
        if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_binary(t) or pa.types.is_large_binary(t):
            return total + (8 if wide else 4) * n + self.data
        if pa.types.is_boolean(t):
            return total + (n + 7) // 8
        return total + n * t.bit_width // 8


class SplitSize:
    """Rows and Arrow bytes of one config's split, added up over the pieces it is derived in; `nbytes` is
    what the whole table's would be. Card and Croissant read `num_rows` and `nbytes`, as of a table."""

    def __init__(self):
        self.num_rows = 0
        self.pieces = 0
        self.first_nbytes = 0
        self.template = None  # an empty table of the split's schema
        self.sizes = None
        self.last_id = None

    def add(self, table: pa.Table) -> bool:
        """Count a piece; False if its first id is not after the previous piece's last id (the pieces would
        not be in id order one after the other)."""
        if self.template is None:
            self.template = table.schema.empty_table()  # (a slice would keep the piece's buffers alive)
            self.first_nbytes = table.nbytes
            self.sizes = [ArrowSize(f.type) for f in table.schema]
        self.pieces += 1
        self.num_rows += table.num_rows
        for size, column in zip(self.sizes, table.columns):
            size.add(column)
        if not table.num_rows:
            return True
        first, last = table["id"][0].as_py(), table["id"][-1].as_py()
        in_order = self.last_id is None or first > self.last_id
        self.last_id = last
        return in_order

    @property
    def nbytes(self) -> int:
        return self.first_nbytes if self.pieces == 1 else sum(s.nbytes for s in self.sizes)


class SplitWriter:
    """Writes one config's split given a piece at a time (in row order) into exactly the files, row groups
    and bytes `write_split` writes from the whole table: the layout comes from the split's SplitSize, and
    each row group is written from one contiguous table, as a slice of the whole one would be."""

    def __init__(self, size: SplitSize, features, folder: Path, split: str, max_shard_bytes: int, max_row_group_bytes: int):
        self.size, self.folder, self.split = size, folder, split
        self.metadata = {HF_METADATA_KEY: _hf_metadata(features)}
        self.n_shards, self.per_shard, self.group_rows = _layout(size.num_rows, size.nbytes, max_shard_bytes, max_row_group_bytes)
        self.buffer = None
        self.shard, self.in_shard, self.written = 0, 0, 0
        self.writer = None
        folder.mkdir(parents=True, exist_ok=True)

    def add(self, table: pa.Table) -> None:
        table = table.replace_schema_metadata(self.metadata)
        self.buffer = table if self.buffer is None else pa.concat_tables([self.buffer, table])
        while self.buffer.num_rows:
            shard_rows = min(self.per_shard, self.size.num_rows - self.shard * self.per_shard)
            need = min(self.group_rows, shard_rows - self.in_shard)
            if self.buffer.num_rows < need:
                break
            group = self.buffer.slice(0, need).combine_chunks()
            self.buffer = self.buffer.slice(need)
            if self.writer is None:
                self.writer = pq.ParquetWriter(_shard_path(self.folder, self.split, self.shard, self.n_shards), group.schema,
                                               **PARQUET_OPTIONS)
            self.writer.write_table(group, row_group_size=need)
            self.in_shard += need
            self.written += need
            if self.in_shard == shard_rows:
                self.writer.close()
                self.writer, self.shard, self.in_shard = None, self.shard + 1, 0
        if not self.buffer.num_rows:
            self.buffer = None  # (an empty slice would keep the piece's buffers alive)

    def close(self) -> None:
        """Check every row was written; a split without rows gets its one (empty) shard here."""
        if self.written != self.size.num_rows or self.writer is not None:
            raise RuntimeError(f"{self.folder.name}/{self.split}: {self.written} of {self.size.num_rows} rows written")
        empty = self.size.template.replace_schema_metadata(self.metadata)
        for i in range(self.shard, self.n_shards):
            pq.write_table(empty, _shard_path(self.folder, self.split, i, self.n_shards), row_group_size=1, **PARQUET_OPTIONS)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def release_files(folder: Path) -> list[str]:
    """Every file of a release folder (relative, sorted), SHA256SUMS and hidden files aside."""
    out = []
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder).as_posix()
        if p.is_file() and rel != CHECKSUMS and not any(part.startswith(".") for part in rel.split("/")):
            out.append(rel)
    return out


def write_checksums(folder: Path) -> Path:
    lines = [f"{sha256_file(folder / rel)}  {rel}\n" for rel in release_files(folder)]
    path = folder / CHECKSUMS
    path.write_text("".join(lines), encoding="utf-8")
    return path


def release_version(folder: Path) -> str | None:
    """The version a release folder was built as (from its croissant.json), or None."""
    try:
        return json.loads((Path(folder) / "croissant.json").read_text(encoding="utf-8")).get("version")
    except (OSError, ValueError):
        return None


def latest_release(root: Path, below: str) -> Path | None:
    """The release under root/release/ with the highest version below `below`, or None."""
    base = Path(root) / "release"
    limit = parse_version(below)
    best = None
    for d in base.iterdir() if base.is_dir() else ():
        v = release_version(d) if d.is_dir() and not d.name.startswith(".") else None  # not a build's staging folder
        if v and SEMVER.match(v) and parse_version(v) < limit and (best is None or parse_version(v) > best[0]):
            best = (parse_version(v), d)
    return best[1] if best else None


def build_release(root: Path, version: str, out: Path | None = None, previous: Path | None = None,
                  overwrite: bool = False, max_shard_bytes: int = MAX_SHARD_BYTES,
                  max_row_group_bytes: int = MAX_ROW_GROUP_BYTES, progress=None, piece_articles: int | None = None,
                  include_unlicensed: bool = False) -> BuildResult:
    """Validate the corpus, then write the release of `version` to `out` (default root/release/<version>).
    Articles whose license is `unknown` are left out with all their annotations (BuildResult.left_out, and
    a line of the card) unless `include_unlicensed`.
    Raises Refused (nothing written) on a validation error, an undeclared removal or split move, or when
    every annotated article would be left out.
    The configs are derived `piece_articles` annotated articles at a time (default tables.PIECE_ARTICLES)."""
    say = progress or (lambda msg: None)
    root = Path(root)
    parse_version(version)
    out = Path(out) if out else root / "release" / version
    contract = load_contract(root)
    # the whole build holds the corpus lock: the tables cannot change under it, and two builds of one folder
    # cannot interleave
    with storage.corpus_lock(root):
        recover_output(out)
        if out.exists() and any(out.iterdir()) and not overwrite:
            raise InputError(f"{out}: exists and is not empty; choose another --out or pass --overwrite")
        if previous is None:
            previous = latest_release(root, version)
        elif not (Path(previous) / "croissant.json").is_file():
            raise InputError(f"{previous}: not a release folder (no croissant.json)")
        say("validating the corpus")
        report = validate_corpus(root, contract)
        if not report.ok:
            raise Refused(f"refused: the corpus has {len(report.errors)} validation error(s); nothing was built", report.errors)
        return _build(root, version, out, previous, contract, report, max_shard_bytes, max_row_group_bytes, say, piece_articles,
                      include_unlicensed)


def _measure(root, contract, schema, ranges, exclude=()) -> tuple[dict, object, dict] | None:
    """Derive the configs piece by piece and count them: (config -> split -> SplitSize, the ReleaseFigures,
    the config tables of the only piece if there is one, else None). None if the pieces, one after the
    other, are not in id order."""
    from .card import ReleaseFigures
    from .tables import config_tables, read_piece

    sizes = {c: {} for c in CONFIGS}
    figures = ReleaseFigures(schema)
    ctables = None
    for lo, hi in ranges:
        ctables = config_tables(read_piece(root, contract, lo, hi, exclude), contract, schema)
        for config in CONFIGS:
            for split, table in ctables[config].items():
                if not sizes[config].setdefault(split, SplitSize()).add(table):
                    return None
        figures.add_piece(ctables)
    sizes = {c: {s: sizes[c][s] for s in SPLITS if s in sizes[c]} for c in CONFIGS}
    return sizes, figures, ctables if len(ranges) == 1 else None


def _write_data(stage: Path, schema, sizes: dict, pieces, max_shard_bytes: int, max_row_group_bytes: int) -> dict:
    """Write data/<config>/<split>-*.parquet from the pieces' config tables, in order, each split laid out
    by its counted size; config -> split -> rows written."""
    writers = {c: {s: SplitWriter(size, schema.features(c), stage / "data" / c, s, max_shard_bytes, max_row_group_bytes)
                   for s, size in sizes[c].items()} for c in CONFIGS}
    for ctables in pieces:
        for config in CONFIGS:
            for split, table in ctables[config].items():
                writers[config][split].add(table)
        del ctables
    pa.default_memory_pool().release_unused()  # give the pieces' memory back before the diff asks for more
    rows = {}
    for config in CONFIGS:
        rows[config] = {}
        for split, writer in writers[config].items():
            writer.close()
            rows[config][split] = writer.size.num_rows
    return rows


def _build(root, version, out, previous, contract, report, max_shard_bytes, max_row_group_bytes, say,
           piece_articles=None, include_unlicensed=False) -> BuildResult:
    from ..figures import process_figures
    from . import card, croissant, diff, snapshot
    from .tables import (PIECE_ARTICLES, candidate_rows, config_tables, piece_ranges, read_piece, scan_annotations,
                         unlicensed_articles)

    schema = release_schema(contract)
    say("deriving the configs")
    # the corpus is derived in pieces of articles (twice: once to count each split, whose size decides its
    # shards and row groups, once to write it), so that memory does not grow with the corpus
    scan = scan_annotations(root, contract)
    unlicensed = unlicensed_articles(root, scan.annotated)
    exclude = [] if include_unlicensed else unlicensed
    if exclude and len(exclude) == len(scan.annotated):
        raise Refused(f"refused: every annotated article ({len(exclude)}) has license `unknown`, so the release would be "
                      "empty; clear their licenses (articles.license) or pass --include-unlicensed (nothing was built)")
    gone = set(exclude)
    annotated = [a for a in scan.annotated if a not in gone] if exclude else scan.annotated
    ranges = piece_ranges(annotated, piece_articles or PIECE_ARTICLES)
    measured = _measure(root, contract, schema, ranges, exclude)
    if measured is None:  # annotation ids that do not sort with their articles: the corpus in one piece
        ranges = [(None, None)]
        measured = _measure(root, contract, schema, ranges, exclude)
    sizes, figures, only = measured
    stats = figures.result()
    stats["left_out_unlicensed"] = list(exclude)
    stats.update(process_figures(scan.rows, scan.gold, scan.annotators, candidate_rows(root, contract)))
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = out.parent / f".{out.name}.stage.{os.getpid()}.tmp"
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir()
    try:
        left = set(exclude)  # their license-unknown warnings are said by the one left-out line instead
        warnings = [f for f in report.warnings if not (f.check == "license-unknown" and f.record in left)]
        result = BuildResult(out=out, version=version, previous=Path(previous) if previous else None, warnings=warnings,
                             left_out=list(exclude), included_unlicensed=[] if exclude else list(unlicensed))
        say("writing data/" + ", data/".join(CONFIGS))
        pieces = iter([only]) if only is not None else (config_tables(read_piece(root, contract, lo, hi, exclude), contract, schema)
                                                        for lo, hi in ranges)
        only = None  # the iterator holds the only piece until it is written
        result.rows = _write_data(stage, schema, sizes, pieces, max_shard_bytes, max_row_group_bytes)
        say("diffing against the previous release")
        # the rows just written, read back a config at a time as the diff asks for them (ids only for a first release)
        new_snap = snapshot.snapshot_release(stage) if previous else snapshot.snapshot_release_ids(stage)
        old_snap = snapshot.snapshot_release(previous) if previous else None
        # an article left out for its license is a removal the build itself declares (the card says so too)
        declared = diff.load_declared(root) + diff.left_out_declarations(exclude)
        changes = diff.diff_snapshots(old_snap, new_snap)
        problems = diff.undeclared(changes, declared)
        if problems:
            raise diff.UndeclaredChanges(
                f"refused: {len(problems)} undeclared removal(s) or split move(s) against {previous}; "
                f"declare them in {diff.DECLARED_FILE} (nothing was built)", problems)
        result.diff = changes
        say("writing the card, datasheet, changelog and Croissant metadata")
        (stage / "README.md").write_text(card.render_card(version, schema, sizes, stats, contract), encoding="utf-8")
        (stage / "DATASHEET.md").write_text(card.render_datasheet(root, stats, version), encoding="utf-8")
        old_log = (Path(previous) / "CHANGELOG.md").read_text(encoding="utf-8") if previous else None
        prev_version = release_version(previous) if previous else None
        (stage / "CHANGELOG.md").write_text(diff.render_changelog(version, prev_version, changes, declared, old_log), encoding="utf-8")
        doc = croissant.build_croissant(stage, version, schema, sizes, stats, contract)
        (stage / "croissant.json").write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        write_checksums(stage)
        result.files = {rel: (stage / rel).stat().st_size for rel in [*release_files(stage), CHECKSUMS]}
        _fsync_tree(stage)
        swap_into_place(stage, out)
        changes.new = snapshot.snapshot_release(out) if previous else snapshot.snapshot_release_ids(out)  # not the stage's
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return result


# --- putting a release folder in place, crash-safely -------------------------------------------------------

def _fsync_tree(folder: Path) -> None:
    """fsync every file and folder under `folder` (a rename is only as durable as what it points at)."""
    for p in sorted(folder.rglob("*"), reverse=True) + [folder]:
        fd = os.open(p, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2 RENAME_EXCHANGE); False where the system cannot."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    at_fdcwd, rename_exchange = -100, 2
    return fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


def swap_into_place(stage: Path, out: Path) -> None:
    """Make the finished `stage` folder the release at `out`, so that a reader (or a kill) sees the old release
    or the new one, whole. With an atomic exchange the old one ends up in `stage` and is deleted; without one,
    the old one is first renamed aside (.<name>.old.<pid>.tmp), which recover_output() puts back if a kill
    falls between the two renames."""
    if out.exists() and not any(out.iterdir()):
        out.rmdir()
    if not out.exists():
        os.replace(stage, out)
    elif _exchange(stage, out):
        shutil.rmtree(stage, ignore_errors=True)
    else:
        aside = out.parent / f".{out.name}.old.{os.getpid()}.tmp"
        os.replace(out, aside)
        os.replace(stage, out)
        shutil.rmtree(aside, ignore_errors=True)
    _fsync_dir(out.parent)


def recover_output(out: Path) -> None:
    """Clean up what a build killed half-way left beside `out` (the caller holds the corpus lock): staging
    folders are deleted; a previous release renamed aside is put back if `out` is missing, deleted otherwise."""
    if not out.parent.is_dir():
        return
    for aside in sorted(out.parent.glob(f".{glob_escape(out.name)}.old.*.tmp")):
        if not out.exists() and (aside / CHECKSUMS).is_file():
            os.replace(aside, out)
        else:
            shutil.rmtree(aside, ignore_errors=True)
    for stage in out.parent.glob(f".{glob_escape(out.name)}.stage.*.tmp"):
        shutil.rmtree(stage, ignore_errors=True)


def glob_escape(name: str) -> str:
    import glob

    return glob.escape(name)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
