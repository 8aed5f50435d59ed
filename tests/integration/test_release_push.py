"""`release push` against an in-process fake Hub: the real huggingface_hub client code, a recording
httpx2 MockTransport instead of the network (huggingface_hub.set_client_factory)."""

from __future__ import annotations

import json

import httpx2
import huggingface_hub
import pytest
from click.testing import CliRunner

from newscorpus.cli import main
from newscorpus.errors import Refused
from newscorpus.release.build import build_release
from newscorpus.release.push import push_release

from test_release_support import build_corpus

pytestmark = pytest.mark.integration
TOKEN = "hf_fake_token_never_printed"
OID = "a" * 40


class FakeHub:
    """Answers the endpoints create_repo, list_repo_refs, upload_folder and create_tag use; records every request."""

    def __init__(self, tags=()):
        self.tags = list(tags)
        self.requests = []

    def __call__(self, req: httpx2.Request) -> httpx2.Response:
        self.requests.append(req)
        p = req.url.path
        if p == "/api/repos/create":
            return httpx2.Response(200, json={"url": "http://hub.invalid/datasets/org/newscorpus", "name": "org/newscorpus"})
        if p.endswith("/refs"):
            return httpx2.Response(200, json={"branches": [{"name": "main", "ref": "refs/heads/main", "targetCommit": "0" * 40}],
                                              "tags": [{"name": t, "ref": f"refs/tags/{t}", "targetCommit": "1" * 40} for t in self.tags],
                                              "converts": []})
        if "/tree/" in p:
            return httpx2.Response(200, json=[{"type": "file", "oid": "b" * 40, "size": 10, "path": ".gitattributes"},
                                              {"type": "file", "oid": "c" * 40, "size": 10, "path": "data/mentions/train-00000-of-00002.parquet"}])
        if p == "/api/validate-yaml":
            return httpx2.Response(200, json={"errors": [], "warnings": []})
        if "/preupload/" in p:
            files = json.loads(req.content)["files"]
            return httpx2.Response(200, json={"files": [{"path": f["path"], "uploadMode": "lfs" if f["path"].endswith(".parquet") else "regular",
                                                         "shouldIgnore": False} for f in files]})
        if p.endswith(".git/info/lfs/objects/batch"):
            objs = json.loads(req.content)["objects"]
            return httpx2.Response(200, json={"objects": [{"oid": o["oid"], "size": o["size"],
                                                           "actions": {"upload": {"href": f"http://hub.invalid/lfs-upload/{o['oid']}"}}} for o in objs]})
        if p.startswith("/lfs-upload/"):
            return httpx2.Response(200)
        if "/commit/" in p:
            return httpx2.Response(200, json={"commitUrl": f"http://hub.invalid/datasets/org/newscorpus/commit/{OID}", "commitOid": OID})
        if "/tag/" in p:
            return httpx2.Response(200, json={})
        return httpx2.Response(404, json={"error": f"fake hub: no route {p}"})

    def paths(self):
        """The requests of the push (huggingface_hub's own best-effort agent-registry fetch aside)."""
        return [(r.method, r.url.path) for r in self.requests if r.url.path != "/api/agent-harnesses"]


@pytest.fixture(scope="module")
def release_dir(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("push")
    return build_release(build_corpus(tmp), "0.1.0", out=tmp / "rel").out


def point_hub_client_at_nowhere(monkeypatch, tmp_path, token: str) -> None:
    """huggingface_hub's endpoint set to an address that cannot resolve, Xet off, `token` in HF_TOKEN: the
    only way out is the client factory a test then sets to a FakeHub transport."""
    monkeypatch.setattr(huggingface_hub.constants, "AGENT_HARNESSES_PATH", str(tmp_path / "agent_harnesses.json"), raising=False)
    monkeypatch.setenv("HF_ENDPOINT", "http://hub.invalid")
    monkeypatch.setattr(huggingface_hub.constants, "ENDPOINT", "http://hub.invalid")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_DISABLE_XET", True, raising=False)
    monkeypatch.setenv("HF_HUB_DISABLE_XET", "1")
    monkeypatch.setenv("HF_TOKEN", token)


@pytest.fixture
def hub(monkeypatch, tmp_path):
    fake = FakeHub()
    point_hub_client_at_nowhere(monkeypatch, tmp_path, TOKEN)
    huggingface_hub.set_client_factory(lambda: httpx2.Client(transport=httpx2.MockTransport(fake)))
    yield fake
    huggingface_hub.set_client_factory(huggingface_hub.utils._http.default_client_factory)


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
