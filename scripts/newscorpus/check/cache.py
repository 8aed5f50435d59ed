"""Incremental validation: the summary of every checked piece kept under a key made of its content.

The result of a piece (of its jobs, partitioned.check_piece: the findings, the article each level 2-4 finding
belongs to, the links between articles, the (wikidata, type) pairs, the text digests, and the (wikidata,
type, id) projection they write) depends on nothing but the bytes of the piece's files, the contract and
the validator's code; not on how the piece is cut into partitions or shared among workers (the tests of
the partitioned path hold the findings to that). The key is the SHA-256 of exactly those: every file of the piece is
hashed in full, never trusted by its name, size or time, so a piece whose bytes did not change cannot hide
a new fault, and one whose bytes changed is checked again. The cross-piece checks are then reduced from
every piece's summary, cached or fresh, as in a full run: the verdict is the same.

Entries are JSON and Arrow files (nothing executable: a cache restored from elsewhere cannot run code), in
folders written whole and renamed into place. An entry that cannot be read is checked again. After a run
the cache holds the entries of that run's pieces only.
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

import pyarrow as pa
import pyarrow.parquet as pq

from ..contract import TABLES, Contract
from ..findings import Finding

FORMAT = 1
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


class PieceCache:
    """The summaries of checked pieces in `folder`, keyed by content (see the module docstring)."""

    def __init__(self, folder: Path, contract: Contract):
        self.folder = Path(folder)
        contract_json = json.dumps({"schemas": contract.schemas, "ontology": contract.ontology}, sort_keys=True, default=str)
        self.salt = hashlib.sha256(f"{FORMAT}\0{_code_digest()}\0{contract_json}".encode()).hexdigest()
        self.used: set[str] = set()
        self.reused = 0
        self.checked = 0

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

    def _entry(self, key: str) -> Path:
        return self.folder / key[:2] / key

    def load(self, key: str, wikidata_file: Path):
        """The cached result of a piece, as the result of one job, its wikidata projection copied to where
        that job would write it; None if there is none or it cannot be read."""
        entry = self._entry(key)
        try:
            meta = json.loads((entry / "result.json").read_text(encoding="utf-8"))
            if meta.get("key") != key:
                return None
            found = [Finding(**f) for f in meta["findings"]]
            pairs = pa.ipc.open_file(entry / "pairs.arrow").read_all()
            digests = pa.ipc.open_file(entry / "digests.arrow").read_all()
            pq.read_metadata(entry / "wikidata.parquet")
            shutil.copyfile(entry / "wikidata.parquet", wikidata_file)
        except (OSError, ValueError, KeyError, TypeError, pa.ArrowException):
            return None
        self.used.add(key)
        self.reused += 1
        return found, meta["keys"], [tuple(e) for e in meta["edges"]], pairs, digests

    def store(self, key: str, results: list, wikidata_files: list[Path]) -> None:
        """Keep the results of a piece's jobs as one, with their wikidata projections."""
        found = [f for r in results for f in r[0]]
        keys = [k for r in results for k in r[1]]
        edges = [e for r in results for e in r[2]]
        pairs = pa.concat_tables([r[3] for r in results])
        digests = pa.concat_tables([r[4] for r in results])
        self.used.add(key)
        self.checked += 1
        entry = self._entry(key)
        if entry.exists():
            return
        entry.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".new-", dir=entry.parent))
        try:
            for name, table in (("pairs.arrow", pairs), ("digests.arrow", digests)):
                with pa.ipc.new_file(tmp / name, table.schema) as w:
                    w.write_table(table)
            pq.write_table(pa.concat_tables([pq.read_table(f) for f in wikidata_files]), tmp / "wikidata.parquet")
            meta = {"key": key, "findings": [asdict(f) for f in found], "keys": keys, "edges": [list(e) for e in edges]}
            (tmp / "result.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, entry)
        except (OSError, pa.ArrowException):
            shutil.rmtree(tmp, ignore_errors=True)  # a cache that cannot be written only costs time

    def prune(self) -> None:
        """Leave only the entries this run used."""
        if not self.folder.is_dir():
            return
        for sub in self.folder.iterdir():
            if sub.is_dir() and len(sub.name) == 2:
                for entry in sub.iterdir():
                    if entry.name not in self.used:
                        shutil.rmtree(entry, ignore_errors=True)
