"""The data files of a release (data/<config>/<split>-NNNNN-of-NNNNN.parquet), written in parallel by
a runner (check/runner.py: local processes or a Dask cluster), byte for byte the files of each whole
split written at once, however the corpus was cut into pieces and whoever wrote them.

1. derive: each piece of annotated articles (tables.piece_ranges) is read and derived into its config
   tables by one job (derive_piece). The job keeps each (config, split) table of its piece in a temporary
   Arrow IPC file (lz4) and returns only what it counted: the table's SplitSize and the piece's figures.
2. lay out: the sizes, merged in piece order, say each split's shards, rows a shard and rows a row group
   (_layout), as of the whole table; a shard's rows are slices of consecutive pieces (plan_shards).
3. write: each shard is written by one job (write_shard_job) from those slices, a row group at a time.

The jobs' files are under the build's staging folder: the workers of a cluster must see it at the same
path (a shared file system), as they see the corpus.
"""

from __future__ import annotations

import json
import math
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ..contract import SPLITS
from .features import CONFIGS

MAX_SHARD_BYTES = 500 * 1000 * 1000  # uncompressed Arrow bytes a shard, as push_to_hub cuts them
MAX_ROW_GROUP_BYTES = 100 * 1000 * 1000
PARQUET_OPTIONS = dict(compression="zstd", compression_level=3, use_dictionary=True, write_statistics=True,
                       write_page_index=True, data_page_size=1 << 20)
HF_METADATA_KEY = b"huggingface"
KEPT = pa.ipc.IpcWriteOptions(compression="lz4")  # a derived piece's tables, kept between the two passes


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
    the last one, values. Two sizes of the same type merge into the size of both."""

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

    def merge(self, other: "ArrowSize") -> None:
        self.length += other.length
        self.validity |= other.validity
        self.data += other.data
        for mine, theirs in zip(self.children, other.children):
            mine.merge(theirs)

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
    what the whole table's would be. Card and Croissant read `num_rows` and `nbytes`, as of a table. The
    size of each piece, counted where the piece was derived, merges into the split's in piece order."""

    def __init__(self):
        self.num_rows = 0
        self.pieces = 0
        self.first_nbytes = 0
        self.template = None  # an empty table of the split's schema
        self.sizes = None
        self.first_id = self.last_id = None

    def add(self, table: pa.Table) -> bool:
        """Count a piece; False if its first id is not after the previous piece's last id (the pieces would
        not be in id order one after the other)."""
        piece = SplitSize()
        piece.template = table.schema.empty_table()  # (a slice would keep the piece's buffers alive)
        piece.first_nbytes = table.nbytes
        piece.sizes = [ArrowSize(f.type) for f in table.schema]
        piece.pieces, piece.num_rows = 1, table.num_rows
        for size, column in zip(piece.sizes, table.columns):
            size.add(column)
        if table.num_rows:
            piece.first_id, piece.last_id = table["id"][0].as_py(), table["id"][-1].as_py()
        return self.merge(piece)

    def merge(self, other: "SplitSize") -> bool:
        """Count the pieces of `other` after these; False as add()."""
        if other.template is None:
            return True
        if self.template is None:
            self.template, self.first_nbytes, self.sizes = other.template, other.first_nbytes, other.sizes
        else:
            for mine, theirs in zip(self.sizes, other.sizes):
                mine.merge(theirs)
        self.pieces += other.pieces
        self.num_rows += other.num_rows
        if other.first_id is None:
            return True
        in_order = self.last_id is None or other.first_id > self.last_id
        self.first_id = self.first_id if self.first_id is not None else other.first_id
        self.last_id = other.last_id
        return in_order

    @property
    def nbytes(self) -> int:
        return self.first_nbytes if self.pieces == 1 else sum(s.nbytes for s in self.sizes)


def _shard_rows(rows: int, n_shards: int, per_shard: int) -> list[tuple[int, int]]:
    """(first row, rows) of each shard of a split."""
    return [(i * per_shard, min(per_shard, rows - i * per_shard)) for i in range(n_shards)] if rows else [(0, 0)] * n_shards


def write_shard(tables: Iterable[pa.Table], path: Path, rows: int, group_rows: int, schema: pa.Schema) -> None:
    """Write one shard of `rows` rows, given in order as `tables` (their rows exactly), in row groups of
    `group_rows` rows (the last one shorter), each written from one contiguous table; a shard without
    rows is one empty row group. `schema` carries the Features metadata."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not rows:
        pq.write_table(schema.empty_table(), path, row_group_size=1, **PARQUET_OPTIONS)
        return
    buffer, written, writer = None, 0, None
    try:
        for table in tables:
            table = table.replace_schema_metadata(schema.metadata)
            buffer = table if buffer is None else pa.concat_tables([buffer, table])
            while written < rows and buffer.num_rows >= min(group_rows, rows - written):
                need = min(group_rows, rows - written)
                group = buffer.slice(0, need).combine_chunks()
                buffer = buffer.slice(need)
                if writer is None:
                    writer = pq.ParquetWriter(path, group.schema, **PARQUET_OPTIONS)
                writer.write_table(group, row_group_size=need)
                written += need
            if not buffer.num_rows:
                buffer = None  # (an empty slice would keep the piece's buffers alive)
    finally:
        if writer is not None:
            writer.close()
    if written != rows or buffer is not None:
        raise RuntimeError(f"{path}: {written} of {rows} rows written")


def write_split(table: pa.Table, features, folder: Path, split: str, max_shard_bytes: int = MAX_SHARD_BYTES,
                max_row_group_bytes: int = MAX_ROW_GROUP_BYTES) -> list[Path]:
    """Write one split, given whole, as `<split>-NNNNN-of-NNNNN.parquet` shards of at most about
    max_shard_bytes of Arrow data, row groups of at most about max_row_group_bytes."""
    size = SplitSize()
    size.add(table)
    n_shards, per_shard, group_rows = _layout(size.num_rows, size.nbytes, max_shard_bytes, max_row_group_bytes)
    schema = table.schema.with_metadata({HF_METADATA_KEY: _hf_metadata(features)})
    paths = [_shard_path(folder, split, i, n_shards) for i in range(n_shards)]
    for path, (start, rows) in zip(paths, _shard_rows(size.num_rows, n_shards, per_shard)):
        write_shard([table.slice(start, rows)], path, rows, group_rows, schema)
    return paths


# --- the jobs ---------------------------------------------------------------------------------------
def _kept_file(tmp: Path, config: str, split: str, piece: int) -> Path:
    return tmp / f"{config}.{split}.{piece:06d}.arrow"


def derive_piece(root, contract, schema, tmp: Path, piece: int, lo, hi, exclude) -> tuple[dict, object]:
    """Derive the config tables of the annotated articles with lo <= id < hi (but those in `exclude`),
    keep each (config, split) table in tmp, and return ((config, split) -> SplitSize, ReleaseFigures)."""
    from .card import ReleaseFigures
    from .tables import config_tables, read_piece

    ctables = config_tables(read_piece(root, contract, lo, hi, exclude), contract, schema)
    figures = ReleaseFigures(schema)
    figures.add_piece(ctables)
    sizes = {}
    for config in CONFIGS:
        for split, table in ctables[config].items():
            sizes[config, split] = SplitSize()
            sizes[config, split].add(table)
            with pa.OSFile(str(_kept_file(tmp, config, split, piece)), "wb") as sink, \
                    pa.ipc.new_file(sink, table.schema, options=KEPT) as writer:
                writer.write_table(table)
    return sizes, figures


@dataclass(frozen=True)
class ShardJob:
    """One data file to write: shard `index` of `n_shards` of a config's split, `rows` rows made of
    `parts` (piece, first row in the piece, rows), in row groups of `group_rows`."""

    config: str
    split: str
    index: int
    n_shards: int
    rows: int
    group_rows: int
    parts: tuple
    schema: pa.Schema  # the config's Arrow schema, with its Features metadata
    nbytes: int  # about how many bytes of Arrow data (which job is big)


def _read_kept(path: Path) -> pa.Table:
    with pa.OSFile(str(path), "rb") as source:
        return pa.ipc.open_file(source).read_all()


def write_shard_job(stage: Path, tmp: Path, job: ShardJob) -> tuple[str, str]:
    """Write the shard; (its path relative to the stage, its sha256), hashed here while it is in the cache."""
    from .build import sha256_file

    tables = (_read_kept(_kept_file(tmp, job.config, job.split, piece)).slice(start, rows) for piece, start, rows in job.parts)
    path = _shard_path(stage / "data" / job.config, job.split, job.index, job.n_shards)
    write_shard(tables, path, job.rows, job.group_rows, job.schema)
    return path.relative_to(stage).as_posix(), sha256_file(path)


def plan_shards(config: str, split: str, size: SplitSize, piece_rows: list, features, max_shard_bytes: int,
                max_row_group_bytes: int) -> list[ShardJob]:
    """The shards of one config's split, given its merged size and the rows of each piece (in order)."""
    n_shards, per_shard, group_rows = _layout(size.num_rows, size.nbytes, max_shard_bytes, max_row_group_bytes)
    schema = size.template.schema.with_metadata({HF_METADATA_KEY: _hf_metadata(features)})
    bounds = np.concatenate([[0], np.cumsum(piece_rows, dtype=np.int64)])
    jobs = []
    for i, (first, rows) in enumerate(_shard_rows(size.num_rows, n_shards, per_shard)):
        parts = []
        for piece in np.flatnonzero((bounds[:-1] < first + rows) & (bounds[1:] > first)):
            lo, hi = max(first, int(bounds[piece])), min(first + rows, int(bounds[piece + 1]))
            parts.append((int(piece), lo - int(bounds[piece]), hi - lo))
        nbytes = size.nbytes * rows // size.num_rows if size.num_rows else 0
        jobs.append(ShardJob(config, split, i, n_shards, rows, group_rows, tuple(parts), schema, nbytes))
    return jobs


def write_data(root, contract, schema, ranges: list, exclude, stage: Path, runner, max_shard_bytes: int = MAX_SHARD_BYTES,
               max_row_group_bytes: int = MAX_ROW_GROUP_BYTES):
    """Derive the pieces `ranges` and write data/ under `stage` with `runner`: (config -> split -> SplitSize,
    the merged ReleaseFigures, config -> split -> rows written, data file -> its sha256), or None (nothing
    written) if the pieces, one after the other, are not in id order."""
    tmp = stage / ".pieces"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        derived = runner.map(derive_piece, [(root, contract, schema, tmp, i, lo, hi, exclude) for i, (lo, hi) in enumerate(ranges)])
        sizes = {c: {} for c in CONFIGS}
        piece_rows = {c: {} for c in CONFIGS}
        figures = None
        for i, (piece_sizes, piece_figures) in enumerate(derived):
            for (config, split), size in piece_sizes.items():
                if not sizes[config].setdefault(split, SplitSize()).merge(size):
                    return None
                piece_rows[config].setdefault(split, [0] * len(ranges))[i] = size.num_rows
            figures = piece_figures if figures is None else figures.merge(piece_figures)
        sizes = {c: {s: sizes[c][s] for s in SPLITS if s in sizes[c]} for c in CONFIGS}
        jobs = [job for c in CONFIGS for s, size in sizes[c].items()
                for job in plan_shards(c, s, size, piece_rows[c][s], schema.features(c), max_shard_bytes, max_row_group_bytes)]
        jobs.sort(key=lambda j: -j.nbytes)  # the biggest first, so that the workers finish together
        sums = dict(runner.map(write_shard_job, [(stage, tmp, job) for job in jobs]))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    pa.default_memory_pool().release_unused()  # pieces derived in this process: their memory back before the diff
    return sizes, figures, {c: {s: size.num_rows for s, size in sizes[c].items()} for c in CONFIGS}, sums
