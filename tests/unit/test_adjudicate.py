"""Adjudication: disagreements lined up, gold rows chosen from candidates, ids stable, refusals with findings."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from newscorpus.store import storage
from newscorpus.research.adjudicate import adjudicate, disagreements, read_decisions
from newscorpus.research.agreement import agreement_figures
from newscorpus.cli import CorpusGroup
from newscorpus.contract import load_contract
from newscorpus.errors import InputError, Refused
from newscorpus.cli.research import adjudicate as adjudicate_cmd
from newscorpus.check.validate import validate_corpus

from test_agreement import A, TEXT, build_corpus

NOW = "2026-12-01T10:00:00Z"


@pytest.fixture
def root(tmp_path):
    return build_corpus(tmp_path)


def gold(root):
    contract = load_contract(root)
    out = {}
    for t in ("entities", "events", "claims"):
        rows = storage.read_table(root, t, contract).to_pylist()
        out[t] = sorted((r for r in rows if r["status"] == "gold"), key=lambda r: r["id"])
    return out


def test_disagreements_side_by_side(root):
    d = disagreements(root, A)
    assert d.annotators == ["anna", "ben"]
    # every item differs somewhere: coreference of Putin and He, type of Almaty, spans, arguments of met, stance
    assert [(i.kind, i.text) for i in d.disagreed] == [
        ("claim", "Putin met President Tokayev in Almaty"), ("mention", "Putin"), ("event", "met"), ("mention", "President Tokayev"),
        ("mention", "Tokayev"), ("mention", "Almaty"), ("mention", "He"), ("event", "said"), ("claim", "the talks went well"),
        ("claim", "talks went well"), ("event", "talks")]  # text order; at one start the longer span first
    putin = next(i for i in d.items if i.text == "Putin")
    assert putin.versions == {"anna": "PER NAM = He", "ben": "PER NAM (singleton)"}
    he = next(i for i in d.items if i.text == "He")
    assert he.versions == {"anna": "PER PRO = Putin", "ben": "PER PRO = President Tokayev"}
    said = next(i for i in d.items if i.text == "said")
    assert said.versions["ben"] is None and said.records == {"anna": [f"{A}/anna/V2"]}
    assert json.loads(json.dumps(d.as_dict()))["annotators"] == ["anna", "ben"]


def test_identical_versions_have_no_disagreement(tmp_path):
    root = build_corpus(tmp_path, (("anna", "anna"), ("carl", "anna")))
    d = disagreements(root, A)
    assert len(d.items) == 4 + 2 + 2 and d.disagreed == []  # 4 mentions, 2 events, 2 claims, all agreed


def test_prefer_writes_gold_in_the_gold_id_space(root):
    result = adjudicate(root, A, "lead-1", prefer="anna", now=NOW)
    assert result.written and result.replaced == {"entities": 0, "events": 0, "claims": 0}
    g = gold(root)
    # mentions numbered in text order, entities by first mention, events by trigger, claims by span (GUIDELINES §1.2)
    assert [(e["id"], [(m["id"], m["text"]) for m in e["mentions"]]) for e in g["entities"]] == [
        (f"{A}/E1", [(f"{A}/M1", "Putin"), (f"{A}/M4", "He")]), (f"{A}/E2", [(f"{A}/M2", "Tokayev")]), (f"{A}/E3", [(f"{A}/M3", "Almaty")])]
    assert [(v["id"], v["trigger"]["text"]) for v in g["events"]] == [(f"{A}/V1", "met"), (f"{A}/V2", "said")]
    assert g["events"][1]["arguments"] == [{"role": "speaker", "entity_id": f"{A}/E1", "mention_id": f"{A}/M4"}]
    assert [c["id"] for c in g["claims"]] == [f"{A}/C1", f"{A}/C2"]
    assert g["claims"][1]["claimer"] == {"entity_id": f"{A}/E1", "mention_id": f"{A}/M4"}
    row = g["entities"][0]
    assert (row["annotator"], row["status"], row["origin"], row["source_ref"], row["updated_at"]) == (
        "lead-1", "gold", "manual", f"adjudicated:{A}/anna/E1", NOW)
    assert validate_corpus(root).ok
    assert agreement_figures(root)["articles"] == [A]  # the candidates are kept


def test_decisions_mix_versions_and_keep_ids_stable(root, tmp_path):
    adjudicate(root, A, "lead-1", prefer="anna", now=NOW)
    path = tmp_path / "decisions.json"
    path.write_text(json.dumps({"default": "anna", "take": {"ben": [f"{A}/ben/V2"]}}))
    adjudicate(root, A, "lead-1", decisions=read_decisions(path), now=NOW)
    g = gold(root)
    # met and said keep V1 and V2; ben's talks is new: V3
    assert [(v["id"], v["trigger"]["text"], v["source_ref"]) for v in g["events"]] == [
        (f"{A}/V1", "met", f"adjudicated:{A}/anna/V1"), (f"{A}/V2", "said", f"adjudicated:{A}/anna/V2"),
        (f"{A}/V3", "talks", f"adjudicated:{A}/ben/V2")]
    # now ben's whole version: said is gone, and its id V2 is not given to anything else
    result = adjudicate(root, A, "lead-2", prefer="ben", now=NOW)
    assert result.replaced == {"entities": 3, "events": 3, "claims": 2}
    g = gold(root)
    assert [(v["id"], v["trigger"]["text"]) for v in g["events"]] == [(f"{A}/V1", "met"), (f"{A}/V3", "talks")]
    # "President Tokayev" is a new span: a new mention id after the largest used (M4) and a new entity id
    ents = {e["id"]: [m["text"] for m in e["mentions"]] for e in g["entities"]}
    assert ents == {f"{A}/E1": ["Putin"], f"{A}/E4": ["President Tokayev", "He"], f"{A}/E3": ["Almaty"]}
    assert {m["text"]: m["id"] for e in g["entities"] for m in e["mentions"]} == {
        "Putin": f"{A}/M1", "President Tokayev": f"{A}/M5", "He": f"{A}/M4", "Almaty": f"{A}/M3"}
    assert [c["span"]["text"] for c in g["claims"]] == ["Putin met President Tokayev in Almaty", "talks went well"]
    assert [c["id"] for c in g["claims"]] == [f"{A}/C1", f"{A}/C3"]
    assert validate_corpus(root).ok


def test_refused_when_a_reference_has_no_counterpart(root):
    before = gold(root)
    with pytest.raises(Refused) as exc:
        adjudicate(root, A, "lead-1", decisions={"default": "ben", "take": {}, "drop": [f"{A}/ben/E2"]}, now=NOW)
    keys = sorted((f.check, f.table, f.field) for f in exc.value.findings)
    assert keys == [("mention-ref-unresolved", "claims", "claimer.mention_id"),
                    ("mention-ref-unresolved", "events", "arguments[1].mention_id")]
    assert gold(root) == before


def test_refused_by_the_validator_changes_nothing(root):
    # ben's Almaty is a LOC: anna's meeting then has a LOC participant, which the ontology does not allow
    with pytest.raises(Refused) as exc:
        adjudicate(root, A, "lead-1", decisions={"default": "anna", "take": {"ben": [f"{A}/ben/E3"]}, "drop": [f"{A}/anna/E3"]}, now=NOW)
    assert [(f.check, f.record, f.field) for f in exc.value.findings] == [
        ("event-argument-type-not-allowed", f"{A}/V1", "arguments[2].entity_id")]
    assert gold(root) == {"entities": [], "events": [], "claims": []}


def test_dry_run_and_input_errors(root, tmp_path):
    result = adjudicate(root, A, "lead-1", prefer="anna", dry_run=True, now=NOW)
    assert not result.written and len(result.records["entities"]) == 3 and gold(root)["entities"] == []
    with pytest.raises(InputError, match="no candidate version"):
        adjudicate(root, A, "lead-1", prefer="zoe")
    with pytest.raises(InputError, match="not candidate records"):
        adjudicate(root, A, "lead-1", decisions={"default": "anna", "take": {}, "drop": ["a-test/anna/E99"]})
    with pytest.raises(InputError, match="pseudonym"):
        adjudicate(root, A, "Lead@example.org", prefer="anna")
    bad = tmp_path / "bad.json"
    bad.write_text('{"default": "anna", "keep": []}')
    with pytest.raises(InputError):
        read_decisions(bad)


def _cli():
    return CorpusGroup(commands={"adjudicate": adjudicate_cmd})


def test_cli(root):
    runner = CliRunner()
    shown = runner.invoke(_cli(), ["adjudicate", A, "--path", str(root)], terminal_width=200)
    assert shown.exit_code == 0, shown.output
    assert "items differ" in shown.output and "President Tokayev" in shown.output
    assert runner.invoke(_cli(), ["adjudicate", A, "--prefer", "anna", "--path", str(root)]).exit_code == 2  # no --adjudicator: a usage error
    wrote = runner.invoke(_cli(), ["adjudicate", A, "--prefer", "anna", "--adjudicator", "lead-1", "--path", str(root)], terminal_width=200)
    assert wrote.exit_code == 0, wrote.output
    assert f"{A}: gold is now 3 entities, 2 events, 2 claims (replacing 0 entities, 0 events, 0 claims)" in wrote.output
    refused = runner.invoke(_cli(), ["adjudicate", A, "--prefer", "zoe", "--adjudicator", "lead-1", "--path", str(root)])
    assert refused.exit_code == 1 and "no candidate version" in refused.output
    assert "Example:" in runner.invoke(_cli(), ["adjudicate", "--help"]).output
