"""Findings are data: a stable check id, a severity, a level, the table, the record, the field, a message.

CHECKS is the registry of every check id with its level, severity and documented meaning; docs/checks.md
is generated from it and a test keeps the two equal. Ids never change once released; a renamed id stays
in ALIASES.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class Check:
    id: str
    level: int
    severity: str
    meaning: str


_CHECKS = [
    # level 1: schema (the columnar engine and the per-record fallback use the same ids)
    Check("table-unreadable", 1, ERROR, "A table file cannot be read as Parquet, or its columns or types are not those the schema derives."),
    Check("schema-structure", 1, ERROR, "A record has a missing or unexpected field, or a value of the wrong JSON type."),
    Check("schema-null", 1, ERROR, "A field that the schema does not allow to be null is null."),
    Check("schema-enum", 1, ERROR, "A value is not one of the values the schema or the ontology allows (a label, a split, a status)."),
    Check("schema-pattern", 1, ERROR, "A string does not match the pattern of its field (ids, language tags, dates, Wikidata ids)."),
    Check("schema-length", 1, ERROR, "A string is shorter or longer than its field allows (minLength, maxLength, in code points)."),
    Check("schema-range", 1, ERROR, "A number is below the minimum or above the maximum of its field."),
    Check("schema-items", 1, ERROR, "A list has fewer or more items than its field allows (minItems, maxItems)."),
    Check("schema-other", 1, ERROR, "A record fails a JSON Schema keyword that the columnar engine does not compile; checked per record."),
    # level 2: integrity
    Check("id-duplicate", 2, ERROR, "An id is used twice within its kind (articles, entities, mentions, events, claims) across the corpus."),
    Check("article-ref-unresolved", 2, ERROR, "An annotation names an article_id that is not in the corpus."),
    Check("entity-ref-unresolved", 2, ERROR, "An event argument or a claimer names an entity_id that does not exist."),
    Check("mention-ref-unresolved", 2, ERROR, "An event argument or a claimer names a mention_id that does not exist."),
    Check("mention-entity-mismatch", 2, ERROR, "A mention_id is cited with an entity_id that the mention does not belong to."),
    Check("event-ref-unresolved", 2, ERROR, "A claim's or an EVENT entity's event_ids names an event that does not exist."),
    Check("reference-cross-article", 2, ERROR, "An annotation refers to an entity, mention or event of another article."),
    Check("reference-status-mismatch", 2, ERROR, "An annotation refers to a row of another status or annotator (a gold event citing a candidate entity), which a release could not resolve."),
    Check("span-out-of-bounds", 2, ERROR, "A span ends past the end of its article's text."),
    Check("span-reversed", 2, ERROR, "A span's start is not before its end."),
    Check("span-text-mismatch", 2, ERROR, "A span's text is not article.text[start:end] (code points)."),
    Check("span-whitespace-edge", 2, ERROR, "A span starts or ends with white space."),
    Check("mention-punctuation-edge", 2, ERROR, "An entity mention or event trigger starts or ends with punctuation (. , ; : ! ?), a quotation mark (straight or typographic) or a bracket left unmatched inside it (GUIDELINES §1.1). A final period that belongs to an abbreviation is not a finding: the span's last token has a period of its own (U.S., U.K.), is a single capital letter, or is one of Inc Co Corp Ltd Jr Sr St Mt Dr Mr Mrs Ms Gen Col Lt Sgt Prof Bros. Claim spans are not checked (yet): the rule holds for them, but a claim drawn up to its sentence's period in Label Studio would then refuse the whole annotation."),
    Check("time-invalid", 2, ERROR, "An event's time matches the pattern of its field but is no time: a day the month does not have (2022-02-30), an ISO week the year does not have, a range that ends before it starts, a duration with no quantity (GUIDELINES 3.5)."),
    Check("text-sha256-mismatch", 2, ERROR, "An article's text_sha256 is not the SHA-256 of its UTF-8 text."),
    Check("text-not-normalized", 2, ERROR, "An article's text is not in Unicode NFC or has \\r line breaks."),
    # level 3: consistency
    Check("event-role-not-allowed", 3, ERROR, "An event argument has a role that the ontology does not give to the event's type."),
    Check("event-argument-type-not-allowed", 3, ERROR, "An event argument is filled by an entity whose type the ontology does not allow for that role."),
    Check("span-multiple-entities", 3, ERROR, "The same span is a mention of two entity clusters in one annotator's version of an article."),
    Check("wikidata-multiple-clusters", 3, ERROR, "Two entity clusters of one annotator's version of an article share a Wikidata id."),
    Check("wikidata-type-conflict", 3, ERROR, "One Wikidata id is given entities of different types across the corpus."),
    Check("claimer-type-not-allowed", 3, ERROR, "A claimer is an entity whose type is not one of the ontology's claimer_types."),
    Check("claim-claimer-inconsistent", 3, ERROR, "A claim by the author (by_author) also names a claimer, or a cue, or a quote type other than none."),
    Check("event-link-not-event", 3, ERROR, "An entity that is not of type EVENT links to event rows (event_ids): only a named event names events (GUIDELINES 2.6)."),
    Check("annotation-duplicate", 3, ERROR, "Two annotations of one annotator's version are the same: same event type and trigger, same claim span, same mention twice."),
    # level 4: corpus
    Check("article-split-leak", 4, ERROR, "The same or near-same article text (case, white space and punctuation aside) is in two splits."),
    Check("article-duplicate-text", 4, WARNING, "The same or near-same article text is stored twice within one split."),
    Check("article-unannotated", 4, WARNING, "An article has no gold annotation yet."),
    Check("license-unknown", 4, WARNING, "An article's license is unknown: it cannot be redistributed until it is cleared."),
    Check("text-control-characters", 2, ERROR, "An article's text or title has a control character other than line feed and tab (C0, DEL, C1): extraction debris that offsets count, tokenizers split on and terminals execute."),
    Check("text-bom", 2, ERROR, "An article's text or title has a byte order mark (U+FEFF): invisible, yet counted by every offset after it."),
    Check("id-collision", 2, ERROR, "Records of two kinds (article, entity, mention, event, claim) share an id: ids must be unique across kinds, as Label Studio regions and release rows are keyed by them."),
    Check("text-personal-data", 4, WARNING, "An article's text has what looks like an e-mail address or a phone number: make sure it may be published before a release (the finding gives its position, not its value)."),
]
CHECKS = {c.id: c for c in _CHECKS}
ALIASES: dict[str, str] = {}


def register(*checks: Check) -> None:
    """Add the checks of another job (the Label Studio converter's, level 0: conversion) to the registry."""
    for c in checks:
        if c.id in CHECKS and CHECKS[c.id] != c:
            raise ValueError(f"check id {c.id} registered twice with different meanings")
        CHECKS[c.id] = c
        if c not in _CHECKS:
            _CHECKS.append(c)


_ESCAPES = {c: f"\\x{c:02x}" for c in (*range(0x20), *range(0x7F, 0xA0))}
_ESCAPES.update({c: f"\\u{c:04x}" for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))})


@dataclass(frozen=True)
class Finding:
    check: str
    table: str
    record: str | None
    field: str | None
    message: str
    file: str | None = None

    @property
    def severity(self) -> str:
        return CHECKS[self.check].severity

    @property
    def level(self) -> int:
        return CHECKS[self.check].level

    def as_dict(self) -> dict:
        return {"check": self.check, "severity": self.severity, "level": self.level, **asdict(self)}

    def line(self) -> str:
        """One line for a person. Whatever came from the data (ids, paths, values quoted in the message) is
        shown with control characters and bidi overrides escaped: a finding is one line, and it never moves
        the cursor, clears the terminal or reverses the text that follows."""
        where = self.file or self.table
        if self.record is not None:
            where += f" [{self.record}]"
        if self.field:
            where += f" {self.field}"
        return f"{where}: {self.severity} L{self.level} {self.check}: {self.message}".translate(_ESCAPES)

    def key(self) -> tuple:
        return (self.check, self.table, self.record, self.field)


def resolve_ids(ids) -> set[str]:
    """Check ids given on the command line (aliases allowed); ValueError naming an unknown one."""
    out = set()
    for raw in ids:
        for cid in filter(None, (x.strip() for x in raw.split(","))):
            cid = ALIASES.get(cid, cid)
            if cid not in CHECKS:
                raise ValueError(f"unknown check id {cid!r} (see `newscorpus checks`)")
            out.add(cid)
    return out


def sort_findings(findings):
    return sorted(findings, key=lambda f: (f.level, f.table, f.record or "", f.field or "", f.check, f.message))


def to_json(findings) -> str:
    return json.dumps([f.as_dict() for f in findings], ensure_ascii=False, indent=1)


def listed() -> list[Check]:
    """Every check in a fixed order, whatever order the jobs registered theirs in: the validator's as written
    above, then the other jobs' (level 0) by id."""
    return [c for c in _CHECKS if c.level > 0] + sorted((c for c in _CHECKS if c.level == 0), key=lambda c: c.id)


def checks_markdown() -> str:
    lines = [
        "# Validator checks",
        "",
        "Generated from `scripts/newscorpus/findings.py` by `newscorpus checks --markdown`; do not edit by hand.",
        "Levels gate each other: a record that fails level 1 is not checked at levels 2 to 4.",
        "Each check id has a minimal failing case under `tests/cases/<check-id>/`.",
        "",
        "| check id | level | severity | meaning |",
        "| --- | --- | --- | --- |",
    ]
    for c in listed():
        lines.append(f"| `{c.id}` | {c.level} | {c.severity} | {c.meaning.replace('|', '/')} |")
    return "\n".join(lines) + "\n"
