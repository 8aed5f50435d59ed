"""Release diffs and the changelog: between releases, corpus roots and git revisions; undeclared
removals and split moves refuse a build, declared ones are in the changelog."""

from __future__ import annotations

import json
import subprocess

import pytest
from click.testing import CliRunner

from newscorpus.cli import main
from newscorpus.release.build import build_release
from newscorpus.release.diff import UndeclaredChanges, diff_snapshots
from newscorpus.release.snapshot import resolve

from conftest import span
from test_release_support import TEXTS, build_corpus, import_records, records

pytestmark = pytest.mark.integration


def _second_version(root):
    """Change the corpus: add a claim, change an event, remove an entity (and its mention), move an article."""
    recs = records()
    ev = next(e for e in recs["events"] if e["id"] == "a-almaty/E2")
    import_records(root, {"events": [{**ev, "realis": "actual"}],
                          "claims": [{**recs["claims"][2], "id": "c-prices/C2", "stance": "unclear", "topic": "another",
                                      "span": span(TEXTS["c-prices"], "demanded a reversal")}],
                          "articles": [{**recs["articles"][2], "split": "test"}]})
    from newscorpus.store import storage
    from newscorpus.contract import load_contract
    import pyarrow.compute as pc

    contract = load_contract(root)
    ents = storage.read_table(root, "entities", contract)
    with storage.corpus_lock(root):
        storage.write_tables(root, {"entities": ents.filter(pc.not_equal(ents["id"], "b-troops/T2"))}, contract)


@pytest.fixture
def two_releases(tmp_path):
    root = build_corpus(tmp_path)
    first = build_release(root, "0.1.0").out
    _second_version(root)
    return root, first


def test_a_first_release_lists_the_ids_of_the_release_in_place(tmp_path):
    """A first build counts its ids from the rows it wrote (unique: the corpus validates) and lists them,
    once built, from the release folder itself (its staging folder is gone by then)."""
    import pyarrow.parquet as pq

    from newscorpus.release.snapshot import KINDS

    result = build_release(build_corpus(tmp_path), "0.1.0")
    assert result.diff.initial
    for kind in KINDS:
        ids = sorted(i for p in (result.out / "data" / kind).glob("*.parquet") for i in pq.read_table(p, columns=["id"])["id"].to_pylist())
        added = result.diff.kinds[kind].added
        assert ids and len(added) == len(ids) and list(added) == ids and added[:2] == ids[:2]
    log = (result.out / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"{len(result.diff.kinds['mentions'].added)} mentions" in log


def test_undeclared_removal_and_move_refuse_the_build(two_releases):
    root, first = two_releases
    with pytest.raises(UndeclaredChanges) as exc:
        build_release(root, "0.2.0")
    text = "\n".join(exc.value.problems)
    assert "entities [b-troops/T2]: removed" in text
    assert "mentions [b-troops/T2/M1]: removed" in text
    assert "articles [c-prices]: moved from validation to test" in text
    assert not (root / "release" / "0.2.0").exists()
    out = CliRunner().invoke(main, ["release", "build", "--version", "0.2.0", "--path", str(root)])
    assert out.exit_code == 1 and "undeclared removal" in out.output and "b-troops/T2" in out.output


def test_declared_changes_build_and_land_in_the_changelog(two_releases):
    root, first = two_releases
    (root / "changes").mkdir()
    (root / "changes" / "declared.yaml").write_text(
        "- {kind: entities, id: b-troops/T2, change: removed, reason: not a mention of the city}\n"
        "- {kind: articles, id: c-prices, change: moved, to: test, reason: rebalanced the test split}\n", encoding="utf-8")
    result = build_release(root, "0.2.0")
    assert result.previous == first
    log = (result.out / "CHANGELOG.md").read_text()
    assert log.index("## 0.2.0") < log.index("## 0.1.0")
    assert "- removed: `b-troops/T2` (not a mention of the city)" in log
    assert "- removed: `b-troops/T2/M1` (not a mention of the city)" in log
    assert "- added: `c-prices/C2`" in log
    assert "- changed: `a-almaty/E2` (realis)" in log
    assert "`c-prices`: validation -> test (rebalanced the test split)" in log
    assert "First release" in log  # the 0.1.0 section is carried over
    out = CliRunner().invoke(main, ["release", "diff", str(first), str(result.out), "--format", "json", "--path", str(root)])
    assert out.exit_code == 0, out.output
    d = json.loads(out.output)
    assert d["claims"]["added"] == ["c-prices/C2"]
    assert d["entities"]["removed"] == ["b-troops/T2"] and d["mentions"]["removed"] == ["b-troops/T2/M1"]
    assert d["events"]["changed"] == {"a-almaty/E2": ["realis"]}
    assert d["moved"] == {"c-prices": {"from": "validation", "to": "test"}}
    assert d["undeclared"] == []


def test_diff_of_a_release_against_the_corpus_and_git_revisions(two_releases):
    root, first = two_releases
    _, rel = resolve(str(first), root)
    _, now = resolve(str(root), root)
    c = diff_snapshots(rel, now)
    assert c.kinds["claims"].added == ["c-prices/C2"] and c.kinds["entities"].removed == ["b-troops/T2"]
    out = CliRunner().invoke(main, ["release", "diff", str(first), str(root), "--path", str(root)])
    assert out.exit_code == 1 and "not declared" in out.output
    git = ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "corpus", "annotations", "schema"], check=True)
    subprocess.run([*git, "commit", "-qm", "v2"], check=True)
    _, head = resolve("HEAD", root)
    assert diff_snapshots(now, head).empty()
    assert diff_snapshots(rel, head).kinds["events"].changed == {"a-almaty/E2": ["realis"]}
