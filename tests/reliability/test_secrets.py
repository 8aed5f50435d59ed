"""Secrets never leave the environment, and annotators' e-mail addresses never reach a table or a release.

A planted Label Studio key and Hub token go through every command that could touch them, each a real
process: validate, import, export, stats, show, studio push and pull (against a small fake Label Studio
served over real HTTP on 127.0.0.1, through the real SDK client), release build and the release push dry
run; then push against the fake Hub (in process, the real huggingface_hub client), and a Label Studio and a
Hub that echo the credential back in their error answers. Everything printed and every file written
(Parquet files decoded, not just their compressed bytes) is searched for the token, its base64 form and
the e-mail addresses of the export.
"""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from newscorpus.studio.convert import records_to_result

from reliability_support import A, B, TEXT, cli, figure, records, small_corpus


LS_KEY = "0f1e2d3c4b5a69788796a5b4c3d2e1f0deadbeef"  # a legacy Label Studio token
HF_TOKEN = "hf_PLANTEDsecretTOKEN0123456789abcdefXYZ"
EMAILS = ["ann.one@example.org", "Bob.Two@Example.ORG", "carol@annotators.example.net"]


def needles() -> list[str]:
    out = []
    for secret in (LS_KEY, HF_TOKEN):
        out += [secret, base64.b64encode(secret.encode()).decode(), secret[:16]]
    return out + EMAILS + [e.lower() for e in EMAILS]


class FakeLabelStudio(BaseHTTPRequestHandler):
    """Enough of Label Studio 1.23's API for push and pull; `angry` answers everything with a 401 that echoes
    the Authorization header, as a badly configured proxy might."""

    state: dict = {}

    def log_message(self, *args):
        pass

    def _send(self, code, body=None):
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(n)) if n else None

    def _route(self, method):
        s = self.state
        s.setdefault("seen", []).append((method, self.path, dict(self.headers)))
        if s.get("angry"):
            return self._send(401, {"detail": f"Invalid token: {self.headers.get('Authorization')}"})
        url = urlparse(self.path)
        path, q = url.path, parse_qs(url.query)
        body = self._body() if method in ("POST", "PATCH") else None
        if path == "/api/projects/" and method == "GET":
            return self._send(200, {"results": [p for p in s["projects"] if p["title"] == q.get("title", [""])[0]], "next": None})
        if path == "/api/projects/" and method == "POST":
            s["projects"].append({"id": 1, **body})
            return self._send(201, s["projects"][-1])
        if path == "/api/projects/1/" and method == "PATCH":
            s["projects"][0].update(body)
            return self._send(200, s["projects"][0])
        if path == "/api/tasks/":
            return self._send(200, {"tasks": [{"id": t["id"], "data": t["data"]} for t in s["tasks"]], "total": len(s["tasks"])})
        if path == "/api/projects/1/import":
            for t in body:
                s["tasks"].append({"id": len(s["tasks"]) + 1, "data": t["data"], "predictions": t.get("predictions", [])})
            return self._send(201, {"task_count": len(body)})
        if path == "/api/projects/1/exports/" and method == "POST":
            return self._send(201, {"id": 3, "status": "completed"})
        if path == "/api/projects/1/exports/3/download":
            return self._send(200, export_of(s))
        if path.startswith("/api/projects/1/exports/3") and method == "DELETE":
            return self._send(204)
        if path == "/api/users/":
            return self._send(200, [{"id": i + 1, "email": e, "username": e, "first_name": e.split("@")[0]} for i, e in enumerate(EMAILS)])
        return self._send(404, {"detail": f"fake: no route {method} {path}"})

    def do_GET(self):
        self._route("GET")

    def do_POST(self):
        self._route("POST")

    def do_PATCH(self):
        self._route("PATCH")

    def do_DELETE(self):
        self._route("DELETE")


def export_of(state) -> list:
    """The snapshot export of the pushed tasks, with annotations carrying e-mails the way Label Studio exports do
    (completed_by as an object, created_username, updated_by), one of them the ground truth."""
    out = []
    r = records()
    for t in state["tasks"]:
        aid = t["data"]["article_id"]
        pick = lambda table: [x for x in r[table] if x["article_id"] == aid]
        res = records_to_result(aid, pick("entities"), pick("events"), pick("claims"))
        anns = []
        for n, email in enumerate(EMAILS[:2], 1):
            anns.append({"id": t["id"] * 10 + n, "completed_by": {"id": n, "email": email, "first_name": "x"} if n == 1 else n,
                         "created_username": f"{email}, {n}", "updated_by": n, "result": res, "was_cancelled": False,
                         "ground_truth": False, "created_at": "2026-11-28T09:00:00Z", "updated_at": f"2026-11-28T10:0{n}:00Z"})
        out.append({"id": t["id"], "data": t["data"], "annotations": anns, "predictions": t["predictions"],
                    "comment_authors": [{"email": EMAILS[2]}]})
    return out


@pytest.fixture
def fake_ls():
    FakeLabelStudio.state = {"projects": [], "tasks": []}
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeLabelStudio)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", FakeLabelStudio.state
    server.shutdown()


def written_text(folder: Path) -> dict:
    """Every file under folder as text to search: Parquet files decoded (rows and metadata) as well as raw."""
    out = {}
    for p in sorted(folder.rglob("*")):
        if not p.is_file() or "schema" in p.relative_to(folder).parts[:1]:
            continue
        raw = p.read_bytes()
        text = raw.decode("utf-8", "replace")
        if p.suffix == ".parquet":
            t = pq.read_table(p)
            text += json.dumps(t.to_pylist(), default=str, ensure_ascii=False) + repr(t.schema.metadata)
        out[p.relative_to(folder).as_posix()] = text
    return out


def test_no_secret_and_no_email_leaves_the_tool(tmp_path, fake_ls, monkeypatch):
    url, state = fake_ls
    root = small_corpus(tmp_path)
    (root / "annotations" / ".pseudonym-salt").unlink()  # the pull creates it
    extra = {"LABEL_STUDIO_URL": url, "LABEL_STUDIO_API_KEY": LS_KEY, "HF_TOKEN": HF_TOKEN}
    src = tmp_path / "one.jsonl"
    src.write_text(json.dumps({**records()["entities"][0], "id": f"{A}/E9", "mentions": [
        {"id": f"{A}/M9", "start": 46, "end": 54, "text": "the CSTO", "kind": "NOM"}], "type": "ORG", "name": "the CSTO",
        "wikidata": None}) + "\n")
    runs = [("validate", root), ("import", "entities", src, "--path", root), ("export", "entities", "--path", root),
            ("stats", "--path", root), ("show", A, "--path", root), ("studio", "push", "--path", root),
            ("studio", "push", "--path", root), ("studio", "pull", "--dry-run", "--path", root), ("studio", "pull", "--path", root),
            ("studio", "pull", "--gold", "single", "--path", root), ("validate", root),
            ("release", "build", "--version", "0.1.0", "--path", root),
            ("release", "push", "--repo", "org/newscorpus", "--version", "0.1.0", "--path", root)]
    printed = []
    for args in runs:
        proc = cli(*args, extra_env=extra)
        printed.append(proc.stdout + proc.stderr)
        assert "Traceback" not in proc.stderr, (args, proc.stderr)
        assert proc.returncode in (0, 1), (args, proc.stderr)
    assert state["tasks"] and any(k == "Authorization" for _, _, h in state["seen"] for k in h)
    # the key went only where it belongs: the Authorization header, never a URL
    assert all(LS_KEY not in path for _, path, _ in state["seen"])
    assert all(h.get("Authorization") == f"Token {LS_KEY}" for _, _, h in state["seen"])
    pulled = [json.loads(x) for x in cli("export", "entities", "--path", root).stdout.splitlines()]
    assert {r["annotator"] for r in pulled if r["origin"] == "label-studio"} and \
        all(r["annotator"].startswith("ls-") for r in pulled if r["origin"] == "label-studio")

    # a server that echoes the credential in its error answer
    state["angry"] = True
    for args in (("studio", "push", "--path", root), ("studio", "pull", "--path", root)):
        proc = cli(*args, extra_env=extra)
        assert proc.returncode == 2 and "HTTP 401" in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
        printed.append(proc.stdout + proc.stderr)

    files = written_text(root)
    assert any(k.startswith("release/0.1.0/data/") for k in files) and "annotations/entities.parquet" in files
    for needle in needles():
        assert not [i for i, text in enumerate(printed) if needle in text], (needle, runs)
        assert not [k for k, text in files.items() if needle in text], needle
    figure("secrets_commands_checked", len(printed))
    figure("secrets_files_checked", len(files))


def test_hub_push_never_shows_the_token(tmp_path, monkeypatch):
    from fake_hub import EchoingHub, FakeHub, point_hub_client_at_nowhere, served_by
    from newscorpus.cli import main
    from newscorpus.release.build import build_release

    root = small_corpus(tmp_path)
    rel = build_release(root, "0.1.0").out
    point_hub_client_at_nowhere(monkeypatch, tmp_path, HF_TOKEN)
    outputs = []
    for hub, code in ((FakeHub(), 0), (EchoingHub(), 2)):
        with served_by(hub):
            result = CliRunner().invoke(main, ["release", "push", "--repo", "org/newscorpus", "--version", "0.1.0", "--dir", str(rel), "--yes"])
        assert result.exit_code == code, result.output
        outputs.append(result.output + repr(result.exception if code == 0 else ""))
        assert any(r.headers.get("authorization") == f"Bearer {HF_TOKEN}" for r in hub.requests)
    assert "the Hub refused the push" in outputs[1]
    for needle in needles():
        assert not any(needle in o for o in outputs), needle
        assert not [k for k, t in written_text(rel).items() if needle in t], needle
