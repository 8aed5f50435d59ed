"""Reading and writing the corpus tables as Parquet: atomic, deterministic, one writer at a time.

A table is either one file (corpus/articles.parquet) or a folder of shards (corpus/articles/*.parquet),
read as one table. Writes go to a temporary file in the same folder, are fsynced, then renamed over the
old file, so a reader sees the old table or the new one, never half of one. A write of several tables is
one transaction: the renames are listed in a journal (.newscorpus.journal) before the first of them, and
a write killed between two renames is finished by the next process that locks or reads the corpus, so
no reader ever sees the new entities with the old events. Pages carry CRC checksums that are verified on
read, so a flipped bit is an unreadable table, not a silently different value. A table written under
another schema version is refused (older: `newscorpus migrate`; newer: the release to install). The same
rows give the same bytes: rows are sorted by id and the writer options are fixed.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import threading
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ..contract import SCHEMA_VERSION_KEY, TABLES, Contract, check_data_version, table_location
from ..errors import StorageError, first_line

WRITE_OPTIONS = dict(
    compression="zstd",
    compression_level=3,
    use_dictionary=True,
    write_statistics=True,
    data_page_size=1 << 20,
    row_group_size=64 * 1024,
    write_page_checksum=True,
)
LOCK_NAME = ".newscorpus.lock"
JOURNAL_NAME = ".newscorpus.journal"
_held = threading.local()  # roots whose exclusive lock this thread holds (a reader inside a writer must not wait for itself)


def table_files(root: Path, table: str) -> list[Path]:
    """The Parquet files of a table: the single file, or the shards of its folder, sorted; [] if none."""
    base = table_location(root, table)
    single = base.with_suffix(".parquet")
    shards = sorted(base.glob("*.parquet")) if base.is_dir() else []
    if single.is_file() and shards:
        raise StorageError(f"{single}: table {table} is stored both as a file and as the folder {base}/; keep one")
    return [single] if single.is_file() else shards


def one_array(values):
    """An Arrow array for a column: its only chunk as it is (ChunkedArray.combine_chunks copies even one
    chunk), the chunks concatenated if there are several."""
    if isinstance(values, pa.ChunkedArray):
        if values.num_chunks == 1:
            return values.chunk(0)
        return values.combine_chunks()
    return values


def empty_lists(n: int, value_type: pa.DataType) -> pa.ListArray:
    """A list column of `n` empty lists (a column added empty, by a migration or a generator)."""
    return pa.ListArray.from_arrays(pa.array(np.zeros(n + 1, np.int32)), pa.array([], value_type))


def plain(values):
    """`values` (an array) with a dictionary array decoded into its value type; other arrays as they are."""
    return values.dictionary_decode() if pa.types.is_dictionary(values.type) else values


def string_offsets(values: pa.Array) -> np.ndarray:
    """The byte offsets of the strings of `values` in its data buffer (len + 1 of them), zero-copy."""
    off = np.frombuffer(values.buffers()[1], dtype=np.int64 if pa.types.is_large_string(values.type) else np.int32)
    return off[values.offset: values.offset + len(values) + 1]


def column_chunk_index(meta, path: str) -> int | None:
    """The index of the column `path` (e.g. "article_id") in the row groups of a Parquet file's metadata,
    for its statistics; None if the file has no such column."""
    if not meta.num_row_groups:
        return None
    first = meta.row_group(0)
    return next((j for j in range(first.num_columns) if first.column(j).path_in_schema == path), None)


def read_file(path: Path, schema: pa.Schema | None = None) -> pa.Table:
    """One Parquet file; StorageError (naming the file) if it is unreadable or not of `schema`."""
    try:
        table = pq.ParquetFile(path, page_checksum_verification=True).read()
    except (OSError, pa.ArrowException) as exc:
        raise StorageError(f"{path}: unreadable Parquet: {first_line(exc)}") from None
    if schema is not None:
        check_data_version(table.schema.metadata, (schema.metadata or {}).get(SCHEMA_VERSION_KEY, b"").decode(), str(path))
        table = conform(table, schema, str(path))
    return table


def conform(table: pa.Table, schema: pa.Schema, where: str, dictionary=()) -> pa.Table:
    """`table` with exactly the columns and types of `schema`, or StorageError saying what differs. The
    columns named in `dictionary`, read as dictionaries of the type the schema wants, are kept so (the
    validator reads some columns so, to check each distinct value once)."""
    names = table.schema.names
    missing = [n for n in schema.names if n not in names]
    extra = [n for n in names if n not in schema.names]
    if missing or extra:
        parts = ([f"missing column(s) {', '.join(missing)}"] if missing else []) + (
            [f"unexpected column(s) {', '.join(extra)}"] if extra else []
        )
        raise StorageError(f"{where}: {'; '.join(parts)}")
    target = relaxed(schema)
    for i, field in enumerate(schema):
        have = table.schema.field(field.name).type
        if field.name in dictionary and pa.types.is_dictionary(have) and have.value_type.equals(field.type):
            target = target.set(i, pa.field(field.name, have, nullable=True))
            continue
        if not have.equals(field.type, check_metadata=False) and not _same_shape(have, field.type):
            raise StorageError(f"{where}: column {field.name} is {have}, the schema wants {field.type}")
    table = table.select(schema.names)
    try:
        return table.cast(target)
    except (pa.ArrowException, ValueError) as exc:
        raise StorageError(f"{where}: cannot read as the schema wants: {first_line(exc)}") from None


def relaxed(schema: pa.Schema) -> pa.Schema:
    """`schema` with every field, nested ones too, nullable: stored nulls are read, and reported by the
    validator (schema-null) record by record instead of failing the whole table."""

    def loosen(t: pa.DataType) -> pa.DataType:
        if pa.types.is_struct(t):
            return pa.struct([pa.field(f.name, loosen(f.type), nullable=True) for f in t])
        if pa.types.is_list(t):
            return pa.list_(pa.field(t.value_field.name, loosen(t.value_type), nullable=True))
        return t

    return pa.schema([pa.field(f.name, loosen(f.type), nullable=True) for f in schema], metadata=schema.metadata)


def _same_shape(a: pa.DataType, b: pa.DataType) -> bool:
    """Equal but for nullability of nested fields (Parquet round trips keep it; other writers may not)."""
    if pa.types.is_struct(a) and pa.types.is_struct(b):
        return [f.name for f in a] == [f.name for f in b] and all(_same_shape(x.type, y.type) for x, y in zip(a, b))
    if pa.types.is_list(a) and pa.types.is_list(b):
        return _same_shape(a.value_type, b.value_type)
    return a.equals(b)


def read_table(root: Path, table: str, contract: Contract) -> pa.Table:
    """The whole table as one Arrow table of the contract's schema (empty if not stored yet)."""
    schema = contract.arrow_schema(table)
    if (Path(root) / JOURNAL_NAME).exists():  # a writer was killed between two renames: finish its write first
        with read_lock(root):
            pass
    files = table_files(root, table)
    if not files:
        return relaxed(schema).empty_table()
    parts = [read_file(p, schema) for p in files]
    return pa.concat_tables(parts) if len(parts) > 1 else parts[0]


def write_table(root: Path, table: str, data: pa.Table, contract: Contract) -> Path:
    """Write the table atomically to its single file, sorted by id. Returns the path written."""
    return write_tables(root, {table: data}, contract)[table]


SHARD_MAX_ROWS = 1_000_000


def write_tables(root: Path, tables: dict, contract: Contract) -> dict:
    """Write several tables as one transaction: every temporary file first (a failure there changes nothing
    stored), then the journal of the renames (and of the shards to delete), then the renames. A table stored
    as one file stays one file; a table stored as a folder of shards is rewritten as shards (sorted by id, at
    least as many shards as before, at most SHARD_MAX_ROWS rows each). The caller holds the corpus lock.
    Returns table -> the paths written."""
    prepared, deletes, written = [], [], {}
    try:
        for name, data in tables.items():
            files = table_files(root, name)
            data = _sorted(data.cast(contract.arrow_schema(name)))
            single = table_location(root, name).with_suffix(".parquet")
            if files and files != [single]:  # a folder of shards
                folder = files[0].parent
                count = max(len(files), -(-data.num_rows // SHARD_MAX_ROWS), 1)
                size = -(-data.num_rows // count) if data.num_rows else 0
                targets = [folder / f"part-{i:05d}.parquet" for i in range(count)]
                parts = [data.slice(i * size, size) if size else data for i in range(count)]
                deletes += [f for f in files if f not in targets]
            else:
                targets, parts = [single], [data]
            for target, part in zip(targets, parts):
                target.parent.mkdir(parents=True, exist_ok=True)
                tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
                prepared.append((tmp, target))
                _write_parquet(tmp, part)
            written[name] = targets[0] if len(targets) == 1 else targets
    except BaseException:
        for tmp, _ in prepared:
            tmp.unlink(missing_ok=True)
        raise
    _commit(Path(root), prepared, deletes)
    return written


def _commit(root: Path, prepared: list, deletes: list = ()) -> None:
    """Rename the fsynced temporary files over their tables, then delete the shards no longer part of them.
    The journal, written whole (temporary file, fsync, rename) before the first rename, is the commit point:
    once it exists the write is finished by recover() whatever happens; it is removed after the last step."""
    if not prepared:
        return
    journal = root / JOURNAL_NAME
    entries = [[tmp.relative_to(root).as_posix(), target.relative_to(root).as_posix()] for tmp, target in prepared]
    gone = [p.relative_to(root).as_posix() for p in deletes]
    _write_durably(journal, json.dumps({"renames": entries, "deletes": gone}).encode())
    _rename_all(root, entries)
    _delete_all(root, gone)
    journal.unlink()
    _fsync_dir(root)


def _delete_all(root: Path, paths: list) -> None:
    for rel in paths:
        (root / rel).unlink(missing_ok=True)
    for folder in sorted({(root / rel).parent for rel in paths}):
        _fsync_dir(folder)


def _rename_all(root: Path, entries: list) -> list[str]:
    done = []
    for tmp, target in entries:
        if (root / tmp).exists():
            os.replace(root / tmp, root / target)
            done.append(target)
    for folder in sorted({(root / target).parent for _, target in entries}):
        _fsync_dir(folder)
    return done


def _write_durably(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise StorageError(f"{path}: cannot write: {exc.strerror or exc}") from None
    _fsync_dir(path.parent)


def recover(root: Path) -> list[str]:
    """Finish the write of a process killed between its renames (the journal names them: roll forward), and
    delete the temporary files of writers killed before their journal (their tables were never replaced).
    The caller holds the exclusive lock. Returns the tables renamed into place."""
    root = Path(root)
    journal = root / JOURNAL_NAME
    done = []
    if journal.is_file():
        try:
            plan = json.loads(journal.read_bytes())
            entries, gone = plan["renames"], plan.get("deletes", [])
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise StorageError(f"{journal}: unreadable ({exc}); a write was cut short: restore corpus/ and annotations/ from git") from None
        done = _rename_all(root, entries)
        _delete_all(root, gone)
        journal.unlink()
        _fsync_dir(root)
    (root / (JOURNAL_NAME + ".tmp")).unlink(missing_ok=True)
    for table in TABLES:
        folder = table_location(root, table).parent
        for debris in folder.glob(f".{table}.parquet.*.tmp") if folder.is_dir() else ():
            debris.unlink(missing_ok=True)
        shards = table_location(root, table)
        for debris in shards.glob(".*.parquet.*.tmp") if shards.is_dir() else ():
            debris.unlink(missing_ok=True)
    return done


def _sorted(data: pa.Table) -> pa.Table:
    if data.num_rows == 0:
        return data
    return data.sort_by([("id", "ascending")])


def _write_parquet(path: Path, data: pa.Table) -> None:
    try:
        with open(path, "wb") as fh:
            pq.write_table(data, fh, **WRITE_OPTIONS)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        path.unlink(missing_ok=True)
        raise StorageError(f"{path}: cannot write: {exc.strerror or exc}") from None


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _flock(fd: int, mode: int, wait: float, path: Path) -> None:
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
            return
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            if time.monotonic() >= deadline:
                raise StorageError(f"{path}: another newscorpus process is writing this corpus; try again when it is done") from None
            time.sleep(0.1)


def _holding() -> set:
    if not hasattr(_held, "roots"):
        _held.roots = set()
    return _held.roots


@contextlib.contextmanager
def corpus_lock(root: Path, wait: float = 30.0):
    """Exclusive lock of the corpus for writers. A lock held by a killed process is released by the
    kernel with its file descriptor, so it never needs cleaning up by hand; what the killed process left
    half-done is finished (recover) as soon as the lock is taken."""
    path = root / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    key = Path(root).resolve()
    try:
        _flock(fd, fcntl.LOCK_EX, wait, path)
        recover(root)
        _holding().add(key)
        try:
            yield
        finally:
            _holding().discard(key)
    finally:
        os.close(fd)


@contextlib.contextmanager
def read_lock(root: Path, wait: float = 30.0):
    """Shared lock for readers of several tables: no writer renames a table while it is held, so they read
    one version of the corpus. A no-op inside this thread's own corpus_lock, and on a corpus it cannot lock
    (read-only)."""
    key = Path(root).resolve()
    path = Path(root) / LOCK_NAME
    if key in _holding():
        yield
        return
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        yield
        return
    try:
        if (Path(root) / JOURNAL_NAME).exists():
            _flock(fd, fcntl.LOCK_EX, wait, path)
            recover(root)
        _flock(fd, fcntl.LOCK_SH, wait, path)
        yield
    finally:
        os.close(fd)


def all_tables(root: Path, contract: Contract) -> dict:
    """Every table, read under the shared lock: one consistent version of the corpus."""
    with read_lock(root):
        return {t: read_table(root, t, contract) for t in TABLES}
