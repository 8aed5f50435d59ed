"""Crash safety: `import`, `studio pull` and `release build` are killed with SIGKILL at random moments of
real runs, many times; after each kill every table is byte for byte its old version or its new one, the
release folder is the old release or the new one, and the corpus validates.

Half of the kills fall at a uniformly random time of the run; the other half are aimed at the writes (a
few milliseconds after the first temporary file appears). NEWSCORPUS_KILLS sets the kills per command
(default 20). A separate test kills a writer exactly between two table renames (os.replace wrapped in the
killed process only), the window a random kill hardly ever hits.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from newscorpus.store import storage
from newscorpus.release.push import verify_release
from newscorpus.studio.convert import records_to_result
from newscorpus.check.validate import validate_corpus

from conftest import entity, event, mention, span
from reliability_support import (A, B, TEXT, TEXT_B, env, figure, label_studio_export, records, restore, small_corpus,
                                 snapshot, write_json)

KILLS = int(os.environ.get("NEWSCORPUS_KILLS", "20"))
HERE = Path(__file__).resolve().parent


def _tree(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()} if folder.is_dir() else {}


def _run_and_kill(argv: list, rng: random.Random, t_full: float, aim_at: Path | None, pattern: str) -> bool:
    """Start argv, kill it (SIGKILL) at a random moment; True if it was killed before it finished."""
    proc = subprocess.Popen(argv, env=env(LABEL_STUDIO_URL="http://127.0.0.1:9", LABEL_STUDIO_API_KEY="x" * 40),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if aim_at is None:
        time.sleep(rng.uniform(0, t_full))
    else:
        deadline = time.monotonic() + 3 * t_full
        while proc.poll() is None and time.monotonic() < deadline and not any(aim_at.glob(pattern)):
            time.sleep(0.0005)
        time.sleep(rng.uniform(0, 0.004))
    killed = proc.poll() is None
    if killed:
        proc.send_signal(signal.SIGKILL)
    proc.wait()
    return killed


def _classify(got: dict, old: dict, new: dict) -> str:
    """'old', 'new' or 'mixed' (each file old or new, not all the same); AssertionError for anything else."""
    states = set()
    for rel in sorted(set(old) | set(new) | set(got)):
        if rel.endswith(".tmp"):
            continue  # a temporary file left by the kill: not a table
        if old.get(rel) == new.get(rel):
            assert got.get(rel) == old.get(rel), f"{rel}: changed by a run that does not write it"
            continue
        if got.get(rel) == old.get(rel):
            states.add("old")
        elif got.get(rel) == new.get(rel):
            states.add("new")
        else:
            raise AssertionError(f"{rel}: neither its old nor its new bytes after a kill")
    return "old" if states <= {"old"} else "new" if states == {"new"} else "mixed"


def _kill_loop(name, root, argv, old, new, t_full, aim_dir, pattern, after=None):
    rng = random.Random(f"{name}-{KILLS}")
    seen = {"old": 0, "new": 0, "mixed": 0}
    killed = 0
    for i in range(KILLS):
        restore(root, old)
        killed += _run_and_kill(argv, rng, t_full, aim_dir if i % 2 else None, pattern)
        state = _classify(snapshot(root), old, new)
        seen[state] += 1
        report = validate_corpus(root)
        assert report.ok, (name, i, state, [f.line() for f in report.errors])
        if after:
            after(root)
    figure(f"kills_{name}", {"kills": KILLS, "killed_mid_run": killed, "states": seen})
    return seen


def _timed(argv) -> float:
    t = time.monotonic()
    proc = subprocess.run(argv, env=env(LABEL_STUDIO_URL="http://127.0.0.1:9", LABEL_STUDIO_API_KEY="x" * 40),
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return time.monotonic() - t


def test_import_killed_at_random_points(tmp_path):
    root = small_corpus(tmp_path / "a")
    ref = small_corpus(tmp_path / "b")
    extra = [entity(f"{A}/E5", "ORG", "the CSTO", [mention(f"{A}/M6", span(TEXT, "the CSTO"))], aid=A),
             entity(f"{A}/E1", "PER", "Putin", [mention(f"{A}/M1", span(TEXT, "Putin"))], aid=A, wikidata="Q7747")]
    src = write_json(tmp_path / "x.json", None).with_suffix(".jsonl")
    src.write_text("".join(json.dumps(r) + "\n" for r in extra))
    argv = lambda r: [sys.executable, "-m", "newscorpus", "import", "entities", str(src), "--path", str(r)]
    old = snapshot(root)
    t_full = _timed(argv(ref))
    new = snapshot(ref)
    assert new != old
    _kill_loop("import", root, argv(root), old, new, t_full, root / "annotations", ".entities.parquet.*.tmp")
    restore(root, old)
    subprocess.run(argv(root), env=env(), check=True, capture_output=True)  # the lock of the killed runs is free
    assert snapshot(root) == new


def _pull_export():
    r = records()
    pick = lambda t, aid: [x for x in r[t] if x["article_id"] == aid]
    res_a = records_to_result(A, pick("entities", A), pick("events", A), pick("claims", A))
    res_b = records_to_result(B, pick("entities", B), pick("events", B), [])
    return label_studio_export({A: TEXT, B: TEXT_B}, {A: [{"id": 11, "completed_by": 1, "result": res_a},
                                                         {"id": 12, "completed_by": 2, "result": res_a}],
                                                     B: [{"id": 21, "completed_by": 1, "result": res_b}]})


def test_studio_pull_killed_at_random_points(tmp_path):
    root = small_corpus(tmp_path / "a")
    ref = small_corpus(tmp_path / "b")
    export = write_json(tmp_path / "export.json", _pull_export())
    users = write_json(tmp_path / "users.json", [{"id": 1, "email": "ann@example.org"}, {"id": 2, "email": "bob@example.org"}])
    argv = lambda r: [sys.executable, str(HERE / "pull_from_file.py"), str(export), str(users), "studio", "pull", "--path", str(r)]
    old = snapshot(root)
    t_full = _timed(argv(ref))
    new = snapshot(ref)
    assert {k for k in new if new[k] != old.get(k)} == {"annotations/entities.parquet", "annotations/events.parquet", "annotations/claims.parquet"}
    _kill_loop("studio_pull", root, argv(root), old, new, t_full, root / "annotations", ".*.parquet.*.tmp")


def test_release_build_killed_at_random_points(tmp_path):
    root = small_corpus(tmp_path / "a")
    build = [sys.executable, "-m", "newscorpus", "release", "build", "--version", "0.1.0", "--overwrite", "--path", str(root)]
    out = root / "release" / "0.1.0"
    subprocess.run(build, env=env(), check=True, capture_output=True)
    old_release = _tree(out)
    # the corpus changes (an import), so the release built again over the old one differs from it
    src = tmp_path / "more.jsonl"
    src.write_text(json.dumps(entity(f"{B}/E3", "DATE", "Thursday", [mention(f"{B}/M3", span(TEXT_B, "Thursday"))], aid=B)) + "\n")
    subprocess.run([sys.executable, "-m", "newscorpus", "import", "entities", str(src), "--path", str(root)], env=env(), check=True)
    corpus = snapshot(root)
    t = time.monotonic()
    subprocess.run(build, env=env(), check=True, capture_output=True)
    t_full = time.monotonic() - t
    new_release = _tree(out)
    assert new_release != old_release
    rng = random.Random(f"release-{KILLS}")
    seen = {"old": 0, "new": 0, "missing": 0}
    killed = 0
    for i in range(KILLS):
        shutil.rmtree(out)
        for rel, data in old_release.items():
            (out / rel).parent.mkdir(parents=True, exist_ok=True)
            (out / rel).write_bytes(data)
        killed += _run_and_kill(build, rng, t_full, out.parent if i % 2 else None, ".0.1.0.stage.*.tmp")
        got = _tree(out)
        state = "old" if got == old_release else "new" if got == new_release else "missing" if not got else None
        assert state, f"kill {i}: release/0.1.0 is neither the old release nor the new one"
        seen[state] += 1
        if got:
            verify_release(out, "0.1.0")
        assert snapshot(root) == corpus  # a build never touches the tables
        assert validate_corpus(root).ok
    figure("kills_release_build", {"kills": KILLS, "killed_mid_run": killed, "states": seen})
    assert seen["missing"] == 0
    # what the kills left beside the release (staging folders) is cleaned by the next build
    subprocess.run(build, env=env(), check=True, capture_output=True)
    assert _tree(out) == new_release
    assert [p.name for p in out.parent.iterdir()] == ["0.1.0"]


KILL_BETWEEN_RENAMES = """
import json, os, signal, sys
from pathlib import Path
from newscorpus.store import storage
from newscorpus.contract import load_contract
from newscorpus.store.importer import records_to_table

root, new = Path(sys.argv[1]), json.loads(Path(sys.argv[2]).read_text())
real, renamed = os.replace, []
def replace(src, dst):
    if str(dst).endswith(".parquet"):
        renamed.append(dst)
        if len(renamed) == 2:
            os.kill(os.getpid(), signal.SIGKILL)   # the first table is in place, the second is not
    real(src, dst)
os.replace = replace
c = load_contract(root)
with storage.corpus_lock(root):
    storage.write_tables(root, {t: records_to_table(rows, t, c) for t, rows in new.items()}, c)
"""


@pytest.mark.parametrize("reader", ["validate", "import"])
def test_kill_between_two_table_renames(tmp_path, reader):
    """A pull that renames its entities (E1 -> P1) writes entities then events; killed between the two renames,
    the new entities sit beside the old events, which cite E1. The next process that reads or writes must see
    one version: the write finished (journal) or not begun."""
    root = small_corpus(tmp_path)
    r = records()
    ents = [e for e in r["entities"] if e["id"] != f"{A}/E1"] + [entity(f"{A}/P1", "PER", "Vladimir Putin",
                                                                       [mention(f"{A}/P1/M1", span(TEXT, "Putin"))], aid=A)]
    evs = [{**e, "arguments": [{**a, "entity_id": f"{A}/P1", "mention_id": f"{A}/P1/M1"} if a["entity_id"] == f"{A}/E1" else a
                               for a in e["arguments"]]} for e in r["events"]]
    new = write_json(tmp_path / "new.json", {"entities": ents, "events": evs})
    old = snapshot(root)
    proc = subprocess.run([sys.executable, "-c", KILL_BETWEEN_RENAMES, str(root), str(new)], env=env(), capture_output=True, text=True)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    now = snapshot(root)
    assert now["annotations/entities.parquet"] != old["annotations/entities.parquet"]  # the new entities are in place
    assert now["annotations/events.parquet"] == old["annotations/events.parquet"]  # beside the old events
    if reader == "validate":
        out = subprocess.run([sys.executable, "-m", "newscorpus", "validate", str(root)], env=env(), capture_output=True, text=True)
        assert out.returncode == 0, out.stdout
    else:
        more = tmp_path / "more.jsonl"
        more.write_text(json.dumps(entity(f"{B}/E3", "DATE", "Thursday", [mention(f"{B}/M3", span(TEXT_B, "Thursday"))], aid=B)) + "\n")
        out = subprocess.run([sys.executable, "-m", "newscorpus", "import", "entities", str(more), "--path", str(root)],
                             env=env(), capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
    assert validate_corpus(root).ok
    events = storage.read_table(root, "events", storage.load_contract(root) if hasattr(storage, "load_contract") else __import__(
        "newscorpus.contract", fromlist=["load_contract"]).load_contract(root))
    assert f"{A}/P1" in json.dumps(events.to_pylist())  # rolled forward: the events are the new ones
    assert not list((root / "annotations").glob(".*.tmp")) and not (root / ".newscorpus.journal").exists()
