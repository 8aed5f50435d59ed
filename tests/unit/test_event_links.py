"""An EVENT entity names event rows (entities.event_ids, schema 1.2.0): checked at levels 2 and 3, carried by
import, Label Studio push/pull, brat, retext and migrate; on a fixture corpus."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from conftest import entity, fixture_records, mention, parquet_rows, span
from newscorpus.cli import main
from newscorpus.contract import SCHEMA_VERSION_KEY, load_contract
from newscorpus.store.migrate import migrate_corpus

A = "fx-meet"
T1 = fixture_records()["articles"][0]["text"]


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def import_entities(root, tmp_path, *records, name="links.jsonl"):
    path = tmp_path / name
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return run("import", "entities", path, "--path", root)


def talks(links, etype="EVENT", eid=f"{A}/E8"):
    """An entity on `the talks` of the fixture's first article naming `links`."""
    return entity(eid, etype, "the Putin-Tokayev talks", [mention(f"{A}/M8", span(T1, "the talks"), "NOM")], aid=A,
                  event_ids=links)


def event_ids(root, article=A):
    return {r["id"]: [e["id"] for e in parquet_rows(root, "events") if e["article_id"] == article]
            for r in parquet_rows(root, "articles") if r["id"] == article}[article]


def test_an_event_entity_names_events_of_its_article(fixture_root, tmp_path):
    links = event_ids(fixture_root)[:1]
    result = import_entities(fixture_root, tmp_path, talks(links))
    assert result.exit_code == 0, result.output
    stored = {r["id"]: r for r in parquet_rows(fixture_root, "entities")}
    assert stored[f"{A}/E8"]["event_ids"] == links
    assert all(r["event_ids"] == [] for i, r in stored.items() if i != f"{A}/E8")  # the default, for every other entity
    assert run("validate", "--path", fixture_root).exit_code == 0
    out = CliRunner().invoke(main, ["show", A, "--path", str(fixture_root)], env={"COLUMNS": "300"}).output  # no wrapped cells
    assert "the talks (NOM)  names events " + links[0].rsplit("/", 1)[1] in out, out


@pytest.mark.parametrize("links, etype, check, field", [
    ([f"{A}/V99"], "EVENT", "event-ref-unresolved", "event_ids[0]"),
    (["fx-protest/V1"], "EVENT", "reference-cross-article", "event_ids[0]"),
    (None, "ORG", "event-link-not-event", "event_ids"),
])
def test_bad_links_are_refused_naming_the_line(fixture_root, tmp_path, links, etype, check, field):
    links = links or event_ids(fixture_root)[:1]
    before = {p: p.read_bytes() for p in fixture_root.rglob("*.parquet")}
    result = import_entities(fixture_root, tmp_path, talks(links, etype))
    assert result.exit_code == 1
    assert f"links.jsonl:1 [{A}/E8] {field}: error" in result.output and f" {check}:" in result.output, result.output
    assert {p: p.read_bytes() for p in fixture_root.rglob("*.parquet")} == before


def test_links_survive_label_studio_and_brat(fixture_root):
    from newscorpus.research.brat import from_brat, to_brat
    from newscorpus.studio.convert import Origin, records_to_result, result_to_records

    contract = load_contract(fixture_root)
    links = event_ids(fixture_root)
    ents = [e for e in parquet_rows(fixture_root, "entities") if e["article_id"] == A] + [talks(links)]
    evs = [e for e in parquet_rows(fixture_root, "events") if e["article_id"] == A]
    cls = [c for c in parquet_rows(fixture_root, "claims") if c["article_id"] == A]
    result = records_to_result(A, ents, evs, cls)
    assert sum(1 for r in result if r.get("type") == "relation" and r.get("labels") == ["names"]) == len(links)
    origin = Origin(1, 2, 3, "ann1", "candidate", "2026-12-06T00:00:00Z")
    records, findings = result_to_records(result, A, T1, origin, contract, A)
    assert not [f for f in findings if f.severity == "error"], findings
    pulled = {e["mentions"][0]["text"]: e for e in records["entities"]}
    evid = {e["trigger"]["start"]: e["id"] for e in records["events"]}
    assert pulled["the talks"]["event_ids"] == [evid[e["trigger"]["start"]] for e in sorted(evs, key=lambda v: v["id"]) if e["id"] in links]
    assert all(e["event_ids"] == [] for t, e in pulled.items() if t != "the talks")
    ann = to_brat(T1, ents, evs, cls)
    back = from_brat(A, T1, ann, contract)
    assert {e["id"]: e["event_ids"] for e in back["entities"]}[f"{A}/E8"] == links


def test_retext_drop_cleans_the_links_of_a_dropped_event(fixture_root, tmp_path):
    meet = next(e for e in parquet_rows(fixture_root, "events") if e["article_id"] == A and e["trigger"]["text"] == "met")
    assert import_entities(fixture_root, tmp_path, talks([meet["id"]])).exit_code == 0
    new = tmp_path / "new.txt"
    new.write_text(T1.replace(" met ", " received "), encoding="utf-8")
    result = run("retext", A, new, "--path", fixture_root, "--resolve", "drop")
    assert result.exit_code == 0, result.output
    assert {r["id"]: r for r in parquet_rows(fixture_root, "entities")}[f"{A}/E8"]["event_ids"] == []
    assert run("validate", "--path", fixture_root).exit_code == 0


def test_migrate_adds_the_column_to_a_1_1_0_table(fixture_root):
    path = fixture_root / "annotations" / "entities.parquet"
    data = pq.read_table(path)
    old = data.drop_columns(["event_ids"])
    pq.write_table(old.replace_schema_metadata({**(data.schema.metadata or {}), SCHEMA_VERSION_KEY: b"1.1.0"}), path)
    assert run("validate", "--path", fixture_root).exit_code != 0  # never read silently
    result = migrate_corpus(fixture_root)
    assert [(p.table, p.steps) for p in result.plans] == [("entities", ["entities.event_ids added, empty (link EVENT entities to their events by import)"])]
    back = pq.read_table(path)
    assert back.column_names == data.column_names and back.column("event_ids").to_pylist() == [[]] * data.num_rows
    assert back.schema.metadata[SCHEMA_VERSION_KEY] == load_contract(fixture_root).version.encode()
    assert run("validate", "--path", fixture_root).exit_code == 0
