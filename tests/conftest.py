"""Shared fixtures: every test works in its own tmp_path corpus, built through the library.

Tests of behaviour build their corpus here (`fixture_root`, or a few records of their own). Tests of the repo
corpus itself are marked `corpus` (`pytest -m corpus`), take its root from REPO and check only what holds for any
valid corpus, whatever articles it holds: never a count of the repo data.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

REPO = Path(__file__).resolve().parents[1]  # so running the suite inside a copy of the repo checks the copy
SEED_ARTICLE = "kz-csto-putin-2022-01-10"
NOW = "2026-11-28T00:00:00Z"


def make_root(tmp_path: Path, with_data: bool = False) -> Path:
    """A corpus root under tmp_path with the repo's schema (and its data if with_data)."""
    root = tmp_path / "corpus-root"
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(REPO / "schema", root / "schema")
    if with_data:
        for sub in ("corpus", "annotations"):
            if (REPO / sub).is_dir():
                shutil.copytree(REPO / sub, root / sub)
    return root


@pytest.fixture
def empty_root(tmp_path):
    return make_root(tmp_path)


@pytest.fixture
def seed_root(tmp_path):
    """A copy of the repo corpus, whatever it holds: realistic material to assert properties on, never counts."""
    return make_root(tmp_path, with_data=True)


def article(aid="a-test", text="Putin met Tokayev in Almaty.", **kw) -> dict:
    rec = dict(id=aid, title=None, text=text, text_sha256=hashlib.sha256(text.encode()).hexdigest(), language="en",
               original_language=None, translation=None, published=None, publisher=None, author=None, url=None,
               license="CC-BY-4.0", split="train", source_ref=None, updated_at=NOW)
    rec.update(kw)
    return rec


def prov(**kw) -> dict:
    return {"annotator": "tester", "status": "gold", "origin": "manual", "source_ref": None, "updated_at": NOW, **kw}


def span(text: str, needle: str, nth: int = 0) -> dict:
    start = -1
    for _ in range(nth + 1):
        start = text.index(needle, start + 1)
    return {"start": start, "end": start + len(needle), "text": needle}


def entity(eid, etype, name, mentions, aid="a-test", wikidata=None, event_ids=(), **kw) -> dict:
    return dict(id=eid, article_id=aid, type=etype, name=name, wikidata=wikidata, mentions=mentions, event_ids=list(event_ids),
                **prov(**kw))


def mention(mid, sp, kind="NAM") -> dict:
    return {"id": mid, **sp, "kind": kind}


def event(vid, etype, trigger, arguments=(), aid="a-test", **kw) -> dict:
    return dict(id=vid, article_id=aid, type=etype, trigger=trigger, arguments=list(arguments), realis="actual",
                polarity="positive", time=None, **prov(**kw))


def claim(cid, sp, aid="a-test", **kw) -> dict:
    base = dict(id=cid, article_id=aid, span=sp, claimer=None, by_author=True, cue=None, quote="none", stance="affirm",
                topic="a topic", event_ids=[], checkworthy=None)
    base.update({k: v for k, v in kw.items() if k in base})
    return {**base, **prov(**{k: v for k, v in kw.items() if k not in base})}


def serving(proc: subprocess.Popen, port: int, name: str):
    """Wait until the server process `proc` listens on 127.0.0.1:`port` (fail the test if it does not)."""
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.1)
    pytest.fail(f"{name} did not start")


def stop(proc: subprocess.Popen, wait: float = 30) -> None:
    """Stop a process the tests started, by its process id (killed if it has not ended after `wait` s)."""
    proc.terminate()
    try:
        proc.wait(wait)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def from_cache(method: str) -> tuple[int, int]:
    """(N, M) of a validation method ending "N of M piece(s) from the cache" (validate --cache)."""
    n, _, m = method.rsplit("; ", 1)[1].split()[:3]
    return int(n), int(m)


def break_a_mention(root: Path, shard: str = "part-00002.parquet", keep_mtime: bool = False) -> str:
    """Give the first mention of the entities shard's first entity another text than the article's (a
    span-text-mismatch in that shard's piece only), rewriting the shard with pyarrow's default options;
    return the entity's id."""
    path = root / "annotations" / "entities" / shard
    stat = path.stat()
    table = pq.read_table(path)
    rows = table.to_pylist()
    rows[0]["mentions"][0]["text"] = "X" + rows[0]["mentions"][0]["text"][1:]
    pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), path)
    if keep_mtime:
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    return rows[0]["id"]


def parquet_rows(root: Path, table: str) -> list[dict]:
    """The rows of `table` under `root` read with pyarrow alone (the single file or the folder of shards), so a
    test can compute expected figures without the code under test."""
    base = root / ("corpus" if table == "articles" else "annotations") / table
    single = base.with_suffix(".parquet")
    if single.is_file():
        return pq.read_table(single).to_pylist()
    return pq.read_table(base).to_pylist() if base.is_dir() else []


def fixture_records() -> dict:
    """Three small articles: two with entities, events and claims (a nested mention, a claimer, a cue), one with
    entities only and license unknown. Everything gold, by one annotator."""
    t1 = "Vladimir Putin met Kassym-Jomart Tokayev in Almaty on Monday. The Russian president said the talks went well."
    t2 = "Thousands protested in Kyiv on Sunday. Police arrested 12 demonstrators, the ministry said."
    t3 = "The minister resigned on Friday."
    a, b, c = "fx-meet", "fx-protest", "fx-unknown"
    arts = [article(a, t1, split="train"), article(b, t2, split="test"),
            article(c, t3, split="validation", license="unknown")]
    ents = [
        entity(f"{a}/E1", "PER", "Vladimir Putin", [mention(f"{a}/M1", span(t1, "Vladimir Putin")),
                                                    mention(f"{a}/M2", span(t1, "The Russian president"), "NOM")], aid=a, wikidata="Q7747"),
        entity(f"{a}/E2", "PER", "Kassym-Jomart Tokayev", [mention(f"{a}/M3", span(t1, "Kassym-Jomart Tokayev"))], aid=a),
        entity(f"{a}/E3", "GPE", "Almaty", [mention(f"{a}/M4", span(t1, "Almaty"))], aid=a),
        entity(f"{a}/E4", "DATE", "Monday", [mention(f"{a}/M5", span(t1, "Monday"))], aid=a),
        entity(f"{a}/E5", "GPE", "Russia", [mention(f"{a}/M6", span(t1, "Russian"), "NOM")], aid=a),  # nested in M2
        entity(f"{b}/E1", "QUANTITY", "thousands", [mention(f"{b}/M1", span(t2, "Thousands"), "NOM")], aid=b),
        entity(f"{b}/E2", "GPE", "Kyiv", [mention(f"{b}/M2", span(t2, "Kyiv"))], aid=b),
        entity(f"{b}/E3", "DATE", "Sunday", [mention(f"{b}/M3", span(t2, "Sunday"))], aid=b),
        entity(f"{b}/E4", "ORG", "police", [mention(f"{b}/M4", span(t2, "Police"), "NOM")], aid=b),
        entity(f"{b}/E5", "PER", "12 demonstrators", [mention(f"{b}/M5", span(t2, "12 demonstrators"), "NOM")], aid=b),
        entity(f"{b}/E6", "ORG", "the ministry", [mention(f"{b}/M6", span(t2, "the ministry"), "NOM")], aid=b),
        entity(f"{c}/E1", "PER", "the minister", [mention(f"{c}/M1", span(t3, "The minister"), "NOM")], aid=c),
        entity(f"{c}/E2", "DATE", "Friday", [mention(f"{c}/M2", span(t3, "Friday"))], aid=c),
    ]

    def arg(role, aid, e, m):
        return {"role": role, "entity_id": f"{aid}/{e}", "mention_id": f"{aid}/{m}"}

    evs = [
        event(f"{a}/V1", "contact.meet", span(t1, "met"), [arg("participant", a, "E1", "M1"), arg("participant", a, "E2", "M3"),
                                                           arg("place", a, "E3", "M4"), arg("time", a, "E4", "M5")], aid=a),
        event(f"{a}/V2", "contact.statement", span(t1, "said"), [arg("speaker", a, "E1", "M2")], aid=a),
        event(f"{b}/V1", "conflict.demonstrate", span(t2, "protested"), [arg("demonstrator", b, "E1", "M1"), arg("place", b, "E2", "M2"),
                                                                         arg("time", b, "E3", "M3")], aid=b),
        event(f"{b}/V2", "justice.arrest", span(t2, "arrested"), [arg("agent", b, "E4", "M4"), arg("person", b, "E5", "M5")], aid=b),
    ]
    cls = [
        claim(f"{a}/C1", span(t1, "Vladimir Putin met Kassym-Jomart Tokayev in Almaty on Monday"), aid=a, event_ids=[f"{a}/V1"]),
        claim(f"{a}/C2", span(t1, "the talks went well"), aid=a, by_author=False, quote="indirect", cue=span(t1, "said"),
              claimer={"entity_id": f"{a}/E1", "mention_id": f"{a}/M2"}, topic="the talks"),
        claim(f"{b}/C1", span(t2, "Police arrested 12 demonstrators"), aid=b, by_author=False, quote="indirect", cue=span(t2, "said"),
              claimer={"entity_id": f"{b}/E6", "mention_id": f"{b}/M6"}, topic="arrests", event_ids=[f"{b}/V2"]),
    ]
    return {"articles": arts, "entities": ents, "events": evs, "claims": cls}


@pytest.fixture
def fixture_root(tmp_path):
    """A corpus of fixture_records(), imported table by table through the library as a maintainer would."""
    from newscorpus.store.importer import import_file

    root = make_root(tmp_path / "fixture")
    for table, records in fixture_records().items():
        batch = tmp_path / "fixture" / f"{table}.jsonl"
        batch.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
        import_file(root, table, batch)
    return root
