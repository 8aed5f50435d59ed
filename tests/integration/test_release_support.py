"""A small corpus for the release tests, built through the importer (never by hand-editing Parquet).

Three annotated articles (two train, one validation, none test) under two licenses, one article without
gold annotation (left out of a release), one annotated article whose license is `unknown` (left out of a
release unless it is built with include_unlicensed), candidate rows (left out), and a text with
characters outside the BMP, so a span offset counted in UTF-16 units instead of code points would show.
"""

from __future__ import annotations

import json
from pathlib import Path

from conftest import article, claim, entity, event, make_root, mention, span

from newscorpus.store.importer import import_file

TEXTS = {
    "a-almaty": "Putin met Tokayev in Almaty on Monday. Tokayev said the riots were a coup attempt.",
    "b-troops": "The CSTO sent troops to Kazakhstan. \U0001d518nrest in Almaty 🙂 ended, the ministry said.",
    "c-prices": "Kazakhstan freed the price of gas. Protesters in Zhanaozen demanded a reversal.",
    "d-waiting": "An article nobody has annotated yet.",
    "e-unlicensed": "Tokayev spoke in Astana about the unrest.",
}
UNLICENSED = ["e-unlicensed"]


def _records():
    a, b, c, e = TEXTS["a-almaty"], TEXTS["b-troops"], TEXTS["c-prices"], TEXTS["e-unlicensed"]
    arts = [article("a-almaty", a, license="CC-BY-4.0"), article("b-troops", b, license="CC-BY-4.0"),
            article("c-prices", c, split="validation", license="CC-BY-SA-4.0"), article("d-waiting", TEXTS["d-waiting"]),
            article("e-unlicensed", e, license="unknown")]
    ents = [
        entity("a-almaty/T1", "PER", "Vladimir Putin", [mention("a-almaty/T1/M1", span(a, "Putin"))], aid="a-almaty", wikidata="Q7747"),
        entity("a-almaty/T2", "PER", "Kassym-Jomart Tokayev", [mention("a-almaty/T2/M1", span(a, "Tokayev")),
                                                               mention("a-almaty/T2/M2", span(a, "Tokayev", 1))], aid="a-almaty"),
        entity("a-almaty/T3", "GPE", "Almaty", [mention("a-almaty/T3/M1", span(a, "Almaty"))], aid="a-almaty"),
        entity("a-almaty/T3c", "LOC", "Almaty", [mention("a-almaty/T3c/M1", span(a, "Almaty"))], aid="a-almaty",
               status="candidate", annotator="other"),
        entity("b-troops/T1", "ORG", "CSTO", [mention("b-troops/T1/M1", span(b, "CSTO"))], aid="b-troops"),
        entity("b-troops/T2", "GPE", "Almaty", [mention("b-troops/T2/M1", span(b, "Almaty"))], aid="b-troops"),
        entity("b-troops/T3", "GPE", "Kazakhstan", [mention("b-troops/T3/M1", span(b, "Kazakhstan"))], aid="b-troops"),
        entity("c-prices/T1", "GPE", "Kazakhstan", [mention("c-prices/T1/M1", span(c, "Kazakhstan"))], aid="c-prices"),
        entity("c-prices/T2", "PRODUCT", "gas", [mention("c-prices/T2/M1", span(c, "gas"))], aid="c-prices"),
        entity("e-unlicensed/T1", "PER", "Kassym-Jomart Tokayev", [mention("e-unlicensed/T1/M1", span(e, "Tokayev"))],
               aid="e-unlicensed"),
        entity("e-unlicensed/T2", "GPE", "Astana", [mention("e-unlicensed/T2/M1", span(e, "Astana"))], aid="e-unlicensed"),
    ]
    evs = [
        event("a-almaty/E1", "contact.meet", span(a, "met"), [
            {"role": "participant", "entity_id": "a-almaty/T1", "mention_id": "a-almaty/T1/M1"},
            {"role": "participant", "entity_id": "a-almaty/T2", "mention_id": "a-almaty/T2/M1"},
            {"role": "place", "entity_id": "a-almaty/T3", "mention_id": "a-almaty/T3/M1"}], aid="a-almaty"),
        {**event("a-almaty/E2", "conflict.coup", span(a, "coup attempt"), aid="a-almaty"), "realis": "other"},
        event("b-troops/E1", "military.intervene", span(b, "sent"), [
            {"role": "agent", "entity_id": "b-troops/T1", "mention_id": "b-troops/T1/M1"},
            {"role": "place", "entity_id": "b-troops/T3", "mention_id": "b-troops/T3/M1"}], aid="b-troops"),
        event("c-prices/E1", "government.policy", span(c, "freed"), [
            {"role": "object", "entity_id": "c-prices/T2", "mention_id": "c-prices/T2/M1"}], aid="c-prices"),
        event("e-unlicensed/E1", "contact.statement", span(e, "spoke"), [
            {"role": "speaker", "entity_id": "e-unlicensed/T1", "mention_id": "e-unlicensed/T1/M1"},
            {"role": "place", "entity_id": "e-unlicensed/T2", "mention_id": "e-unlicensed/T2/M1"}], aid="e-unlicensed"),
    ]
    cls = [
        claim("a-almaty/C1", span(a, "the riots were a coup attempt"), aid="a-almaty", by_author=False,
              claimer={"entity_id": "a-almaty/T2", "mention_id": "a-almaty/T2/M2"}, cue=span(a, "said"),
              quote="indirect", event_ids=["a-almaty/E2"], checkworthy=True, topic="riots as coup"),
        claim("b-troops/C1", span(b, "\U0001d518nrest in Almaty 🙂 ended"), aid="b-troops", by_author=False,
              cue=span(b, "said"), quote="indirect", topic="unrest ended"),
        claim("c-prices/C1", span(c, "Kazakhstan freed the price of gas"), aid="c-prices", topic="gas price"),
        claim("e-unlicensed/C1", span(e, "Tokayev spoke in Astana about the unrest"), aid="e-unlicensed", topic="unrest"),
    ]
    return {"articles": arts, "entities": ents, "events": evs, "claims": cls}


def write_jsonl(path: Path, records) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def import_records(root: Path, records: dict) -> None:
    for table in ("articles", "entities", "events", "claims"):
        if records.get(table):
            import_file(root, table, write_jsonl(root / f"{table}.jsonl", records[table]))


def build_corpus(tmp_path: Path, records: dict | None = None) -> Path:
    """A corpus root under tmp_path with the small corpus above imported."""
    root = make_root(tmp_path)
    import_records(root, records or _records())
    return root


def records() -> dict:
    return _records()
