"""The validator's and the release build's pieces on a real Dask cluster (a LocalCluster of two worker
processes on 127.0.0.1, started by tests/dask_cluster.py and stopped by its process id): the same findings
as in memory, on a corpus with a fault of every injectable check, whether the shards are aligned or
spilled; the same release files, byte for byte, as built by the local processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from distributed import get_task_stream

from newscorpus.bench.synth import generate
from newscorpus.check.runner import DaskRunner
from newscorpus.check.validate import validate_corpus
from newscorpus.release.build import build_release
from newscorpus.cli import main

from conftest import stop

HERE = Path(__file__).resolve().parent


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture(scope="module")
def cluster():
    proc = subprocess.Popen([sys.executable, str(HERE.parent / "dask_cluster.py"), "2"], stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line, "the Dask cluster did not start"
        info = json.loads(line)
        assert info["address"].startswith("tcp://127.0.0.1:") and len(info["workers"]) == 2
        yield info
    finally:
        stop(proc, wait=60)  # it closes its workers
    for pid in info["workers"]:
        if _alive(pid):
            os.kill(pid, 9)
            pytest.fail(f"worker process {pid} outlived its cluster")


@pytest.fixture(scope="module")
def faulty(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("dask") / "faulty", articles=400, faults=0.25, seed=7, shard_rows=90)


class RoundRobin(DaskRunner):
    """Job i on worker i mod 2. Left to the scheduler, one worker may take every job of a small map (it did
    once in CI, for the eight pieces of a release); this runner makes sure both processes check pieces and
    write shards."""

    def submit(self, job, columns):
        workers = sorted(self.client.scheduler_info()["workers"])
        return [self.client.submit(job, *row, workers=[workers[i % len(workers)]], allow_other_workers=False, pure=False)
                for i, row in enumerate(zip(*columns))]


def _check_placement(tasks, job: str, workers: set, kind: type) -> None:
    """`job` ran on the cluster's `workers` (a task stream, read once closed, lists the tasks run by workers),
    and on both of them if `kind` pins the jobs (RoundRobin)."""
    ran = {t["worker"] for t in tasks.data if t["key"].startswith(job)}
    assert ran and ran <= workers, (kind.__name__, job, ran)
    assert kind is DaskRunner or len(ran) == 2, (kind.__name__, job, ran)


def keys(findings):
    return Counter((f.check, f.table, f.record, f.field) for f in findings)


@pytest.mark.parametrize("spill", [False, True])
def test_findings_on_the_cluster_are_the_in_memory_ones(cluster, faulty, spill):
    in_memory = validate_corpus(faulty.root, partitions=1)
    assert keys(in_memory.findings) == Counter(faulty.expected)
    for kind in (DaskRunner, RoundRobin):
        with kind(cluster["address"]) as runner, get_task_stream(client=runner.client) as tasks:
            assert runner.workers == 2
            report = validate_corpus(faulty.root, partitions=6, spill=spill, runner=runner)
            addresses = set(runner.client.scheduler_info()["workers"])
        assert report.findings == in_memory.findings and report.counts == in_memory.counts, kind.__name__
        assert report.method.startswith("spilled" if spill else "aligned shards") and "on the Dask cluster at" in report.method
        _check_placement(tasks, "check_piece", addresses, kind)


def test_the_cache_on_the_cluster(cluster, faulty, tmp_path):
    """validate --cache on the cluster: its workers key, read and write the partitions in the cache folder
    (on the file system they share with the client); a changed piece is checked there again, partition by
    partition, and the findings are the in-memory ones."""
    import re
    import shutil

    from conftest import break_a_mention, from_cache

    root = tmp_path / "corpus"
    shutil.copytree(faulty.root, root)
    cache = tmp_path / "cache"
    with RoundRobin(cluster["address"]) as runner:
        cold = validate_corpus(root, partitions=20, runner=runner, cache=cache)
        entity = break_a_mention(root, "part-00001.parquet")
        warm = validate_corpus(root, partitions=20, runner=runner, cache=cache)
    in_memory = validate_corpus(root, partitions=1)
    assert warm.findings == in_memory.findings and cold.findings == validate_corpus(faulty.root, partitions=1).findings
    assert ("span-text-mismatch", "entities", entity) in {(f.check, f.table, f.record) for f in warm.findings}
    assert from_cache(cold.method) == (0, 5) and from_cache(warm.method) == (4, 5)
    reused, checked = map(int, re.search(r"and (\d+) of the (\d+) partition\(s\)", warm.method).groups())
    assert checked >= 2 and reused == checked - 1, warm.method


def test_unreadable_shard_on_the_cluster(cluster, tmp_path):
    """A job that cannot read its shard fails on the worker; the validator then reports it as in memory."""
    result = generate(tmp_path / "broken", articles=100, faults=0.1, seed=5, shard_rows=40, unreadable=True)
    in_memory = validate_corpus(result.root, partitions=1)
    with DaskRunner(cluster["address"]) as runner:
        report = validate_corpus(result.root, partitions=3, runner=runner)
    assert report.findings == in_memory.findings and report.skipped_levels


def test_cli_scheduler_option_and_environment(cluster, faulty):
    local = CliRunner().invoke(main, ["validate", str(faulty.root), "--format", "json"])
    assert local.exit_code == 1, local.output
    for args, env in ((["--scheduler", cluster["address"]], {}), ([], {"DASK_SCHEDULER_ADDRESS": cluster["address"]})):
        got = CliRunner().invoke(main, ["validate", str(faulty.root), "--format", "json", *args], env=env)
        assert got.exit_code == 1, got.output
        assert json.loads(got.output)["findings"] == json.loads(local.output)["findings"]
        assert "on the Dask cluster at" in json.loads(got.output)["summary"]["method"]


def test_unreachable_scheduler_is_one_line(faulty):
    from newscorpus.studio.server import free_port

    got = CliRunner().invoke(main, ["validate", str(faulty.root), "--scheduler", f"tcp://127.0.0.1:{free_port()}"])
    assert got.exit_code == 2
    assert got.output.count("\n") == 1 and "cannot reach the Dask scheduler at tcp://127.0.0.1:" in got.output, got.output


def _files(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("dask") / "clean", articles=300, seed=11, shard_rows=70).root


def test_release_built_on_the_cluster_is_the_local_one(cluster, clean, tmp_path):
    """Every piece derived and every shard written by the cluster's workers: the same files, byte for byte,
    as the local processes write (several pieces, shards and row groups a split)."""
    limits = dict(piece_articles=40, max_shard_bytes=200_000, max_row_group_bytes=40_000)
    local = build_release(clean, "0.1.0", out=tmp_path / "local", **limits).out
    files = _files(local)
    assert sum("-00001-of-" in rel for rel in files) >= 3
    for kind in (DaskRunner, RoundRobin):
        with kind(cluster["address"]) as runner, get_task_stream(client=runner.client) as tasks:
            remote = build_release(clean, "0.1.0", out=tmp_path / kind.__name__, runner=runner, **limits).out
            addresses = set(runner.client.scheduler_info()["workers"])
        assert files == _files(remote), kind.__name__
        for job in ("derive_piece", "write_shard_job"):
            _check_placement(tasks, job, addresses, kind)


def test_cli_release_build_on_the_cluster(cluster, clean, tmp_path):
    local = tmp_path / "local"
    got = CliRunner().invoke(main, ["release", "build", "--version", "0.1.0", "--path", str(clean), "--out", str(local)])
    assert got.exit_code == 0, got.output
    dask = tmp_path / "dask"
    got = CliRunner().invoke(main, ["release", "build", "--version", "0.1.0", "--path", str(clean), "--out", str(dask)],
                             env={"DASK_SCHEDULER_ADDRESS": cluster["address"]})
    assert got.exit_code == 0, got.output
    assert (dask / "SHA256SUMS").read_text() == (local / "SHA256SUMS").read_text()
