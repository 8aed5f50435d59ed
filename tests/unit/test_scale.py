"""Scale: the synthetic corpus (scripts/newscorpus/synth.py) and the partitioned validator.

Findings on a generated corpus with injected faults are exactly the injected ones; a clean generated corpus
gives none; and the partitioned, bounded-memory path reports exactly what the in-memory path reports, on
the generated corpus and on every tests/cases/<check-id>/ case.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from newscorpus import storage
from newscorpus.findings import CHECKS
from newscorpus.synth import NOT_INJECTABLE, generate, injectable_checks
from newscorpus.validate import validate_corpus

from test_cases import CASES, VALIDATOR_CHECKS, build_case


def keys(findings):
    return Counter((f.check, f.table, f.record, f.field) for f in findings)


@pytest.fixture(scope="module")
def faulty(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("synth") / "faulty", articles=400, faults=0.25, seed=7, shard_rows=90)


def test_every_injectable_check_is_injected(faulty):
    assert {f["check"] for f in faulty.faults} == set(injectable_checks())
    assert set(injectable_checks()) | set(NOT_INJECTABLE) <= {c.id for c in CHECKS.values() if c.level >= 1}


def test_findings_are_exactly_the_injected_faults(faulty):
    report = validate_corpus(faulty.root, partitions=1)
    assert keys(report.findings) == Counter(faulty.expected)
    manifest = json.loads((faulty.root / "manifest.json").read_text())
    assert len(manifest["faults"]) == len(faulty.faults) == 100


def test_partitioned_path_is_identical(faulty):
    in_memory = validate_corpus(faulty.root, partitions=1)
    for partitions in (2, 5):
        report = validate_corpus(faulty.root, partitions=partitions)
        assert report.findings == in_memory.findings
        assert report.counts == in_memory.counts


def test_clean_corpus_has_no_finding(tmp_path):
    result = generate(tmp_path / "clean", articles=300, seed=3, shard_rows=100)
    assert sorted(p.name for p in storage.table_files(result.root, "entities")) == ["part-00000.parquet", "part-00001.parquet", "part-00002.parquet"]
    assert validate_corpus(result.root, partitions=1).findings == []
    assert validate_corpus(result.root, partitions=3).findings == []


def test_generation_is_deterministic(tmp_path):
    a = generate(tmp_path / "a", articles=120, faults=0.2, seed=11, shard_rows=50)
    b = generate(tmp_path / "b", articles=120, faults=0.2, seed=11, shard_rows=50)
    files = sorted(p.relative_to(a.root) for p in a.root.rglob("*.parquet"))
    assert files and all((a.root / f).read_bytes() == (b.root / f).read_bytes() for f in files)


def test_unreadable_shard(tmp_path):
    result = generate(tmp_path / "broken", articles=100, faults=0.1, seed=5, shard_rows=40, unreadable=True)
    for partitions in (1, 3):
        report = validate_corpus(result.root, partitions=partitions)
        assert keys(report.findings) == Counter(result.expected) and report.skipped_levels


STORED_CASES = [c for c in ["_base", *VALIDATOR_CHECKS] if "import" not in json.loads((CASES / c / "case.json").read_text())]


@pytest.mark.parametrize("case", STORED_CASES)  # an import case stores nothing to validate
def test_cases_partitioned_like_in_memory(case, tmp_path):
    folder = CASES / case
    root = build_case(folder, tmp_path)
    in_memory = validate_corpus(root, partitions=1)
    for partitions in (2, 3):
        report = validate_corpus(root, partitions=partitions)
        assert (report.findings, report.counts, report.skipped_levels) == (in_memory.findings, in_memory.counts, in_memory.skipped_levels)
