"""Every level over tables in memory: level 1, the JSON Schema (schema.py), gates levels 2 to 4 (integrity.py,
consistency.py, corpus.py), which see only the rows that passed it. A check is found by its id in the
module of its level (findings.CHECKS gives the level)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

from ..contract import TABLES, Contract
from ..findings import ERROR, Finding, sort_findings
from . import consistency, corpus, integrity
from .pieces import DECODED_AFTER_L1
from .schema import compile_table
from .views import Corpus

RUNS = integrity.RUNS + consistency.RUNS + corpus.RUNS  # the checks of levels 2 to 4, in the order they run


@dataclass
class Report:
    findings: list
    counts: dict = field(default_factory=dict)  # table -> rows read
    skipped_levels: bool = False
    method: str = "in memory"  # how the rows were read and partitioned (validate_partitioned)

    @property
    def errors(self) -> list:
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def warnings(self) -> list:
        return [f for f in self.findings if f.severity != ERROR]

    @property
    def ok(self) -> bool:
        return not self.errors


def check_tables(contract: Contract, tables: dict) -> Report:
    """All checks over in-memory tables (already of the contract's Arrow schemas)."""
    findings, _ = check_all_levels(contract, tables)
    return Report(sort_findings(findings))


def check_all_levels(contract: Contract, tables: dict, local: bool = False) -> tuple[list, "Corpus"]:
    """Level 1 findings, then levels 2 to 4 over the rows that passed level 1; and the Corpus checked.
    With local=True (a partition of the corpus) the corpus-wide checks are left out."""
    findings: list[Finding] = []
    clean, excluded = {}, {}
    for table in TABLES:
        data = tables[table]
        found, bad = compile_table(table, contract.schemas[table]).check(data)
        findings += found
        data = _decoded(data)
        clean[table] = data.filter(pa.array(~bad)) if bad.any() else data
        excluded[table] = data.filter(pa.array(bad)) if bad.any() else data.slice(0, 0)
    c = Corpus(contract, clean, excluded, local=local)
    for check in RUNS:
        findings += check(c)
    return findings, c


def _decoded(data: pa.Table) -> pa.Table:
    """`data` with the DECODED_AFTER_L1 columns that were read as dictionaries made plain again."""
    for name in DECODED_AFTER_L1:
        i = data.schema.get_field_index(name)
        if i >= 0 and pa.types.is_dictionary(data.schema.field(i).type):
            plain = data.schema.field(i).type.value_type
            data = data.set_column(i, data.schema.field(i).with_type(plain), data.column(i).cast(plain))
    return data
