"""Real Label Studio servers for the tests, started with the same code as `newscorpus studio serve`.

A fresh data folder migrates for 20-90 s, so one template is built per test session (admin user, a legacy
token) and copied for each server (about 10 s to start). Each copy mints its own personal access token: a PAT
minted in the template was once refused by a copy ("Token is invalid") in a full CI run, and never since
this change.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import httpx

from newscorpus.studio.server import Server, copy_data_dir, start_server

ADMIN = "admin@example.com"
PASSWORD = "Passw0rd!x-test"
LEGACY_TOKEN = "legacytoken0123456789abcdef0123"


@dataclass
class Template:
    data_dir: Path


@dataclass
class Studio:
    server: Server
    url: str
    legacy_token: str
    pat: str


def build_template(base: Path) -> Template:
    server = start_server(base / "data", home=base / "home", username=ADMIN, password=PASSWORD, token=LEGACY_TOKEN,
                          log_path=base / "template.log")
    server.stop()
    shutil.rmtree(base / "data" / "export", ignore_errors=True)
    return Template(base / "data")


def start_copy(template: Template, base: Path) -> Studio:
    copy_data_dir(template.data_dir, base / "data")
    server = start_server(base / "data", home=base / "home", log_path=base / "label-studio.log")
    try:
        r = httpx.post(f"{server.url}/api/token/", headers={"Authorization": f"Token {LEGACY_TOKEN}"}, timeout=60)
        assert r.status_code == 201, f"minting a personal access token: HTTP {r.status_code}"
    except BaseException:
        server.stop()
        raise
    return Studio(server, server.url, LEGACY_TOKEN, r.json()["token"])


# Fixtures: import them into the test module (`from studio_server import studio, studio_template`).
# They fail, never skip, when label-studio is not installed: the round trip is tested in CI.
import pytest  # noqa: E402


@pytest.fixture(scope="session")
def studio_template(tmp_path_factory):
    return build_template(tmp_path_factory.mktemp("studio-template"))


@pytest.fixture(scope="module")
def studio(tmp_path_factory, studio_template):
    s = start_copy(studio_template, tmp_path_factory.mktemp("studio"))
    try:
        yield s
    finally:
        s.server.stop()
