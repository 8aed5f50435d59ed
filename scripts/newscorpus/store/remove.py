"""`newscorpus remove`: take records out of a table, through the validator's gate like every other write.

A removal that would leave a dangling reference (an event argument naming a removed entity, a claim naming
a removed event) is refused with the findings that say which record still refers to it; so is an id that
is not in the table. Nothing is written then. An article is removed with its annotations (all of them, gold
and candidate), or not at all. The git history of the Parquet (with the export textconv) shows what went.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from . import storage
from ..contract import ANNOTATION_TABLES, TABLES, load_contract
from ..errors import InputError
from .importer import apply_changes


@dataclass
class RemoveResult:
    table: str
    removed: dict = field(default_factory=dict)  # table -> ids removed, sorted

    def lines(self) -> list[str]:
        return [f"{t}: {len(ids)} removed ({', '.join(ids[:5])}{', ...' if len(ids) > 5 else ''})"
                for t, ids in self.removed.items() if ids]


def remove(root: Path, table: str, ids: list[str], dry_run: bool = False) -> RemoveResult:
    """Remove the records `ids` of `table` (with an article, its annotations). InputError for an unknown table
    or id; Refused when the corpus without them would have an error it does not have now."""
    if table not in TABLES:
        raise InputError(f"unknown table {table!r}; tables are {', '.join(TABLES)}")
    if not ids:
        raise InputError("give the id(s) of the record(s) to remove")
    root = Path(root)
    contract = load_contract(root)
    with storage.corpus_lock(root):
        tables = storage.all_tables(root, contract)
        wanted = pa.array(ids, pa.string())
        missing = wanted.filter(pc.invert(pc.is_in(wanted, value_set=tables[table]["id"]))).to_pylist()
        if missing:
            raise InputError(f"{table}: no record {missing[0]!r}{f' (and {len(missing) - 1} more)' if len(missing) > 1 else ''}; nothing was removed")
        gone = {table: sorted(set(ids))}
        if table == "articles":
            for t in ANNOTATION_TABLES:
                data = tables[t]
                gone[t] = sorted(set(data.filter(pc.is_in(data["article_id"], value_set=pa.array(gone["articles"], pa.string())))["id"].to_pylist()))
        changes = {t: tables[t].filter(pc.invert(pc.is_in(tables[t]["id"], value_set=pa.array(v, pa.string()))))
                   for t, v in gone.items() if v}
        apply_changes(root, changes, contract, dry_run=dry_run, current=tables)
    return RemoveResult(table, gone)
