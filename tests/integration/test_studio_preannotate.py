"""Pre-annotation against a real Label Studio on 127.0.0.1: push sends gazetteer suggestions for the article
without gold, an annotator (through the API) accepts some, changes one, deletes one and adds one, pull counts
it, and `newscorpus stats` shows the figures. One server for the module."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from newscorpus.store import storage
from newscorpus.cli import main
from newscorpus.contract import load_contract
from newscorpus.store.importer import records_to_table
from newscorpus.studio.client import Client
from newscorpus.check.validate import validate_corpus

from conftest import article, entity, make_root, mention, span
from studio_server import studio, studio_template  # noqa: F401  (fixtures)

pytestmark = pytest.mark.integration

GOLD = "Putin met Tokayev in Almaty, far from NATO."
NEW = "🇰🇿 Vladimir Putin and Kassym-Jomart Tokayev met in Almaty on Monday; NATO watched. Putin left."


def _corpus(tmp_path: Path) -> Path:
    root = make_root(tmp_path)
    c = load_contract(root)
    t, a = GOLD, "a-gold"
    ents = [entity(f"{a}/E1", "PER", "Vladimir Putin", [mention(f"{a}/M1", span(t, "Putin"))], aid=a, wikidata="Q7747"),
            entity(f"{a}/E2", "PER", "Kassym-Jomart Tokayev", [mention(f"{a}/M2", span(t, "Tokayev"))], aid=a),
            entity(f"{a}/E3", "GPE", "Almaty", [mention(f"{a}/M3", span(t, "Almaty"))], aid=a, wikidata="Q35493"),
            entity(f"{a}/E4", "ORG", "NATO", [mention(f"{a}/M4", span(t, "NATO"))], aid=a, wikidata="Q7184")]
    with storage.corpus_lock(root):
        storage.write_tables(root, {"articles": records_to_table([article(a, t), article("b-new", NEW)], "articles", c),
                                    "entities": records_to_table(ents, "entities", c)}, c)
    assert validate_corpus(root).ok
    return root


def _predictions(client, task_id):
    got = client.request("GET", "api/predictions/", params={"task": task_id})
    return got if isinstance(got, list) else got["results"]


def _cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_push_suggests_pull_counts_stats_shows(studio, tmp_path, monkeypatch):
    root = _corpus(tmp_path)
    monkeypatch.setenv("LABEL_STUDIO_URL", studio.url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", studio.pat)
    title = "preannotate"
    out = _cli("studio", "push", "--title", title, "--path", root)
    assert out.exit_code == 0, out.output
    assert "created 2 task(s)" in out.output and "1 pre-annotated (gazetteer-" in out.output

    client = Client(studio.url, studio.pat)
    project = client.find_project(title)
    tasks = {t["data"]["article_id"]: t for t in client.list_tasks(project["id"])}
    assert [p["model_version"] for p in _predictions(client, tasks["a-gold"]["id"])] == [f"gold-{load_contract(root).version}"]
    (pred,) = _predictions(client, tasks["b-new"]["id"])
    assert pred["model_version"].startswith("gazetteer-") and tasks["b-new"]["data"]["preannotation"] == pred["model_version"]
    regions = [(r["value"]["start"], r["value"]["end"], r["value"]["labels"][0]) for r in pred["result"] if r["type"] == "labels"]

    def at(needle, nth=0):
        s = span(NEW, needle, nth)
        return s["start"], s["end"]

    # "Vladimir Putin" is the cluster name, longer than the NAM "Putin"; the Tokayev of the gold is "Tokayev",
    # matched inside the longer "Kassym-Jomart Tokayev" (the cluster name, which wins); code points after a flag
    assert regions == [(*at("Vladimir Putin"), "PER"), (*at("Kassym-Jomart Tokayev"), "PER"), (*at("Almaty"), "GPE"),
                       (*at("NATO"), "ORG"), (*at("Putin", 1), "PER")]
    assert NEW.index("Vladimir Putin") == 3  # the flag is two code points
    values = {(r["id"], r["from_name"]): (r["value"].get("text") or r["value"].get("choices"))[0] for r in pred["result"] if r["type"] != "labels"}
    assert values[("p1", "cluster")] == values[("p5", "cluster")] == "Q7747" and values[("p1", "wikidata")] == "Q7747"
    assert values[("p1", "name")] == "Vladimir Putin" and ("p5", "name") not in values

    # the annotator keeps p1, p2 and p5, relabels Almaty as LOC, deletes NATO, adds Monday as a DATE
    by_region = {}
    for r in pred["result"]:
        by_region.setdefault(r["id"], []).append(r)
    result = by_region["p1"] + by_region["p2"] + by_region["p5"]
    # (a LOC cannot keep the Wikidata id of a GPE: the annotator clears it)
    result += [{**r, "value": {**r["value"], "labels": ["LOC"]}} if r["type"] == "labels" else r for r in by_region["p3"]
               if r["from_name"] != "wikidata"]
    s, e = at("Monday")
    result.append({"id": "new1", "from_name": "entity", "to_name": "text", "type": "labels",
                   "value": {"start": s, "end": e, "text": "Monday", "labels": ["DATE"]}})
    ann = client.request("POST", f"api/tasks/{tasks['b-new']['id']}/annotations/", json={"result": result, "parent_prediction": pred["id"]})

    again = _cli("studio", "push", "--title", title, "--path", root)
    assert again.exit_code == 0 and "2 task(s) unchanged" in again.output, again.output
    assert len(_predictions(client, tasks["b-new"]["id"])) == 1

    out = _cli("studio", "pull", "--title", title, "--path", root)
    assert out.exit_code == 0, out.output
    line = "5 suggestion(s) in 1 annotation(s): 3 accepted, 1 changed, 1 removed; 1 region(s) added by annotators"
    assert f"pre-annotation: {line}" in out.output
    assert validate_corpus(root).ok
    stored = json.loads((root / "annotations" / ".preannotation.json").read_text())["annotations"]
    assert list(stored) == [f"label-studio:project/{project['id']}/task/{tasks['b-new']['id']}/annotation/{ann['id']}"]

    text = _cli("stats", "--path", root)
    assert f"pre-annotation {line} ({pred['model_version']})" in text.output.splitlines()
    figures = json.loads(_cli("stats", "--path", root, "--format", "json").output)["preannotation"]
    assert figures == {"annotations": 1, "suggested": 5, "accepted": 3, "changed": 1, "removed": 1, "added": 1,
                       "model_versions": [pred["model_version"]]}

    # a second pull changes nothing, not even the figures file
    before = (root / "annotations" / ".preannotation.json").read_bytes()
    assert _cli("studio", "pull", "--title", title, "--path", root).exit_code == 0
    assert (root / "annotations" / ".preannotation.json").read_bytes() == before


def test_push_with_a_spacy_pipeline_and_a_missing_one(studio, tmp_path, monkeypatch):
    import spacy

    root = _corpus(tmp_path)
    monkeypatch.setenv("LABEL_STUDIO_URL", studio.url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", studio.pat)
    nlp = spacy.blank("en")
    nlp.add_pipe("entity_ruler").add_patterns([{"label": "DATE", "pattern": "Monday"}, {"label": "ORG", "pattern": "NATO"}])
    nlp.meta["name"], nlp.meta["version"] = "ruler", "0.1.0"
    nlp.to_disk(tmp_path / "pipe")

    out = _cli("studio", "push", "--title", "no-model", "--path", root, "--model", tmp_path / "nowhere")
    assert out.exit_code != 0 and len(out.output.strip().splitlines()) == 1 and "not an installed spaCy pipeline" in out.output
    client = Client(studio.url, studio.pat)
    assert client.find_project("no-model") is None  # nothing was sent

    out = _cli("studio", "push", "--title", "with-model", "--path", root, "--model", tmp_path / "pipe")
    assert out.exit_code == 0, out.output
    project = client.find_project("with-model")
    task = next(t for t in client.list_tasks(project["id"]) if t["data"]["article_id"] == "b-new")
    (pred,) = _predictions(client, task["id"])
    assert pred["model_version"].startswith("gazetteer-") and pred["model_version"].endswith("+spacy-ruler-0.1.0")
    labels = {(NEW[r["value"]["start"]:r["value"]["end"]], r["value"]["labels"][0]) for r in pred["result"] if r["type"] == "labels"}
    assert ("Monday", "DATE") in labels and ("NATO", "ORG") in labels  # NATO from the gazetteer (it wins), Monday from spaCy
    nato = next(r for r in pred["result"] if r["type"] == "labels" and r["value"]["labels"] == ["ORG"])
    assert any(r["id"] == nato["id"] and r["from_name"] == "wikidata" for r in pred["result"])
