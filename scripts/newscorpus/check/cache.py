"""Incremental validation: the summary of every checked piece kept under a key made of its content.

A piece job's result (partitioned.check_piece: the findings, the article each level 2-4 finding belongs to,
the links between articles, the (wikidata, type) pairs, the text digests, and the (wikidata, type, id)
projection it writes) depends on nothing but the bytes of the piece's files, how the piece is split, the
contract and the validator's code. The key is the SHA-256 of exactly those: every file of the piece is
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

    def keys(self, args: list[tuple]) -> list[str]:
        """The key of every job (contract, tmp, index, piece, stride, share) of aligned shards."""
        files = sorted({p for a in args for t in TABLES for p in a[3][1].files[t]})
        with ThreadPoolExecutor(_HASH_THREADS) as pool:
            digest = dict(zip(files, pool.map(file_digest, files)))
        out = []
        for _, _, _, (kind, group), stride, share in args:
            parts = [self.salt, kind, str(group.split), str(stride), f"{share[0]}/{share[1]}"]
            parts += [f"{t}:{digest[p]}" for t in TABLES for p in group.files[t]]
            out.append(hashlib.sha256("\n".join(parts).encode()).hexdigest())
        return out

    def _entry(self, key: str) -> Path:
        return self.folder / key[:2] / key

    def load(self, key: str, wikidata_file: Path):
        """The cached result of a job, its wikidata projection copied to where the job would write it; None
        if there is none or it cannot be read."""
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

    def store(self, key: str, result, wikidata_file: Path) -> None:
        found, keys, edges, pairs, digests = result
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
            shutil.copyfile(wikidata_file, tmp / "wikidata.parquet")
            meta = {"key": key, "findings": [asdict(f) for f in found], "keys": keys, "edges": [list(e) for e in edges]}
            (tmp / "result.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, entry)
        except OSError:
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
