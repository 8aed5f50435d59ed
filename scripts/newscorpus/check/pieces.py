"""The pieces a large corpus is checked in, and how they are read.

Every row belongs to an article (articles: id; annotations: article_id, or the article part of its id if
article_id is null: article_keys). A piece holds every row of its articles: a group of shards aligned by
article (aligned_groups), read straight from the corpus, or, where the shards are not aligned, a hash
file the rows were first spilled to (spill: partition crc32(article) % files). A piece is split in memory
into partitions of about PARTITION_BYTES (split_piece), each checked on its own.
"""

from __future__ import annotations

import bisect
import contextlib
import math
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..contract import SCHEMA_VERSION_KEY, TABLES, Contract, check_data_version
from ..errors import StorageError, first_line
from ..findings import Finding
from ..store import storage
from ..store.flat import column as _col, numpy_of as _np
from ..store.remote import RemoteCorpus, RemoteFile

SMALL_CORPUS_BYTES = 8 << 20  # Parquet bytes up to which a corpus is checked in memory, at once
PARTITION_BYTES = 4 << 20  # Parquet bytes checked at once (about 2,500 articles of 50 annotation rows): small
# pieces keep the hash tables of the checks in the CPU caches, and peak memory low
SPILL_SPLIT = 4  # partitions a spilled file holds (each is checked on its own)
GROUP_BYTES = 64 << 20  # Parquet bytes of aligned shards read at once, at most
SPILL_OPTIONS = dict(compression="lz4", use_dictionary=True, write_statistics=False)


def corpus_files(root, table: str) -> list:
    """The Parquet files of a table of a local corpus (Paths) or of one on object storage (RemoteFiles)."""
    return root.table_files(table) if isinstance(root, RemoteCorpus) else storage.table_files(root, table)


def file_size(path) -> int:
    return path.size if isinstance(path, RemoteFile) else path.stat().st_size


def parquet_source(path):
    """What pq.ParquetFile reads `path` from: a local path as it is, a remote file opened (a context manager
    either way)."""
    return path.open() if isinstance(path, RemoteFile) else contextlib.nullcontext(path)


def partitions_for(root: Path) -> int:
    """1 (in memory) for a small corpus, else one partition per PARTITION_BYTES of Parquet."""
    size = 0
    for table in TABLES:
        try:
            size += sum(file_size(p) for p in corpus_files(root, table))
        except (StorageError, OSError):
            return 1  # the in-memory path reports it
    return 1 if size <= SMALL_CORPUS_BYTES else max(2, math.ceil(size / PARTITION_BYTES))


@dataclass
class Spilled:
    """A spilled file: rows hashed to `index` of the files, split into `split` partitions in memory."""

    index: int
    split: int


@dataclass
class Group:
    """Aligned shards: the files of each table whose rows belong to the articles lo..hi (one articles shard)."""

    files: dict
    lo: str
    hi: str
    rows: dict
    split: int = 1  # partitions it is split into in memory


def aligned_groups(root: Path, partitions: int) -> list | None:
    """The shards grouped by article, if they are aligned: every shard of every table holds rows whose
    article (articles: id; annotations: article_id, never null) lies within the id range of one articles
    shard, per the Parquet statistics, and the articles shards do not overlap. Shards written by `synth`
    are; so are a corpus's shards cut at the same articles. None otherwise (or if a group is too big to
    read at once, or a statistic is missing): then the rows are spilled."""
    info = {}
    try:
        for table in TABLES:
            info[table] = [_key_range(p, "id" if table == "articles" else "article_id") for p in corpus_files(root, table)]
    except (StorageError, OSError, pa.ArrowException):
        return None
    arts = sorted((r for r in info["articles"] if r is not None and r[3] > 0), key=lambda r: r[1])
    if not arts or any(r is None for t in TABLES for r in info[t]) or any(a[2] >= b[1] for a, b in zip(arts, arts[1:])):
        return None
    groups = [Group({t: [] for t in TABLES}, lo, hi, {t: 0 for t in TABLES}) for _, lo, hi, _, _ in arts]
    sizes = [0] * len(groups)
    starts = [g.lo for g in groups]
    for table in TABLES:
        for path, lo, hi, rows, size in info[table]:
            if rows == 0:
                continue
            i = bisect.bisect_right(starts, lo) - 1
            if i < 0 or hi > groups[i].hi:
                return None
            groups[i].files[table].append(path)
            groups[i].rows[table] += rows
            sizes[i] += size
    if max(sizes) > GROUP_BYTES:
        return None
    total = sum(sizes)
    for g, size in zip(groups, sizes):
        g.split = max(1, math.ceil(partitions * size / total))
    return groups


def _key_range(path: Path, key: str):
    """(path, min, max, rows, bytes) of a Parquet file's `key` column from its statistics; None if a row
    group has no min/max or may hold a null key. Reads only the footer."""
    with parquet_source(path) as source:
        md = pq.ParquetFile(source).metadata
    j = storage.column_chunk_index(md, key)
    lo = hi = None
    for i in range(md.num_row_groups):
        rg = md.row_group(i)
        if rg.num_rows == 0:
            continue
        st = rg.column(j).statistics if j is not None else None
        if st is None or not st.has_min_max or st.null_count is None or st.null_count > 0 or not isinstance(st.min, str):
            return None
        lo = st.min if lo is None else min(lo, st.min)
        hi = st.max if hi is None else max(hi, st.max)
    return (path, lo or "", hi or "", md.num_rows, file_size(path))


def load_piece(contract: Contract, tmp: Path, piece) -> dict:
    kind, where = piece
    if kind == "spill":
        return read_partition(contract, tmp, where.index)
    out = {}
    for table in TABLES:
        schema = contract.arrow_schema(table)
        parts = [data for path in where.files[table] for data in read_rows(path, schema, dictionary=True, threads=False)]
        out[table] = pa.concat_tables(parts) if parts else schema.empty_table()
    return out


def split_piece(tables: dict, parts: int, stride: int, share: tuple = (0, 1)):
    """The tables of a piece in `parts` partitions, each holding every row of its articles; only those p
    with p % share[1] == share[0] are made, one at a time.

    Where every table is sorted by article (as stored shards are), a partition is a range of articles and
    a zero-copy slice of each table. Otherwise the rows are hashed by article; a spilled file holds the
    articles whose hash is its index modulo `stride` (the number of files), so the split uses the hash
    divided by it."""
    if parts <= 1:
        if share[0] == 0:
            yield tables
        return
    keys = {t: article_keys(t, d) for t, d in tables.items()}
    if stride == 1 and all(_is_sorted(k) for k in keys.values()) and len(keys["articles"]):
        arts = keys["articles"]
        cuts = [arts[i * len(arts) // parts] for i in range(1, parts)]
        # the number of (sorted) keys below each cut: a binary search
        bounds = {t: [0, *(bisect.bisect_left(k, c.as_py(), key=pa.StringScalar.as_py) for c in cuts), len(k)] for t, k in keys.items()}
        ordered = tables
    else:
        ordered, bounds = {}, {}
        for t, d in tables.items():  # rows sorted by partition once; each partition is then a slice
            of = partition_of(keys[t], parts, stride)
            ordered[t] = d.take(pa.array(np.argsort(of, kind="stable")))
            bounds[t] = np.concatenate([[0], np.cumsum(np.bincount(of, minlength=parts))]).tolist()
    for p in range(share[0], parts, share[1]):
        yield {t: d.slice(bounds[t][p], bounds[t][p + 1] - bounds[t][p]) for t, d in ordered.items()}


def _is_sorted(keys: pa.Array) -> bool:
    return len(keys) < 2 or bool(_np(pc.less_equal(keys.slice(0, len(keys) - 1), keys.slice(1))).all())


def id_prefix(values: list) -> list:
    return [v.split("/", 1)[0] if v is not None else None for v in values]


def article_keys(table: str, data: pa.Table) -> pa.Array:
    """The article each row belongs to (see above); "" when even that is null."""
    if table == "articles":
        return pc.fill_null(_col(data, "id"), "")
    key = storage.plain(_col(data, "article_id"))  # (a dictionary before level 1, as read)
    if key.null_count:
        ids = _col(data, "id")
        fill = pa.array(id_prefix(ids.filter(pc.is_null(key)).to_pylist()), pa.string())
        key = pc.replace_with_mask(key, pc.is_null(key), fill)
    return pc.fill_null(key, "")


def partition_of(keys: pa.Array, partitions: int, stride: int = 1) -> np.ndarray:
    enc = pc.dictionary_encode(keys)
    part = np.array([zlib.crc32(k.encode("utf-8")) // stride % partitions for k in enc.dictionary.to_pylist()], dtype=np.int64)
    return part[_np(enc.indices)] if len(part) else np.zeros(len(keys), np.int64)


def _spill_path(tmp: Path, table: str, p: int) -> Path:
    return tmp / f"{table}-{p:05d}.parquet"


# Top-level string columns that only the JSON Schema (level 1) looks at, all of them few distinct values:
# read as dictionaries, they are neither decoded into strings nor checked more than once a distinct value.
L1_ONLY_COLUMNS = ("name", "origin", "source_ref", "updated_at", "realis", "polarity", "time", "stance", "topic",
                   "language", "original_language", "translation", "publisher", "author", "published")
# Columns of few distinct values that later levels read too: read as dictionaries as well (Parquet stores
# them so), checked once a distinct value, then decoded for levels 2 to 4; reading and decoding costs less
# than reading them as strings (~6 ms against ~10 ms for 600,000 values).
DECODED_AFTER_L1 = ("article_id", "type", "annotator", "status")


def read_rows(path: Path, schema: pa.Schema, dictionary: bool = False, threads: bool = True):
    """A table file in pieces of bounded size (a row group at a time for a big single file); with
    dictionary=True, the L1_ONLY_COLUMNS and DECODED_AFTER_L1 it has are read as dictionaries. Worker
    processes, already one a core, read with threads=False (Arrow's threads would only add their cost)."""
    pf = remote = None
    try:
        remote = path.open() if isinstance(path, RemoteFile) else None
        source = remote or path
        pf = pq.ParquetFile(source, page_checksum_verification=True)
        as_dictionary = []
        if dictionary:  # only plain string columns the file has: conform() names a missing or mistyped one as in memory
            stored = pf.schema_arrow
            as_dictionary = [f.name for f in schema if f.name in L1_ONLY_COLUMNS + DECODED_AFTER_L1 and pa.types.is_string(f.type)
                             and f.name in stored.names and pa.types.is_string(stored.field(f.name).type)]
            if as_dictionary:
                pf = pq.ParquetFile(source, page_checksum_verification=True, read_dictionary=as_dictionary, metadata=pf.metadata)
        check_data_version(pf.schema_arrow.metadata, (schema.metadata or {}).get(SCHEMA_VERSION_KEY, b"").decode(), str(path))
        if pf.metadata.num_rows <= 1_000_000 or pf.num_row_groups == 1:
            yield storage.conform(pf.read(use_threads=threads), schema, str(path), as_dictionary)
            return
        for i in range(pf.num_row_groups):
            yield storage.conform(pf.read_row_group(i, use_threads=threads), schema, str(path), as_dictionary)
    except (OSError, pa.ArrowException) as exc:
        raise StorageError(f"{path}: unreadable Parquet: {first_line(exc)}") from None
    finally:
        if pf is not None:
            pf.close()
        if remote is not None:
            remote.close()


def spill_rows(root: Path, contract: Contract, partitions: int, tmp: Path) -> tuple[list, dict]:
    """Read every table once and write its rows to their partitions. A table that cannot be read gives
    table-unreadable and no counts (levels 2 to 4 then do not run), as in the in-memory path."""
    findings, counts = [], {}
    for table in TABLES:
        schema = contract.arrow_schema(table)
        rel = storage.relaxed(schema)
        writers: dict = {}
        n = 0
        try:
            for path in corpus_files(root, table):
                for data in read_rows(path, schema):
                    n += data.num_rows
                    part = partition_of(article_keys(table, data), partitions)
                    order = np.argsort(part, kind="stable")
                    sizes = np.bincount(part, minlength=partitions)
                    data = data.take(pa.array(order))
                    start = 0
                    for p in np.flatnonzero(sizes).tolist():
                        if p not in writers:
                            writers[p] = pq.ParquetWriter(_spill_path(tmp, table, p), rel, **SPILL_OPTIONS)
                        writers[p].write_table(data.slice(start, int(sizes[p])))
                        start += int(sizes[p])
            counts[table] = n
        except StorageError as exc:
            path, _, message = str(exc).partition(": ")
            findings.append(Finding("table-unreadable", table, None, None, message or str(exc), path))
        finally:
            for w in writers.values():
                w.close()
    return findings, counts


def read_partition(contract: Contract, tmp: Path, p: int) -> dict:
    out = {}
    for table in TABLES:
        path = _spill_path(tmp, table, p)
        schema = storage.relaxed(contract.arrow_schema(table))
        out[table] = pq.read_table(path, schema=schema) if path.exists() else schema.empty_table()
    return out
