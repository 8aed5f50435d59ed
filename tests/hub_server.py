"""A local server that speaks the part of the Hugging Face Hub's HTTP API that `hf://` reading uses, so
that `huggingface_hub.HfFileSystem` (the real client) reads a dataset repo from it: repo and revision info,
tree listings, paths-info, and file downloads with byte ranges. The Hub is not reachable here; this is the
HTTP boundary its client is tested at.

    python tests/hub_server.py --port PORT --repo org/name --revision main=DIR [--revision v1=DIR2 ...]

Each revision is a folder served as the repo's tree at that revision (its commit sha is derived from the
revision's name). Binds to 127.0.0.1 only; stop it by its process id. Every request is logged on stderr."""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse


def commit_of(revision: str) -> str:
    return hashlib.sha1(revision.encode()).hexdigest()


def _entry(root: Path, rel: str) -> dict:
    path = root / rel
    if path.is_dir():
        return {"type": "directory", "oid": hashlib.sha1(rel.encode()).hexdigest(), "size": 0, "path": rel}
    data_oid = hashlib.sha1(f"blob {path.stat().st_size}\0".encode() + path.read_bytes()).hexdigest()
    return {"type": "file", "oid": data_oid, "size": path.stat().st_size, "path": rel}


class Hub(BaseHTTPRequestHandler):
    repo: str = ""
    revisions: dict = {}  # name (or commit sha) -> folder
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("hub: " + (fmt % args) + "\n")

    def _send(self, status: int, body: bytes = b"", headers: dict | None = None, head: bool = False):
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _json(self, status: int, obj, error_code: str | None = None, head: bool = False):
        headers = {"Content-Type": "application/json"}
        if error_code:
            headers["X-Error-Code"] = error_code
            headers["X-Error-Message"] = obj.get("error", "") if isinstance(obj, dict) else ""
        self._send(status, json.dumps(obj).encode(), headers, head)

    def _repo_rev(self, rest: str):
        """`<kind>/<revision>/<path>` of `<ns>/<name>/<kind>/<revision>/<path>`, or None (RepoNotFound sent)
        if it is not the repo's."""
        if not rest.startswith(self.repo + "/"):
            self._json(404, {"error": "Repository not found"}, "RepoNotFound")
            return None
        return rest[len(self.repo) + 1:]

    def _revision(self, revision: str):
        folder = self.revisions.get(unquote(revision))
        if folder is None:
            self._json(404, {"error": f"Invalid rev id: {unquote(revision)}"}, "RevisionNotFound")
        return folder

    def _info(self, revision: str, head: bool = False):
        folder = self._revision(revision)
        if folder is None:
            return
        name = unquote(revision)
        sha = name if name in {commit_of(r) for r in self.revisions} else commit_of(name)
        siblings = [{"rfilename": p.relative_to(folder).as_posix()} for p in sorted(folder.rglob("*")) if p.is_file()]
        self._json(200, {"id": self.repo, "_id": "0" * 24, "private": False, "sha": sha, "siblings": siblings,
                         "tags": [], "downloads": 0, "likes": 0, "disabled": False, "gated": False}, head=head)

    def _tree(self, folder: Path, rel: str, recursive: bool):
        base = folder / rel if rel else folder
        if not base.is_dir():
            return self._json(404, {"error": f"{rel} does not exist"}, "EntryNotFound")
        found = base.rglob("*") if recursive else base.iterdir()
        entries = [_entry(folder, p.relative_to(folder).as_posix()) for p in sorted(found)]
        self._json(200, entries)

    def _resolve(self, folder: Path, rel: str, revision: str, head: bool):
        path = folder / rel
        if not path.is_file():
            return self._json(404, {"error": "Entry not found"}, "EntryNotFound", head)
        data = path.read_bytes()
        headers = {"ETag": f'"{_entry(folder, rel)["oid"]}"', "X-Repo-Commit": commit_of(unquote(revision)),
                   "Accept-Ranges": "bytes", "Content-Type": "application/octet-stream"}
        rng = self.headers.get("Range")
        if rng and rng.startswith("bytes="):
            first, _, last = rng[len("bytes="):].partition("-")
            start = int(first) if first else max(0, len(data) - int(last))
            end = min(int(last), len(data) - 1) if first and last else len(data) - 1
            if start >= len(data):
                return self._send(416, b"", {"Content-Range": f"bytes */{len(data)}"}, head)
            headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
            return self._send(206, data[start:end + 1], headers, head)
        self._send(200, data, headers, head)

    def _route(self, head: bool = False):
        url = urlparse(self.path)
        p, query = unquote(url.path), parse_qs(url.query)
        if p.startswith("/api/datasets/"):
            rest = self._repo_rev(p[len("/api/datasets/"):])
            if rest is None:
                return
            if rest == "":
                return self._info("main", head)
            kind, _, tail = rest.partition("/")
            revision, _, rel = tail.partition("/")
            if kind == "revision":
                return self._info(revision, head)
            folder = self._revision(revision)
            if folder is None:
                return
            if kind == "tree":
                return self._tree(folder, rel.strip("/"), query.get("recursive", ["false"])[0].lower() == "true")
            if kind == "paths-info" and self.command == "POST":
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                form = parse_qs(body) if "json" not in (self.headers.get("Content-Type") or "") else json.loads(body)
                paths = form.get("paths", [])
                paths = paths if isinstance(paths, list) else [paths]
                return self._json(200, [_entry(folder, q.strip("/")) for q in paths if (folder / q.strip("/")).exists()])
        if p.startswith("/datasets/"):
            rest = self._repo_rev(p[len("/datasets/"):])
            if rest is None:
                return
            kind, _, tail = rest.partition("/")
            revision, _, rel = tail.partition("/")
            if kind == "resolve":
                folder = self._revision(revision)
                if folder is not None:
                    self._resolve(folder, rel, revision, head)
                return
        self._json(404, {"error": f"hub server: no route {self.command} {p}"}, head=head)

    def do_GET(self):
        self._route()

    def do_HEAD(self):
        self._route(head=True)

    def do_POST(self):
        self._route()


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--repo", required=True)
    ap.add_argument("--revision", action="append", required=True, help="NAME=DIR")
    args = ap.parse_args(argv)
    revisions = {}
    for spec in args.revision:
        name, _, folder = spec.partition("=")
        revisions[name] = revisions[commit_of(name)] = Path(folder).resolve()
    Hub.repo, Hub.revisions = args.repo, revisions
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Hub)
    server.daemon_threads = True
    print(f"serving {args.repo} on http://127.0.0.1:{args.port}", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":
    sys.exit(main())
