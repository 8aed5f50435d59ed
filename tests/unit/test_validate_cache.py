"""Incremental validation (validate --cache): a piece whose content was checked before is taken from the
cache, a changed piece is checked again, and the verdict is always a full run's."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import Counter

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from newscorpus.bench.synth import generate
from newscorpus.check.validate import validate_corpus
from newscorpus.cli import main

from conftest import from_cache


def keys(findings):
    return Counter((f.check, f.table, f.record, f.field) for f in findings)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("cache") / "faulty", articles=400, faults=0.25, seed=7, shard_rows=90)


@pytest.fixture
def corpus(pristine, tmp_path):
    root = tmp_path / "corpus"
    shutil.copytree(pristine.root, root)
    return root


def reused(report) -> tuple[int, int]:
    return from_cache(report.method)


def break_a_mention(root, shard="part-00002.parquet", keep_mtime=False):
    """Give the first mention of the shard's first entity another text than the article's (a
    span-text-mismatch in that piece only); return the entity's id."""
    path = root / "annotations" / "entities" / shard
    stat = path.stat()
    table = pq.read_table(path)
    rows = table.to_pylist()
    rows[0]["mentions"][0]["text"] = "X" + rows[0]["mentions"][0]["text"][1:]
    pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), path)
    if keep_mtime:
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    return rows[0]["id"]


def test_a_second_run_takes_every_piece_from_the_cache(pristine, corpus, tmp_path):
    full = validate_corpus(corpus, partitions=1)
    assert keys(full.findings) == Counter(pristine.expected)
    cold = validate_corpus(corpus, cache=tmp_path / "cache")
    warm = validate_corpus(corpus, cache=tmp_path / "cache")
    assert cold.findings == warm.findings == full.findings and warm.counts == full.counts
    assert reused(cold) == (0, 5) and reused(warm) == (5, 5)


@pytest.mark.parametrize("keep_mtime", [False, True])
def test_a_changed_piece_is_checked_again_and_its_new_fault_found(corpus, tmp_path, keep_mtime):
    """Only the piece whose bytes changed is checked again (a rewrite that keeps the file's modification
    time too: the key is the content), its new fault is found, and the findings are a full run's."""
    validate_corpus(corpus, cache=tmp_path / "cache")
    entity = break_a_mention(corpus, keep_mtime=keep_mtime)
    again = validate_corpus(corpus, cache=tmp_path / "cache")
    full = validate_corpus(corpus, partitions=1)
    assert again.findings == full.findings
    assert ("span-text-mismatch", "entities", entity) in {(f.check, f.table, f.record) for f in again.findings}
    assert reused(again) == (4, 5)
    # the one piece left was shared out between the two workers; it is kept as one piece all the same
    third = validate_corpus(corpus, cache=tmp_path / "cache")
    assert third.findings == full.findings and reused(third) == (5, 5)


def test_an_unreadable_cache_entry_is_checked_again(corpus, tmp_path):
    first = validate_corpus(corpus, cache=tmp_path / "cache")
    for result in (tmp_path / "cache").rglob("result.json"):
        result.write_text("{not json", encoding="utf-8")
        break
    again = validate_corpus(corpus, cache=tmp_path / "cache")
    assert again.findings == first.findings and reused(again) == (4, 5)


def test_another_contract_reuses_nothing(corpus, tmp_path):
    validate_corpus(corpus, cache=tmp_path / "cache")
    path = corpus / "schema" / "articles.schema.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    schema["description"] = str(schema.get("description", "")) + " (edited)"
    path.write_text(json.dumps(schema), encoding="utf-8")
    # a new process, as a CI run is (this one keeps the contract it loaded)
    got = subprocess.run([sys.executable, "-m", "newscorpus", "validate", str(corpus), "--format", "json", "--cache", str(tmp_path / "cache")],
                         capture_output=True, text=True)
    assert got.returncode == 1, got.stderr
    assert json.loads(got.stdout)["summary"]["method"].endswith("; 0 of 5 piece(s) from the cache")


def test_the_cache_keeps_only_the_last_run_s_pieces(corpus, tmp_path):
    validate_corpus(corpus, cache=tmp_path / "cache")
    break_a_mention(corpus)
    validate_corpus(corpus, cache=tmp_path / "cache")
    assert len(list((tmp_path / "cache").glob("*/*"))) == 5


def test_cli_cache_option(corpus, tmp_path):
    args = ["validate", str(corpus), "--format", "json", "--cache", str(tmp_path / "cache")]
    first, second = (CliRunner().invoke(main, args) for _ in range(2))
    assert first.exit_code == second.exit_code == 1, first.output
    assert json.loads(first.output)["findings"] == json.loads(second.output)["findings"]
    assert json.loads(second.output)["summary"]["method"].endswith("; 5 of 5 piece(s) from the cache")


def test_spilled_shards_are_not_cached(corpus, tmp_path):
    report = validate_corpus(corpus, partitions=3, spill=True, cache=tmp_path / "cache")
    assert report.method.endswith("the cache is not used (it keeps pieces of aligned shards only)")
    assert report.findings == validate_corpus(corpus, partitions=1).findings
