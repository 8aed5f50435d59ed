"""Run the real `newscorpus` command line with Label Studio's HTTP answers read from stored files.

    python pull_from_file.py EXPORT.json USERS.json studio pull --path ROOT

Only Client.request (the HTTP call) is replaced: the snapshot export is parsed, checked and converted by
the real code, so a truncated or foreign export file takes the path a bad server answer would. Used by the
reliability tests only (no server, no network).
"""

from __future__ import annotations

import sys
from pathlib import Path

from newscorpus.studio import sync


class FileClient(sync.Client):
    def __init__(self, url=None, api_key=None, timeout=600.0):
        self.url = "http://127.0.0.1:9"
        self._key = api_key or "x" * 40
        self._api_error = Exception

    def request(self, method, path, *, params=None, json=None, raw=False):
        export, users = Path(sys.argv[1]), Path(sys.argv[2])
        if method == "GET" and path == "api/projects/":
            return {"results": [{"id": 1, "title": (params or {}).get("title"), "description": ""}], "next": None}
        if method == "POST" and path.endswith("/exports/"):
            return {"id": 9, "status": "completed"}
        if path.endswith("/download"):
            return export.read_bytes()
        if method == "DELETE":
            return None
        if path == "api/users/":
            return _json().loads(users.read_text(encoding="utf-8"))  # `json` is the keyword argument here
        if path == "api/tasks/":
            return {"tasks": [], "total": 0}
        return {"id": 1}


def _json():
    import json as module

    return module


def main() -> None:
    sync.Client = FileClient
    from newscorpus.cli import main as cli

    cli(sys.argv[3:], prog_name="newscorpus")


if __name__ == "__main__":
    main()
