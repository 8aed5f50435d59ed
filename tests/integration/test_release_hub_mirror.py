"""Versioned loading, load_dataset(repo, config, revision="vX.Y.Z"), through a local Hub mirror: `olah`
serving a git repo (two releases, tagged v0.1.0 and v0.2.0) on 127.0.0.1 in offline mode. The loads run
in a subprocess because huggingface_hub reads HF_ENDPOINT when it is imported."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request

import olah  # noqa: F401  (the mirror; the test fails, not skips, without it)
import pytest

from newscorpus.release.build import build_release
from newscorpus.studio.server import free_port

from conftest import span, stop
from test_release_support import TEXTS, build_corpus, import_records, records

pytestmark = pytest.mark.integration
LOAD = """
import json, sys
from datasets import load_dataset
rev = sys.argv[1]
out = {c: {k: len(v) for k, v in load_dataset("org/newscorpus", c, revision=rev).items()} for c in ("documents", "claims", "mentions")}
out["stance"] = load_dataset("org/newscorpus", "claims", revision=rev)["train"].features["stance"].names
print(json.dumps(out))
"""


def _git(repo, *args):
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=release-test", "-c", "user.email=release@example.org", *args],
                   check=True, capture_output=True)


def _publish(repo, release_dir, tag):
    for p in repo.iterdir():
        if p.name != ".git":
            shutil.rmtree(p) if p.is_dir() else p.unlink()
    shutil.copytree(release_dir, repo, dirs_exist_ok=True)
    # forget the index first, so that every file is hashed again: git tells a changed file by its size and
    # times, and a card of the same size copied (with its times) within the same second as the previous
    # tag's was taken as unchanged, so the second tag kept the first one's card with its own data
    _git(repo, "rm", "-r", "-q", "--cached", "--ignore-unmatch", ".")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", f"Release {tag}")
    _git(repo, "tag", tag)


def _load_through_mirror(tmp_path, rev: str) -> dict:
    port = free_port()
    conf = tmp_path / f"olah-{rev}.toml"
    conf.write_text(
        f'[basic]\nhost = "127.0.0.1"\nport = {port}\nmirror-netloc = "127.0.0.1:{port}"\n'
        f'mirror-lfs-netloc = "127.0.0.1:{port}"\nmirrors-path = ["{tmp_path / "mirrors"}"]\n'
        f'repos-path = "{tmp_path / f"olah-repos-{rev}"}"\n\n[accessibility]\noffline = true\n')
    log_path = tmp_path / f"olah-{rev}.log"
    log = open(log_path, "wb")
    server = subprocess.Popen([sys.executable, "-m", "olah.server", "-c", str(conf)], cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
    try:
        refs_url = f"http://127.0.0.1:{port}/api/datasets/org/newscorpus/refs"
        for _ in range(150):
            try:
                refs = json.load(urllib.request.urlopen(refs_url, timeout=2))
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail(f"olah did not answer on {refs_url}: {log_path.read_text()[-2000:]}")
        assert {t["name"] for t in refs["tags"]} == {"v0.1.0", "v0.2.0"}
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGINGFACE"))}
        env.update(HF_ENDPOINT=f"http://127.0.0.1:{port}", HF_HOME=str(tmp_path / f"hf-{rev}"),
                   HF_HUB_DISABLE_XET="1", HF_HUB_DISABLE_TELEMETRY="1", NO_PROXY="127.0.0.1", no_proxy="127.0.0.1",
                   HF_HUB_ETAG_TIMEOUT="120", HF_HUB_DOWNLOAD_TIMEOUT="120")
        run = subprocess.run([sys.executable, "-c", LOAD, rev], env=env, capture_output=True, text=True, timeout=300)
        if run.returncode != 0:
            pytest.fail(f"loading {rev} through the mirror failed: {run.stderr.strip().splitlines()[-1:] or run.returncode}")
        return json.loads(run.stdout.strip().splitlines()[-1])
    finally:
        stop(server, wait=10)
        log.close()


def test_load_each_tagged_version_through_a_local_hub_mirror(tmp_path):
    root = build_corpus(tmp_path)
    first = build_release(root, "0.1.0").out
    recs = records()
    import_records(root, {"claims": [{**recs["claims"][2], "id": "c-prices/C2", "topic": "another",
                                      "span": span(TEXTS["c-prices"], "demanded a reversal")}]})
    second = build_release(root, "0.2.0").out
    repo = tmp_path / "mirrors" / "datasets" / "org" / "newscorpus"
    repo.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    _publish(repo, first, "v0.1.0")
    _publish(repo, second, "v0.2.0")

    got = {}
    for rev in ("v0.1.0", "v0.2.0"):
        # one olah server, one olah cache, one process and one HF cache a revision
        got.update({f"{rev}/{k}": v for k, v in _load_through_mirror(tmp_path, rev).items()})
    assert got["v0.1.0/claims"] == {"train": 2, "validation": 1}
    assert got["v0.2.0/claims"] == {"train": 2, "validation": 2}
    assert got["v0.1.0/documents"] == got["v0.2.0/documents"] == {"train": 2, "validation": 1}
    assert got["v0.1.0/mentions"] == {"train": 7, "validation": 2}
    assert got["v0.2.0/stance"] == ["affirm", "refute", "unclear"]
