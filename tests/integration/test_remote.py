"""A corpus on object storage: a real S3-compatible server (moto's, on 127.0.0.1, started as a process and
stopped by its process id) holds a generated corpus with a fault of every injectable check; `validate
s3://...` reads it in place, locally and on a Dask cluster whose workers open their own pieces, with the
findings of the same corpus validated from disk; `release build --path s3://...` writes the release of the
same corpus built from disk, byte for byte."""

from __future__ import annotations

import json
import os
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
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1"}


@pytest.fixture(scope="module")
def s3():
    port = free_port()
    exe = Path(sys.executable).with_name("moto_server")
    proc = subprocess.Popen([str(exe), "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        serving(proc, port, "moto_server")
        yield {**CREDENTIALS, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}"}
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def stored(s3, tmp_path_factory):
    """The corpus generated on disk, and its copy uploaded to s3://corpora/faulty."""
    import s3fs

    result = generate(tmp_path_factory.mktemp("remote") / "faulty", articles=300, faults=0.25, seed=11, shard_rows=80)
    fs = s3fs.S3FileSystem(key="test", secret="test", endpoint_url=s3["AWS_ENDPOINT_URL"], skip_instance_cache=True)
    fs.mkdir("corpora")
    for path in sorted(result.root.rglob("*")):
        if path.is_file():
            fs.pipe(f"corpora/faulty/{path.relative_to(result.root).as_posix()}", path.read_bytes())
    return result, fs


@pytest.fixture
def s3_env(s3, monkeypatch):
    for k, v in s3.items():
        monkeypatch.setenv(k, v)
    return s3


@pytest.mark.parametrize("spill", [False, True])
def test_validate_reads_the_corpus_in_place(stored, s3_env, spill):
    result, _ = stored
    on_disk = validate_corpus(result.root, partitions=1)
    remote = validate_corpus("s3://corpora/faulty", spill=spill)
    assert remote.findings == on_disk.findings and remote.counts == on_disk.counts
    assert remote.method.endswith("; read from s3://corpora/faulty")


def test_cli_in_a_new_process(stored, s3):
    result, _ = stored
    env = {**os.environ, **s3}
    got = subprocess.run([sys.executable, "-m", "newscorpus", "validate", "s3://corpora/faulty", "--format", "json"],
                         capture_output=True, text=True, env=env)
    local = subprocess.run([sys.executable, "-m", "newscorpus", "validate", str(result.root), "--format", "json"],
                           capture_output=True, text=True, env=env)
    assert got.returncode == local.returncode == 1, got.stderr
    assert json.loads(got.stdout)["findings"] == json.loads(local.stdout)["findings"]


def test_workers_of_a_cluster_open_their_own_pieces(stored, s3_env):
    """A Dask cluster whose workers know the endpoint (as a cluster next to its object storage does)."""
    result, _ = stored
    proc = subprocess.Popen([sys.executable, str(HERE.parent / "dask_cluster.py"), "2"], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, **s3_env})
    try:
        info = json.loads(proc.stdout.readline())
        with DaskRunner(info["address"]) as runner:
            remote = validate_corpus("s3://corpora/faulty", runner=runner)
    finally:
        stop(proc)
    assert remote.findings == validate_corpus(result.root, partitions=1).findings
    assert "on the Dask cluster at" in remote.method


def test_an_unreadable_object_is_named_by_its_url(stored, s3_env):
    result, fs = stored
    fs.copy("corpora/faulty", "corpora/broken", recursive=True)
    fs.pipe("corpora/broken/annotations/events/part-00001.parquet", b"not parquet at all")
    report = validate_corpus("s3://corpora/broken")
    unreadable = [f for f in report.findings if f.check == "table-unreadable"]
    assert report.skipped_levels and [f.file for f in unreadable] == ["s3://corpora/broken/annotations/events/part-00001.parquet"]


def test_the_contract_is_fetched_without_leaving_a_folder(stored, s3_env, tmp_path, monkeypatch):
    """The corpus's schema folder is fetched to read its contract, and the fetched copy is removed."""
    import tempfile

    from newscorpus.store.remote import RemoteCorpus

    result, _ = stored
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    contract = RemoteCorpus.open("s3://corpora/faulty").contract()
    assert contract.raw["ontology.json"] == json.loads((result.root / "schema" / "ontology.json").read_text(encoding="utf-8"))
    assert list(tmp_path.iterdir()) == []


def test_not_a_corpus(s3_env):
    from click.testing import CliRunner

    from newscorpus.cli import main

    got = CliRunner().invoke(main, ["validate", "s3://corpora/nothing-here"])
    assert got.exit_code == 2 and "not a corpus root" in got.output and got.output.count("\n") == 1


def test_stats_of_the_corpus_on_object_storage(stored, s3_env):
    """`newscorpus stats --path s3://...` gives the figures of the same corpus read from disk."""
    from newscorpus.figures import corpus_stats

    result, _ = stored
    assert corpus_stats("s3://corpora/faulty") == corpus_stats(result.root)
    got = subprocess.run([sys.executable, "-m", "newscorpus", "stats", "--path", "s3://corpora/faulty", "--format", "json"],
                         capture_output=True, text=True, env={**os.environ, **s3_env})
    assert got.returncode == 0, got.stderr
    assert json.loads(got.stdout) == json.loads(json.dumps(corpus_stats(result.root)))


@pytest.fixture(scope="module")
def clean_stored(stored, tmp_path_factory):
    """A corpus without faults, with a datasheet of its own, on disk and uploaded to s3://corpora/clean."""
    _, fs = stored
    root = generate(tmp_path_factory.mktemp("remote") / "clean", articles=200, seed=3, shard_rows=60).root
    (root / "DATASHEET.md").write_text("# A datasheet\n\n<!-- figures:start -->\n<!-- figures:end -->\n", encoding="utf-8")
    for path in sorted(root.rglob("*")):
        if path.is_file():
            fs.pipe(f"corpora/clean/{path.relative_to(root).as_posix()}", path.read_bytes())
    return root


def _files(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_release_build_from_object_storage(clean_stored, s3_env, tmp_path):
    from newscorpus.release.build import build_release

    limits = dict(piece_articles=50, max_shard_bytes=150_000, max_row_group_bytes=30_000)
    local = build_release(clean_stored, "0.1.0", out=tmp_path / "local", **limits).out
    remote = build_release("s3://corpora/clean", "0.1.0", out=tmp_path / "remote", **limits).out
    files = _files(local)
    assert "# A datasheet" in files["DATASHEET.md"].decode() and any("-00001-of-" in rel for rel in files)
    assert _files(remote) == files


def test_cli_release_build_from_object_storage(clean_stored, stored, s3_env, tmp_path):
    from click.testing import CliRunner

    from newscorpus.cli import main

    out = tmp_path / "rel"
    got = CliRunner().invoke(main, ["release", "build", "--version", "0.1.0", "--path", "s3://corpora/clean", "--out", str(out)])
    assert got.exit_code == 0, got.output
    assert (out / "SHA256SUMS").is_file() and "built release 0.1.0" in got.output
    got = CliRunner().invoke(main, ["release", "build", "--version", "0.1.0", "--path", "s3://corpora/clean"])
    assert got.exit_code != 0 and "give --out" in got.output and got.output.count("\n") == 1, got.output
    got = CliRunner().invoke(main, ["release", "build", "--version", "0.1.0", "--path", "s3://corpora/faulty",
                                    "--out", str(tmp_path / "faulty")])
    assert got.exit_code == 1 and "refused" in got.output and not (tmp_path / "faulty").exists(), got.output
