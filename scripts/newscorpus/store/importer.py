"""`newscorpus import`: JSONL records validated, merged by id into a table, written atomically.

An import is all or nothing: if any record fails its schema, or the merged corpus would have an error
that the stored corpus does not have, nothing is written and the findings say why.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from . import storage
from ..contract import TABLES, Contract, load_contract
from ..errors import InputError, Refused
from ..findings import Finding
from ..check.schema import record_findings
from ..check.levels import check_tables


@dataclass
class MergeResult:
    table: str
    added: list
    updated: list
    unchanged: int
    written: bool

    def summary(self) -> str:
        return f"{self.table}: {len(self.added)} added, {len(self.updated)} updated, {self.unchanged} unchanged"


def read_utf8(path: Path, hint: str = "") -> str:
    """The text of a file of the user's, or an InputError naming the file (and the line of a byte that is
    not UTF-8, with `hint` after the reason)."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(f"{path}:{line}: not UTF-8 ({exc.reason}){hint}") from None


def read_jsonl(path: Path) -> list[tuple[int, object]]:
    """(line number, parsed value) for each non-blank line; InputError naming file and line otherwise."""
    text = read_utf8(path)
    if text.startswith("\ufeff"):
        raise InputError(f"{path}:1: starts with a byte order mark; save it as UTF-8 without BOM")
    out = []
    for n, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            out.append((n, json.loads(line)))
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}:{n}: invalid JSON: {exc.msg} at column {exc.colno}") from None
    return out


def records_to_table(records: list, table: str, contract: Contract) -> pa.Table:
    """JSON records as a table of the contract's Arrow schema; a field the record leaves out gets its default."""
    return pa.Table.from_pylist([contract.with_defaults(table, r) for r in records], schema=contract.arrow_schema(table))


def check_records(records: list[tuple[int, object]], table: str, contract: Contract, source: str) -> list[Finding]:
    """Schema findings for JSON records, and ids repeated within the input."""
    validator = contract.validators[table]
    findings, seen = [], {}
    for line, rec in records:
        rid = rec.get("id") if isinstance(rec, dict) and isinstance(rec.get("id"), str) else f"line {line}"
        if not (rid.isprintable() and len(rid) <= 200):  # a finding is one printable line: no id with a line break or an escape
            rid = f"line {line}"
        findings += record_findings(validator, table, contract.with_defaults(table, rec), rid, f"{source}:{line}")
        if isinstance(rec, dict) and isinstance(rec.get("id"), str):
            if rec["id"] in seen:
                findings.append(Finding("id-duplicate", table, rec["id"], "id", f"also on line {seen[rec['id']]} of the input", f"{source}:{line}"))
            seen[rec["id"]] = line
    return findings


@dataclass
class TableChange:
    """The ids of the rows added, updated and removed between two versions of a table, and how many rows
    stayed as they were."""

    added: list = field(default_factory=list)
    updated: list = field(default_factory=list)
    removed: list = field(default_factory=list)
    unchanged: int = 0


def table_change(old: pa.Table, new: pa.Table) -> TableChange:
    """What changed from `old` to `new`, row by row, matched by id (ids sorted)."""
    a = {r["id"]: r for r in old.to_pylist()}
    b = {r["id"]: r for r in new.to_pylist()}
    change = TableChange(added=sorted(b.keys() - a.keys()), removed=sorted(a.keys() - b.keys()))
    for rid in a.keys() & b.keys():
        if a[rid] != b[rid]:
            change.updated.append(rid)
        else:
            change.unchanged += 1
    change.updated.sort()
    return change


def merge(current: pa.Table, incoming: pa.Table) -> tuple[pa.Table, list, list, int]:
    """Rows of `incoming` replace rows of `current` with the same id; the others are added. Returns the
    merged table and the ids added, the ids updated (sorted) and how many incoming rows equal the stored ones."""
    inc_ids = incoming["id"].combine_chunks()
    keep = current.filter(pc.invert(pc.is_in(current["id"], value_set=inc_ids)))
    change = table_change(current.filter(pc.is_in(current["id"], value_set=inc_ids)), incoming)
    merged = pa.concat_tables([keep, incoming.cast(current.schema)]) if keep.num_rows else incoming.cast(current.schema)
    return merged, change.added, change.updated, change.unchanged


class ErrorGate:
    """The gate every write passes: a change may not add an error that the stored corpus (`current`, table
    -> its rows) does not already have. The stored corpus is checked once, however many changes are tried."""

    def __init__(self, contract: Contract, current: dict):
        self.contract, self.current = contract, current
        self.before = {f.key() for f in check_tables(contract, current).errors}

    def new_errors(self, changes: dict) -> tuple[list[Finding], object]:
        """(the errors `changes`, table -> full new table, would add; the report of the changed corpus)."""
        after = check_tables(self.contract, {**self.current, **changes})
        return [f for f in after.errors if f.key() not in self.before], after


def apply_changes(root: Path, changes: dict, contract: Contract, dry_run: bool = False, current: dict | None = None) -> list[Finding]:
    """Validate the corpus with `changes` (table -> full new table) applied; write them if that adds no
    error the stored corpus does not already have. Returns the new corpus' findings. Raises Refused.
    `current`: the stored tables, if the caller has read them already under the same lock."""
    current = current if current is not None else storage.all_tables(root, contract)
    new_errors, after = ErrorGate(contract, current).new_errors(changes)
    if new_errors:
        raise Refused(f"refused: the change would add {len(new_errors)} error(s); nothing was written", new_errors)
    if not dry_run:
        storage.write_tables(root, changes, contract)
    return after.findings


def _located(findings: list[Finding], lines: dict, source: str) -> list[Finding]:
    """Findings of the merged corpus about records of this input, given the input's file and line."""
    out = []
    for f in findings:
        line = lines.get(f.record)
        out.append(replace(f, file=f"{source}:{line}") if line and not f.file else f)
    return out


def _input_lines(records: list[tuple[int, object]]) -> dict:
    """Record id (and mention id) -> its line in the input."""
    lines = {}
    for line, rec in records:
        if isinstance(rec, dict):
            if isinstance(rec.get("id"), str):
                lines.setdefault(rec["id"], line)
            for m in rec.get("mentions") or () if isinstance(rec.get("mentions"), list) else ():
                if isinstance(m, dict) and isinstance(m.get("id"), str):
                    lines.setdefault(m["id"], line)
    return lines


def import_file(root: Path, table: str, path: Path, dry_run: bool = False, annotator: str | None = None) -> MergeResult:
    """Import a JSONL file into `table`. Annotation records may give spans by their text (see anchor.py):
    they are anchored to offsets against the stored corpus, under the same lock as the write."""
    root = Path(root)
    if table not in TABLES:
        raise InputError(f"unknown table {table!r}; tables are {', '.join(TABLES)}")
    contract = load_contract(root)
    records = read_jsonl(path)
    if not records:
        raise InputError(f"{path}: no records")
    with storage.corpus_lock(root):
        tables = storage.all_tables(root, contract)
        if table != "articles":
            from .anchor import Anchor

            records, unresolved = Anchor(tables, str(path), annotator=annotator).resolve(table, records)
            if unresolved:
                raise Refused(f"{path}: {len(unresolved)} span(s) could not be anchored; nothing was imported", unresolved)
        findings = check_records(records, table, contract, str(path))
        if findings:
            raise Refused(f"{path}: {len(findings)} record finding(s); nothing was imported", findings)
        incoming = records_to_table([r for _, r in records], table, contract)
        merged, added, updated, same = merge(tables[table], incoming)
        written = bool(added or updated) and not dry_run
        if added or updated:
            try:
                apply_changes(root, {table: merged}, contract, dry_run=dry_run, current=tables)
            except Refused as exc:
                raise Refused(str(exc).replace("refused:", f"{path}: refused:", 1), _located(exc.findings, _input_lines(records), str(path))) from None
    return MergeResult(table, added, updated, same, written)
