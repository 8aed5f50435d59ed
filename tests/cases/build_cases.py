"""Writes tests/cases/<check-id>/: one minimal failing case per check id of the validator.

Run it only on purpose (`python tests/cases/build_cases.py`); the case folders are committed and read by
tests/unit/test_cases.py. Each case is a small valid corpus (BASE) with one defect. A case folder holds
the records as JSONL (one file a table, written to Parquet by the test as they are, even if invalid),
and case.json: what the validator must report for that check id, as [check, record, field] triples,
plus, where the defect cannot be stored as records, how to make it (an import, a damaged file, a
patched schema).
"""

from __future__ import annotations

import copy
import hashlib
import json
import shutil
from pathlib import Path

HERE = Path(__file__).parent
A = "a-base"
TEXT = "Putin said on Monday that CSTO troops attacked protesters in Almaty.\nHe met Tokayev."
NOW = "2026-11-28T00:00:00Z"


def sp(needle, nth=0):
    start = -1
    for _ in range(nth + 1):
        start = TEXT.index(needle, start + 1)
    return {"start": start, "end": start + len(needle), "text": needle}


def prov():
    return {"annotator": "tester", "status": "gold", "origin": "manual", "source_ref": None, "updated_at": NOW}


def m(n, needle, kind="NAM", nth=0):
    return {"id": f"{A}/M{n}", **sp(needle, nth), "kind": kind}


def base():
    articles = [dict(id=A, title="A base case", text=TEXT, text_sha256=hashlib.sha256(TEXT.encode()).hexdigest(), language="en",
                     original_language=None, translation=None, published="2022-01-10", publisher=None, author=None, url=None,
                     license="CC-BY-4.0", split="train", source_ref=None, updated_at=NOW)]
    ent = lambda n, t, name, ms, wd=None: dict(id=f"{A}/E{n}", article_id=A, type=t, name=name, wikidata=wd, mentions=ms, event_ids=[], **prov())
    entities = [
        ent(1, "PER", "Vladimir Putin", [m(1, "Putin"), m(5, "He", "PRO")], "Q7747"),
        ent(2, "ORG", "Collective Security Treaty Organization", [m(2, "CSTO")]),
        ent(3, "GPE", "Almaty", [m(3, "Almaty")], "Q35493"),
        ent(4, "PER", "protesters", [m(4, "protesters", "NOM")]),
        ent(5, "DATE", "2022-01-10", [m(6, "Monday")]),
        ent(6, "PER", "Kassym-Jomart Tokayev", [m(7, "Tokayev")]),
    ]
    arg = lambda role, e, mm: {"role": role, "entity_id": f"{A}/E{e}", "mention_id": f"{A}/M{mm}"}
    events = [
        dict(id=f"{A}/V1", article_id=A, type="conflict.attack", trigger=sp("attacked"),
             arguments=[arg("attacker", 2, 2), arg("target", 4, 4), arg("place", 3, 3)], realis="actual", polarity="positive", time=None, **prov()),
        dict(id=f"{A}/V2", article_id=A, type="contact.meet", trigger=sp("met"),
             arguments=[arg("participant", 1, 5), arg("participant", 6, 7)], realis="actual", polarity="positive", time=None, **prov()),
    ]
    claims = [dict(id=f"{A}/C1", article_id=A, span=sp("CSTO troops attacked protesters in Almaty"),
                   claimer={"entity_id": f"{A}/E1", "mention_id": f"{A}/M1"}, by_author=False, cue=sp("said"), quote="indirect",
                   stance="affirm", topic="CSTO attack on protesters", event_ids=[f"{A}/V1"], checkworthy=True, **prov())]
    return {"articles": articles, "entities": entities, "events": events, "claims": claims}


CASES = {}


def case(check, expect, **extra):
    def deco(fn):
        CASES[check] = (fn, expect, extra)
        return fn
    return deco


E, V, C = (lambda n: f"{A}/E{n}"), (lambda n: f"{A}/V{n}"), (lambda n: f"{A}/C{n}")


@case("table-unreadable", [["table-unreadable", None, None]], damage={"truncate": "entities"})
def _(d): pass


@case("schema-structure", [["schema-structure", E(9), None]], import_={"table": "entities", "records": [
    {**base()["entities"][2], "id": E(9), "mentions": [{**m(9, "Almaty"), "id": f"{A}/M9"}], "colour": "red"}]})
def _(d): pass


@case("schema-null", [["schema-null", E(1), "name"]])
def _(d): d["entities"][0]["name"] = None


@case("schema-enum", [["schema-enum", V(1), "type"]])
def _(d): d["events"][0]["type"] = "conflict.explode"


@case("schema-pattern", [["schema-pattern", E(3), "wikidata"]])
def _(d): d["entities"][2]["wikidata"] = "35493"


@case("schema-length", [["schema-length", C(1), "topic"]])
def _(d): d["claims"][0]["topic"] = ""


@case("schema-range", [["schema-range", E(4), "mentions[0].start"]])
def _(d): d["entities"][3]["mentions"][0]["start"] = -3


@case("schema-items", [["schema-items", E(6), "mentions"]])
def _(d): d["entities"][5]["mentions"] = []


@case("schema-other", [["schema-other", A, "title"]],
      schema_patch={"file": "articles.schema.json", "pointer": "/properties/title", "set": {"type": ["string", "null"], "not": {"const": "A base case"}}})
def _(d): pass


@case("time-invalid", [["time-invalid", V(1), "time"]])
def _(d): d["events"][0]["time"] = "2022-02-30"


@case("id-duplicate", [["id-duplicate", E(3), "mentions[0]"], ["id-duplicate", E(4), "mentions[0]"]])
def _(d): d["entities"][3]["mentions"][0]["id"] = f"{A}/M3"


@case("article-ref-unresolved", [["article-ref-unresolved", V(2), "article_id"]])
def _(d): d["events"][1]["article_id"] = "a-elsewhere"


@case("entity-ref-unresolved", [["entity-ref-unresolved", V(1), "arguments[2].entity_id"]])
def _(d): d["events"][0]["arguments"][2]["entity_id"] = E(99)


@case("mention-ref-unresolved", [["mention-ref-unresolved", C(1), "claimer.mention_id"]])
def _(d): d["claims"][0]["claimer"]["mention_id"] = f"{A}/M99"


@case("mention-entity-mismatch", [["mention-entity-mismatch", V(2), "arguments[1].mention_id"]])
def _(d): d["events"][1]["arguments"][1]["mention_id"] = f"{A}/M5"


@case("event-ref-unresolved", [["event-ref-unresolved", C(1), "event_ids[0]"]])
def _(d): d["claims"][0]["event_ids"] = [V(7)]


@case("reference-cross-article", [["reference-cross-article", V(1), "arguments[2].entity_id"]])
def _(d):
    other = copy.deepcopy(d["articles"][0])
    other.update(id="a-other", text=TEXT + " Again.", text_sha256=hashlib.sha256((TEXT + " Again.").encode()).hexdigest())
    d["articles"].append(other)
    almaty = copy.deepcopy(d["entities"][2])
    almaty.update(id="a-other/E3", article_id="a-other", wikidata=None, mentions=[{**m(3, "Almaty"), "id": "a-other/M3"}])
    d["entities"].append(almaty)
    d["events"][0]["arguments"][2].update(entity_id="a-other/E3", mention_id="a-other/M3")


@case("reference-status-mismatch", [["reference-status-mismatch", V(1), "arguments[1].entity_id"]])
def _(d): d["entities"][3].update(status="candidate")


@case("span-out-of-bounds", [["span-out-of-bounds", E(6), "mentions[0]"]])
def _(d): d["entities"][5]["mentions"][0].update(start=len(TEXT) - 3, end=len(TEXT) + 4)


@case("span-reversed", [["span-reversed", V(2), "trigger"]])
def _(d): d["events"][1]["trigger"].update(start=d["events"][1]["trigger"]["end"], end=d["events"][1]["trigger"]["start"])


@case("span-text-mismatch", [["span-text-mismatch", E(3), "mentions[0].text"]])
def _(d): d["entities"][2]["mentions"][0]["text"] = "Almati"


@case("span-whitespace-edge", [["span-whitespace-edge", C(1), "cue.text"]])
def _(d):
    s = sp("said ")
    d["claims"][0]["cue"] = s


@case("mention-punctuation-edge", [["mention-punctuation-edge", E(3), "mentions[0].text"]])
def _(d): d["entities"][2]["mentions"][0].update(sp("Almaty."))


@case("text-sha256-mismatch", [["text-sha256-mismatch", A, "text_sha256"]])
def _(d): d["articles"][0]["text_sha256"] = "0" * 64


@case("text-not-normalized", [["text-not-normalized", A, "text"]])
def _(d):
    t = TEXT.replace("\n", "\r\n")
    d["articles"][0].update(text=t, text_sha256=hashlib.sha256(t.encode()).hexdigest())
    # the spans after the line break now sit one code point later
    for e in d["entities"]:
        for mm in e["mentions"]:
            if mm["start"] > TEXT.index("\n"):
                mm["start"] += 1
                mm["end"] += 1
    d["events"][1]["trigger"]["start"] += 1
    d["events"][1]["trigger"]["end"] += 1


@case("event-role-not-allowed", [["event-role-not-allowed", V(2), "arguments[0].role"]])
def _(d): d["events"][1]["arguments"][0]["role"] = "attacker"


@case("event-argument-type-not-allowed", [["event-argument-type-not-allowed", V(1), "arguments[2].entity_id"]])
def _(d): d["events"][0]["arguments"][2].update(entity_id=E(5), mention_id=f"{A}/M6")


@case("span-multiple-entities", [["span-multiple-entities", E(4), "mentions"]])
def _(d): d["entities"][5]["mentions"].append({**m(8, "protesters", "NOM")})


@case("wikidata-multiple-clusters", [["wikidata-multiple-clusters", E(6), "wikidata"]])
def _(d): d["entities"][5]["wikidata"] = "Q7747"


@case("event-link-not-event", [["event-link-not-event", E(3), "event_ids"]])
def _(d): d["entities"][2]["event_ids"] = [V(1)]


@case("wikidata-type-conflict", [["wikidata-type-conflict", E(3), "type"]])
def _(d): d["entities"][3]["wikidata"] = "Q35493"


@case("claimer-type-not-allowed", [["claimer-type-not-allowed", C(1), "claimer.entity_id"]])
def _(d): d["claims"][0]["claimer"] = {"entity_id": E(5), "mention_id": f"{A}/M6"}


@case("claim-claimer-inconsistent", [["claim-claimer-inconsistent", C(1), "by_author"]])
def _(d): d["claims"][0]["by_author"] = True


@case("annotation-duplicate", [["annotation-duplicate", V(3), "trigger"]])
def _(d):
    dup = copy.deepcopy(d["events"][0])
    dup.update(id=V(3), arguments=[])
    d["events"].append(dup)


def _twin(d, split):
    twin = copy.deepcopy(d["articles"][0])
    text = TEXT.upper().replace("\n", "  ")
    twin.update(id="a-twin", text=text, text_sha256=hashlib.sha256(text.encode()).hexdigest(), split=split)
    d["articles"].append(twin)
    ent = copy.deepcopy(d["entities"][0])
    ent.update(id="a-twin/E1", article_id="a-twin", wikidata=None,
               mentions=[{"id": "a-twin/M1", "start": 0, "end": 5, "text": "PUTIN", "kind": "NAM"}])
    d["entities"].append(ent)


@case("article-split-leak", [["article-split-leak", A, "split"]])
def _(d): _twin(d, "test")


@case("article-duplicate-text", [["article-duplicate-text", A, "text"]])
def _(d): _twin(d, "train")


@case("article-unannotated", [["article-unannotated", "a-bare", None]])
def _(d):
    bare = copy.deepcopy(d["articles"][0])
    bare.update(id="a-bare", text="A different text.", text_sha256=hashlib.sha256(b"A different text.").hexdigest())
    d["articles"].append(bare)


@case("license-unknown", [["license-unknown", A, "license"]])
def _(d): d["articles"][0]["license"] = "unknown"


def _retext(d, text):
    d["articles"][0].update(text=text, text_sha256=hashlib.sha256(text.encode()).hexdigest())


@case("text-control-characters", [["text-control-characters", A, "text"]])
def _(d): _retext(d, TEXT + "\x07")


@case("text-bom", [["text-bom", A, "title"]])
def _(d): d["articles"][0]["title"] = "\ufeffA base case"


@case("id-collision", [["id-collision", f"{A}/M3", "id"]])
def _(d): d["claims"][0]["id"] = f"{A}/M3"  # the id of a mention


@case("text-personal-data", [["text-personal-data", A, "text"]])
def _(d): _retext(d, TEXT + "\nPress office: press@example.org")


# level 0, import: spans given by their text that the tool cannot anchor (scripts/newscorpus/anchor.py)
@case("span-not-found", [["span-not-found", E(7), "mentions[0]"]], import_={"table": "entities", "records": [
    {"article_id": A, "id": "E7", "type": "GPE", "mentions": [{"text": "Astana", "kind": "NAM"}], "annotator": "tester"}]})
def _(d): pass


@case("span-ambiguous", [["span-ambiguous", E(7), "mentions[0]"]], import_={"table": "entities", "records": [
    {"article_id": A, "id": "E7", "type": "PER", "mentions": [{"text": "Tokayev", "context": "e", "kind": "NAM"}], "annotator": "tester"}]})
def _(d): pass


@case("mention-not-found", [["mention-not-found", V(3), "arguments[0]"]], import_={"table": "events", "records": [
    {"article_id": A, "id": "V3", "type": "military.deploy", "trigger": "troops", "arguments": [{"role": "place", "mention": "troops"}],
     "annotator": "tester"}]})
def _(d): pass


# level 0, retext: an edit that changes the characters of a span (scripts/newscorpus/retext.py)
@case("span-edit-unresolved", [["span-edit-unresolved", E(6), "mentions[0]"]], retext_={"article": A, "file": "new.txt",
                                                                                       "text": TEXT.replace("Tokayev", "Tokaev")})
def _(d): pass


def write(folder: Path, data: dict, expect, extra) -> None:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for table, records in data.items():
        with open(folder / f"{table}.jsonl", "w", encoding="utf-8") as fh:
            for rec in records:
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    spec = {"expect": expect}
    if "import_" in extra:
        spec["import"] = {"table": extra["import_"]["table"], "file": "import.jsonl"}
        with open(folder / "import.jsonl", "w", encoding="utf-8") as fh:
            for rec in extra["import_"]["records"]:
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    if "retext_" in extra:
        spec["retext"] = {"article": extra["retext_"]["article"], "file": extra["retext_"]["file"]}
        (folder / extra["retext_"]["file"]).write_text(extra["retext_"]["text"], encoding="utf-8")
    for key in ("damage", "schema_patch"):
        if key in extra:
            spec[key] = extra[key]
    (folder / "case.json").write_text(json.dumps(spec, indent=1) + "\n", encoding="utf-8")


def main() -> None:
    write(HERE / "_base", base(), [], {})
    for check, (fn, expect, extra) in CASES.items():
        data = base()
        fn(data)
        write(HERE / check, data, expect, extra)


if __name__ == "__main__":
    main()
