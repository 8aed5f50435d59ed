"""`release push` against an in-process fake Hub: the real huggingface_hub client code, a recording
httpx2 MockTransport instead of the network (huggingface_hub.set_client_factory)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from newscorpus.cli import main
from newscorpus.errors import Refused
from newscorpus.release.build import build_release
from newscorpus.release.push import push_release

from fake_hub import OID, FakeHub, point_hub_client_at_nowhere, served_by
from test_release_support import build_corpus

pytestmark = pytest.mark.integration
TOKEN = "hf_fake_token_never_printed"


@pytest.fixture(scope="module")
def release_dir(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("push")
    return build_release(build_corpus(tmp), "0.1.0", out=tmp / "rel").out


@pytest.fixture
def hub(monkeypatch, tmp_path):
    fake = FakeHub()
    point_hub_client_at_nowhere(monkeypatch, tmp_path, TOKEN)
    with served_by(fake):
        yield fake


def test_dry_run_lists_every_file_and_makes_no_network_call(release_dir, hub):
    result = push_release(release_dir, "org/newscorpus", "0.1.0")
    assert result.dry_run and hub.requests == []
    sums = dict(line.split("  ", 1)[::-1] for line in (release_dir / "SHA256SUMS").read_text().splitlines())
    ops = {op.path: op for op in result.operations}
    assert set(ops) == set(sums) | {"SHA256SUMS"}
    for path, digest in sums.items():
        assert ops[path].sha256 == digest and ops[path].size == (release_dir / path).stat().st_size
    out = CliRunner().invoke(main, ["release", "push", "--repo", "org/newscorpus", "--version", "0.1.0", "--dir", str(release_dir)])
    assert out.exit_code == 0, out.output
    assert "dry run" in out.output and "upload data/mentions/train-00000-of-00001.parquet" in out.output
    assert hub.requests == []


def test_push_uploads_deletes_stale_files_and_tags_the_commit(release_dir, hub):
    out = CliRunner().invoke(main, ["release", "push", "--repo", "org/newscorpus", "--version", "0.1.0", "--dir", str(release_dir), "--yes"])
    assert out.exit_code == 0, out.output
    assert TOKEN not in out.output
    paths = hub.paths()
    assert paths[0] == ("POST", "/api/repos/create")
    assert ("GET", "/api/datasets/org/newscorpus/refs") in paths
    commits = [r for r in hub.requests if "/commit/" in r.url.path]
    assert len(commits) == 1
    lines = [json.loads(x) for x in commits[0].content.decode().splitlines()]
    deleted = [x["value"]["path"] for x in lines if x["key"] == "deletedFile"]
    added = {x["value"]["path"] for x in lines if x["key"] in ("file", "lfsFile")}
    assert deleted == ["data/mentions/train-00000-of-00002.parquet"]
    assert {"README.md", "SHA256SUMS", "croissant.json", "data/documents/train-00000-of-00001.parquet"} <= added
    tag = [r for r in hub.requests if "/tag/" in r.url.path]
    assert len(tag) == 1 and tag[0].url.path.endswith(f"/tag/{OID}") and json.loads(tag[0].content)["tag"] == "v0.1.0"
    api = [r for r in hub.requests if r.url.path.startswith("/api/") and r.url.path != "/api/agent-harnesses"]
    assert api and all(r.headers.get("authorization") == f"Bearer {TOKEN}" for r in api)
    assert "tagged v0.1.0" in out.output


def test_push_refuses_an_existing_tag_before_uploading(release_dir, hub):
    hub.tags = ["v0.1.0"]
    with pytest.raises(Refused, match="already has the tag v0.1.0"):
        push_release(release_dir, "org/newscorpus", "0.1.0", yes=True)
    assert not any("/commit/" in p or "/preupload/" in p for _, p in hub.paths())


def test_push_refuses_a_changed_folder_without_network(release_dir, hub, tmp_path):
    import shutil

    copy = tmp_path / "rel"
    shutil.copytree(release_dir, copy)
    (copy / "README.md").write_text((copy / "README.md").read_text() + "\nedited by hand\n")
    with pytest.raises(Refused, match="README.md: checksum does not match"):
        push_release(copy, "org/newscorpus", "0.1.0", yes=True)
    (copy / "README.md").write_bytes((release_dir / "README.md").read_bytes())
    (copy / "data" / "extra.parquet").write_bytes(b"x")
    with pytest.raises(Refused, match="extra.parquet: not in SHA256SUMS"):
        push_release(copy, "org/newscorpus", "0.1.0", yes=True)
    with pytest.raises(Refused, match="built as version 0.1.0, not 0.2.0"):
        push_release(release_dir, "org/newscorpus", "0.2.0", yes=True)
    assert hub.requests == []


def test_push_without_token_says_so(release_dir, hub, monkeypatch):
    monkeypatch.delenv("HF_TOKEN")
    out = CliRunner().invoke(main, ["release", "push", "--repo", "org/newscorpus", "--version", "0.1.0", "--dir", str(release_dir), "--yes"])
    assert out.exit_code == 2 and "HF_TOKEN is not set" in out.output
    assert hub.requests == []
