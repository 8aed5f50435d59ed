"""`newscorpus add` (articles from text) and annotation import by text (spans anchored by the tool)."""

from __future__ import annotations

import hashlib
import json
from collections import Counter

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from newscorpus.store import storage
from newscorpus.store.add import normalise, parse_ratios, slug, split_for
from newscorpus.store.anchor import find_spans, occurrences
from newscorpus.cli import main
from newscorpus.contract import load_contract

STORY = "Putin met Tokayev in Almaty on Monday.\nTokayev thanked Putin. Almaty was calm."


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def snapshot(root):
    return {p: p.read_bytes() for p in root.rglob("*.parquet")}


def table(root, name):
    return storage.read_table(root, name, load_contract(root)).to_pylist()


def jsonl(path, *records):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture
def story_root(empty_root, tmp_path):
    (tmp_path / "story.txt").write_text(STORY + "\n")
    r = run("add", tmp_path / "story.txt", "--title", "Putin meets Tokayev", "--license", "CC-BY-4.0", "--path", empty_root)
    assert r.exit_code == 0, r.output
    return empty_root


# --- articles from text ---------------------------------------------------------------------------

def test_add_derives_every_field(story_root, tmp_path):
    (rec,) = table(story_root, "articles")
    assert rec["id"] == "putin-meets-tokayev" and rec["title"] == "Putin meets Tokayev"
    assert rec["text"] == STORY  # the file's final line break is its terminator, not text
    assert rec["text_sha256"] == hashlib.sha256(STORY.encode()).hexdigest()
    assert rec["source_ref"].endswith("story.txt") and rec["updated_at"].endswith("Z")
    assert rec["license"] == "CC-BY-4.0" and rec["language"] == "en"
    assert rec["split"] == split_for("putin-meets-tokayev", parse_ratios(None))
    assert (rec["url"], rec["author"], rec["publisher"], rec["published"], rec["translation"]) == (None,) * 5
    assert run("validate", story_root).exit_code == 0


def test_normalisation_is_reported_never_silent(empty_root, tmp_path):
    f = tmp_path / "Café news.txt"
    f.write_bytes("\ufeffCafe\u0301 owners\r\nprotested.\r\n".encode())
    r = run("add", f, "--path", empty_root)
    assert r.exit_code == 0, r.output
    assert "byte order mark" in r.output and "line break(s) made \\n" in r.output and "NFC" in r.output
    (rec,) = table(empty_root, "articles")
    assert rec["id"] == "cafe-news" and rec["text"] == "Caf\u00e9 owners\nprotested."
    assert "license unknown" in r.output  # no --license: unknown, and the user is told what that means


def test_normalise_keeps_clean_text_as_is():
    assert normalise("A.\n\nB.") == ("A.\n\nB.", [])


def test_folder_and_jsonl_in_one_call(empty_root, tmp_path):
    folder = tmp_path / "incoming"
    folder.mkdir()
    for i in range(3):
        (folder / f"story-{i}.txt").write_text(f"Story number {i} about Astana.")
    batch = jsonl(tmp_path / "batch.jsonl", {"text": "A JSONL story.", "title": "From JSONL", "url": "https://example.org/x", "split": "test"})
    r = run("add", folder, batch, "--license", "CC-BY-4.0", "--publisher", "Example News", "--path", empty_root)
    assert r.exit_code == 0, r.output
    recs = {r["id"]: r for r in table(empty_root, "articles")}
    assert set(recs) == {"story-0", "story-1", "story-2", "from-jsonl"}
    assert recs["from-jsonl"]["split"] == "test" and recs["from-jsonl"]["source_ref"].endswith("batch.jsonl:1")
    assert {r["publisher"] for r in recs.values()} == {"Example News"}


@pytest.mark.parametrize("content, message", [
    ('{"text": "x y z", "text_sha256": "00"}', "text_sha256 is derived by the tool"),
    ('{"title": "no text"}', "text is missing"),
    ('[1, 2]', "must be a JSON object"),
])
def test_bad_jsonl_is_one_line_naming_file_and_line(empty_root, tmp_path, content, message):
    f = tmp_path / "bad.jsonl"
    f.write_text('{"text": "A fine first record."}\n' + content + "\n")
    r = run("add", f, "--path", empty_root)
    assert r.exit_code != 0 and len(r.output.strip().splitlines()) == 1
    assert f"{f}:2:" in r.output and message in r.output
    assert table(empty_root, "articles") == []


def test_id_collision_and_same_text_are_refused_and_nothing_changes(story_root, tmp_path):
    before = snapshot(story_root)
    other = tmp_path / "other.txt"
    other.write_text("A different text entirely.")
    r = run("add", other, "--title", "Putin meets Tokayev", "--path", story_root)
    assert r.exit_code != 0 and "'putin-meets-tokayev' is taken" in r.output
    same = tmp_path / "same.txt"
    same.write_text(STORY)
    r = run("add", same, "--path", story_root)
    assert r.exit_code != 0 and "same text is already article 'putin-meets-tokayev'" in r.output
    assert snapshot(story_root) == before


def test_bad_metadata_is_a_finding_naming_the_file(empty_root, tmp_path):
    f = tmp_path / "story.txt"
    f.write_text("Some text.")
    r = run("add", f, "--published", "10/01/2022", "--path", empty_root)
    assert r.exit_code == 1 and f"{f}" in r.output and "schema-pattern" in r.output
    assert table(empty_root, "articles") == []


def test_title_for_many_files_is_refused(empty_root, tmp_path):
    for n in "ab":
        (tmp_path / f"{n}.txt").write_text(f"Text {n}.")
    r = run("add", tmp_path / "a.txt", tmp_path / "b.txt", "--title", "One title", "--path", empty_root)
    assert r.exit_code != 0 and "one article" in r.output


def test_split_is_deterministic_and_follows_the_ratios():
    ratios = parse_ratios("80/10/10")
    ids = [f"article-{i}" for i in range(5000)]
    assert [split_for(i, ratios) for i in ids] == [split_for(i, parse_ratios("train=0.8,validation=0.1,test=0.1")) for i in ids]
    counts = Counter(split_for(i, ratios) for i in ids)
    assert 3800 < counts["train"] < 4200 and 380 < counts["validation"] < 620 and 380 < counts["test"] < 620
    assert {split_for(i, parse_ratios("train=1")) for i in ids[:200]} == {"train"}


def test_slug():
    assert slug("Putin meets Tokayev: the CSTO's first intervention!") == "putin-meets-tokayev-the-csto-s-first-intervention"
    assert slug("Ação em Almaty") == "acao-em-almaty"
    assert len(slug("word " * 50)) <= 80 and not slug("word " * 50).endswith("-")


def test_dry_run_writes_nothing(empty_root, tmp_path):
    (tmp_path / "story.txt").write_text("Some text.")
    r = run("add", tmp_path / "story.txt", "--dry-run", "--path", empty_root)
    assert r.exit_code == 0 and "dry run" in r.output and table(empty_root, "articles") == []


# --- annotations by text ----------------------------------------------------------------------------

def test_occurrences_respect_word_boundaries_and_code_points():
    text = "Kazakhstan and the Kazakh people 🇰🇿 Kazakh."
    assert occurrences(text, "Kazakh") == [19, text.rindex("Kazakh")]
    s, e = find_spans(text, {"text": "Kazakh", "occurrence": 2})[0]
    assert text[s:e] == "Kazakh" and s == len("Kazakhstan and the Kazakh people 🇰🇿 ")


def test_entities_events_claims_by_text(story_root, tmp_path):
    aid = "putin-meets-tokayev"
    ents = jsonl(tmp_path / "e.jsonl",
                 {"article_id": aid, "type": "PER", "wikidata": "Q7747", "mentions": [{"text": "Putin", "occurrence": "all", "kind": "NAM"}]},
                 {"article_id": aid, "id": "E9", "type": "PER", "mentions": [{"text": "Tokayev", "occurrence": 1, "kind": "NAM"},
                                                                              {"text": "Tokayev", "context": "Tokayev thanked", "kind": "NAM"}]},
                 {"article_id": aid, "type": "GPE", "name": "Almaty", "mentions": [{"text": "Almaty", "occurrence": 2, "kind": "NAM", "id": "M20"}]})
    r = run("import", "entities", ents, "--annotator", "ann1", "--path", story_root)
    assert r.exit_code == 0, r.output
    got = {e["id"]: e for e in table(story_root, "entities")}
    assert set(got) == {f"{aid}/E9", f"{aid}/E10", f"{aid}/E11"}  # new ids follow the highest one of the article
    for e in got.values():
        for m in e["mentions"]:
            assert STORY[m["start"]:m["end"]] == m["text"]
    assert [m["start"] for m in got[f"{aid}/E10"]["mentions"]] == [0, STORY.rindex("Putin")]
    assert got[f"{aid}/E11"]["mentions"][0]["id"] == f"{aid}/M20" and got[f"{aid}/E11"]["mentions"][0]["start"] == STORY.rindex("Almaty")
    assert got[f"{aid}/E10"]["name"] == "Putin" and got[f"{aid}/E10"]["source_ref"].endswith("e.jsonl:1")
    assert {m["id"] for e in got.values() for m in e["mentions"]} >= {f"{aid}/M21", f"{aid}/M22"}  # no clash with M20

    evs = jsonl(tmp_path / "v.jsonl", {"article_id": aid, "type": "contact.meet", "trigger": "met", "time": None, "arguments": [
        {"role": "participant", "mention": {"text": "Putin", "occurrence": 1}},
        {"role": "participant", "mention": {"text": "Tokayev", "occurrence": 1}},
        {"role": "place", "mention": {"text": "Almaty", "occurrence": 1}}]})
    r = run("import", "events", evs, "--annotator", "ann1", "--path", story_root)
    assert r.exit_code == 1 and "mention-not-found" in r.output and "arguments[2]" in r.output  # the mention is the 2nd Almaty, not the 1st
    evs = jsonl(tmp_path / "v.jsonl", {"article_id": aid, "type": "contact.meet", "trigger": "met", "arguments": [
        {"role": "participant", "mention": {"text": "Putin", "occurrence": 1}},
        {"role": "participant", "mention": {"text": "Tokayev", "occurrence": 1}}]})
    r = run("import", "events", evs, "--annotator", "ann1", "--path", story_root)
    assert r.exit_code == 0, r.output
    (ev,) = table(story_root, "events")
    assert ev["trigger"] == {"start": 6, "end": 9, "text": "met"} and (ev["realis"], ev["polarity"]) == ("actual", "positive")
    assert [(a["entity_id"], a["mention_id"]) for a in ev["arguments"]] == [(f"{aid}/E10", got[f"{aid}/E10"]["mentions"][0]["id"]),
                                                                            (f"{aid}/E9", got[f"{aid}/E9"]["mentions"][0]["id"])]
    cls = jsonl(tmp_path / "c.jsonl", {"article_id": aid, "span": "Almaty was calm", "by_author": True, "quote": "none", "stance": "affirm",
                                       "topic": "calm in Almaty", "checkworthy": False, "event_ids": ["V1"]})
    r = run("import", "claims", cls, "--annotator", "ann1", "--path", story_root)
    assert r.exit_code == 0, r.output
    (claim,) = table(story_root, "claims")
    assert claim["id"] == f"{aid}/C1" and claim["event_ids"] == [ev["id"]] and claim["claimer"] is None
    assert run("validate", story_root).exit_code == 0


@pytest.mark.parametrize("mention, check, hint", [
    ({"text": "Almaty", "kind": "NAM"}, "span-ambiguous", "occurs 2 times in the article (at 21, 62)"),
    ({"text": "Almaty", "occurrence": 3, "kind": "NAM"}, "span-not-found", "occurs 2 time(s)"),
    ({"text": "Kazakh", "kind": "NAM"}, "span-not-found", "does not occur"),
    ({"text": "Toka", "kind": "NAM"}, "span-not-found", "only inside a word, first at 10 ('Tokayev')"),
    ({"text": "almaty", "occurrence": 1, "kind": "NAM"}, "span-not-found", "with other case it occurs at 21"),
    ({"text": "Putin", "context": "Putin met Tokayev in Oslo", "kind": "NAM"}, "span-not-found", "context"),
])
def test_unanchorable_spans_are_findings_naming_file_line_and_field(story_root, tmp_path, mention, check, hint):
    before = snapshot(story_root)
    f = jsonl(tmp_path / "e.jsonl", {"article_id": "putin-meets-tokayev", "type": "GPE", "mentions": [{"text": "Putin", "occurrence": 1, "kind": "NAM"}]},
              {"article_id": "putin-meets-tokayev", "type": "GPE", "mentions": [mention]})
    r = run("import", "entities", f, "--annotator", "ann1", "--path", story_root)
    assert r.exit_code == 1
    (line,) = [x for x in r.output.splitlines() if f" {check}:" in x]
    assert line.startswith(f"{f}:2 [putin-meets-tokayev/E2] mentions[0]:") and hint in line, line
    assert snapshot(story_root) == before


def test_gate_findings_name_file_and_line(story_root, tmp_path):
    """A level-2/3 finding of the merged corpus points at the input line that causes it."""
    f = jsonl(tmp_path / "e.jsonl", {"article_id": "putin-meets-tokayev", "type": "PER", "mentions": [{"text": "Putin", "occurrence": 1, "kind": "NAM"}]},
              {"article_id": "putin-meets-tokayev", "type": "PER", "mentions": [{"start": 0, "end": 6, "text": "Putin ", "kind": "NAM"}]})
    r = run("import", "entities", f, "--annotator", "ann1", "--path", story_root)
    assert r.exit_code == 1
    lines = [x for x in r.output.splitlines() if "span-whitespace-edge" in x or "span-multiple-entities" in x]
    assert lines and all(x.startswith(f"{f}:2 ") for x in lines), r.output


def test_full_offset_form_still_works(story_root, tmp_path):
    from conftest import entity, mention, span

    rec = entity("putin-meets-tokayev/E1", "PER", "Putin", [mention("putin-meets-tokayev/M1", span(STORY, "Putin"), "NAM")], aid="putin-meets-tokayev")
    r = run("import", "entities", jsonl(tmp_path / "e.jsonl", rec), "--path", story_root)
    assert r.exit_code == 0, r.output
    assert table(story_root, "entities")[0]["mentions"][0]["start"] == 0
