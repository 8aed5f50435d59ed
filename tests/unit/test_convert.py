"""Conversions: the tokenizer is reversible, BIO tags report what they cannot hold, brat round-trips."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from newscorpus import storage
from newscorpus.cli import CorpusGroup
from newscorpus.contract import load_contract
from newscorpus.convert import bio_tags, convert, from_brat, read_conll, to_brat, tokenize
from newscorpus.importer import records_to_table
from newscorpus.research_cli import convert as convert_cmd
from newscorpus.validate import validate_corpus

from conftest import SEED_ARTICLE, article, entity, make_root, mention, span


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


def test_conll_of_the_seed_article(seed_root, tmp_path):
    out = tmp_path / "conll"
    result = convert(seed_root, "conll", out)
    assert result.docs == 1 and [p.name for p in result.files] == [f"{SEED_ARTICLE}.conll", "dropped.jsonl"]
    lines = (out / f"{SEED_ARTICLE}.conll").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "-DOCSTART- -X- -X- O"
    rows = read_conll(lines)
    text = storage.read_table(seed_root, "articles", load_contract(seed_root)).to_pylist()[0]["text"]
    assert all(text[s:e] == tok for tok, s, e, _ in rows)
    assert [tuple(r[:3]) for r in rows] == tokenize(text)
    mentions = sum(len(e["mentions"]) for e in _gold(seed_root)["entities"])
    begins = sum(1 for *_, tag in rows if tag.startswith("B-"))
    dropped = [json.loads(x) for x in (out / "dropped.jsonl").read_text().splitlines()]
    # every mention is either the start of a B- tag or reported; the seed article's are all on token boundaries
    assert begins + len(dropped) == mentions == 181
    assert {d["reason"] for d in dropped} == {"nested"}


def test_brat_round_trip_reproduces_the_seed_records(seed_root, tmp_path):
    out = tmp_path / "brat"
    convert(seed_root, "brat", out)
    assert (out / "annotation.conf").is_file()
    text = (out / f"{SEED_ARTICLE}.txt").read_text(encoding="utf-8")
    back = from_brat(SEED_ARTICLE, text, (out / f"{SEED_ARTICLE}.ann").read_text(encoding="utf-8"), load_contract(seed_root))
    gold = _gold(seed_root)
    for table in gold:
        assert sorted(back[table], key=lambda r: r["id"]) == gold[table], table
    assert (len(back["entities"]), len(back["events"]), len(back["claims"])) == (83, 50, 41)


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


def test_jsonl_lines(seed_root, tmp_path):
    result = convert(seed_root, "jsonl", tmp_path / "j")
    [line] = (tmp_path / "j" / "newscorpus-gold.jsonl").read_text(encoding="utf-8").splitlines()
    rec = json.loads(line)
    assert rec["article_id"] == SEED_ARTICLE and rec["tokenizer"] == "newscorpus-regex-1"
    assert len(rec["tokens"]) == len(rec["token_starts"]) == len(rec["ner_tags"])
    assert (len(rec["entities"]), len(rec["events"]), len(rec["claims"])) == (83, 50, 41)
    assert result.summary().startswith("jsonl: 1 document(s)")


def test_spacy_docbin(seed_root, tmp_path):
    spacy = pytest.importorskip("spacy")
    from spacy.tokens import DocBin

    convert(seed_root, "spacy", tmp_path / "s")
    [doc] = list(DocBin().from_disk(tmp_path / "s" / "newscorpus-gold.spacy").get_docs(spacy.blank("xx").vocab))
    text = storage.read_table(seed_root, "articles", load_contract(seed_root)).to_pylist()[0]["text"]
    assert doc.text == text
    assert len(doc.spans["mentions"]) == 181 and len(doc.spans["triggers"]) == 50 and len(doc.spans["claims"]) == 41
    assert len(doc.ents) == 181 - 15  # the 15 nested mentions are not in doc.ents (they are in doc.spans["mentions"])
    assert len([k for k in doc.spans if k.startswith("coref_clusters_")]) == 83


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


def test_cli(seed_root, tmp_path):
    cli = CorpusGroup(commands={"convert": convert_cmd})
    result = CliRunner().invoke(cli, ["convert", "--to", "brat", "--out", str(tmp_path / "b"), "--path", str(seed_root)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "brat: 1 document(s), 3 file(s) written"
    assert "Example:" in CliRunner().invoke(cli, ["convert", "--help"]).output
    bad = CliRunner().invoke(cli, ["convert", "--to", "xml", "--out", str(tmp_path)])
    assert bad.exit_code == 2
