"""Benchmark of push and pull on a large project, against a real local Label Studio.

    python -m newscorpus.bench.studio            # 10,000 synthetic articles, a server of its own (fresh, in a temp dir)
    python -m newscorpus.bench.studio --tasks 2000 --url http://127.0.0.1:8080   # an existing server (LABEL_STUDIO_API_KEY)

It builds a corpus of N small synthetic articles, each with gold (two entities, an event, a claim), then
measures side by side: the first push (N tasks with predictions), a second push (nothing to do), turning
every prediction into an annotation (Label Studio's own bulk action), a pull (N annotations -> candidate and
gold rows), a second pull (nothing changes), and, as the baseline a naive sync would pay, one GET a task
on a sample, extrapolated to N.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from ..store import storage
from ..contract import load_contract
from ..store.importer import records_to_table
from ..studio.server import start_server
from ..studio.client import Client
from ..studio.sync import pull, push

REPO = Path(__file__).resolve().parents[3]
NOW = "2026-11-28T00:00:00Z"


def synthetic_corpus(root: Path, n: int) -> None:
    import hashlib

    shutil.copytree(REPO / "schema", root / "schema")
    c = load_contract(root)
    prov = {"annotator": "bench", "status": "gold", "origin": "manual", "source_ref": None, "updated_at": NOW}
    arts, ents, evs, cls = [], [], [], []
    for i in range(n):
        aid = f"bench-{i:06d}"
        text = f"Minister Ana Lee{i} met delegates in Town{i} on Monday.\nShe said talks number {i} went well."
        arts.append(dict(id=aid, title=None, text=text, text_sha256=hashlib.sha256(text.encode()).hexdigest(), language="en",
                         original_language=None, translation=None, published=None, publisher=None, author=None, url=None,
                         license="CC-BY-4.0", split="train", source_ref=None, updated_at=NOW))
        def sp(needle):
            s = text.index(needle)
            return {"start": s, "end": s + len(needle), "text": needle}
        ents.append(dict(id=f"{aid}/E1", article_id=aid, type="PER", name=f"Ana Lee{i}", wikidata=None,
                         mentions=[{"id": f"{aid}/M1", **sp(f"Ana Lee{i}"), "kind": "NAM"}], **prov))
        ents.append(dict(id=f"{aid}/E2", article_id=aid, type="GPE", name=f"Town{i}", wikidata=None,
                         mentions=[{"id": f"{aid}/M2", **sp(f"Town{i}"), "kind": "NAM"}], **prov))
        evs.append(dict(id=f"{aid}/V1", article_id=aid, type="contact.meet", trigger=sp("met"),
                        arguments=[{"role": "participant", "entity_id": f"{aid}/E1", "mention_id": f"{aid}/M1"},
                                   {"role": "place", "entity_id": f"{aid}/E2", "mention_id": f"{aid}/M2"}],
                        realis="actual", polarity="positive", time=None, **prov))
        cls.append(dict(id=f"{aid}/C1", article_id=aid, span=sp(f"talks number {i} went well"), claimer=None, by_author=False,
                        cue=sp("said"), quote="indirect", stance="affirm", topic="talks", event_ids=[f"{aid}/V1"], checkworthy=None, **prov))
    with storage.corpus_lock(root):
        storage.write_tables(root, {"articles": records_to_table(arts, "articles", c), "entities": records_to_table(ents, "entities", c),
                                    "events": records_to_table(evs, "events", c), "claims": records_to_table(cls, "claims", c)}, c)


def _timed(label, fn, n, rows):
    t = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t
    rows.append((label, dt, dt / n * 1000))
    print(f"{label:48} {dt:8.1f} s {dt / n * 1000:8.2f} ms/task", flush=True)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tasks", type=int, default=10_000)
    ap.add_argument("--url", default=None, help="An existing server (default: start one of its own).")
    ap.add_argument("--sample", type=int, default=200, help="Tasks fetched one by one for the naive baseline.")
    args = ap.parse_args(argv)
    n = args.tasks
    work = Path(tempfile.mkdtemp(prefix="newscorpus-bench-"))
    server = None
    try:
        if args.url:
            client = Client(args.url, os.environ.get("LABEL_STUDIO_API_KEY"))
        else:
            token = "bench" + os.urandom(16).hex()
            t = time.perf_counter()
            server = start_server(work / "ls" / "data", home=work / "ls" / "home", username="bench@example.org",
                                  password=os.urandom(12).hex(), token=token)
            print(f"started Label Studio on {server.url} (fresh data folder) in {time.perf_counter() - t:.1f} s", flush=True)
            client = Client(server.url, token)
        root = work / "corpus"
        root.mkdir()
        t = time.perf_counter()
        synthetic_corpus(root, n)
        print(f"built a corpus of {n} synthetic articles in {time.perf_counter() - t:.1f} s", flush=True)
        title = f"bench-{os.getpid()}"
        rows = []
        first = _timed(f"push, first ({n} tasks + predictions)", lambda: push(root, title=title, client=client), n, rows)
        assert first.created == n, first.summary()
        second = _timed("push, second (nothing to do)", lambda: push(root, title=title, client=client), n, rows)
        assert second.created == 0 and second.predictions_updated == 0, second.summary()
        pid = client.find_project(title)["id"]
        _timed("predictions -> annotations (Label Studio action)", lambda: client.request(
            "POST", "api/dm/actions", params={"id": "predictions_to_annotations", "project": pid},
            json={"selectedItems": {"all": True, "excluded": []}}), n, rows)
        p1 = _timed(f"pull, first ({n} annotations, --gold single)", lambda: pull(root, title=title, client=client, gold_rule="single"), n, rows)
        assert p1.accepted == n and p1.refused == 0, p1.summary()
        before = {p: p.read_bytes() for p in (root / "annotations").glob("*.parquet")}
        p2 = _timed("pull, second (nothing new)", lambda: pull(root, title=title, client=client, gold_rule="single"), n, rows)
        assert not p2.written and before == {p: p.read_bytes() for p in (root / "annotations").glob("*.parquet")}
        ids = [t["id"] for t in client.list_tasks(pid)[: args.sample]]
        t = time.perf_counter()
        for tid in ids:
            client.request("GET", f"api/tasks/{tid}/")
        per = (time.perf_counter() - t) / len(ids)
        print(f"{'baseline: one GET a task (sample ' + str(len(ids)) + ')':48} {per * n:8.1f} s {per * 1000:8.2f} ms/task (extrapolated)")
        pull_s = rows[3][1]
        print(f"\npull of {n} annotations took {pull_s:.1f} s; fetching the tasks one by one alone would take {per * n:.1f} s "
              f"({per * n / pull_s:.1f}x the whole pull)")
        return 0
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
