"""The command line: exit codes 0/1/2, one-line errors (never a traceback), JSON findings, textconv."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from newscorpus.cli import main

from conftest import REPO, fixture_records, parquet_rows


def run(*args):
    return CliRunner().invoke(main, list(map(str, args)))


def test_validate_a_valid_corpus_exits_0(fixture_root):
    result = run("validate", fixture_root)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1].startswith("valid: 0 error(s)")


@pytest.mark.corpus
def test_repo_corpus_validates():
    result = run("validate", REPO)
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
def test_validate_corrupted_corpus_exits_1(fixture_root, table, fn, check):
    _corrupt(fixture_root, table, fn)
    result = run("validate", fixture_root, "--format", "json")
    assert result.exit_code == 1
    out = json.loads(result.output)
    assert check in {f["check"] for f in out["findings"]}
    assert out["summary"]["valid"] is False and out["summary"]["method"] == "in memory"


def test_select_and_ignore(fixture_root):
    every = json.loads(run("validate", fixture_root, "--format", "json").output)["findings"]
    assert [(f["check"], f["record"]) for f in every] == [("license-unknown", "fx-unknown")]
    result = run("validate", fixture_root, "--format", "json", "--ignore", "license-unknown")
    assert json.loads(result.output)["findings"] == []
    selected = run("validate", fixture_root, "--format", "json", "--select", "license-unknown")
    assert json.loads(selected.output)["findings"] == every
    assert run("validate", fixture_root, "--select", "no-such-check").exit_code == 2


def test_not_a_corpus_exits_2(tmp_path):
    result = run("validate", tmp_path)
    assert result.exit_code == 2
    assert "not inside a corpus" in result.output


def test_errors_are_one_line_without_traceback(fixture_root, tmp_path):
    """Refused input (a file that cannot be read, bad JSON, an unknown article) exits 1, as README says."""
    missing = run("import", "entities", tmp_path / "nope.jsonl", "--path", fixture_root)
    assert missing.exit_code == 1 and "cannot read" in missing.output and "Traceback" not in missing.output
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1,\n')
    result = run("import", "entities", bad, "--path", fixture_root)
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [f"newscorpus: {bad}:1: invalid JSON: Expecting property name enclosed in double quotes at column 10"]
    unknown = run("show", "no-such-article", "--path", fixture_root)
    assert unknown.exit_code == 1 and unknown.output.strip() == "newscorpus: article 'no-such-article' is not in the corpus"


def shown_ids(output: str) -> dict:
    """The local ids in the first column of each table `show` printed, by table: {"entities": [...], ...}."""
    tables, current = {}, None
    for line in output.splitlines():
        title = re.fullmatch(r"\s*(\d+) (entities|events|claims)\s*", line)
        if title:
            current = tables.setdefault(title[2], [])
            continue
        cell = re.match(r"│ (\S+) +│", line)
        if current is not None and cell:
            current.append(cell[1])
    return tables


def gold_of(root, aid: str) -> dict:
    """Local ids of the gold rows of article `aid`, by table, read with pyarrow alone."""
    return {t: sorted(r["id"].rsplit("/", 1)[1] for r in parquet_rows(root, t) if r["article_id"] == aid and r["status"] == "gold")
            for t in ("entities", "events", "claims")}


def show_every_article(root):
    for aid in [a["id"] for a in parquet_rows(root, "articles")]:
        result = CliRunner().invoke(main, ["show", aid, "--path", str(root)], terminal_width=250)
        assert result.exit_code == 0, (aid, result.output)
        expected = gold_of(root, aid)
        for table, ids in expected.items():
            assert f"{len(ids)} {table}" in result.output, (aid, table)
        assert {t: sorted(ids) for t, ids in shown_ids(result.output).items()} == expected, aid


def test_show_renders_every_annotation(fixture_root):
    show_every_article(fixture_root)
    out = CliRunner().invoke(main, ["show", "fx-meet", "--path", str(fixture_root)], terminal_width=250).output
    assert shown_ids(out) == {"entities": ["E1", "E2", "E3", "E4", "E5"], "events": ["V1", "V2"], "claims": ["C1", "C2"]}


@pytest.mark.corpus
def test_show_renders_every_annotation_of_each_repo_article():
    show_every_article(REPO)


def test_export_and_textconv_agree(fixture_root):
    table = run("export", "claims", "--path", fixture_root)
    file = run("export", "--file", fixture_root / "annotations" / "claims.parquet")
    assert table.exit_code == file.exit_code == 0
    assert table.output == file.output
    rows = [json.loads(line) for line in table.output.splitlines()]
    assert [r["id"] for r in rows] == sorted(c["id"] for c in fixture_records()["claims"])


def test_stats_json(fixture_root):
    result = run("stats", "--path", fixture_root, "--format", "json")
    s = json.loads(result.output)
    assert (s["articles"], s["entities"], s["mentions"], s["events"], s["event_arguments"], s["claims"]) == (3, 13, 14, 4, 10, 3)
    assert s["articles_per_split"] == {"test": 1, "train": 1, "validation": 1}
    assert s["articles_per_license"] == {"CC-BY-4.0": 2, "unknown": 1}
    assert (s["claims_by_author"], s["entities_with_wikidata"], s["candidate_rows"]) == (1, 1, 0)


@pytest.mark.corpus
def test_repo_stats_equal_counts_from_the_parquet():
    s = json.loads(run("stats", "--path", REPO, "--format", "json").output)
    arts = parquet_rows(REPO, "articles")
    gold = {t: [r for r in parquet_rows(REPO, t) if r["status"] == "gold"] for t in ("entities", "events", "claims")}
    assert s["articles"] == len(arts) and s["characters"] == sum(len(a["text"]) for a in arts)
    assert s["articles_per_split"] == dict(Counter(a["split"] for a in arts))
    assert s["articles_per_license"] == dict(Counter(a["license"] for a in arts))
    assert (s["entities"], s["events"], s["claims"]) == tuple(len(gold[t]) for t in ("entities", "events", "claims"))
    assert s["mentions"] == sum(len(e["mentions"]) for e in gold["entities"])
    assert s["entities_per_type"] == dict(Counter(e["type"] for e in gold["entities"]))
    assert s["event_arguments"] == sum(len(v["arguments"]) for v in gold["events"])
    assert s["claims_by_author"] == sum(c["by_author"] for c in gold["claims"])
    total = sum(len(parquet_rows(REPO, t)) for t in ("entities", "events", "claims"))
    assert s["candidate_rows"] == total - sum(len(rows) for rows in gold.values())


def test_checks_doc_is_generated():
    assert (REPO / "docs" / "checks.md").read_text() == run("checks", "--markdown").output


def test_console_script_runs():
    out = subprocess.run([sys.executable, "-m", "newscorpus", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "Example:" in out.stdout


@pytest.mark.corpus
def test_datasheet_figures_are_current(tmp_path):
    import shutil

    from newscorpus.release.card import rewrite_datasheet
    from newscorpus.figures import corpus_stats

    copy = tmp_path / "DATASHEET.md"
    shutil.copy(REPO / "DATASHEET.md", copy)
    assert not rewrite_datasheet(copy, corpus_stats(REPO)), "run: newscorpus release datasheet DATASHEET.md"


def test_export_into_a_closed_pipe_stops_quietly(seed_root):
    proc = subprocess.run(f"{sys.executable} -m newscorpus export entities --path {seed_root} | head -c 10",
                          shell=True, capture_output=True, text=True, executable="/bin/bash")
    assert len(proc.stdout) == 10
    assert proc.stderr == ""


def test_a_finding_line_escapes_control_characters_and_bidi_overrides():
    from newscorpus.findings import Finding

    line = Finding("schema-enum", "entities", "a/E1\x1b[2J", "type", "is 'x\ny' \u202eevil").line()
    assert "\n" not in line and "\x1b" not in line and "\u202e" not in line
    assert line == "entities [a/E1\\x1b[2J] type: error L1 schema-enum: is 'x\\x0ay' \\u202eevil"
