"""The fake Hugging Face Hub of the tests (the Hub is not reachable here): the real huggingface_hub client
code, with an in-process httpx2 MockTransport that answers the endpoints a push uses and records every
request, at an address that cannot resolve."""

from __future__ import annotations

import json
from contextlib import contextmanager

import httpx2
import huggingface_hub

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


class EchoingHub(FakeHub):
    """A Hub that refuses the token and repeats it back in its error (what a careless server does)."""

    def __call__(self, req: httpx2.Request) -> httpx2.Response:
        if req.url.path.endswith("/refs"):
            return httpx2.Response(401, json={"error": f"Invalid credentials in Authorization header: {req.headers.get('authorization')}"})
        return super().__call__(req)


def point_hub_client_at_nowhere(monkeypatch, tmp_path, token: str) -> None:
    """huggingface_hub's endpoint set to an address that cannot resolve, Xet off, `token` in HF_TOKEN: the
    only way out is the client factory a test then sets to a FakeHub transport."""
    monkeypatch.setattr(huggingface_hub.constants, "AGENT_HARNESSES_PATH", str(tmp_path / "agent_harnesses.json"), raising=False)
    monkeypatch.setenv("HF_ENDPOINT", "http://hub.invalid")
    monkeypatch.setattr(huggingface_hub.constants, "ENDPOINT", "http://hub.invalid")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_DISABLE_XET", True, raising=False)
    monkeypatch.setenv("HF_HUB_DISABLE_XET", "1")
    monkeypatch.setenv("HF_TOKEN", token)


@contextmanager
def served_by(fake: FakeHub):
    """huggingface_hub's HTTP client answered by `fake` inside the block; its default client after it."""
    huggingface_hub.set_client_factory(lambda: httpx2.Client(transport=httpx2.MockTransport(fake)))
    try:
        yield fake
    finally:
        huggingface_hub.set_client_factory(huggingface_hub.utils._http.default_client_factory)
