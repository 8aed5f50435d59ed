"""The command line: exit codes 0/1/2, one-line errors (never a traceback), JSON findings, textconv."""

from __future__ import annotations

import json
import subprocess
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from newscorpus.cli import main

from conftest import SEED_ARTICLE


def run(*args):
    return CliRunner().invoke(main, list(map(str, args)))


def test_validate_seed_copy_exits_0(seed_root):
    result = run("validate", seed_root)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1].startswith("valid: 0 error(s)")


def _corrupt(root, table, fn):
    path = root / ("corpus" if table == "articles" else "annotations") / f"{table}.parquet"
    data = pq.read_table(path)
    rows = data.to_pylist()
    fn(rows)
    pq.write_table(pa.Table.from_pylist(rows, schema=data.schema), path)


@pytest.mark.parametrize("table, fn, check", [
    ("entities", lambda rows: rows[0]["mentions"][0].update(start=rows[0]["mentions"][0]["start"] + 1), "span-text-mismatch"),
    ("events", lambda rows: rows[0]["arguments"][0].update(role="victim"), "event-role-not-allowed"),
    ("claims", lambda rows: rows[1].update(id=rows[0]["id"]), "id-duplicate"),
    ("articles", lambda rows: rows[0].update(text=rows[0]["text"] + " "), "text-sha256-mismatch"),
    ("entities", lambda rows: rows.pop(0), "entity-ref-unresolved"),
])
def test_validate_corrupted_seed_copy_exits_1(seed_root, table, fn, check):
    _corrupt(seed_root, table, fn)
    result = run("validate", seed_root, "--format", "json")
    assert result.exit_code == 1
    out = json.loads(result.output)
    assert check in {f["check"] for f in out["findings"]}
    assert out["summary"]["valid"] is False and out["summary"]["method"] == "in memory"


def test_select_and_ignore(seed_root):
    result = run("validate", seed_root, "--format", "json", "--ignore", "license-unknown")
    assert json.loads(result.output)["findings"] == []
    assert run("validate", seed_root, "--select", "no-such-check").exit_code == 2


def test_not_a_corpus_exits_2(tmp_path):
    result = run("validate", tmp_path)
    assert result.exit_code == 2
    assert "not inside a corpus" in result.output


def test_errors_are_one_line_without_traceback(seed_root, tmp_path):
    missing = run("import", "entities", tmp_path / "nope.jsonl", "--path", seed_root)
    assert missing.exit_code == 2 and "cannot read" in missing.output and "Traceback" not in missing.output
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1,\n')
    result = run("import", "entities", bad, "--path", seed_root)
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [f"newscorpus: {bad}:1: invalid JSON: Expecting property name enclosed in double quotes at column 10"]
    unknown = run("show", "no-such-article", "--path", seed_root)
    assert unknown.exit_code == 2 and unknown.output.strip() == "newscorpus: article 'no-such-article' is not in the corpus"


def test_show_renders_every_annotation(seed_root):
    result = CliRunner().invoke(main, ["show", SEED_ARTICLE, "--path", str(seed_root)], terminal_width=250)
    assert result.exit_code == 0
    assert "83 entities" in result.output and "50 events" in result.output and "41 claims" in result.output


def test_export_and_textconv_agree(seed_root):
    table = run("export", "claims", "--path", seed_root)
    file = run("export", "--file", seed_root / "annotations" / "claims.parquet")
    assert table.exit_code == file.exit_code == 0
    assert table.output == file.output
    rows = [json.loads(line) for line in table.output.splitlines()]
    assert len(rows) == 41 and rows == sorted(rows, key=lambda r: r["id"])


def test_stats_json(seed_root):
    result = run("stats", "--path", seed_root, "--format", "json")
    s = json.loads(result.output)
    assert (s["articles"], s["entities"], s["events"], s["claims"]) == (1, 83, 50, 41)


def test_checks_doc_is_generated():
    from conftest import REPO

    assert (REPO / "docs" / "checks.md").read_text() == run("checks", "--markdown").output


def test_console_script_runs():
    out = subprocess.run([sys.executable, "-m", "newscorpus.cli", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "Example:" in out.stdout


def test_datasheet_figures_are_current(tmp_path):
    import shutil

    from conftest import REPO
    from newscorpus.release.card import rewrite_datasheet
    from newscorpus.stats import corpus_stats

    copy = tmp_path / "DATASHEET.md"
    shutil.copy(REPO / "DATASHEET.md", copy)
    assert not rewrite_datasheet(copy, corpus_stats(REPO)), "run: newscorpus release datasheet DATASHEET.md"


def test_export_into_a_closed_pipe_stops_quietly(seed_root):
    proc = subprocess.run(f"{sys.executable} -m newscorpus.cli export entities --path {seed_root} | head -c 10",
                          shell=True, capture_output=True, text=True, executable="/bin/bash")
    assert len(proc.stdout) == 10
    assert proc.stderr == ""


def test_a_finding_line_escapes_control_characters_and_bidi_overrides():
    from newscorpus.findings import Finding

    line = Finding("schema-enum", "entities", "a/E1\x1b[2J", "type", "is 'x\ny' \u202eevil").line()
    assert "\n" not in line and "\x1b" not in line and "\u202e" not in line
    assert line == "entities [a/E1\\x1b[2J] type: error L1 schema-enum: is 'x\\x0ay' \\u202eevil"
