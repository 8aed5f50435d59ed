"""The benchmark command runs end to end at a tiny size (it is a script that prints ratios, not a timed
test: nothing here asserts a speed)."""

from __future__ import annotations

import pytest

from newscorpus.bench.scale import _mix_rate, format_result, run


def test_mix_rate_is_rows_over_the_time_they_would_take():
    # 100 articles at 100/s (1 s) and 900 entities at 300/s (3 s): 1000 rows in 4 s
    rates = {"articles": 100.0, "entities": 300.0, "events": 1.0, "claims": 1.0}
    records = {"articles": 100, "entities": 900, "events": 0, "claims": 0}
    assert _mix_rate(rates, records) == pytest.approx(250.0)


def test_bench_runs_on_a_small_corpus(tmp_path):
    r = run(60, tmp_path, sample=40, release=False)
    assert r["validate_findings"] == 0 and r["schema_check"]["findings"] == 0
    assert r["records"]["articles"] == 60 and r["sample_records"] == 160
    assert set(r["records_per_second_by_table"]["jsonschema"]) == {"articles", "entities", "events", "claims"}
    assert all(v > 0 for v in r["records_per_second"].values())
    assert r["validate_method"] == "in memory"  # a tiny corpus is checked at once
    assert len(format_result(r)) == 13 and r["validate_peak_mb"] > 0 and r["validate_seconds_while_sampled"] > 0
    # Dask: a LocalCluster of 1, then 2 workers, each with the local run's findings
    runs = r["distributed"]["runs"]
    assert [run["workers"] for run in runs] == [1, 2] and all(run["digest"] == r["validate_digest"] for run in runs)
    assert all("on the Dask cluster at tcp://127.0.0.1:" in run["method"] and run["worker_peak_mb"] > 0 for run in runs)
    # incremental: 10 articles changed, each a span-text-mismatch, found as by a full run
    inc = r["incremental"]
    assert inc["faults_injected"] == 10 and inc["findings"] == 10 and inc["same_as_full"]
    assert "piece(s) from the cache, and " in inc["method"] and inc["method"].endswith("checked")  # (partitions too)
    assert not any(tmp_path.iterdir())  # the generated corpus is removed


def test_release_build_is_timed_with_its_memory(tmp_path):
    from newscorpus.bench.scale import _release_build, _release_memory
    from newscorpus.bench.synth import generate

    root = generate(tmp_path / "corpus", articles=120, seed=2, shard_rows=50).root
    rel = _release_build(root)
    assert rel["measured"] and rel["seconds"] > 0, rel
    assert rel["peak_mb"] >= rel["largest_process_mb"] > 0
    assert _release_memory(rel).startswith("; peak ")
    assert not (root / "release").exists()  # built into a temporary folder
    # CI's path: validate --cache, then a build that takes every piece's validation from that cache
    from newscorpus.bench.scale import _validate_child

    from conftest import from_cache

    cache = tmp_path / "cache"
    _validate_child(root, sample_memory=False, args=("--cache", str(cache)))
    after = _release_build(root, ("--cache", str(cache)))
    n, m = from_cache(after["validation"])
    assert after["measured"] and n == m > 1, after


def test_add_bench_grows_a_copy_and_leaves_the_corpus_alone(seed_root):
    from newscorpus.bench.scale import add_files, format_add

    before = {p: p.read_bytes() for p in seed_root.rglob("*.parquet")}
    r = add_files(seed_root, 3)
    assert r["files"] == 3 and r["valid"] and r["add_seconds"] > 0 and r["validate_seconds"] > 0
    assert "3 text files" in format_add(r)[0]
    assert {p: p.read_bytes() for p in seed_root.rglob("*.parquet")} == before
