"""The pre-annotation gazetteer and matcher (no server): which names go in, token boundaries, longest match,
no overlaps, offsets in code points, the result shape push uses for gold, the spaCy pipeline, the figures."""

from __future__ import annotations

import json
import unicodedata

import pytest

from newscorpus.contract import load_contract
from newscorpus.errors import InputError
from newscorpus.studio import preannotate as pre
from newscorpus.studio.convert import Origin, result_to_records

from conftest import entity, make_root, mention, span


def _gaz(*ents):
    return pre.build_gazetteer(list(ents))


def _ent(etype, name, surfaces, kind="NAM", wikidata=None, eid="x/E1"):
    text = " ".join(surfaces)
    return entity(eid, etype, name, [mention(f"x/M{i}", span(text, s), kind) for i, s in enumerate(surfaces)],
                  aid="x", wikidata=wikidata)


def _found(gaz, text):
    return [(text[m.start:m.end], m.entry.type) for m in gaz.match(text)]


def test_names_in_and_out_of_the_gazetteer():
    gaz = _gaz(_ent("PER", "Vladimir Putin", ["Putin"], wikidata="Q7747"),
               _ent("GPE", "Kazakhstan", ["country"], kind="NOM", eid="x/E2"),  # only a NOM: not a name
               _ent("DATE", "2022-01-10", ["Monday"], eid="x/E3"),  # a value type
               _ent("PER", "he", ["he"], kind="PRO", eid="x/E4"))
    assert set(gaz.surfaces) == {"Putin", "Vladimir Putin"}  # the NAM mention and the cluster name
    assert gaz.surfaces["Putin"] == pre.Entry("PER", "Vladimir Putin", "Q7747", "Q7747")


def test_token_boundaries_and_case():
    gaz = _gaz(_ent("ORG", "NATO", ["NATO"]))
    assert _found(gaz, "NATO, NATOs and nato; (NATO) xNATO NATO_1 NATO") == [("NATO", "ORG"), ("NATO", "ORG"), ("NATO", "ORG")]
    assert [(m.start, m.end) for m in gaz.match("NATO-led")] == [(0, 4)]  # a hyphen is a boundary


def test_a_surface_that_ends_in_punctuation_matches_before_a_letter_after_it():
    gaz = _gaz(_ent("GPE", "United States", ["U.S."]))
    assert _found(gaz, "the U.S.A and U.S.") == [("U.S.", "GPE"), ("U.S.", "GPE")]


def test_longest_match_wins_and_regions_never_overlap():
    gaz = _gaz(_ent("GPE", "Kazakhstan", ["Kazakh"]), _ent("EVENT", "2022 Kazakh unrest", ["Kazakh crisis"], eid="x/E2"),
               _ent("ORG", "Crisis Group", ["crisis Group"], eid="x/E3"))
    text = "The Kazakh crisis Group met Kazakh leaders."
    # "Kazakh crisis" (13) and "crisis Group" (12) overlap: the longer wins, "crisis Group" is dropped
    assert _found(gaz, text) == [("Kazakh crisis", "EVENT"), ("Kazakh", "GPE")]
    ms = gaz.match(text)
    assert all(a.end <= b.start for a, b in zip(ms, ms[1:]))


def test_offsets_are_code_points_after_emoji_and_combining_marks():
    name = "Ме\u0301дведев"
    gaz = _gaz(_ent("PER", "Dmitry Medvedev", [name]), _ent("PER", "Zoe", ["Zoe"], eid="x/E2"))
    text = "🇰🇿 👍🏽 " + name + " and Zoe\u0308 and Zoe."
    ms = gaz.match(text)
    assert [(m.start, m.end) for m in ms] == [(text.index(name), text.index(name) + len(name)), (text.rindex("Zoe"), text.rindex("Zoe") + 3)]
    assert ms[0].start == 6  # flag 2, space, thumb + skin tone 2, space
    # "Zoe" followed by a combining diaeresis is inside the word Zoë: no match there
    assert unicodedata.category(text[text.index("Zoe") + 3]) == "Mn"


def test_a_shared_surface_goes_to_the_entity_with_most_mentions_of_it():
    gaz = _gaz(_ent("PER", "Georgia Smith", ["Georgia"], eid="x/E1"),
               _ent("GPE", "Georgia", ["Georgia", "Georgia"], wikidata="Q230", eid="x/E2"))
    assert gaz.surfaces["Georgia"].type == "GPE"
    assert gaz.version.startswith("gazetteer-") and gaz.version == _gaz(*[
        _ent("GPE", "Georgia", ["Georgia", "Georgia"], wikidata="Q230", eid="x/E2"),
        _ent("PER", "Georgia Smith", ["Georgia"], eid="x/E1")]).version
    assert gaz.version != _gaz(_ent("GPE", "Georgia", ["Georgia"])).version


def test_result_has_the_shape_push_gives_gold_and_pulls_back_to_one_cluster(tmp_path):
    root = make_root(tmp_path)
    contract = load_contract(root)
    gaz = _gaz(_ent("PER", "Vladimir Putin", ["Putin"], wikidata="Q7747"), _ent("GPE", "Almaty", ["Almaty"], eid="x/E2"))
    text = "Putin flew to Almaty. Putin spoke."
    p = pre.Preannotator(gaz).prediction(text)
    assert p["model_version"] == gaz.version
    labels = [(r["id"], r["value"]["start"], r["value"]["end"], r["value"]["labels"][0]) for r in p["result"] if r["type"] == "labels"]
    assert labels == [("p1", 0, 5, "PER"), ("p2", 14, 20, "GPE"), ("p3", 22, 27, "PER")]
    records, findings = result_to_records(p["result"], "new", text, Origin(1, 2, 3, "ls-x", "candidate", "2026-01-01T00:00:00Z"),
                                          contract, "new/ls-x")
    assert findings == []
    ents = {e["id"]: e for e in records["entities"]}
    assert ents["new/ls-x/Q7747"]["name"] == "Vladimir Putin" and ents["new/ls-x/Q7747"]["wikidata"] == "Q7747"
    assert [m["text"] for m in ents["new/ls-x/Q7747"]["mentions"]] == ["Putin", "Putin"]
    assert ents["new/ls-x/Almaty"]["type"] == "GPE"
    assert pre.Preannotator(gaz).prediction("nothing here") is None


def test_spacy_pipeline_from_a_folder_maps_ontonotes_labels(tmp_path):
    import spacy

    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": "PERSON", "pattern": "Tokayev"}, {"label": "WORK_OF_ART", "pattern": "Hamlet"},
                        {"label": "GPE", "pattern": "Almaty"}])
    nlp.meta["name"], nlp.meta["version"] = "ruler", "1.2.3"
    nlp.to_disk(tmp_path / "pipe")
    contract = load_contract(make_root(tmp_path))
    model = pre.SpacyModel(str(tmp_path / "pipe"), contract)
    assert model.version == "spacy-ruler-1.2.3"
    gaz = _gaz(_ent("GPE", "Almaty city", ["Almaty"], wikidata="Q35493"))
    both = pre.Preannotator(gaz, model)
    assert both.version == f"{gaz.version}+spacy-ruler-1.2.3" and pre.is_preannotation(both.version)
    text = "Tokayev read Hamlet in Almaty."
    found = [(text[m.start:m.end], m.entry.type, m.entry.wikidata) for m in pre.suggest(text, gaz, model)]
    assert found == [("Tokayev", "PER", None), ("Almaty", "GPE", "Q35493")]  # WORK_OF_ART has no type; the gazetteer wins
    with pytest.raises(InputError, match="not an installed spaCy pipeline"):
        pre.SpacyModel(str(tmp_path / "nowhere"), contract)


def test_compare_counts_accepted_changed_removed_added():
    def reg(rid, s, e, label):
        return {"id": rid, "from_name": "entity", "to_name": "text", "type": "labels", "value": {"start": s, "end": e, "labels": [label]}}

    sent = [reg("p1", 0, 5, "PER"), reg("p2", 10, 16, "GPE"), reg("p3", 20, 25, "ORG"), reg("p4", 30, 35, "PER")]
    done = [reg("p1", 0, 5, "PER"), reg("p2", 10, 16, "LOC"), reg("p3", 20, 28, "ORG"), reg("n1", 40, 44, "ORG")]
    assert pre.compare(sent, done) == {"suggested": 4, "accepted": 1, "changed": 2, "removed": 1, "added": 1}


def test_figures_are_written_whole_and_only_when_they_change(tmp_path):
    f1 = {"label-studio:project/1/task/2/annotation/3": {"model_version": "gazetteer-x", "suggested": 2, "accepted": 1,
                                                         "changed": 1, "removed": 0, "added": 0}}
    assert pre.write_figures(tmp_path, f1) and not pre.write_figures(tmp_path, f1)
    assert pre.read_figures(tmp_path) == f1
    merged = pre.merge_figures(f1, "label-studio:project/1/", {})
    assert merged == {} and pre.summarize(merged) is None
    assert pre.merge_figures(f1, "label-studio:project/10/", {}) == f1
    assert pre.summarize(f1)["accepted"] == 1
    (tmp_path / pre.FIGURES_PATH).write_text("{", encoding="utf-8")
    with pytest.raises(InputError, match=r"\.preannotation\.json"):
        pre.read_figures(tmp_path)
    assert json.loads(json.dumps(pre.summarize(f1)))["model_versions"] == ["gazetteer-x"]
