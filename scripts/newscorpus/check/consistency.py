"""Level 3, consistency with the ontology and within one annotator's version: event roles and the types
that fill them, event links, entity clusters and Wikidata ids, claims, duplicated annotations. RUNS is what
the validator runs, in order."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..findings import Finding
from ..store import storage
from ..store.flat import column as _col, numpy_of as _np
from .arrays import codes_of, groups_of, values_at
from .views import Corpus


def roles(c: Corpus):
    args = c.arguments
    if args.num_rows == 0:
        return
    onto = c.contract.ontology["event_types"]
    allowed_roles = [f"{ev}|{role}" for ev, spec in onto.items() for role in spec["roles"]]
    allowed_fill = [f"{ev}|{role}|{t}" for ev, spec in onto.items() for role, ts in spec["roles"].items() for t in ts]
    key = pc.binary_join_element_wise(args["event_type"], args["role"], "|")
    bad_role = _np(pc.invert(pc.is_in(key, value_set=pa.array(allowed_roles))))
    sel = np.flatnonzero(bad_role)
    for rid, path, role, etype in zip(*(values_at(args[k], sel) for k in ("id", "path", "role", "event_type"))):
        yield Finding("event-role-not-allowed", "events", rid, path + ".role", f"role {role} is not a role of {etype}")
    ents = c.t["entities"]
    if ents.num_rows == 0:
        return
    idx = c.ref_index()["events"][0]
    etype = pc.take(_col(ents, "type"), pc.fill_null(idx, 0))
    fill = pc.binary_join_element_wise(key, etype, "|")
    bad_fill = _np(pc.is_valid(idx)) & ~bad_role & _np(pc.invert(pc.is_in(fill, value_set=pa.array(allowed_fill))))
    sel = np.flatnonzero(bad_fill)
    for rid, path, role, evtype, et in zip(*(values_at(args[k], sel) for k in ("id", "path", "role", "event_type")), values_at(etype, sel)):
        yield Finding("event-argument-type-not-allowed", "events", rid, path + ".entity_id",
                      f"a {et} entity cannot fill role {role} of {evtype}")


def event_links(c: Corpus):
    """event-link-not-event: only an EVENT entity names events (GUIDELINES 2.6)."""
    ents = c.t["entities"]
    if ents.num_rows == 0:
        return
    linked = _np(pc.fill_null(pc.greater(pc.list_value_length(storage.one_array(ents["event_ids"])), 0), False))
    bad = linked & _np(pc.not_equal(_col(ents, "type"), "EVENT"))
    sel = np.flatnonzero(bad)
    for rid, etype in zip(values_at(ents["id"], sel), values_at(ents["type"], sel)):
        yield Finding("event-link-not-event", "entities", rid, "event_ids",
                      f"a {etype} entity names no events: only an EVENT entity links to event rows")


def clusters(c: Corpus):
    m = c.mentions
    if m.num_rows:
        _, g = c.mention_spans()
        g = g.filter(pc.greater(g["entity_count_distinct"], 1))
        if g.num_rows:
            rows = c.mentions_in(g)
            g = rows.select(["key", "start", "end", "entity_id"]).group_by(["key", "start", "end"]).aggregate([("entity_id", "list")])
            for row in g.to_pylist():
                ents = sorted(set(row["entity_id_list"]))
                yield Finding("span-multiple-entities", "entities", ents[0], "mentions",
                              f"span {row['start']}:{row['end']} is a mention of {len(ents)} entities: {', '.join(ents)}")
    wd = c.wikidata()
    if wd.num_rows == 0:
        return
    scope = c.scope("entities")[_np(pc.is_valid(c.t["entities"]["wikidata"]))]
    g = groups_of(pa.table({"scope": scope, "wikidata": wd["wikidata"], "id": wd["id"]}), ["scope", "wikidata"], "id")
    for row in g.to_pylist():
        ids = sorted(row["id_list"])
        yield Finding("wikidata-multiple-clusters", "entities", ids[1], "wikidata",
                      f"{row['wikidata']} is also the id of {ids[0]} in the same article; merge the clusters")
    if not c.local:
        yield from wikidata_conflicts(wd.select(["wikidata", "type", "id"]))


def claims(c: Corpus):
    claims, ents = c.t["claims"], c.t["entities"]
    if claims.num_rows == 0:
        return
    by_author = _np(claims["by_author"])
    inconsistent = by_author & (_np(pc.is_valid(claims["claimer"])) | _np(pc.is_valid(claims["cue"])) | _np(pc.not_equal(claims["quote"], "none")))
    for rid in values_at(claims["id"], np.flatnonzero(inconsistent)):
        yield Finding("claim-claimer-inconsistent", "claims", rid, "by_author",
                      "a claim by the author has no claimer, no cue and quote none")
    with_claimer = c.claimers()
    if with_claimer.num_rows == 0 or ents.num_rows == 0:
        return
    idx = c.ref_index()["claims"][0]
    etype = pc.take(_col(ents, "type"), pc.fill_null(idx, 0))
    bad = _np(pc.is_valid(idx)) & _np(pc.invert(pc.is_in(etype, value_set=pa.array(c.contract.claimer_types))))
    sel = np.flatnonzero(bad)
    for cid, et in zip(values_at(with_claimer["id"], sel), values_at(etype, sel)):
        yield Finding("claimer-type-not-allowed", "claims", cid, "claimer.entity_id",
                      f"a {et} entity cannot be a claimer (allowed: {', '.join(c.contract.claimer_types)})")


def duplicates(c: Corpus):
    """annotation-duplicate: two events of one type with the same trigger, two claims with the same span
    (in one scope: article, status, annotator), or one entity listing the same mention span twice.
    Grouped on integer codes; only the few duplicated rows are turned into Python objects."""
    views = []
    ev = c.t["events"]
    if ev.num_rows:
        trig = storage.one_array(ev["trigger"])
        views.append(("events", "trigger", pa.table({"id": ev["id"], "scope": c.scope("events"), "type": codes_of(ev["type"]),
                                                     "start": trig.field("start"), "end": trig.field("end"), "k": ev["type"]})))
    cl = c.t["claims"]
    if cl.num_rows:
        sp = storage.one_array(cl["span"])
        views.append(("claims", "span", pa.table({"id": cl["id"], "scope": c.scope("claims"), "type": np.zeros(cl.num_rows, np.int64),
                                                  "start": sp.field("start"), "end": sp.field("end")})))
    for table, field_name, view in views:
        g = groups_of(view, ["scope", "type", "start", "end"], "id", also=["k"] if table == "events" else [])
        for row in g.to_pylist():
            ids = sorted(row["id_list"])
            what = f"{row['k_list'][0]} event with trigger" if table == "events" else "claim with span"
            yield Finding("annotation-duplicate", table, ids[1], field_name,
                          f"duplicates {ids[0]}: same {what} {row['start']}:{row['end']}")
    if c.mentions.num_rows:
        # only the spans with more mentions than entities can hold the same mention twice
        _, g = c.mention_spans()
        g = g.filter(pc.greater(g["entity_count"], g["entity_count_distinct"]))
        if g.num_rows:
            m = c.mentions_in(g)
            g = groups_of(m.select(["key", "entity", "start", "end", "entity_id", "path"]), ["key", "entity", "start", "end"],
                           "entity_id", also=["path"])
            for row in g.to_pylist():
                paths = sorted(row["path_list"])
                yield Finding("annotation-duplicate", "entities", row["entity_id_list"][0], paths[1],
                              f"the same mention {row['start']}:{row['end']} is listed twice ({', '.join(paths)})")


def wikidata_conflicts(view: pa.Table):
    """wikidata-type-conflict over (wikidata, type, id) of clean entities."""
    g = view.group_by(["wikidata"]).aggregate([("type", "count_distinct")])
    bad = g.filter(pc.greater(g["type_count_distinct"], 1))["wikidata"]
    if len(bad) == 0:
        return
    rows = view.filter(pc.is_in(view["wikidata"], value_set=storage.one_array(bad)))
    g = rows.group_by(["wikidata"]).aggregate([("type", "list"), ("id", "list")])
    for row in g.to_pylist():
        pairs = sorted(zip(row["id_list"], row["type_list"]))
        yield Finding("wikidata-type-conflict", "entities", pairs[0][0], "type",
                      f"{row['wikidata']} has types {', '.join(sorted(set(row['type_list'])))} across the corpus ({', '.join(f'{i}: {t}' for i, t in pairs[:4])})")


RUNS = (roles, event_links, clusters, claims, duplicates)
