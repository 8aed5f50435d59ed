"""Shared pieces of the reliability tests: a small valid corpus, byte snapshots of everything stored, the
real CLI as a subprocess, a Label Studio client answered from a stored export, and the figures file.

Figures: every test that tries bad inputs or kills processes calls figure(name, n). The counts are printed
(`pytest -s`) and, when NEWSCORPUS_RELIABILITY_FIGURES names a file, appended to it as JSON lines;
docs/reliability.md quotes them from such a run.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from conftest import REPO, article, claim, entity, event, make_root, mention, span

from newscorpus.store import storage
from newscorpus.contract import load_contract
from newscorpus.store.importer import records_to_table

HERE = Path(__file__).resolve().parent
FINDING_LINE = re.compile(r"^\S.*: (error|warning) L\d [a-z0-9-]+: \S")
A = "a-rel"
TEXT = "Putin met Tokayev in Almaty.\nTokayev said the CSTO would help."
B = "b-rel"
TEXT_B = "The CSTO sent troops to Kazakhstan on Thursday."
SALT = "0123456789abcdef" * 4


def records() -> dict:
    t = TEXT
    ents = [entity(f"{A}/E1", "PER", "Vladimir Putin", [mention(f"{A}/M1", span(t, "Putin"))], aid=A, wikidata="Q7747"),
            entity(f"{A}/E2", "PER", "Kassym-Jomart Tokayev", [mention(f"{A}/M2", span(t, "Tokayev")),
                                                              mention(f"{A}/M3", span(t, "Tokayev", 1))], aid=A),
            entity(f"{A}/E3", "GPE", "Almaty", [mention(f"{A}/M4", span(t, "Almaty"))], aid=A),
            entity(f"{A}/E4", "ORG", "CSTO", [mention(f"{A}/M5", span(t, "CSTO"))], aid=A),
            entity(f"{B}/E1", "ORG", "CSTO", [mention(f"{B}/M1", span(TEXT_B, "CSTO"))], aid=B),
            entity(f"{B}/E2", "GPE", "Kazakhstan", [mention(f"{B}/M2", span(TEXT_B, "Kazakhstan"))], aid=B)]
    evs = [event(f"{A}/V1", "contact.meet", span(t, "met"), [
               {"role": "participant", "entity_id": f"{A}/E1", "mention_id": f"{A}/M1"},
               {"role": "participant", "entity_id": f"{A}/E2", "mention_id": f"{A}/M2"},
               {"role": "place", "entity_id": f"{A}/E3", "mention_id": f"{A}/M4"}], aid=A),
           event(f"{B}/V1", "military.intervene", span(TEXT_B, "sent"), [
               {"role": "agent", "entity_id": f"{B}/E1", "mention_id": f"{B}/M1"},
               {"role": "place", "entity_id": f"{B}/E2", "mention_id": f"{B}/M2"}], aid=B)]
    cls = [claim(f"{A}/C1", span(t, "the CSTO would help"), aid=A, claimer={"entity_id": f"{A}/E2", "mention_id": f"{A}/M3"},
                 by_author=False, cue=span(t, "said"), quote="indirect", topic="CSTO help")]
    return {"articles": [article(A, TEXT), article(B, TEXT_B, split="validation")], "entities": ents, "events": evs, "claims": cls}


def small_corpus(tmp_path: Path, recs: dict | None = None, salt: bool = True) -> Path:
    """A valid corpus of two annotated articles under tmp_path, written through storage as any write is."""
    root = make_root(tmp_path)
    c = load_contract(root)
    recs = recs or records()
    if salt:
        (root / "annotations").mkdir(parents=True, exist_ok=True)
        (root / "annotations" / ".pseudonym-salt").write_text(SALT + "\n")
    with storage.corpus_lock(root):
        storage.write_tables(root, {t: records_to_table(rows, t, c) for t, rows in recs.items()}, c)
    return root


def snapshot(root: Path) -> dict:
    """Every stored file of the corpus (tables, salt, schema) as bytes, by relative path. The lock file, whose
    content is always empty, is left out; so are release/ and backups, which are checked on their own."""
    out = {}
    for sub in ("corpus", "annotations", "schema"):
        for p in sorted((root / sub).rglob("*")) if (root / sub).is_dir() else ():
            if p.is_file():
                out[p.relative_to(root).as_posix()] = p.read_bytes()
    return out


def restore(root: Path, snap: dict) -> None:
    """Put the corpus back to `snap` exactly, removing any file it does not have."""
    for sub in ("corpus", "annotations", "schema"):
        for p in sorted((root / sub).rglob("*")) if (root / sub).is_dir() else ():
            if p.is_file() and p.relative_to(root).as_posix() not in snap:
                p.unlink()
    for rel, data in snap.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    for name in (".newscorpus.journal", ".newscorpus.journal.tmp"):
        (root / name).unlink(missing_ok=True)


def env(**extra) -> dict:
    e = {k: v for k, v in os.environ.items() if not k.startswith(("LABEL_STUDIO", "HF_", "NEWSCORPUS_DEBUG"))}
    e.update({"CI": "1", "HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1", "PYTHONDONTWRITEBYTECODE": "1"})
    e.update(extra)
    return e


def cli(*args, extra_env: dict | None = None, cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """The real command line, in its own process."""
    return subprocess.run([sys.executable, "-m", "newscorpus", *map(str, args)], capture_output=True, text=True,
                          env=env(**(extra_env or {})), cwd=cwd, timeout=timeout)


PULL_DRIVER = HERE / "pull_from_file.py"


def cli_with_export(export_file: Path, users_file: Path, *args, timeout: float = 120) -> subprocess.CompletedProcess:
    """The real command line with Label Studio's HTTP answers taken from stored files (pull_from_file.py)."""
    return subprocess.run([sys.executable, str(PULL_DRIVER), str(export_file), str(users_file), *map(str, args)],
                          capture_output=True, text=True, env=env(LABEL_STUDIO_URL="http://127.0.0.1:9", LABEL_STUDIO_API_KEY="x" * 40),
                          timeout=timeout)


def assert_refused(proc: subprocess.CompletedProcess, code: int, *needles: str) -> str:
    """A clean refusal: exit `code`, no traceback, a last stderr line `newscorpus: <cause>` that names each needle
    (findings, one a line, may come before it). Returns the stderr."""
    err = proc.stderr
    assert proc.returncode == code, (proc.returncode, proc.stdout, err)
    assert "Traceback" not in err and "Traceback" not in proc.stdout, err
    lines = err.strip().splitlines()
    assert lines, "nothing said on stderr"
    for line in lines:  # each line a finding (file/table [record] field: severity Ln check: message) or the cause
        assert line.startswith("newscorpus: ") or FINDING_LINE.match(line), line
    assert lines[-1].startswith("newscorpus: ") or any(" error L" in line for line in lines), err
    assert "internal error" not in err, err
    for n in needles:
        assert n in err, (n, err)
    return err


def figure(name: str, value) -> None:
    """A measured figure for docs/reliability.md."""
    line = json.dumps({"figure": name, "value": value})
    print(f"RELIABILITY {line}")
    target = os.environ.get("NEWSCORPUS_RELIABILITY_FIGURES")
    if target:
        with open(target, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")


def label_studio_export(text_by_article: dict, annotations_by_article: dict, sha_override: dict | None = None) -> list:
    """A snapshot export as Label Studio 1.23 writes it: one task an article, its annotations as given
    (each {"id", "completed_by", "result", ...}); text_sha256 the article's unless overridden."""
    import hashlib

    tasks = []
    for n, (aid, text) in enumerate(sorted(text_by_article.items()), 1):
        sha = (sha_override or {}).get(aid) or hashlib.sha256(text.encode()).hexdigest()
        anns = [{"was_cancelled": False, "ground_truth": False, "updated_at": "2026-11-28T10:00:00.000000Z",
                 "created_at": "2026-11-28T09:00:00.000000Z", "lead_time": 12.5, **a} for a in annotations_by_article.get(aid, [])]
        tasks.append({"id": n, "data": {"text": text, "article_id": aid, "text_sha256": sha, "heading": aid, "gold_sha256": None},
                      "annotations": anns, "predictions": [], "meta": {}, "created_at": "2026-11-28T08:00:00.000000Z"})
    return tasks


def write_json(path: Path, value) -> Path:
    path.write_text(json.dumps(value, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


__all__ = ["REPO", "A", "B", "TEXT", "TEXT_B", "SALT", "records", "small_corpus", "snapshot", "restore", "cli", "cli_with_export",
           "assert_refused", "figure", "label_studio_export", "write_json", "env"]
