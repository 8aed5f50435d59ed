"""Conversions: the tokenizer is reversible, BIO tags report what they cannot hold, brat round-trips."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from newscorpus.store import storage
from newscorpus.cli import CorpusGroup
from newscorpus.contract import load_contract
from newscorpus.research.brat import from_brat, to_brat
from newscorpus.research.convert import bio_tags, convert, read_conll, tokenize
from newscorpus.store.importer import records_to_table
from newscorpus.cli.research import convert as convert_cmd
from newscorpus.check.validate import validate_corpus

from conftest import NOW, REPO, article, claim, entity, event, fixture_records, make_root, mention, parquet_rows, span


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


# --- ids that from_brat makes never collide --------------------------------------------------------------

MEET = "Putin met Tokayev in Almaty. He said the talks went well."


def _noted_ann():
    """A .ann written by to_brat (notes with ids a-test/E1, M1, V1, C1), then annotated further in brat: a
    mention, an event and a claim with no note, so from_brat has to number them."""
    ents = [entity("a-test/E1", "PER", "Putin", [mention("a-test/M1", span(MEET, "Putin"))]),
            entity("a-test/E2", "PER", "Tokayev", [mention("a-test/M2", span(MEET, "Tokayev"))])]
    evs = [{**event("a-test/V1", "contact.meet", span(MEET, "met"),
                    [{"role": "participant", "entity_id": "a-test/E1", "mention_id": "a-test/M1"}])}]
    cls = [claim("a-test/C1", span(MEET, "the talks went well"))]
    ann = to_brat(MEET, ents, evs, cls)
    added = ["T90\tGPE 21 27\tAlmaty", "T91\tcontact_statement 32 36\tsaid", "E90\tcontact_statement:T91 speaker:T2",
             "T92\tClaim 0 27\tPutin met Tokayev in Almaty"]
    return ann + "\n".join(added) + "\n"


def _all_ids(recs):
    return [r["id"] for t in ("entities", "events", "claims") for r in recs[t]] + \
        [m["id"] for e in recs["entities"] for m in e["mentions"]]


def test_brat_new_ids_do_not_collide_with_ids_in_the_file(tmp_path):
    contract = load_contract(make_root(tmp_path))
    recs = from_brat("a-test", MEET, _noted_ann(), contract, updated_at=NOW)
    ids = _all_ids(recs)
    assert len(ids) == len(set(ids)), sorted(ids)
    # the noted records keep their ids; the new ones are numbered after the largest of their letter
    assert [e["id"] for e in recs["entities"]] == ["a-test/E1", "a-test/E2", "a-test/E3"]
    assert recs["entities"][2]["mentions"][0]["id"] == "a-test/M3"
    assert [v["id"] for v in recs["events"]] == ["a-test/V1", "a-test/V2"]
    assert [c["id"] for c in recs["claims"]] == ["a-test/C1", "a-test/C2"]


def test_brat_new_ids_do_not_collide_with_corpus_ids(tmp_path):
    # a .ann made in brat (no notes) for an article whose ids E1..E4, M1..M7 are stored already
    contract = load_contract(make_root(tmp_path))
    ann = "T1\tPER 0 5\tPutin\nT2\tPER 10 17\tTokayev\n"
    stored = {"a-test/E1", "a-test/E4", "a-test/M7", "a-test/anna/E9"}
    recs = from_brat("a-test", MEET, ann, contract, corpus_ids=stored, updated_at=NOW)
    assert [(e["id"], e["mentions"][0]["id"]) for e in recs["entities"]] == [("a-test/E5", "a-test/M8"), ("a-test/E6", "a-test/M9")]
    assert not set(_all_ids(recs)) & stored


def test_brat_note_ids_of_other_records_are_renumbered(tmp_path):
    # the gold export read back as candidates of ben: no note id may name a stored gold record, and the ids
    # go in ben's id space; references (arguments, claimer, about) follow the new ids
    contract = load_contract(make_root(tmp_path))
    ann = _noted_ann()
    gold = {"a-test/E1", "a-test/E2", "a-test/M1", "a-test/M2", "a-test/V1", "a-test/C1"}
    recs = from_brat("a-test", MEET, ann, contract, prefix="a-test/ben", corpus_ids=gold, updated_at=NOW)
    assert not set(_all_ids(recs)) & gold
    assert all(i.startswith("a-test/ben/") for i in _all_ids(recs))
    assert [e["id"] for e in recs["entities"]] == ["a-test/ben/E1", "a-test/ben/E2", "a-test/ben/E3"]
    assert recs["events"][0]["arguments"] == [{"role": "participant", "entity_id": "a-test/ben/E1", "mention_id": "a-test/ben/M1"}]
    assert recs["events"][1]["arguments"] == [{"role": "speaker", "entity_id": "a-test/ben/E2", "mention_id": "a-test/ben/M2"}]
    # ids the version being re-imported holds already are kept: that is an update, not a collision
    again = from_brat("a-test", MEET, ann, contract, corpus_ids=gold, own_ids=gold, updated_at=NOW)
    assert [e["id"] for e in again["entities"]][:2] == ["a-test/E1", "a-test/E2"]


def test_brat_coref_lines_sharing_a_mention_make_one_entity(tmp_path):
    # brat equivalences are transitive: T1=T2 and T2=T3 is one chain, not two entities that both hold T2
    contract = load_contract(make_root(tmp_path))
    ann = "T1\tPER 0 5\tPutin\nT2\tPER 29 31\tHe\nT3\tPER 10 17\tTokayev\n*\tCoref T1 T2\n*\tCoref T2 T3\n"
    recs = from_brat("a-test", MEET, ann, contract, updated_at=NOW)
    assert [[m["text"] for m in e["mentions"]] for e in recs["entities"]] == [["Putin", "He", "Tokayev"]]
    assert len(set(_all_ids(recs))) == len(_all_ids(recs)) == 4


# --- annotation.conf is derived from the contract ----------------------------------------------------------

def test_brat_conf_lists_are_the_contracts(tmp_path):
    from newscorpus.research.brat import BRAT_DEFAULTS, brat_attributes, brat_conf, brat_type

    contract = load_contract(make_root(tmp_path))
    sections, current = {}, None
    for line in brat_conf(contract).splitlines():
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
        elif line and not line.startswith("#") and current is not None:
            current.append(line)
    assert sections["entities"] == [*contract.entity_types, "Claim", "Cue"]
    attrs = {}
    for line in sections["attributes"]:
        name, spec = line.split("\t")
        parts = dict(p.split(":", 1) for p in spec.split(", "))
        attrs[name] = (parts["Arg"], parts["Value"].split("|") if "Value" in parts else None)
    assert attrs == {
        "Kind": ("|".join(contract.entity_types), contract.enum("entities", "mentions", "kind")),
        "Realis": ("<EVENT>", contract.enum("events", "realis")),
        "Polarity": ("<EVENT>", contract.enum("events", "polarity")),
        "Stance": ("Claim", contract.enum("claims", "stance")),
        "Quote": ("Claim", contract.enum("claims", "quote")),
        "ByAuthor": ("Claim", None),
        "Checkworthy": ("Claim", ["true", "false"]),
    }
    assert "boolean" in contract.schemas["claims"]["properties"]["checkworthy"]["type"]
    assert contract.schemas["claims"]["properties"]["by_author"]["type"] == "boolean"
    events = dict(line.split("\t") for line in sections["events"])
    assert list(events) == [brat_type(t) for t in contract.event_types]
    for t, spec in contract.ontology["event_types"].items():
        assert {r.split("*:")[0]: r.split("*:")[1].split("|") for r in events[brat_type(t)].split(", ")} == spec["roles"]
    relations = dict(line.split("\t") for line in sections["relations"])
    assert relations["Claimer"] == f"Arg1:Claim, Arg2:{'|'.join(contract.claimer_types)}"
    # what an annotation made in brat without the attribute gets is a value the contract allows
    values = {name: vals for name, (_, _, vals) in brat_attributes(contract).items()}
    assert all(v in values[name] for name, v in BRAT_DEFAULTS.items())


# --- convert --from brat -----------------------------------------------------------------------------------

def _cli():
    return CorpusGroup(commands={"convert": convert_cmd})


def _invoke(*args):
    return CliRunner().invoke(_cli(), list(map(str, args)))


def _stored(root):
    """Every stored file's bytes: what "nothing written" compares."""
    return {p: p.read_bytes() for sub in ("corpus", "annotations") for p in sorted((root / sub).rglob("*")) if p.is_file()}


_PROVENANCE = ("annotator", "status", "origin", "source_ref", "updated_at")


def _comparable(rows, space):
    """Rows without provenance, with ids of the id space `space` (ARTICLE/ANNOTATOR/) written as gold ids."""
    text = json.dumps(sorted(({k: v for k, v in r.items() if k not in _PROVENANCE} for r in rows), key=lambda r: r["id"]), sort_keys=True)
    for aid in ("fx-meet", "fx-protest", "fx-unknown"):
        text = text.replace(f'"{aid}/{space}/', f'"{aid}/')
    return json.loads(text)


def test_cli_brat_round_trip_as_candidates_of_a_new_annotator(fixture_root, tmp_path):
    out = tmp_path / "brat"
    assert _invoke("convert", "--to", "brat", "--out", out, "--path", fixture_root).exit_code == 0
    gold_before = _gold(fixture_root)
    result = _invoke("convert", "--from", "brat", out, "--annotator", "ben", "--path", fixture_root)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "brat: 3 document(s) read; entities: 13 added, 0 updated, 0 unchanged; " \
                                    "events: 4 added, 0 updated, 0 unchanged; claims: 3 added, 0 updated, 0 unchanged"
    contract = load_contract(fixture_root)
    rows = {t: storage.read_table(fixture_root, t, contract).to_pylist() for t in ("entities", "events", "claims")}
    for table in ("entities", "events", "claims"):
        gold = [r for r in rows[table] if r["status"] == "gold"]
        ben = [r for r in rows[table] if r["status"] == "candidate"]
        assert sorted(gold, key=lambda r: r["id"]) == gold_before[table]  # the gold rows are untouched
        assert _comparable(ben, "ben") == _comparable(gold_before[table], "ben"), table  # the records, modulo provenance
        assert all(r["id"].split("/")[1] == "ben" and r["annotator"] == "ben" and r["origin"] == "import" for r in ben)
        assert all(r["source_ref"].startswith(str(out / r["article_id"])) and r["source_ref"].split(".ann:")[1].isdigit() for r in ben)
    assert validate_corpus(fixture_root).ok
    # the same files again: the same ids, nothing to change
    again = _invoke("convert", "--from", "brat", out, "--annotator", "ben", "--path", fixture_root)
    assert again.exit_code == 0, again.output
    assert again.output.strip() == "brat: 3 document(s) read; entities: 0 added, 0 updated, 13 unchanged; " \
                                   "events: 0 added, 0 updated, 4 unchanged; claims: 0 added, 0 updated, 3 unchanged"
    # ben's version exported and read back gives ben's rows
    out2 = tmp_path / "ben"
    assert _invoke("convert", "--to", "brat", "--out", out2, "--status", "candidate", "--article", "fx-meet", "--path", fixture_root).exit_code == 0
    assert sorted(p.name for p in out2.iterdir()) == ["annotation.conf", "fx-meet.ben.ann", "fx-meet.ben.txt"]
    back = from_brat("fx-meet", _texts(fixture_root)["fx-meet"], (out2 / "fx-meet.ben.ann").read_text(encoding="utf-8"), contract)
    assert sorted(back["entities"], key=lambda r: r["id"]) == sorted([r for r in rows["entities"] if r["annotator"] == "ben" and r["article_id"] == "fx-meet"],
                                                                     key=lambda r: r["id"])


def test_cli_brat_import_new_annotations_get_fresh_ids_and_dry_run_writes_nothing(fixture_root, tmp_path):
    out = tmp_path / "brat"
    _invoke("convert", "--to", "brat", "--out", out, "--article", "fx-protest", "--path", fixture_root)
    ann = out / "fx-protest.ann"
    # annotated further in brat: "ministry" (inside "the ministry") as an entity of its own, with no note
    ann.write_text(ann.read_text(encoding="utf-8") + "T90\tORG 77 85\tministry\n", encoding="utf-8")
    before = _stored(fixture_root)
    dry = _invoke("convert", "--from", "brat", ann, "--annotator", "ben", "--dry-run", "--path", fixture_root)
    assert dry.exit_code == 0, dry.output
    assert "entities: 7 added" in dry.output and dry.output.strip().endswith("(dry run: nothing written)")
    assert _stored(fixture_root) == before
    # as gold: the noted records are updates of the gold rows, the new one gets the next free gold id
    result = _invoke("convert", "--from", "brat", ann, "--annotator", "lead-1", "--status", "gold", "--path", fixture_root)
    assert result.exit_code == 0, result.output
    ents = {e["id"]: e for e in _gold_of(fixture_root, "fx-protest")["entities"]}
    assert sorted(ents) == [f"fx-protest/E{i}" for i in range(1, 8)]
    assert ents["fx-protest/E7"]["mentions"][0]["id"] == "fx-protest/M7"  # M1..M6 are taken
    assert {e["annotator"] for e in ents.values()} == {"lead-1"}


def _edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize("spoil, where, says", [
    (lambda out: (out / "fx-meet.ann").unlink(), "fx-meet.txt", "no fx-meet.ann"),
    (lambda out: _edit(out / "fx-meet.ann", "\tVladimir Putin\n", "\tVladimir Pution\n"), "fx-meet.ann:1: T1:", "the line says"),
    (lambda out: _edit(out / "fx-meet.ann", "T1\tPER ", "T1\tPERSON "), "fx-meet.ann:1: T1:", "unknown type 'PERSON'"),
    (lambda out: _edit(out / "fx-meet.ann", "A1\tKind T1 NAM", "A1\tKind T1 NAME"), "fx-meet.ann:2: A1:", "Kind takes one of NAM|NOM|PRO"),
    (lambda out: _edit(out / "fx-meet.ann", " participant:T1", " victim:T1"), "fx-meet.ann:", "'victim' is not a role of contact.meet"),
    (lambda out: _edit(out / "fx-meet.ann", " participant:T1", " participant:T99"), "fx-meet.ann:", "refers to T99"),
    (lambda out: _edit(out / "fx-meet.txt", "Monday", "Tuesday"), "fx-meet.txt:", "is not the stored text of article fx-meet"),
    (lambda out: [(out / f"fx-meet.{x}").rename(out / f"fx-gone.{x}") for x in ("ann", "txt")],
     "fx-gone.ann:", "article 'fx-gone' (the file name up to its first dot) is not in the corpus"),
])
def test_cli_brat_import_refuses_bad_input_in_one_line(fixture_root, tmp_path, spoil, where, says):
    out = tmp_path / "brat"
    _invoke("convert", "--to", "brat", "--out", out, "--path", fixture_root)
    spoil(out)
    before = _stored(fixture_root)
    result = _invoke("convert", "--from", "brat", out, "--annotator", "ben", "--path", fixture_root)
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("newscorpus: ") and where in lines[0] and says in lines[0], lines
    assert "Traceback" not in result.output
    assert _stored(fixture_root) == before


def test_cli_brat_import_goes_through_the_validator_gate(fixture_root, tmp_path):
    # a DATE as the claimer: every line reads, but the corpus would gain claimer-type-not-allowed
    out = tmp_path / "brat"
    _invoke("convert", "--to", "brat", "--out", out, "--article", "fx-meet", "--path", fixture_root)
    ann = out / "fx-meet.ann"
    text = ann.read_text(encoding="utf-8")
    date_t = next(line.split("\t")[0] for line in text.splitlines() if line.startswith("T") and "\tDATE " in line)
    claimer = next(line for line in text.splitlines() if "\tClaimer " in line)
    _edit(ann, claimer, claimer.rsplit(":", 1)[0] + ":" + date_t)
    before = _stored(fixture_root)
    result = _invoke("convert", "--from", "brat", ann, "--annotator", "ben", "--path", fixture_root)
    assert result.exit_code == 1, result.output
    assert "claimer-type-not-allowed" in result.output and f"{ann}:" in result.output
    assert result.output.strip().splitlines()[-1].startswith("newscorpus: refused:")
    assert _stored(fixture_root) == before


@pytest.mark.parametrize("args", [
    ["--to", "brat"],  # no --out
    ["--to", "brat", "--out", "x", "somefile.ann"],  # FILES only with --from
    ["--from", "brat", "x"],  # no --annotator
    ["--from", "brat", "--annotator", "ben"],  # no FILES
    ["--to", "brat", "--from", "brat", "--out", "x"],
    [],
])
def test_cli_convert_usage_errors(fixture_root, args):
    result = _invoke("convert", *args, "--path", fixture_root)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
