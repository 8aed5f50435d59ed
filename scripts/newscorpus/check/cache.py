"""Incremental validation: the summary of every checked piece kept under a key made of its content.

The result of a piece (of its jobs, partitioned.check_piece: the findings, the article each level 2-4 finding
belongs to, the links between articles, the (wikidata, type) pairs, the text digests, and the (wikidata,
type, id) projection they write) depends on nothing but the bytes of the piece's files, the contract and
the validator's code; not on how the piece is cut into partitions or shared among workers (the tests of
the partitioned path hold the findings to that). The key is the SHA-256 of exactly those: every file of the piece is
hashed in full, never trusted by its name, size or time, so a piece whose bytes did not change cannot hide
a new fault, and one whose bytes changed is checked again. The cross-piece checks are then reduced from
every piece's summary, cached or fresh, as in a full run: the verdict is the same.

A piece checked again (one of its files changed) is read and cut into its partitions as always, and each
partition is keyed by its own content too: the SHA-256 of its rows of every table, which are what the
checks of a partition are given and all they are given (each column's name and type, where its nulls are,
and its value bytes with offsets made relative: the key of a copy of the rows, whatever the Arrow chunks,
the dictionaries or the bytes around them; the salt as above). A partition checked before is taken from
the cache and only the others are checked, so a change to 10 articles costs the reading of their piece
and the check of the partitions that hold them. (A piece's partitions are ranges of its articles, as many
as its size asks for; the cache remembers how many each piece had, `splits.json`, so that a piece whose
files grew or shrank is cut at the same articles again.) The workers read and write these entries
themselves: the cache folder is on the file system they share with the client, as the run's temporary
folder is. A key that misses where the content is the same only costs a check.

Entries are JSON and Arrow files (nothing executable: a cache restored from elsewhere cannot run code), in
folders written whole and renamed into place. An entry that cannot be read is checked again. After a run
the cache holds the entries of that run's pieces and of their partitions only.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..contract import TABLES, Contract
from ..findings import Finding
from ..store import storage

FORMAT = 2  # 2: the partitions' entries, and a piece's list of them
SPLITS = "splits.json"  # how many partitions each group (of articles lo..hi) was cut into by the last run
_HASH_THREADS = 2  # hashlib lets go of the GIL on large buffers: two threads hash two files at once


def file_digest(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


@functools.lru_cache(maxsize=1)
def _code_digest() -> str:
    """The validator's code: every module of the tool (a piece's findings may change with any of them)."""
    package = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        h.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def _hash_array(h, arr: pa.Array) -> None:
    """Add the values of `arr` to the hash `h`: its type, length, which values are null, and the bytes of
    its values, offsets made relative to its first value; a slice hashes as a copy of it would, whatever
    lies around it in its buffers (which Arrow's IPC writer sends as padding)."""
    t = arr.type
    h.update(f"{t}\0{len(arr)}\0{arr.null_count}\0".encode())
    if arr.null_count:
        h.update(np.flatnonzero(pc.is_null(arr).to_numpy(zero_copy_only=False)).tobytes())
    if pa.types.is_dictionary(t):
        _hash_array(h, arr.dictionary_decode())
    elif pa.types.is_struct(t):
        for child in arr.flatten():
            _hash_array(h, child)
    elif pa.types.is_list(t) or pa.types.is_large_list(t):
        offsets = arr.offsets.to_numpy()
        h.update((offsets - offsets[0]).tobytes())
        _hash_array(h, arr.values.slice(int(offsets[0]), int(offsets[-1] - offsets[0])))
    elif (pa.types.is_string(t) or pa.types.is_large_string(t)) and len(arr):
        offsets = storage.string_offsets(arr)  # (in their own width: hashing 8 bytes an offset costs a quarter more)
        h.update((offsets - offsets[0]).tobytes())
        if arr.buffers()[2] is not None:
            h.update(memoryview(arr.buffers()[2])[int(offsets[0]):int(offsets[-1])])
    elif pa.types.is_boolean(t):
        h.update(arr.fill_null(False).to_numpy(zero_copy_only=False).tobytes())
    elif pa.types.is_null(t) or not len(arr):
        pass
    elif _byte_width(t) and arr.buffers()[1] is not None:  # fixed width: integers, floats, dates, times
        width = _byte_width(t)
        h.update(memoryview(arr.buffers()[1])[arr.offset * width:(arr.offset + len(arr)) * width])
    else:  # (no column of the contract has another type)
        h.update(repr(arr.to_pylist()).encode())


def _byte_width(t: pa.DataType) -> int:
    """Bytes a value of a fixed-width type whose values are whole bytes, else 0."""
    try:
        bits = t.bit_width
    except ValueError:  # not fixed width
        return 0
    return bits // 8 if bits % 8 == 0 else 0


def _articles_of(group) -> str:
    """A group's key in splits.json: the range of its articles."""
    return f"{group.lo}\t{group.hi}"


class PieceCache:
    """The summaries of checked pieces in `folder`, keyed by content (see the module docstring)."""

    def __init__(self, folder: Path, contract: Contract):
        self.folder = Path(folder)
        contract_json = json.dumps({"schemas": contract.schemas, "ontology": contract.ontology}, sort_keys=True, default=str)
        self.salt = hashlib.sha256(f"{FORMAT}\0{_code_digest()}\0{contract_json}".encode()).hexdigest()
        self.used: set[str] = set()
        self.reused = 0
        self.checked = 0
        self.partitions = 0  # of the pieces checked, and how many of those were taken from the cache
        self.partitions_reused = 0

    def keys(self, pieces: list) -> list[str]:
        """The key of every piece ("files", Group) of aligned shards."""
        files = sorted({p for _, group in pieces for t in TABLES for p in group.files[t]})
        with ThreadPoolExecutor(_HASH_THREADS) as pool:
            digest = dict(zip(files, pool.map(file_digest, files)))
        out = []
        for kind, group in pieces:
            parts = [self.salt, kind] + [f"{t}:{digest[p]}" for t in TABLES for p in group.files[t]]
            out.append(hashlib.sha256("\n".join(parts).encode()).hexdigest())
        return out

    def load(self, key: str, wikidata_file: Path):
        """The cached result of a piece, as the result of one job, its wikidata projection copied to where
        that job would write it; None if there is none or it cannot be read."""
        got = self._read(key, lambda entry: shutil.copyfile(entry / "wikidata.parquet", wikidata_file))
        if got is None:
            return None
        meta, found, pairs, digests, _ = got
        self.used.update([key, *meta.get("partitions", ())])  # (its partitions are kept for its next change)
        self.reused += 1
        return found, meta["keys"], [tuple(e) for e in meta["edges"]], pairs, digests, []

    def store(self, key: str, results: list, wikidata_files: list[Path]) -> None:
        """Keep the results of a piece's jobs as one, with their wikidata projections."""
        partitions = [k for r in results for k, _ in r[5]]
        self.used.update([key, *partitions])
        self.checked += 1
        self.partitions += len(partitions)
        self.partitions_reused += sum(hit for r in results for _, hit in r[5])
        self._write(key, [f for r in results for f in r[0]], [k for r in results for k in r[1]], [e for r in results for e in r[2]],
                    pa.concat_tables([r[3] for r in results]), pa.concat_tables([r[4] for r in results]),
                    lambda path: pq.write_table(pa.concat_tables([pq.read_table(f) for f in wikidata_files]), path),
                    partitions=partitions)

    # --- partitions, keyed and looked up by the workers (check_piece) -------------------------------
    def _splits(self) -> dict:
        try:
            splits = json.loads((self.folder / SPLITS).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return splits if isinstance(splits, dict) else {}

    def reuse_splits(self, groups: list) -> None:
        """Cut each group to be checked into as many partitions as the last run cut the group of the same
        articles (lo..hi): its partitions are ranges of articles, so those the change did not touch are the
        same as then. A split is a matter of memory and time only (the findings do not depend on it), and
        one that would more than double or halve is not taken."""
        known = self._splits()
        for g in groups:
            split = known.get(_articles_of(g))
            if isinstance(split, int) and g.split <= 2 * split and split <= 2 * g.split:
                g.split = split

    def keep_splits(self, groups: list, checked: list) -> None:
        """Remember the split of every group of this run: that of the groups just `checked`, and for those
        taken from the cache the split their partitions were made with."""
        splits = {**self._splits(), **{_articles_of(g): g.split for g in checked}}
        splits = {k: splits[k] for k in map(_articles_of, groups) if k in splits}  # this run's groups only
        tmp = None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".splits-", dir=self.folder)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(splits, fh)
            os.replace(tmp, self.folder / SPLITS)
        except OSError:
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)

    def partition_key(self, tables: dict) -> str:
        """The key of a partition: its rows of every table (the table's Arrow schema, then each column's
        values), so that the key does not depend on how the files around the partition cut it into row
        groups or encode its strings (a rewritten shard of the same rows)."""
        h = hashlib.sha256(f"{self.salt}\0partition".encode())
        for table in TABLES:
            data = tables[table]
            h.update(f"\0{table}\0{data.num_rows}\0".encode())
            for field, column in zip(data.schema, data.columns):
                h.update(f"\0{field.name}\0{field.nullable}\0".encode())
                chunks = [c.dictionary_decode() if pa.types.is_dictionary(c.type) else c for c in column.chunks]
                if chunks:
                    _hash_array(h, chunks[0] if len(chunks) == 1 else pa.concat_arrays(chunks))
        return h.hexdigest()

    def load_partition(self, key: str):
        """(findings, their articles, links, pairs, digests, wikidata projection) of a partition checked
        before, or None."""
        got = self._read(key, lambda entry: pq.read_table(entry / "wikidata.parquet"))
        if got is None:
            return None
        meta, found, pairs, digests, wikidata = got
        return found, meta["keys"], [tuple(e) for e in meta["edges"]], pairs, digests, wikidata

    def store_partition(self, key: str, found, keys, edges, pairs: pa.Table, digests: pa.Table, wikidata: pa.Table) -> None:
        self._write(key, found, keys, edges, pairs, digests, lambda path: pq.write_table(wikidata, path))

    # --- entries -----------------------------------------------------------------------------------
    def _entry(self, key: str) -> Path:
        return self.folder / key[:2] / key

    def _read(self, key: str, also):
        """(result.json, its findings, pairs, digests, what `also(entry folder)` returns) of an entry; None if it
        is missing or cannot be read."""
        entry = self._entry(key)
        try:
            meta = json.loads((entry / "result.json").read_text(encoding="utf-8"))
            if meta.get("key") != key:
                return None
            pairs = pa.ipc.open_file(entry / "pairs.arrow").read_all()
            digests = pa.ipc.open_file(entry / "digests.arrow").read_all()
            pq.read_metadata(entry / "wikidata.parquet")
            found = [Finding(**f) for f in meta["findings"]]
            extra = also(entry)
        except (OSError, ValueError, KeyError, TypeError, pa.ArrowException):
            return None
        return meta, found, pairs, digests, extra

    def _write(self, key: str, found, keys, edges, pairs: pa.Table, digests: pa.Table, write_wikidata, partitions=()) -> None:
        entry = self._entry(key)
        if entry.exists():
            return
        tmp = None
        try:
            entry.parent.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=".new-", dir=entry.parent))
            for name, table in (("pairs.arrow", pairs), ("digests.arrow", digests)):
                with pa.ipc.new_file(tmp / name, table.schema) as w:
                    w.write_table(table)
            write_wikidata(tmp / "wikidata.parquet")
            meta = {"key": key, "findings": [asdict(f) for f in found], "keys": keys, "edges": [list(e) for e in edges],
                    "partitions": list(partitions)}
            (tmp / "result.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, entry)
        except (OSError, pa.ArrowException):  # a cache that cannot be written only costs time (another worker may have
            if tmp is not None:                # put the same entry in place first)
                shutil.rmtree(tmp, ignore_errors=True)

    def prune(self) -> None:
        """Leave only the entries this run used."""
        if not self.folder.is_dir():
            return
        for sub in self.folder.iterdir():
            if sub.is_dir() and len(sub.name) == 2:
                for entry in sub.iterdir():
                    if entry.name not in self.used:
                        shutil.rmtree(entry, ignore_errors=True)
