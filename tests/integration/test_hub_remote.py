"""A corpus in a dataset repo of the Hugging Face Hub, read as `hf://datasets/ORG/NAME@REV`: the real
`huggingface_hub.HfFileSystem` talks HTTP to a local server of the Hub's API (tests/hub_server.py, on
127.0.0.1, started as a process and stopped by its process id), which serves one folder a revision. The
findings, figures and release are those of the same corpus on disk; a revision pins what is read; a
missing repository, revision or server is one line and exit 2."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from newscorpus.bench.synth import generate
from newscorpus.check.runner import DaskRunner
from newscorpus.check.validate import validate_corpus
from newscorpus.studio.server import free_port

from conftest import serving, stop

HERE = Path(__file__).resolve().parent
FAULTY, CLEAN = "hf://datasets/org/corpus@main", "hf://datasets/org/corpus@v1.0"


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    """The revisions of the repo org/corpus: main (a corpus with faults), v1.0 (a clean one with a
    datasheet), broken (main with one shard that is not Parquet)."""
    base = tmp_path_factory.mktemp("hub")
    faulty = generate(base / "faulty", articles=300, faults=0.25, seed=11, shard_rows=80).root
    clean = generate(base / "clean", articles=200, seed=3, shard_rows=60).root
    (clean / "DATASHEET.md").write_text("# A datasheet\n\n<!-- figures:start -->\n<!-- figures:end -->\n", encoding="utf-8")
    broken = base / "broken"
    shutil.copytree(faulty, broken)
    (broken / "annotations" / "events" / "part-00001.parquet").write_bytes(b"not parquet at all")
    return {"main": faulty, "v1.0": clean, "broken": broken}


@pytest.fixture(scope="module")
def hub(repo):
    port = free_port()
    args = [sys.executable, str(HERE.parent / "hub_server.py"), "--port", str(port), "--repo", "org/corpus"]
    for name, folder in repo.items():
        args += ["--revision", f"{name}={folder}"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        serving(proc, port, "the hub server")
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)


@pytest.fixture
def hub_env(hub, monkeypatch):
    """This process and the processes it starts talk to the local hub (huggingface_hub reads its endpoint
    when it is imported, hence its constants too)."""
    from huggingface_hub import constants

    monkeypatch.setenv("HF_ENDPOINT", hub)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(constants, "ENDPOINT", hub)
    monkeypatch.setattr(constants, "HUGGINGFACE_CO_URL_TEMPLATE", hub + "/{repo_id}/resolve/{revision}/{filename}")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    return {**os.environ, "HF_ENDPOINT": hub}


@pytest.mark.parametrize("spill", [False, True])
def test_validate_reads_the_repo_in_place(repo, hub_env, spill):
    on_disk = validate_corpus(repo["main"], partitions=1)
    remote = validate_corpus(FAULTY, spill=spill)
    assert on_disk.errors and remote.findings == on_disk.findings and remote.counts == on_disk.counts
    assert remote.method.endswith(f"; read from {FAULTY}")


def test_a_revision_pins_what_is_read(repo, hub_env):
    """@v1.0 is the clean corpus, whatever main holds now."""
    pinned = validate_corpus(CLEAN)
    assert pinned.ok and pinned.findings == validate_corpus(repo["v1.0"], partitions=1).findings
    assert not validate_corpus(FAULTY).ok


def test_cli_in_a_new_process(repo, hub_env):
    got = subprocess.run([sys.executable, "-m", "newscorpus", "validate", FAULTY, "--format", "json"],
                         capture_output=True, text=True, env=hub_env)
    local = subprocess.run([sys.executable, "-m", "newscorpus", "validate", str(repo["main"]), "--format", "json"],
                           capture_output=True, text=True, env=hub_env)
    assert got.returncode == local.returncode == 1, got.stderr
    assert json.loads(got.stdout)["findings"] == json.loads(local.stdout)["findings"]
    stats = subprocess.run([sys.executable, "-m", "newscorpus", "stats", "--path", CLEAN, "--format", "json"],
                           capture_output=True, text=True, env=hub_env)
    local = subprocess.run([sys.executable, "-m", "newscorpus", "stats", "--path", str(repo["v1.0"]), "--format", "json"],
                           capture_output=True, text=True, env=hub_env)
    assert stats.returncode == local.returncode == 0, stats.stderr
    assert json.loads(stats.stdout) == json.loads(local.stdout)


def test_workers_of_a_cluster_open_their_own_pieces(repo, hub_env):
    """A Dask cluster whose workers know the endpoint: the file system pickles, each worker reads the Hub."""
    proc = subprocess.Popen([sys.executable, str(HERE.parent / "dask_cluster.py"), "2"], stdout=subprocess.PIPE, text=True,
                            env=hub_env)
    try:
        info = json.loads(proc.stdout.readline())
        with DaskRunner(info["address"]) as runner:
            remote = validate_corpus(FAULTY, runner=runner)
    finally:
        stop(proc)
    assert remote.findings == validate_corpus(repo["main"], partitions=1).findings
    assert "on the Dask cluster at" in remote.method


def test_release_build_from_the_hub(repo, hub_env, tmp_path):
    from newscorpus.release.build import build_release

    limits = dict(piece_articles=50, max_shard_bytes=150_000, max_row_group_bytes=30_000)
    local = build_release(repo["v1.0"], "0.1.0", out=tmp_path / "local", **limits).out
    remote = build_release(CLEAN, "0.1.0", out=tmp_path / "remote", **limits).out
    files = {p.relative_to(local).as_posix(): p.read_bytes() for p in local.rglob("*") if p.is_file()}
    assert "# A datasheet" in files["DATASHEET.md"].decode() and any("-00001-of-" in rel for rel in files)
    assert {p.relative_to(remote).as_posix(): p.read_bytes() for p in remote.rglob("*") if p.is_file()} == files


def test_an_unreadable_file_is_named_by_its_url(hub_env):
    report = validate_corpus("hf://datasets/org/corpus@broken")
    unreadable = [f for f in report.findings if f.check == "table-unreadable"]
    assert report.skipped_levels and [f.file for f in unreadable] == ["hf://datasets/org/corpus@broken/annotations/events/part-00001.parquet"]


@pytest.mark.parametrize("url, why", [
    ("hf://datasets/org/corpus@nope", "no schema/ontology.json there (revision not found); not a corpus root"),
    ("hf://datasets/org/nothing", "no schema/ontology.json there (repository not found); not a corpus root"),
    ("hf://datasets/org/corpus@main/annotations", "no schema/ontology.json there; not a corpus root"),
])
def test_not_a_corpus(hub_env, url, why):
    got = subprocess.run([sys.executable, "-m", "newscorpus", "validate", url], capture_output=True, text=True, env=hub_env)
    assert got.returncode == 2 and got.stderr == f"newscorpus: {url}: {why}\n", got.stderr


def test_a_hub_that_cannot_be_reached(hub_env):
    env = {**hub_env, "HF_ENDPOINT": f"http://127.0.0.1:{free_port()}"}  # (nothing listens there)
    for args in (["validate", FAULTY], ["stats", "--path", FAULTY]):
        got = subprocess.run([sys.executable, "-m", "newscorpus", *args], capture_output=True, text=True, env=env)
        assert got.returncode == 2 and got.stderr.startswith(f"newscorpus: {FAULTY}: cannot be read: "), got.stderr
        assert got.stderr.count("\n") == 1 and "Traceback" not in got.stderr
