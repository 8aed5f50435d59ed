"""One writer at a time: two imports or two pulls at once never interleave or lose an update; studio pull
and release build take the corpus lock and, when another process holds it, wait and then fail with a clear
message; a lock left by a killed process is free at once."""

from __future__ import annotations

import functools
import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from newscorpus.store import storage
from newscorpus.errors import StorageError
from newscorpus.release.build import build_release
from newscorpus.studio import sync

from conftest import entity, mention, span
from reliability_support import A, B, TEXT, TEXT_B, env, figure, small_corpus, snapshot, write_json
from test_kill import _pull_export

HERE = Path(__file__).resolve().parent


def _popen(argv):
    return subprocess.Popen(argv, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_imports_at_once_lose_nothing(tmp_path):
    root = small_corpus(tmp_path)
    one = tmp_path / "one.jsonl"
    one.write_text(json.dumps(entity(f"{A}/E5", "ORG", "the CSTO", [mention(f"{A}/M6", span(TEXT, "the CSTO"))], aid=A)) + "\n")
    two = tmp_path / "two.jsonl"
    two.write_text(json.dumps(entity(f"{B}/E3", "DATE", "Thursday", [mention(f"{B}/M3", span(TEXT_B, "Thursday"))], aid=B)) + "\n")
    procs = [_popen([sys.executable, "-m", "newscorpus", "import", "entities", str(f), "--path", str(root)]) for f in (one, two)]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    ids = [json.loads(x)["id"] for x in subprocess.run([sys.executable, "-m", "newscorpus", "export", "entities", "--path", str(root)],
                                                       env=env(), capture_output=True, text=True).stdout.splitlines()]
    assert {f"{A}/E5", f"{B}/E3"} <= set(ids)


def test_two_pulls_at_once_give_what_one_gives(tmp_path):
    export = write_json(tmp_path / "export.json", _pull_export())
    users = write_json(tmp_path / "users.json", [{"id": 1, "email": "ann@example.org"}, {"id": 2, "email": "bob@example.org"}])
    argv = lambda r: [sys.executable, str(HERE / "pull_from_file.py"), str(export), str(users), "studio", "pull", "--path", str(r)]
    ref = small_corpus(tmp_path / "ref")
    assert subprocess.run(argv(ref), env=env(), capture_output=True).returncode == 0
    root = small_corpus(tmp_path / "both")
    procs = [_popen(argv(root)) for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert snapshot(root) == snapshot(ref)
    assert sum("nothing changed" in o for o, _ in outs) == 1  # the second saw the first one's result


HOLD = "import sys, time; from pathlib import Path; from newscorpus.store.storage import corpus_lock\n" \
       "with corpus_lock(Path(sys.argv[1])):\n    print('held', flush=True); time.sleep(60)"


@pytest.fixture
def held(tmp_path, monkeypatch):
    root = small_corpus(tmp_path)
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(root)], stdout=subprocess.PIPE, text=True, env=env())
    assert holder.stdout.readline().strip() == "held"
    monkeypatch.setattr(storage, "corpus_lock", functools.partial(storage.corpus_lock, wait=0.5))
    yield root, holder
    holder.kill()
    holder.wait()


class Client:
    url = "http://127.0.0.1:9"

    def find_project(self, title):
        return {"id": 1, "title": title}

    def snapshot(self, pid):
        return _pull_export()

    def users(self):
        return {1: "ann@example.org"}


def test_pull_and_build_wait_for_the_lock_then_say_so(held):
    root, holder = held
    before = snapshot(root)
    for run in (lambda: sync.pull(root, client=Client()), lambda: build_release(root, "0.1.0")):
        with pytest.raises(StorageError, match="another newscorpus process is writing this corpus; try again when it is done"):
            run()
    assert snapshot(root) == before and not (root / "release" / "0.1.0").exists()
    holder.send_signal(signal.SIGKILL)  # killed while holding it: the kernel frees the lock
    holder.wait()
    assert sync.pull(root, client=Client()).written
    figure("lock_cases", 4)
