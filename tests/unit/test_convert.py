"""Conversions: the tokenizer is reversible, BIO tags report what they cannot hold, brat round-trips."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from newscorpus.store import storage
from newscorpus.cli import CorpusGroup
from newscorpus.contract import load_contract
from newscorpus.research.convert import bio_tags, convert, from_brat, read_conll, to_brat, tokenize
from newscorpus.store.importer import records_to_table
from newscorpus.cli.research import convert as convert_cmd
from newscorpus.check.validate import validate_corpus

from conftest import REPO, article, entity, fixture_records, make_root, mention, parquet_rows, span


def test_tokenizer_keeps_offsets_and_is_reversible():
    text = "Pro-Russian  troops (almost 3,000 men) met Putin’s envoy\nin Alma-Ata, 2000s. 🙂"
    toks = tokenize(text)
    assert [t for t, _, _ in toks] == ["Pro-Russian", "troops", "(", "almost", "3,000", "men", ")", "met", "Putin", "’s",
                                       "envoy", "in", "Alma-Ata", ",", "2000s", ".", "🙂"]
    assert all(text[s:e] == t for t, s, e in toks)
    # what lies between tokens is white space only, so tokens + offsets + the text give the text back
    rebuilt = list(" " * len(text))
    for t, s, e in toks:
        rebuilt[s:e] = t
    assert all(a == b or b.isspace() for a, b in zip(rebuilt, text))
    assert "".join(text[e:s] for (_, _, e), (_, s, _) in zip(toks, toks[1:])).isspace()


TEXT = "Russian president Putin met pro-Russian separatists."


def test_bio_keeps_outermost_and_reports_nested_and_off_boundary():
    ents = [entity("a-test/E1", "PER", "Putin", [mention("a-test/M2", span(TEXT, "Russian president"), "NOM"),
                                                mention("a-test/M3", span(TEXT, "Putin"))]),
            entity("a-test/E2", "GPE", "Russia", [mention("a-test/M1", span(TEXT, "Russian"))]),
            entity("a-test/E3", "NORP", "separatists", [mention("a-test/M4", span(TEXT, "Russian separatists"))])]
    tokens, tags, dropped = bio_tags(TEXT, ents)
    assert list(zip([t for t, _, _ in tokens], tags)) == [
        ("Russian", "B-PER"), ("president", "I-PER"), ("Putin", "B-PER"), ("met", "O"), ("pro-Russian", "O"),
        ("separatists", "O"), (".", "O")]
    # "Russian" inside "Russian president": nested, outermost kept; "Russian separatists" starts inside the
    # token pro-Russian: reported, never shifted
    assert [(d["mention_id"], d["reason"]) for d in dropped] == [("a-test/M1", "nested"), ("a-test/M4", "off-token-boundary")]
    assert dropped[0]["kept"] == "a-test/M2"


def test_bio_reports_crossing():
    text = "New York Times Square"
    ents = [entity("a-test/E1", "ORG", "x", [mention("a-test/M1", span(text, "New York Times"))]),
            entity("a-test/E2", "FAC", "y", [mention("a-test/M2", span(text, "York Times Square"))])]
    _, tags, dropped = bio_tags(text, ents)
    assert tags == ["B-ORG", "I-ORG", "I-ORG", "O"]
    assert [(d["mention_id"], d["reason"]) for d in dropped] == [("a-test/M2", "crossing")]


def _gold(root):
    contract = load_contract(root)
    return {t: sorted(storage.read_table(root, t, contract).to_pylist(), key=lambda r: r["id"]) for t in ("entities", "events", "claims")}


def _gold_of(root, aid):
    return {t: [r for r in rows if r["article_id"] == aid] for t, rows in _gold(root).items()}


def _texts(root):
    return {a["id"]: a["text"] for a in parquet_rows(root, "articles")}


def test_conll_of_each_article(fixture_root, tmp_path):
    out = tmp_path / "conll"
    result = convert(fixture_root, "conll", out)
    assert result.docs == 3
    assert [p.name for p in result.files] == ["fx-meet.conll", "fx-protest.conll", "fx-unknown.conll", "dropped.jsonl"]
    for aid, text in _texts(fixture_root).items():
        lines = (out / f"{aid}.conll").read_text(encoding="utf-8").splitlines()
        assert lines[0] == "-DOCSTART- -X- -X- O"
        rows = read_conll(lines)
        assert all(text[s:e] == tok for tok, s, e, _ in rows)
        assert [tuple(r[:3]) for r in rows] == tokenize(text)
    # "Russian" lies inside "The Russian president": the outer mention is tagged, the inner one reported
    dropped = [json.loads(x) for x in (out / "dropped.jsonl").read_text().splitlines()]
    assert [(d["mention_id"], d["reason"], d["kept"]) for d in dropped] == [("fx-meet/M6", "nested", "fx-meet/M2")]
    assert_every_mention_in_conll(fixture_root, out)


def assert_every_mention_in_conll(root, out):
    """Every gold mention starts a B- tag of its entity's type at its own offset, or is reported in dropped.jsonl."""
    dropped = {json.loads(x)["mention_id"] for x in (out / "dropped.jsonl").read_text().splitlines()}
    for aid in _texts(root):
        ents = _gold_of(root, aid)["entities"]
        if not ents:
            continue
        begins = {(s, tag[2:]) for _, s, _, tag in read_conll((out / f"{aid}.conll").read_text(encoding="utf-8").splitlines())
                  if tag.startswith("B-")}
        for e in ents:
            for m in e["mentions"]:
                assert (m["start"], e["type"]) in begins or m["id"] in dropped, m["id"]


@pytest.mark.corpus
def test_every_repo_mention_is_in_the_conll_export(tmp_path):
    convert(REPO, "conll", tmp_path / "conll")
    assert_every_mention_in_conll(REPO, tmp_path / "conll")


def assert_brat_round_trip(root, out):
    """Each article's .txt and .ann give its gold records back, and each gold mention has a T line of its type."""
    contract = load_contract(root)
    for aid, text in _texts(root).items():
        gold = _gold_of(root, aid)
        if not any(gold.values()):
            continue
        assert (out / f"{aid}.txt").read_text(encoding="utf-8") == text
        ann = (out / f"{aid}.ann").read_text(encoding="utf-8")
        back = from_brat(aid, text, ann, contract)
        for table in gold:
            assert sorted(back[table], key=lambda r: r["id"]) == gold[table], (aid, table)
        spans = set()
        for line in ann.splitlines():
            if line.startswith("T"):
                _, label, covered = line.split("\t")
                kind, frags = label.split(" ", 1)
                offsets = [int(x) for frag in frags.split(";") for x in frag.split(" ")]
                spans.add((kind, offsets[0], offsets[-1], covered))
        for e in gold["entities"]:
            for m in e["mentions"]:
                assert (e["type"], m["start"], m["end"], m["text"].replace("\n", " ")) in spans, m["id"]


def test_brat_round_trip_reproduces_the_records(fixture_root, tmp_path):
    out = tmp_path / "brat"
    result = convert(fixture_root, "brat", out)
    assert (out / "annotation.conf").is_file()
    assert sorted(p.name for p in result.files if p.suffix == ".ann") == ["fx-meet.ann", "fx-protest.ann", "fx-unknown.ann"]
    assert_brat_round_trip(fixture_root, out)


@pytest.mark.corpus
def test_every_repo_article_round_trips_through_brat(tmp_path):
    convert(REPO, "brat", tmp_path / "brat")
    assert_brat_round_trip(REPO, tmp_path / "brat")


def test_brat_without_notes_gives_valid_records(tmp_path):
    # annotations made in brat carry no notes: ids are numbered, provenance comes from the caller
    text = "Putin met Tokayev in Almaty. He left."
    ents = [entity("a-test/E1", "PER", "Putin", [mention("a-test/M1", span(text, "Putin")), mention("a-test/M3", span(text, "He"), "PRO")]),
            entity("a-test/E2", "GPE", "Almaty", [mention("a-test/M2", span(text, "Almaty"))])]
    ann = "\n".join(line for line in to_brat(text, ents, [], []).splitlines() if not line.startswith("#"))
    root = make_root(tmp_path)
    contract = load_contract(root)
    recs = from_brat("a-test", text, ann, contract, annotator="brat-user", status="gold", origin="import",
                     updated_at="2026-11-28T00:00:00Z")
    assert [(e["id"], e["name"], [m["id"] for m in e["mentions"]]) for e in recs["entities"]] == [
        ("a-test/E1", "Putin", ["a-test/M1", "a-test/M2"]), ("a-test/E2", "Almaty", ["a-test/M3"])]
    assert recs["entities"][0]["mentions"][1]["kind"] == "PRO"
    storage.write_tables(root, {"articles": records_to_table([article(text=text)], "articles", contract),
                                "entities": records_to_table(recs["entities"], "entities", contract)}, contract)
    assert validate_corpus(root).ok


def _fixture_counts():
    recs = fixture_records()
    return {a["id"]: {t: [r for r in recs[t] if r["article_id"] == a["id"]] for t in ("entities", "events", "claims")}
            for a in recs["articles"]}


def test_jsonl_lines(fixture_root, tmp_path):
    result = convert(fixture_root, "jsonl", tmp_path / "j")
    lines = [json.loads(x) for x in (tmp_path / "j" / "newscorpus-gold.jsonl").read_text(encoding="utf-8").splitlines()]
    expected = _fixture_counts()
    assert [rec["article_id"] for rec in lines] == list(expected)
    for rec in lines:
        assert rec["tokenizer"] == "newscorpus-regex-1"
        assert len(rec["tokens"]) == len(rec["token_starts"]) == len(rec["ner_tags"])
        assert {t: [r["id"] for r in rec[t]] for t in expected[rec["article_id"]]} == \
            {t: [r["id"] for r in rows] for t, rows in expected[rec["article_id"]].items()}
    assert result.summary().startswith("jsonl: 3 document(s)")


def test_spacy_docbin(fixture_root, tmp_path):
    spacy = pytest.importorskip("spacy")
    from spacy.tokens import DocBin

    convert(fixture_root, "spacy", tmp_path / "s")
    docs = list(DocBin().from_disk(tmp_path / "s" / "newscorpus-gold.spacy").get_docs(spacy.blank("xx").vocab))
    texts, expected = _texts(fixture_root), _fixture_counts()
    assert [d.text for d in docs] == list(texts.values())
    for doc, (aid, rows) in zip(docs, expected.items()):
        mentions = sum(len(e["mentions"]) for e in rows["entities"])
        assert (len(doc.spans["mentions"]), len(doc.spans["triggers"]), len(doc.spans["claims"])) == (mentions, len(rows["events"]), len(rows["claims"]))
        assert len([k for k in doc.spans if k.startswith("coref_clusters_")]) == len(rows["entities"])
        # the one nested mention (fx-meet/M6 in M2) is in doc.spans["mentions"] but not in doc.ents
        assert len(doc.ents) == mentions - (aid == "fx-meet"), aid


def test_candidate_versions_get_one_file_each(tmp_path):
    text = "Putin met Tokayev."
    root = make_root(tmp_path)
    contract = load_contract(root)
    rows = [entity(f"a-test/{a}/E1", "PER", "Putin", [mention(f"a-test/{a}/M1", span(text, "Putin"))], annotator=a, status="candidate")
            for a in ("anna", "ben")]
    storage.write_tables(root, {"articles": records_to_table([article(text=text)], "articles", contract),
                                "entities": records_to_table(rows, "entities", contract)}, contract)
    result = convert(root, "conll", tmp_path / "c", status="candidate")
    assert sorted(p.name for p in result.files) == ["a-test.anna.conll", "a-test.ben.conll"]
    assert convert(root, "conll", tmp_path / "g").docs == 0


def test_cli(fixture_root, tmp_path):
    cli = CorpusGroup(commands={"convert": convert_cmd})
    result = CliRunner().invoke(cli, ["convert", "--to", "brat", "--out", str(tmp_path / "b"), "--path", str(fixture_root)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "brat: 3 document(s), 7 file(s) written"  # a .txt and an .ann each, and annotation.conf
    assert "Example:" in CliRunner().invoke(cli, ["convert", "--help"]).output
    bad = CliRunner().invoke(cli, ["convert", "--to", "xml", "--out", str(tmp_path)])
    assert bad.exit_code == 2
