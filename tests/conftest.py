"""Shared fixtures: every test works in its own tmp_path corpus, built through the library."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
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


def entity(eid, etype, name, mentions, aid="a-test", wikidata=None, **kw) -> dict:
    return dict(id=eid, article_id=aid, type=etype, name=name, wikidata=wikidata, mentions=mentions, **prov(**kw))


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
