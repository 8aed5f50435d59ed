#!/usr/bin/env python3
"""Second expert pass on the seed gold (issue 14): write the correction batches of this folder.

Run from the repository root with the project interpreter, then import the batches with the tool:

    .venv/bin/python imports/kz-csto-putin-2022-01-10/review-1/make.py
    .venv/bin/newscorpus import entities imports/kz-csto-putin-2022-01-10/review-1/entities.jsonl --annotator gold-seed
    .venv/bin/newscorpus import events   imports/kz-csto-putin-2022-01-10/review-1/events.jsonl   --annotator gold-seed
    .venv/bin/newscorpus import claims   imports/kz-csto-putin-2022-01-10/review-1/claims.jsonl   --annotator gold-seed
    .venv/bin/newscorpus remove claims kz-csto-putin-2022-01-10/C39

A changed record is written whole, as it is stored now with the change applied, and without its provenance
fields: the import fills them (source_ref = this batch's FILE:LINE, updated_at = the import's time), so each
changed row names the batch and line that changed it. New records give their spans by text (the tool anchors
them). Every change is listed in CHANGES with the rule of schema/GUIDELINES.md that it follows; docs/scheme.md
says why the rules are what they are. Setting values (never appending blindly) keeps the script repeatable.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
A = "kz-csto-putin-2022-01-10"
PROVENANCE = ("annotator", "status", "origin", "source_ref", "updated_at")


def stored(table: str) -> dict:
    out = subprocess.run([str(ROOT / ".venv" / "bin" / "newscorpus"), "export", table, "--article", A, "--path", str(ROOT)],
                         check=True, capture_output=True, text=True).stdout
    return {json.loads(line)["id"].split("/", 1)[1]: json.loads(line) for line in out.splitlines()}


def q(local: str) -> str:
    return f"{A}/{local}"


def arg(role: str, entity: str, mention: str) -> dict:
    return {"role": role, "entity_id": q(entity), "mention_id": q(mention)}


def add_arg(ev: dict, a: dict) -> None:
    if a not in ev["arguments"]:
        ev["arguments"].append(a)


def bare(rec: dict) -> dict:
    return {k: v for k, v in rec.items() if k not in PROVENANCE}


def main() -> int:
    ents, evs, claims = stored("entities"), stored("events"), stored("claims")
    changes = {"entities": [], "events": [], "claims": []}

    # --- entities ------------------------------------------------------------------------------------------
    # GUIDELINES 2.7 (substances and commodities): Q1098 is the chemical element; `uranium` in "world leader in
    # uranium" is the commodity (PRODUCT), and Wikidata has no item for uranium as a commodity: no QID.
    e = ents["E47"]
    e["wikidata"] = None
    changes["entities"].append(e)

    # --- events --------------------------------------------------------------------------------------------
    ev = evs["V20"]  # `put almost 3,000 men in the country in two days`: timed by its length (3.5)
    ev["time"] = "P2D"
    changes["events"].append(ev)
    ev = evs["V28"]  # `has led the country since 2019`: a state holding from 2019, an open period (3.5)
    ev["time"] = "2019/.."
    changes["events"].append(ev)
    for local in ("V10", "V12", "V14"):  # wanted, feared or refused futures with no date (3.5, realis other)
        ev = evs[local]
        ev["time"] = "FUTURE_REF"
        changes["events"].append(ev)
    ev = evs["V23"]  # `did not want to see Russian forces repressing`: in this intervention (3.5, realis other)
    ev["time"] = "2022-01"
    changes["events"].append(ev)
    ev = evs["V44"]  # `saw his delegation disembark`: Putin sent it; the one responsible is the agent (3.3)
    add_arg(ev, arg("agent", "E2", "M153"))
    changes["events"].append(ev)
    ev = evs["V19"]  # `a basically Russian operation, but with the presence of allies such as Belarus and Armenia`
    add_arg(ev, arg("agent", "E40", "M78"))  # the allies are agents of the operation, as Belarus and Armenia are
    changes["events"].append(ev)
    ev = evs["V43"]  # `if there was external action, it was to help the Russian`: the new beneficiary role
    add_arg(ev, arg("beneficiary", "E2", "M150"))
    changes["events"].append(ev)
    ev = evs["V31"]  # `declared the crisis over … in a televised address`: what the address is about (topic)
    add_arg(ev, arg("topic", "E3", "M119"))
    changes["events"].append(ev)
    ev = evs["V45"]  # `the tough talks with the US and NATO about the Ukraine crisis`: topic of the talks
    add_arg(ev, arg("topic", "E74", "M158"))
    changes["events"].append(ev)
    # new types: `Reorganized in 2002, the SCOT` (organization.reorganize); `casualties in conflicts` (conflict.war,
    # generic, as `casualties` is)
    changes["events"].append({"article_id": A, "id": "V51", "type": "conflict.war", "trigger": {"text": "conflicts"},
                              "arguments": [], "realis": "generic", "polarity": "positive", "time": None})
    changes["events"].append({"article_id": A, "id": "V52", "type": "organization.reorganize", "trigger": {"text": "Reorganized"},
                              "arguments": [arg("organization", "E11", "M74"), arg("time", "E39", "M73")],
                              "realis": "actual", "polarity": "positive", "time": "2002"})

    # --- claims --------------------------------------------------------------------------------------------
    c = claims["C14"]  # `Reorganized in 2002` now has its event
    c["event_ids"] = [q("V52")]
    changes["claims"].append(c)
    c = claims["C21"]  # `… barely tolerates casualties in conflicts`: every trigger inside the span is listed (4.3)
    c["event_ids"] = [q("V24"), q("V51")]
    changes["claims"].append(c)
    c = claims["C38"]  # Blinken on the desirability of CSTO troops: a normative claim, not check-worthy (4.3)
    c["checkworthy"] = False
    changes["claims"].append(c)
    # `If the origin of the escalation … is still murky`: the author withholds judgement on the origin (4.2)
    changes["claims"].append({"article_id": A, "id": "C42", "by_author": True, "quote": "none", "stance": "unclear",
                              "span": {"text": "the origin of the escalation that led protests against prices to become a national revolt in Kazakhstan"},
                              "topic": "origin of the escalation of the Kazakh unrest", "event_ids": [q("V1"), q("V2")], "checkworthy": False})
    # `It has resurrected the concept of the color revolution`: the author's checkable assertion about Putin (4.2)
    changes["claims"].append({"article_id": A, "id": "C43", "by_author": True, "quote": "none", "stance": "affirm",
                              "span": {"text": "It has resurrected the concept of the color revolution"},
                              "topic": "Putin's revival of the colour-revolution concept", "event_ids": [q("V13")], "checkworthy": True})
    # C39 (`spent 2021 being called an oppressor and murderer by the Joe Biden government`) is an author claim about
    # a speech act; by the rule of 4.2 the report of a speech act is recorded by the attributed claim (C40: claimer,
    # cue `called`) and its event (V48, time 2021), not as an author claim: it is removed with `newscorpus remove`.

    for table, recs in changes.items():
        path = HERE / f"{table}.jsonl"
        path.write_text("".join(json.dumps(bare(r), ensure_ascii=False, sort_keys=True) + "\n" for r in recs), encoding="utf-8")
        print(f"{path.relative_to(ROOT)}: {len(recs)} record(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
