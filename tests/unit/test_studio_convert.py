"""The converter and the pull, on hand-built Label Studio exports (no server): every studio-* check id has a
case under tests/cases/studio-<check>/, and a golden export becomes exactly the records stored beside it."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from newscorpus.store import storage
from newscorpus.contract import load_contract
from newscorpus.store.export import export_table
from newscorpus.findings import CHECKS
from newscorpus.store.importer import records_to_table
from newscorpus.studio import convert
from newscorpus.studio.convert import Origin, records_to_result, result_to_records
from newscorpus.studio.sync import SALT_PATH, pseudonym, pull

from conftest import REPO, article, claim, entity, event, make_root, mention, span

CASES = REPO / "tests" / "cases"
GOLDEN = REPO / "tests" / "golden" / "studio"
STUDIO_CHECKS = sorted(c.id for c in convert.CHECKS)
SALT = "0123456789abcdef" * 4


class FakeClient:
    """What pull asks of Label Studio, answered from a stored export."""

    url = "http://127.0.0.1:1"

    def __init__(self, export, users):
        self.export, self._users = export, {int(k): v for k, v in users.items()}

    def find_project(self, title):
        return {"id": 1, "title": title}

    def snapshot(self, project_id):
        return json.loads(json.dumps(self.export))

    def users(self):
        return self._users


def corpus_for(tmp_path, articles: dict, gold: dict | None = None) -> Path:
    root = make_root(tmp_path)
    (root / SALT_PATH).parent.mkdir(parents=True, exist_ok=True)
    (root / SALT_PATH).write_text(SALT + "\n")
    c = load_contract(root)
    tables = {"articles": records_to_table([article(a, t) for a, t in articles.items()], "articles", c)}
    for t, rows in (gold or {}).items():
        tables[t] = records_to_table(rows, t, c)
    with storage.corpus_lock(root):
        storage.write_tables(root, tables, c)
    return root


def run_case(folder: Path, tmp_path: Path):
    spec = json.loads((folder / "case.json").read_text())
    root = corpus_for(tmp_path, spec["articles"], spec.get("gold"))
    for task in spec["export"]:
        if task["data"].get("text_sha256") == "auto" and task["data"]["article_id"] in spec["articles"]:
            task["data"]["text_sha256"] = hashlib.sha256(spec["articles"][task["data"]["article_id"]].encode()).hexdigest()
    before = {p: p.read_bytes() for p in (root / "annotations").glob("*.parquet")}
    result = pull(root, client=FakeClient(spec["export"], spec["users"]), gold_rule=spec.get("rule", "ground-truth"))
    return spec, root, result, before


def test_every_studio_check_has_a_case():
    have = sorted(p.name for p in CASES.iterdir() if p.is_dir() and p.name.startswith("studio-") and p != GOLDEN)
    assert have == STUDIO_CHECKS
    assert all(CHECKS[c].level == 0 for c in STUDIO_CHECKS)


@pytest.mark.parametrize("check", STUDIO_CHECKS)
def test_case_reports_its_check(check, tmp_path):
    spec, root, result, before = run_case(CASES / check, tmp_path)
    got = {(f.check, f.record, f.field) for f in result.findings if f.check.startswith("studio-")}
    assert got == {tuple(e) for e in spec["expect"]}
    assert set(spec["also"]) <= {f.check for f in result.findings}
    if CHECKS[check].severity == "error" and check not in ("studio-gold-conflict", "studio-gold-ambiguous"):
        # the refused annotation stored nothing
        assert result.accepted == 0
        assert {p: p.read_bytes() for p in (root / "annotations").glob("*.parquet")} == before


def test_golden_export(tmp_path):
    """tests/cases/studio-export-golden/export.json (a snapshot export: emoji and combining marks before the spans,
    a span drawn across a line break, a skipped annotation, ground truth) becomes exactly records.jsonl.
    Regenerate on purpose with NEWSCORPUS_REGEN_GOLDEN=1."""
    spec = json.loads((GOLDEN / "case.json").read_text())
    root = corpus_for(tmp_path, spec["articles"])
    export = json.loads((GOLDEN / "export.json").read_text())
    result = pull(root, client=FakeClient(export, spec["users"]))
    assert result.findings == []
    lines = [line for t in ("entities", "events", "claims") for line in export_table(root, t)]
    expected = GOLDEN / "records.jsonl"
    if os.environ.get("NEWSCORPUS_REGEN_GOLDEN"):
        expected.write_text("\n".join(lines) + "\n")
    assert "\n".join(lines) + "\n" == expected.read_text()
    # and a second pull of the same export changes no byte
    before = {p: p.read_bytes() for p in (root / "annotations").glob("*.parquet")}
    again = pull(root, client=FakeClient(export, spec["users"]))
    assert not again.written and {p: p.read_bytes() for p in (root / "annotations").glob("*.parquet")} == before


TEXT = "Putin met Tokayev in Almaty.\nTokayev said the CSTO\nwould help."


def gold_records(a="a-test"):
    t = TEXT
    ents = [entity(f"{a}/E1", "PER", "Vladimir Putin", [mention(f"{a}/M1", span(t, "Putin"))], aid=a, wikidata="Q7747"),
            entity(f"{a}/E2", "PER", "Tokayev", [mention(f"{a}/M2", span(t, "Tokayev")), mention(f"{a}/M3", span(t, "Tokayev", 1), "NAM")], aid=a),
            entity(f"{a}/E3", "GPE", "Almaty", [mention(f"{a}/M4", span(t, "Almaty"))], aid=a)]
    evs = [event(f"{a}/V1", "contact.meet", span(t, "met"), [{"role": "participant", "entity_id": f"{a}/E1", "mention_id": f"{a}/M1"},
                                                             {"role": "place", "entity_id": f"{a}/E3", "mention_id": f"{a}/M4"}], aid=a)]
    evs[0]["time"] = "2022-01"
    cls = [claim(f"{a}/C1", span(t, "the CSTO\nwould help"), aid=a, claimer={"entity_id": f"{a}/E2", "mention_id": f"{a}/M3"},
                 by_author=False, cue=span(t, "said"), quote="indirect", event_ids=[f"{a}/V1"], checkworthy=True),
           claim(f"{a}/C2", span(t, "Putin met Tokayev in Almaty."), aid=a)]
    return ents, evs, cls


PROV = ("annotator", "status", "origin", "source_ref", "updated_at")


def strip(rows):
    return [{k: v for k, v in r.items() if k not in PROV} for r in rows]


def test_gold_round_trips_through_a_prediction():
    c = load_contract(REPO)
    ents, evs, cls = gold_records()
    result = records_to_result("a-test", ents, evs, cls)
    origin = Origin(1, 2, 3, "ls-abc", "gold", "2026-11-28T00:00:00Z")
    records, findings = result_to_records(result, "a-test", TEXT, origin, c, "a-test")
    assert findings == []
    assert strip(records["entities"]) == strip(ents)
    assert strip(records["events"]) == strip(evs)
    assert strip(records["claims"]) == strip(cls)
    assert {r["source_ref"] for r in records["claims"]} == {"label-studio:project/1/task/2/annotation/3"}


def test_browser_line_break_text_is_accepted_and_recomputed():
    c = load_contract(REPO)
    ents, evs, cls = gold_records()
    result = records_to_result("a-test", [], [], cls[:1] and [{**cls[0], "claimer": None, "event_ids": []}])
    for item in result:
        if item.get("type") == "labels" and "\n" in item["value"]["text"]:
            item["value"]["text"] = item["value"]["text"].replace("\n", "\\n")
    records, findings = result_to_records(result, "a-test", TEXT, Origin(1, 2, 3, "ls-abc", "candidate", "2026-11-28T00:00:00Z"), c, "a-test/ls-abc")
    assert findings == []
    assert records["claims"][0]["span"]["text"] == "the CSTO\nwould help"
    assert records["claims"][0]["id"] == "a-test/ls-abc/C1"


def test_relation_drawn_backwards_is_normalised():
    c = load_contract(REPO)
    ents, evs, _ = gold_records()
    result = records_to_result("a-test", ents, evs, [])
    for item in result:
        if item.get("type") == "relation":
            item["from_id"], item["to_id"] = item["to_id"], item["from_id"]
    records, findings = result_to_records(result, "a-test", TEXT, Origin(1, 2, 3, "ls-abc", "gold", "2026-11-28T00:00:00Z"), c, "a-test")
    assert findings == [] and strip(records["events"]) == strip(evs)


def test_pseudonym_is_stable_and_not_the_email():
    salt = SALT.encode()
    p = pseudonym(salt, "Ann@Example.org")
    assert p == pseudonym(salt, " ann@example.org ") and p.startswith("ls-") and "ann" not in p
    assert p != pseudonym(b"another-salt-another-salt-another", "ann@example.org")
    assert pseudonym(salt, None, 7) == pseudonym(salt, "", 7) != pseudonym(salt, None, 8)
