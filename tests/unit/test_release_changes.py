"""The annotation-level diff and the declarations, on one to three records built inline."""

from __future__ import annotations

import pytest
from conftest import article, claim, entity, mention, span

from newscorpus.errors import InputError
from newscorpus.release.diff import diff_snapshots, load_declared, undeclared
from newscorpus.release.snapshot import snapshot_records

TEXT = "Putin met Tokayev in Almaty."


def snap(entities=None, articles=None, claims=()):
    arts = articles or [article(text=TEXT)]
    ents = entities if entities is not None else [
        entity("a-test/T1", "PER", "Putin", [mention("a-test/T1/M1", span(TEXT, "Putin"))]),
        entity("a-test/T2", "PER", "Tokayev", [mention("a-test/T2/M1", span(TEXT, "Tokayev"))]),
    ]
    return snapshot_records(arts, ents, [], list(claims))


def test_added_removed_changed_ids():
    old = snap()
    new = snap([entity("a-test/T1", "ORG", "Putin", [mention("a-test/T1/M1", span(TEXT, "Putin"))]),
                entity("a-test/T3", "GPE", "Almaty", [mention("a-test/T3/M1", span(TEXT, "Almaty"))])])
    c = diff_snapshots(old, new)
    assert c.kinds["entities"].added == ["a-test/T3"]
    assert c.kinds["entities"].removed == ["a-test/T2"]
    assert c.kinds["entities"].changed == {"a-test/T1": ["type"]}
    assert c.kinds["mentions"].removed == ["a-test/T2/M1"] and c.kinds["mentions"].changed == {"a-test/T1/M1": ["entity_type"]}
    assert undeclared(c, []) == [
        "entities [a-test/T2]: removed since the previous release, not declared in changes/declared.yaml",
        "mentions [a-test/T2/M1]: removed since the previous release, not declared in changes/declared.yaml"]
    assert undeclared(c, [{"kind": "entities", "id": "a-test/T2", "change": "removed", "reason": "r"}]) == []


def test_candidate_rows_and_provenance_are_not_changes():
    old = snap()
    ents = [entity("a-test/T1", "PER", "Putin", [mention("a-test/T1/M1", span(TEXT, "Putin"))], annotator="someone-else"),
            entity("a-test/T2", "PER", "Tokayev", [mention("a-test/T2/M1", span(TEXT, "Tokayev"))]),
            entity("a-test/T9", "GPE", "Almaty", [mention("a-test/T9/M1", span(TEXT, "Almaty"))], status="candidate")]
    assert diff_snapshots(old, snap(ents)).empty()


def test_removed_article_covers_its_annotations_and_moves_need_a_declaration():
    old = snap(claims=[claim("a-test/C1", span(TEXT, "Putin met Tokayev"))])
    gone = diff_snapshots(old, snapshot_records([], [], [], []))
    assert len(undeclared(gone, [])) == 6  # the article, 2 entities, 2 mentions, 1 claim
    assert undeclared(gone, [{"kind": "articles", "id": "a-test", "change": "removed", "reason": "retracted"}]) == []
    moved = diff_snapshots(old, snap(articles=[article(text=TEXT, split="test")], claims=[claim("a-test/C1", span(TEXT, "Putin met Tokayev"))]))
    assert moved.moved == {"a-test": ("train", "test")} and not moved.kinds["articles"].changed
    assert undeclared(moved, []) == ["articles [a-test]: moved from train to test, not declared in changes/declared.yaml"]
    assert undeclared(moved, [{"kind": "articles", "id": "a-test", "change": "moved", "to": "validation", "reason": "r"}])
    assert not undeclared(moved, [{"kind": "articles", "id": "a-test", "change": "moved", "to": "test", "reason": "r"}])


def test_declarations_file_is_checked(tmp_path):
    assert load_declared(tmp_path) == []
    (tmp_path / "changes").mkdir()
    (tmp_path / "changes" / "declared.yaml").write_text("- {kind: entities, id: a-test/T1, change: removed}\n")
    with pytest.raises(InputError, match="entry 1: needs a reason"):
        load_declared(tmp_path)
    (tmp_path / "changes" / "declared.yaml").write_text("- {kind: entities, id: a-test/T1, change: moved, to: test, reason: x}\n")
    with pytest.raises(InputError, match="a move is of an article"):
        load_declared(tmp_path)
