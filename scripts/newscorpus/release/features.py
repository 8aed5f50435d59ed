"""The configs of a release and their `datasets` Features, derived from the contract's resolved schemas.

Nothing here names a field type or a label by hand: each config is a JSON Schema object node assembled
from `Contract.schemas`, and `features_of` maps a node to a Feature. A field with an enum (the ontology
labels included) becomes a ClassLabel whose names are the enum, in its order.

Gold rows are the released truth, so the provenance columns (status, annotator, origin, source_ref,
updated_at) are left out of every config: status is always gold there, and annotator pseudonyms,
Label Studio references and edit times describe the annotation process, not the data. The article's
split is the split the row is in, so it is not repeated as a column.
"""

from __future__ import annotations

from dataclasses import dataclass

from datasets import ClassLabel, Features, List, Value

from ..contract import Contract, _non_null, arrow_type
from ..errors import SchemaError

CONFIGS = ("documents", "articles", "entities", "mentions", "events", "claims")
DEFAULT_CONFIG = "documents"
PROVENANCE = ("status", "annotator", "origin", "source_ref", "updated_at")
ARTICLE_DROPPED = ("split", "source_ref", "updated_at")
CONFIG_DESCRIPTIONS = {
    "documents": "One row an article with its gold entities, events and claims nested (the default config).",
    "articles": "One row an article: text and source metadata.",
    "entities": "One row a gold entity (a coreference cluster) with its mentions nested.",
    "mentions": "One row a gold entity mention, flat: the span, its kind and its entity's type (what NER training wants).",
    "events": "One row a gold event mention: type, trigger, arguments, realis, polarity, time.",
    "claims": "One row a gold claim: span, claimer, cue, quote type, stance, topic, events, check-worthiness.",
}


def is_label(node: dict) -> bool:
    node = _non_null(node)
    return "enum" in node and bool(node["enum"]) and all(isinstance(v, str) for v in node["enum"])


def features_of(node: dict):
    """The datasets Feature of a resolved JSON Schema node."""
    node = _non_null(node)
    if is_label(node):
        return ClassLabel(names=list(node["enum"]))
    t = node.get("type")
    if t == "array":
        return List(features_of(node["items"]))
    if t == "object":
        return {name: features_of(child) for name, child in node["properties"].items()}
    if t in ("string", "integer", "boolean", "number"):
        return Value(str(arrow_type(node)).replace("double", "float64"))
    raise SchemaError(f"cannot derive a datasets Feature from schema node of type {t!r}")


def _obj(properties: dict, description: str = "") -> dict:
    return {"type": "object", "description": description, "properties": properties, "required": list(properties)}


def _without(node: dict, names) -> dict:
    return _obj({k: v for k, v in node["properties"].items() if k not in names}, node.get("description", ""))


def _nested(node: dict) -> dict:
    """An annotation record as nested in a document: without provenance and without its article_id."""
    return _without(node, (*PROVENANCE, "article_id"))


@dataclass(frozen=True)
class ReleaseSchema:
    """The JSON Schema node of every config's rows, and their Features."""

    nodes: dict  # config -> object node

    def features(self, config: str) -> Features:
        return Features(features_of(self.nodes[config]))

    def label_names(self, config: str) -> dict:
        """Dotted field path -> ClassLabel names, for every label column of the config (nested ones too)."""
        out = {}

        def walk(node, path):
            node = _non_null(node)
            if is_label(node):
                out[path] = list(node["enum"])
            elif node.get("type") == "array":
                walk(node["items"], path)
            elif node.get("type") == "object":
                for name, child in node["properties"].items():
                    walk(child, f"{path}.{name}" if path else name)

        walk(self.nodes[config], "")
        return out


def release_schema(contract: Contract) -> ReleaseSchema:
    s = contract.schemas
    articles = _without(s["articles"], ARTICLE_DROPPED)
    entities = _without(s["entities"], PROVENANCE)
    events = _without(s["events"], PROVENANCE)
    claims = _without(s["claims"], PROVENANCE)
    ent_props = s["entities"]["properties"]
    item = _non_null(ent_props["mentions"])["items"]["properties"]
    mentions = _obj({
        "id": item["id"],
        "article_id": ent_props["article_id"],
        "entity_id": {**ent_props["id"], "description": "Id of the entity (coreference cluster) the mention belongs to."},
        "entity_type": {**ent_props["type"], "description": "Type of the mention's entity."},
        "start": item["start"],
        "end": item["end"],
        "text": item["text"],
        "kind": item["kind"],
    }, "One row a mention of a gold entity.")
    documents = _obj({
        **articles["properties"],
        "entities": {"type": "array", "description": "The article's gold entities, by id.", "items": _nested(s["entities"])},
        "events": {"type": "array", "description": "The article's gold events, by id.", "items": _nested(s["events"])},
        "claims": {"type": "array", "description": "The article's gold claims, by id.", "items": _nested(s["claims"])},
    }, "One row an article with its gold annotations.")
    return ReleaseSchema({"documents": documents, "articles": articles, "entities": entities, "mentions": mentions,
                          "events": events, "claims": claims})
