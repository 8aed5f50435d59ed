#!/usr/bin/env python3
"""Schema 1.2.0: link the seed's two EVENT entities to the event rows they name (GUIDELINES 2.6). Writes
entity-links.jsonl next to itself (the two records whole, without provenance, so the import stamps the batch
line); import it with

    .venv/bin/newscorpus import entities imports/kz-csto-putin-2022-01-10/review-1/entity-links.jsonl --annotator gold-seed
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
A = "kz-csto-putin-2022-01-10"
LINKS = {
    # the 2022 Kazakh unrest: the protests and the violence that made it up (not the intervention that answered it,
    # nor its outcomes: deaths, injuries and arrests are events of their own that the unrest caused)
    "E3": ["V1", "V2", "V27", "V34", "V36", "V37", "V38", "V39"],
    # the Russia-Ukraine crisis of 2021-2022: the ultimatum, the troops massed near Ukraine, the terms presented
    "E74": ["V4", "V5", "V6"],
}

out = subprocess.run([str(ROOT / ".venv" / "bin" / "newscorpus"), "export", "entities", "--article", A, "--path", str(ROOT)],
                     check=True, capture_output=True, text=True).stdout
recs = {json.loads(line)["id"].split("/", 1)[1]: json.loads(line) for line in out.splitlines()}
lines = []
for local, events in LINKS.items():
    rec = {k: v for k, v in recs[local].items() if k not in ("annotator", "status", "origin", "source_ref", "updated_at")}
    rec["event_ids"] = [f"{A}/{v}" for v in events]
    lines.append(json.dumps(rec, ensure_ascii=False, sort_keys=True) + "\n")
(HERE / "entity-links.jsonl").write_text("".join(lines), encoding="utf-8")
print(f"entity-links.jsonl: {len(lines)} record(s)")
