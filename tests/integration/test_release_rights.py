"""Releases respect rights: articles whose license is `unknown` are left out of a build (with every
annotation of theirs) unless --include-unlicensed, the build says which in one line and the card in a
paragraph, a build that would leave nothing is refused, the changelog and `release diff` take a left-out
article as a removal the build declared, and a push of a release holding unknown-license texts must be
asked for twice."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from newscorpus.cli import main
from newscorpus.errors import Refused
from newscorpus.release.build import build_release
from newscorpus.release.features import CONFIGS
from newscorpus.release.push import push_release

from test_release_support import UNLICENSED, build_corpus, records

pytestmark = pytest.mark.integration


def _release_article_ids(out) -> dict:
    """config -> the article ids its rows belong to (the `id` of articles and documents)."""
    ids = {}
    for config in CONFIGS:
        key = "id" if config in ("articles", "documents") else "article_id"
        ids[config] = {a for p in (out / "data" / config).glob("*.parquet") for a in pq.read_table(p, columns=[key])[key].to_pylist()}
    return ids


def _cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_unlicensed_articles_are_left_out_with_their_annotations_and_said_once(tmp_path):
    root = build_corpus(tmp_path)
    run = _cli("release", "build", "--version", "0.1.0", "--path", root)
    assert run.exit_code == 0, run.output
    lines = [line for line in run.output.splitlines() if "left out" in line]
    assert len(lines) == 1 and "1 article whose license is unknown" in lines[0] and "e-unlicensed" in lines[0]
    assert "--include-unlicensed" in lines[0]
    assert not any("license-unknown" in line and "e-unlicensed" in line for line in run.output.splitlines())
    out = root / "release" / "0.1.0"
    for config, ids in _release_article_ids(out).items():
        assert ids and not ids & set(UNLICENSED), config
    card = (out / "README.md").read_text(encoding="utf-8")
    assert "Left out of this release: 1 annotated article" in card and "`e-unlicensed`" in card
    assert "First release" in (out / "CHANGELOG.md").read_text(encoding="utf-8")


def test_include_unlicensed_releases_them_and_the_card_says_unknown(tmp_path):
    root = build_corpus(tmp_path)
    run = _cli("release", "build", "--version", "0.1.0", "--include-unlicensed", "--path", root)
    assert run.exit_code == 0, run.output
    assert "left out" not in run.output
    assert any("license-unknown" in line and "e-unlicensed" in line for line in run.output.splitlines())
    out = root / "release" / "0.1.0"
    ids = _release_article_ids(out)
    for config in CONFIGS:
        assert set(UNLICENSED) <= ids[config], config
    card = (out / "README.md").read_text(encoding="utf-8")
    assert "Left out of this release" not in card
    assert "unknown (1 article)" in card and "grants no right to the text" in card


def test_a_build_that_would_leave_out_every_article_is_refused(tmp_path):
    recs = records()
    for a in recs["articles"]:
        a["license"] = "unknown"
    root = build_corpus(tmp_path, recs)
    run = _cli("release", "build", "--version", "0.1.0", "--path", root)
    assert run.exit_code == 1
    error = [line for line in run.output.splitlines() if line.startswith("newscorpus: ")]
    assert len(error) == 1 and "every annotated article (4)" in error[0] and "--include-unlicensed" in error[0]
    assert not (root / "release").exists() or not any((root / "release").iterdir())
    with pytest.raises(Refused):
        build_release(root, "0.1.0")
    assert build_release(root, "0.1.0", include_unlicensed=True).left_out == []


def test_an_article_left_out_after_a_release_that_had_it_is_a_declared_removal(tmp_path):
    """0.1.0 was built with --include-unlicensed; 0.2.0 leaves the article out. That is not an undeclared
    removal (the build refuses those): the changelog lists it, and its annotations, with the reason."""
    root = build_corpus(tmp_path)
    first = build_release(root, "0.1.0", include_unlicensed=True).out
    second = build_release(root, "0.2.0")
    assert second.previous == first and second.left_out == UNLICENSED
    removed = {k: c.removed for k, c in second.diff.kinds.items()}
    assert removed["articles"] == ["e-unlicensed"]
    assert removed["claims"] == ["e-unlicensed/C1"] and removed["events"] == ["e-unlicensed/E1"]
    assert removed["mentions"] == ["e-unlicensed/T1/M1", "e-unlicensed/T2/M1"]
    log = (second.out / "CHANGELOG.md").read_text(encoding="utf-8")
    for rid in ("e-unlicensed", "e-unlicensed/T1", "e-unlicensed/T1/M1", "e-unlicensed/E1", "e-unlicensed/C1"):
        assert f"- removed: `{rid}` (left out: its license is `unknown`" in log, rid
    # `release diff` takes the corpus as a build would: left out, declared by the build itself ...
    run = _cli("release", "diff", first, root, "--format", "json", "--path", root)
    assert run.exit_code == 0, run.output
    d = json.loads(run.output)
    assert d["articles"]["removed"] == ["e-unlicensed"] and d["undeclared"] == []
    # ... or, with --include-unlicensed, as a build with it would: no difference
    run = _cli("release", "diff", first, root, "--include-unlicensed", "--format", "json", "--path", root)
    assert run.exit_code == 0 and json.loads(run.output)["articles"]["removed"] == []


def test_pushing_unlicensed_texts_must_be_asked_for_again(tmp_path):
    root = build_corpus(tmp_path)
    kept_out = build_release(root, "0.1.0", out=tmp_path / "public").out
    assert push_release(kept_out, "org/newscorpus", "0.1.0").dry_run  # nothing of unknown license in it
    with_all = build_release(root, "0.1.0", out=tmp_path / "internal", include_unlicensed=True).out
    with pytest.raises(Refused, match="e-unlicensed"):
        push_release(with_all, "org/newscorpus", "0.1.0")
    run = _cli("release", "push", "--repo", "org/newscorpus", "--version", "0.1.0", "--dir", with_all, "--yes", "--path", root)
    assert run.exit_code == 1 and "--include-unlicensed" in run.output
    result = push_release(with_all, "org/newscorpus", "0.1.0", include_unlicensed=True)
    assert result.dry_run and result.operations
