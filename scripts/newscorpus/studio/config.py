"""The Label Studio labeling config and project instructions, derived from schema/: never written by hand.

One `Text` tag holds the article. Spans are labelled with three `Labels` controls: `entity` (the ontology's
entity types, on mentions), `event` (the event types, on triggers) and `claim` (CLAIM on the claimed
proposition, CUE on the reporting expression). `Relations` carry the event argument roles (event -> mention)
and the claim links: claimer (claim -> mention), cue (claim -> CUE region), about (claim -> event).
Per-region controls carry the fields that are not spans: a mention's kind, cluster key, entity name and
Wikidata id; an event's realis, polarity and time; a claim's stance, quote type, by_author, topic and
check-worthiness. Every value set comes from the contract (ontology.json and the JSON Schema enums).
"""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET
from pathlib import Path

from ..contract import Contract
from ..errors import SchemaError

TEXT = "text"
ENTITY, EVENT, CLAIM = "entity", "event", "claim"
CLAIM_LABEL, CUE_LABEL = "CLAIM", "CUE"
CLAIMER, CUE, ABOUT = "claimer", "cue", "about"
NAMES = "names"  # an EVENT entity mention -> an event it names (entities.event_ids)
YES, NO = "yes", "no"

# per-region controls: name -> (kind, the Labels control or label it belongs to, JSON field it fills)
ENTITY_TEXT = ("cluster", "name", "wikidata")
EVENT_TEXT = ("time",)
CLAIM_TEXT = ("topic",)


def choice_sets(contract: Contract) -> dict[str, tuple[str, list[str]]]:
    """Per-region Choices: name -> (region kind it applies to, allowed values), from the schema enums."""
    return {
        "kind": (ENTITY, contract.enum("entities", "mentions", "kind")),
        "realis": (EVENT, contract.enum("events", "realis")),
        "polarity": (EVENT, contract.enum("events", "polarity")),
        "stance": (CLAIM, contract.enum("claims", "stance")),
        "quote": (CLAIM, contract.enum("claims", "quote")),
        "by_author": (CLAIM, [YES, NO]),
        "checkworthy": (CLAIM, [YES, NO]),
    }


def text_areas() -> dict[str, str]:
    """Per-region TextAreas: name -> region kind it applies to."""
    return {**dict.fromkeys(ENTITY_TEXT, ENTITY), **dict.fromkeys(EVENT_TEXT, EVENT), **dict.fromkeys(CLAIM_TEXT, CLAIM)}


def relation_labels(contract: Contract) -> list[str]:
    """Every event role of the ontology, then the claim links. SchemaError if a role is named like a link."""
    roles = contract.roles
    clash = sorted({CLAIMER, CUE, ABOUT, NAMES} & set(roles))
    if clash:
        raise SchemaError(f"schema/ontology.json: role(s) {', '.join(clash)} clash with the claim relations of the Label Studio config")
    return [*roles, CLAIMER, CUE, ABOUT, NAMES]


def span_labels(contract: Contract) -> dict[str, list[str]]:
    """The Labels controls and their labels."""
    return {ENTITY: contract.entity_types, EVENT: contract.event_types, CLAIM: [CLAIM_LABEL, CUE_LABEL]}


_PALETTE = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#46f0f0", "#f032e6", "#bcf60c", "#fabebe",
            "#008080", "#e6beff", "#9a6324", "#800000", "#aaffc3", "#808000", "#ffd8b1", "#000075", "#808080"]


def label_config(contract: Contract) -> str:
    """The labeling config XML of the project."""
    onto = contract.ontology
    view = ET.Element("View")
    ET.SubElement(view, "Header", value="$heading")
    hints = {ENTITY: {k: v["definition"] for k, v in onto["entity_types"].items()},
             EVENT: {k: v["definition"] for k, v in onto["event_types"].items()},
             CLAIM: {CLAIM_LABEL: "What is claimed: the proposition, without the cue and the claimer.",
                     CUE_LABEL: "The reporting expression (said, declared, according to)."}}
    for name, labels in span_labels(contract).items():
        el = ET.SubElement(view, "Labels", name=name, toName=TEXT, showInline="true")
        for i, label in enumerate(labels):
            ET.SubElement(el, "Label", value=label, hint=hints[name][label], background=_PALETTE[i % len(_PALETTE)])
    ET.SubElement(view, "Text", name=TEXT, value="$text")
    rel = ET.SubElement(view, "Relations")
    for label in relation_labels(contract):
        ET.SubElement(rel, "Relation", value=label)
    condition = {ENTITY: {"whenTagName": ENTITY}, EVENT: {"whenTagName": EVENT}, CLAIM: {"whenLabelValue": CLAIM_LABEL}}
    for kind in (ENTITY, EVENT, CLAIM):
        box = ET.SubElement(view, "View", visibleWhen="region-selected", **condition[kind])
        for name, (applies, values) in choice_sets(contract).items():
            if applies != kind:
                continue
            ET.SubElement(box, "Header", value=name.replace("_", " "), size="6")
            ch = ET.SubElement(box, "Choices", name=name, toName=TEXT, perRegion="true", choice="single", showInline="true")
            for v in values:
                ET.SubElement(ch, "Choice", value=v)
        for name, applies in text_areas().items():
            if applies != kind:
                continue
            ET.SubElement(box, "Header", value=name.replace("_", " "), size="6")
            ET.SubElement(box, "TextArea", name=name, toName=TEXT, perRegion="true", editable="true",
                          maxSubmissions="1", rows="1", placeholder=_PLACEHOLDER[name])
    ET.indent(view, "  ")
    return ET.tostring(view, encoding="unicode") + "\n"


_PLACEHOLDER = {
    "cluster": "cluster key: the same key on every mention of one entity (e.g. E1)",
    "name": "canonical name of the entity (default: its first named mention)",
    "wikidata": "Wikidata id (Q...), only where certain",
    "time": "normalised time: 2022-01-10, 2022-01, 2022-01-03/2022-01-09, 2019/.., P2D, 2022-01~, FUTURE_REF",
    "topic": "the claim object, a short normalised phrase",
}


def instructions(root: Path, contract: Contract) -> str:
    """The project's instructions (HTML): schema/GUIDELINES.md if present, then the label glossary."""
    parts = []
    guide = Path(root) / "schema" / "GUIDELINES.md"
    if guide.is_file():
        parts.append("<pre>"
                     + html.escape(guide.read_text(encoding="utf-8")) + "</pre>")
    onto = contract.ontology
    rows = [f"<h2>Labels (ontology {html.escape(contract.version)})</h2>", "<h3>Entity types</h3><ul>"]
    rows += [f"<li><b>{html.escape(k)}</b>: {html.escape(v['definition'])}</li>" for k, v in onto["entity_types"].items()]
    rows.append("</ul><h3>Event types and their roles</h3><ul>")
    for k, v in onto["event_types"].items():
        roles = "; ".join(f"{r} ({', '.join(t)})" for r, t in v["roles"].items())
        rows.append(f"<li><b>{html.escape(k)}</b>: {html.escape(v['definition'])} <i>Roles: {html.escape(roles)}</i></li>")
    rows.append("</ul><h3>Claims</h3><p>Label the proposition CLAIM and the reporting expression CUE. Link the claim "
                f"to its claimer mention ({CLAIMER}), its cue ({CUE}) and the events it is about ({ABOUT}). Claimers are "
                f"{html.escape(', '.join(contract.claimer_types))} entities. Mentions of one entity share a cluster key. An EVENT entity "
                f"(a named event, such as the Kazakh crisis) is linked from one of its mentions to each event it names ({NAMES}).</p>")
    parts.append("\n".join(rows))
    return "\n".join(parts)
