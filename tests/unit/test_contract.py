"""The contract is the single source of truth: the Arrow schemas are derived from it and agree with it."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from schema_strategies import records as from_schema

from newscorpus.contract import SPLITS, TABLES, load_contract
from newscorpus.errors import SchemaError

from conftest import REPO, make_root

CONTRACT = load_contract(REPO)


def _arrow_type_of(node):
    """The JSON Schema type(s) an Arrow type stands for."""
    if pa.types.is_string(node):
        return "string"
    if pa.types.is_integer(node):
        return "integer"
    if pa.types.is_boolean(node):
        return "boolean"
    if pa.types.is_list(node):
        return "array"
    if pa.types.is_struct(node):
        return "object"
    raise AssertionError(node)


def _agree(node, field: pa.Field, path: str):
    types = node.get("type")
    alts = [a for a in node.get("anyOf", []) if a.get("type") != "null"]
    nullable = (isinstance(types, list) and "null" in types) or None in node.get("enum", []) or any(a.get("type") == "null" for a in node.get("anyOf", []))
    assert field.nullable == nullable, f"{path}: nullability"
    if alts:
        node = {**node, **alts[0]}
        types = node.get("type")
    want = [t for t in (types if isinstance(types, list) else [types]) if t and t != "null"] or ["string"]
    assert want == [_arrow_type_of(field.type)], f"{path}: {want} vs {field.type}"
    if want == ["object"]:
        assert [f.name for f in field.type] == list(node["properties"]), path
        for f in field.type:
            _agree(node["properties"][f.name], f, f"{path}.{f.name}")
    if want == ["array"]:
        _agree(node["items"], pa.field("item", field.type.value_type, nullable=False), f"{path}[]")


@pytest.mark.parametrize("table", TABLES)
def test_arrow_schema_agrees_with_json_schema(table):
    schema = CONTRACT.schemas[table]
    arrow = CONTRACT.arrow_schema(table)
    assert arrow.names == list(schema["properties"]) == schema["required"]
    for field in arrow:
        _agree(schema["properties"][field.name], field, field.name)


@pytest.mark.parametrize("table", TABLES)
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=__import__("hypothesis").strategies.data())
def test_valid_records_round_trip_through_arrow(table, data):
    record = data.draw(from_schema(CONTRACT.schemas[table]))
    back = pa.Table.from_pylist([record], schema=CONTRACT.arrow_schema(table)).to_pylist()[0]
    assert back == record


def test_ontology_enums_are_injected():
    assert CONTRACT.schemas["entities"]["properties"]["type"]["enum"] == CONTRACT.entity_types
    assert CONTRACT.schemas["events"]["properties"]["type"]["enum"] == CONTRACT.event_types
    roles = CONTRACT.schemas["events"]["properties"]["arguments"]["items"]["properties"]["role"]["enum"]
    assert roles == sorted({r for s in CONTRACT.ontology["event_types"].values() for r in s["roles"]})


def test_ontology_size_and_required_types():
    assert 25 <= len(CONTRACT.event_types) <= 40
    assert {"PER", "ORG", "GPE", "LOC", "FAC", "NORP", "DATE", "QUANTITY"} <= set(CONTRACT.entity_types)
    for name in ("conflict.attack", "conflict.demonstrate", "movement.transport", "justice.arrest", "contact.meet",
                 "contact.statement", "life.die", "life.injure"):
        assert name in CONTRACT.event_types
    for name, spec in CONTRACT.ontology["event_types"].items():
        assert spec["definition"] and spec["roles"], name
        assert spec["cameo"] is None or (len(spec["cameo"]) == 2 and spec["cameo"].isdigit()), name


def test_broken_schema_is_a_schema_error(tmp_path):
    root = make_root(tmp_path)
    (root / "schema" / "events.schema.json").write_text('{"type": "object", "properties": ')
    with pytest.raises(SchemaError, match="events.schema.json"):
        load_contract(root)


def test_unknown_ontology_type_in_roles_is_refused(tmp_path):
    root = make_root(tmp_path)
    onto = json.loads((root / "schema" / "ontology.json").read_text())
    onto["event_types"]["life.die"]["roles"]["victim"].append("ALIEN")
    (root / "schema" / "ontology.json").write_text(json.dumps(onto))
    with pytest.raises(SchemaError, match="ALIEN"):
        load_contract(root)


def test_splits_are_the_schema_enum_in_order():
    schema = json.loads((REPO / "schema" / "articles.schema.json").read_text())
    assert tuple(schema["properties"]["split"]["enum"]) == SPLITS
