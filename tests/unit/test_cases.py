"""Every check id of the validator has a minimal failing case under tests/cases/<check-id>/ (written by
tests/cases/build_cases.py), and the validator reports exactly the expected findings for that check."""

from __future__ import annotations

import ast
import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from newscorpus.store import storage
from newscorpus.cli import main
from newscorpus.contract import TABLES, load_contract, table_location
from newscorpus.store.anchor import CHECKS as ANCHOR_CHECKS
from newscorpus.findings import CHECKS
from newscorpus.store.retext import CHECKS as RETEXT_CHECKS

from conftest import REPO

CASES = REPO / "tests" / "cases"
VALIDATOR_CHECKS = sorted(c.id for c in CHECKS.values() if c.level >= 1)
IMPORT_CHECKS = sorted(c.id for c in ANCHOR_CHECKS)  # level 0: spans given by text that an import cannot anchor
RETEXT_CHECKS = sorted(c.id for c in RETEXT_CHECKS)  # level 0: spans a text edit cannot move


def build_case(folder: Path, tmp_path: Path) -> Path:
    spec = json.loads((folder / "case.json").read_text())
    root = tmp_path / folder.name
    shutil.copytree(REPO / "schema", root / "schema")
    if "schema_patch" in spec:
        patch = spec["schema_patch"]
        path = root / "schema" / patch["file"]
        doc = json.loads(path.read_text())
        node = doc
        *parents, last = [p for p in patch["pointer"].split("/") if p]
        for p in parents:
            node = node[p]
        node[last] = patch["set"]
        path.write_text(json.dumps(doc))
    contract = load_contract(root)
    for table in TABLES:
        records = [json.loads(line) for line in (folder / f"{table}.jsonl").read_text().splitlines() if line.strip()]
        target = table_location(root, table).with_suffix(".parquet")
        target.parent.mkdir(parents=True, exist_ok=True)
        # written as they are, defects included: this is a corrupted copy, not a corpus the tool would write
        pq.write_table(pa.Table.from_pylist(records, schema=storage.relaxed(contract.arrow_schema(table))), target)
    damage = spec.get("damage", {})
    if "truncate" in damage:
        target = table_location(root, damage["truncate"]).with_suffix(".parquet")
        data = target.read_bytes()
        target.write_bytes(data[: len(data) // 2])
    return root


def findings_of(root: Path) -> tuple[int, list[dict]]:
    result = CliRunner().invoke(main, ["validate", str(root), "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.output)["findings"]


def test_every_check_has_a_case():
    folders = {p.name for p in CASES.iterdir() if p.is_dir()}
    assert set(VALIDATOR_CHECKS + IMPORT_CHECKS + RETEXT_CHECKS) <= folders, sorted(set(VALIDATOR_CHECKS + IMPORT_CHECKS + RETEXT_CHECKS) - folders)


LEVEL_MODULES = {1: {"schema"}, 2: {"integrity"}, 3: {"consistency"}, 4: {"corpus"}}
READERS = {"validate", "pieces"}  # where a table is read, and table-unreadable found


def test_every_check_is_found_in_the_module_of_its_level():
    """A reader finds a check by its id in one file of its level (check/integrity.py for level 2,
    consistency.py for 3, corpus.py for 4, schema.py for 1): no other validator module names it."""
    named: dict = {}
    for path in sorted((REPO / "scripts" / "newscorpus" / "check").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in CHECKS:
                named.setdefault(node.value, set()).add(path.stem)
    for cid, check in CHECKS.items():
        if check.level == 0:
            continue  # the other jobs' checks (conversion) live with their job
        where = READERS if cid == "table-unreadable" else LEVEL_MODULES[check.level]
        assert named.get(cid) and named[cid] <= where, (cid, check.level, named.get(cid))


def test_base_case_is_clean(tmp_path):
    code, findings = findings_of(build_case(CASES / "_base", tmp_path))
    assert (code, findings) == (0, [])


@pytest.mark.parametrize("check", VALIDATOR_CHECKS + IMPORT_CHECKS + RETEXT_CHECKS)
def test_case_reports_its_check(check, tmp_path):
    folder = CASES / check
    spec = json.loads((folder / "case.json").read_text())
    expected = sorted(tuple(x) for x in spec["expect"])
    if "import" in spec or "retext" in spec:
        root = build_case(CASES / "_base", tmp_path)
        before = {p: p.read_bytes() for p in root.rglob("*.parquet")}
        if "import" in spec:
            args = ["import", spec["import"]["table"], str(folder / spec["import"]["file"])]
        else:
            args = ["retext", spec["retext"]["article"], str(folder / spec["retext"]["file"])]
        result = CliRunner().invoke(main, args + ["--path", str(root)])
        assert result.exit_code == 1
        got = sorted({tuple(line.split(" L", 1)[1].split(": ")[0].split(" ")[1:2]) for line in result.output.splitlines() if f" {check}:" in line})
        assert got == [(check,)], result.output
        assert {p: p.read_bytes() for p in root.rglob("*.parquet")} == before  # nothing stored changed
        return
    root = build_case(folder, tmp_path)
    code, findings = findings_of(root)
    got = sorted((f["check"], f["record"], f["field"]) for f in findings if f["check"] == check)
    assert got == expected
    assert code == (1 if CHECKS[check].severity == "error" else 0)
