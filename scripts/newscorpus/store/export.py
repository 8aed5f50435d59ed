"""`newscorpus export`: a table (or one Parquet file) as JSONL, one record a line, sorted by id.

Also the git textconv driver: `newscorpus export --file X.parquet` makes a Parquet diff readable.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

from . import storage
from ..contract import Contract, load_contract


def jsonl_lines(records) -> Iterator[str]:
    for rec in records:
        yield json.dumps(rec, ensure_ascii=False, separators=(", ", ": "))


def export_table(root: Path, table: str, contract: Contract | None = None, where: dict | None = None) -> Iterator[str]:
    contract = contract or load_contract(root)
    data = storage.read_table(root, table, contract)
    if data.num_rows:
        data = data.sort_by([("id", "ascending")])
    for rec in data.to_pylist():
        if where and any(rec.get(k) != v for k, v in where.items()):
            continue
        yield from jsonl_lines([rec])


def export_file(path: Path) -> Iterator[str]:
    data = storage.read_file(Path(path))
    if "id" in data.column_names and data.num_rows:
        data = data.sort_by([("id", "ascending")])
    yield from jsonl_lines(data.to_pylist())
