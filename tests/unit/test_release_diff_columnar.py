"""The columnar diff gives the changes the record-by-record diff it replaced gave: added, removed and
changed ids (nested fields, nulls, list lengths, labels), split moves, repeated ids, declared reasons, both
from corpus records and from release rows (labels as ClassLabel ids)."""

from __future__ import annotations

import pyarrow as pa
from conftest import article, claim, entity, event, make_root, mention, span

from newscorpus.contract import load_contract
from newscorpus.release.diff import diff_snapshots, render_changelog, undeclared
from newscorpus.release.snapshot import KINDS, PROVENANCE, snapshot_built, snapshot_records
from newscorpus.release.features import release_schema
from newscorpus.release.tables import config_tables

TEXT = "Putin met Tokayev in Almaty."
TEXT_B = "Prices rose in Almaty."


# --- the record-by-record diff, as it was before the columnar one: the oracle ---------------------------
def _old_add(snap, kind, rec):
    if kind == "entities":
        for m in rec.get("mentions") or []:
            snap["mentions"][m["id"]] = {**{k: v for k, v in m.items() if k != "id"}, "entity_id": rec["id"],
                                         "article_id": rec["article_id"], "entity_type": rec["type"]}
        rec = {**rec, "mentions": [m["id"] for m in rec.get("mentions") or []]}
    snap[kind][rec["id"]] = {k: v for k, v in rec.items() if k != "id"}


def old_snapshot(articles, entities, events, claims):
    ann = {"entities": entities, "events": events, "claims": claims}
    ann = {k: [r for r in rows if r.get("status") == "gold"] for k, rows in ann.items()}
    annotated = {r["article_id"] for rows in ann.values() for r in rows}
    snap = {k: {} for k in KINDS}
    for a in articles:
        if a["id"] in annotated:
            _old_add(snap, "articles", {k: v for k, v in a.items() if k not in ("source_ref", "updated_at")})
    for kind, rows in ann.items():
        for r in rows:
            _old_add(snap, kind, {k: v for k, v in r.items() if k not in PROVENANCE})
    return snap


def old_diff(old, new):
    out, moved = {}, {}
    for k in KINDS:
        a, b = old[k], new[k]
        changed = {}
        for rid in sorted(set(a) & set(b)):
            fields = sorted(f for f in set(a[rid]) | set(b[rid]) if a[rid].get(f) != b[rid].get(f))
            if k == "articles" and "split" in fields:
                moved[rid] = {"from": a[rid].get("split"), "to": b[rid].get("split")}
                fields.remove("split")
            if fields:
                changed[rid] = fields
        out[k] = {"added": sorted(set(b) - set(a)), "removed": sorted(set(a) - set(b)), "changed": changed}
    return {"initial": False, **out, "moved": moved}


def old_undeclared(old, diff, declared):
    idx = {(d["kind"], d["id"], d["change"], d.get("to")): d["reason"] for d in declared}

    def reason(kind, rid):
        if (kind, rid, "removed", None) in idx:
            return idx[(kind, rid, "removed", None)]
        rec = old[kind].get(rid, {})
        if kind == "mentions" and rec.get("entity_id") in diff["entities"]["removed"]:
            r = reason("entities", rec["entity_id"])
            if r:
                return r
        if kind != "articles" and rec.get("article_id") in diff["articles"]["removed"]:
            return idx.get(("articles", rec.get("article_id"), "removed", None))
        return None

    problems = [f"{k} [{rid}]: removed since the previous release, not declared in changes/declared.yaml"
                for k in KINDS for rid in diff[k]["removed"] if not reason(k, rid)]
    problems += [f"articles [{aid}]: moved from {m['from']} to {m['to']}, not declared in changes/declared.yaml"
                 for aid, m in sorted(diff["moved"].items()) if (("articles", aid, "moved", m["to"]) not in idx)]
    return problems


# --- two versions of a small corpus -------------------------------------------------------------------
def _args(*pairs):
    return [{"role": role, "entity_id": eid, "mention_id": f"{eid}/M1"} for role, eid in pairs]


def version_1():
    return {
        "articles": [article(text=TEXT), article("b-test", text=TEXT_B), article("c-test", text=TEXT_B)],
        "entities": [entity("a-test/T1", "PER", "Putin", [mention("a-test/T1/M1", span(TEXT, "Putin"))]),
                     entity("a-test/T2", "PER", "Tokayev", [mention("a-test/T2/M1", span(TEXT, "Tokayev"))]),
                     entity("b-test/T1", "GPE", "Almaty", [mention("b-test/T1/M1", span(TEXT_B, "Almaty"))], aid="b-test"),
                     entity("c-test/T1", "GPE", "Almaty", [mention("c-test/T1/M1", span(TEXT_B, "Almaty"))], aid="c-test")],
        "events": [event("a-test/E1", "conflict.attack", span(TEXT, "met"), _args(("attacker", "a-test/T1"), ("target", "a-test/T2")))],
        "claims": [claim("a-test/C1", span(TEXT, "Putin met Tokayev")), claim("b-test/C1", span(TEXT_B, "Prices rose"), aid="b-test")],
    }


def version_2():
    """Every kind of change: a split move and a changed title, a changed mention kind (the entity keeps its
    mention ids), a removed entity, an added one, a repeated id (its last row counts), a changed argument role,
    a null turned into a value, a longer list, a removed article with its annotations, a candidate row."""
    return {
        "articles": [article(text=TEXT, split="test", title="A meeting"), article("c-test", text=TEXT_B)],
        "entities": [entity("a-test/T1", "PER", "Vladimir Putin", [mention("a-test/T1/M1", span(TEXT, "Putin"))]),
                     entity("a-test/T1", "PER", "Putin", [mention("a-test/T1/M1", span(TEXT, "Putin"), kind="NOM")]),
                     entity("a-test/T3", "GPE", "Almaty", [mention("a-test/T3/M1", span(TEXT, "Almaty")),
                                                            mention("a-test/T3/M2", span(TEXT, "Almaty"))]),
                     entity("a-test/T9", "GPE", "Almaty", [mention("a-test/T9/M1", span(TEXT, "Almaty"))], status="candidate"),
                     entity("c-test/T1", "GPE", "Almaty", [mention("c-test/T1/M1", span(TEXT_B, "Almaty"))], aid="c-test",
                            annotator="someone-else")],
        "events": [{**event("a-test/E1", "conflict.attack", span(TEXT, "met"), _args(("target", "a-test/T1"), ("target", "a-test/T3"))),
                    "time": "2022-01-10"}],
        "claims": [claim("a-test/C1", span(TEXT, "Putin met Tokayev"), event_ids=["a-test/E1"], stance="refute")],
    }


DECLARED = [{"kind": "entities", "id": "a-test/T2", "change": "removed", "reason": "merged into T1"},
            {"kind": "articles", "id": "b-test", "change": "removed", "reason": "retracted"},
            {"kind": "articles", "id": "a-test", "change": "moved", "to": "test", "reason": "rebalanced"}]


def _expected():
    old = old_snapshot(*version_1().values())
    diff = old_diff(old, old_snapshot(*version_2().values()))
    return old, diff


def test_columnar_diff_of_records_is_the_record_by_record_diff():
    old, expected = _expected()
    changes = diff_snapshots(snapshot_records(*version_1().values()), snapshot_records(*version_2().values()))
    assert changes.as_dict() == expected
    assert list(changes.as_dict()["mentions"]["changed"]) == list(expected["mentions"]["changed"])  # same order
    for declared in ([], DECLARED, DECLARED[:1], DECLARED[1:]):
        assert undeclared(changes, declared) == old_undeclared(old, expected, declared)
    # what the case covers, so that a change to it cannot make the comparison vacuous
    assert expected["entities"] == {"added": ["a-test/T3"], "removed": ["a-test/T2", "b-test/T1"], "changed": {}}
    assert expected["mentions"]["changed"] == {"a-test/T1/M1": ["kind"]}
    assert expected["events"]["changed"] == {"a-test/E1": ["arguments", "time"]}
    assert expected["claims"]["changed"] == {"a-test/C1": ["event_ids", "stance"]}
    assert expected["articles"] == {"added": [], "removed": ["b-test"], "changed": {"a-test": ["title"]}}
    assert expected["moved"] == {"a-test": {"from": "train", "to": "test"}}


def _release_snapshot(tmp_path, records):
    """The snapshot of the release rows built from `records` (labels as ClassLabel ids, as in the data files)."""
    contract = load_contract(make_root(tmp_path))
    schema = release_schema(contract)
    tables = {name: pa.Table.from_pylist(rows, schema=contract.arrow_schema(name)) for name, rows in records.items()}
    return snapshot_built(config_tables(tables, contract, schema), schema)


def test_columnar_diff_of_release_rows_is_the_record_by_record_diff(tmp_path):
    old, expected = _expected()
    v1, v2 = version_1(), version_2()
    v2["entities"] = [v2["entities"][1], *v2["entities"][2:]]  # a release has no repeated id
    rel_1, rel_2 = _release_snapshot(tmp_path / "1", v1), _release_snapshot(tmp_path / "2", v2)
    assert diff_snapshots(rel_1, snapshot_records(*v1.values())).empty()  # release rows and corpus records agree
    changes = diff_snapshots(rel_1, rel_2)
    assert changes.as_dict() == expected
    assert undeclared(changes, DECLARED) == old_undeclared(old, expected, DECLARED) == []
    log = render_changelog("0.2.0", "0.1.0", changes, DECLARED, None)
    assert "- removed: `a-test/T2/M1` (merged into T1)" in log and "- removed: `b-test/C1` (retracted)" in log
    assert "- changed: `a-test/E1` (arguments, time)" in log and "`a-test`: train -> test (rebalanced)" in log
