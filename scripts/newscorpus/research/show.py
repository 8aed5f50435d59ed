"""`newscorpus show ARTICLE_ID`: an article with its annotations, readable in a terminal.

Built from rich Text objects only, never from markup strings, so article text is shown as it is.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow.compute as pc
from rich.console import Group
from rich.table import Table
from rich.text import Text

from ..store import storage
from ..store.versions import annotation_rows, natural_key
from ..contract import load_contract
from ..errors import InputError

TYPE_STYLES = ["bold cyan", "bold magenta", "bold green", "bold yellow", "bold blue", "bold red",
               "cyan", "magenta", "green", "yellow", "blue", "red", "bright_cyan", "bright_magenta"]


def load_article(root: Path, article_id: str, status: str | None = "gold") -> dict:
    contract = load_contract(root)
    t = storage.all_tables(root, contract)
    arts = t["articles"].filter(pc.equal(t["articles"]["id"], article_id))
    if arts.num_rows == 0:
        raise InputError(f"article {article_id!r} is not in the corpus")
    out = {"article": arts.to_pylist()[0], "contract": contract}
    for name, rows in annotation_rows(t, status or None, [article_id]).items():
        out[name] = sorted(rows.to_pylist(), key=lambda r: natural_key(r["id"]))
    return out


def render(doc: dict) -> Group:
    art, contract = doc["article"], doc["contract"]
    styles = {t: TYPE_STYLES[i % len(TYPE_STYLES)] for i, t in enumerate(contract.entity_types)}
    text = Text(_printable(art["text"]))
    for c in doc["claims"]:
        text.stylize("italic on grey15", c["span"]["start"], c["span"]["end"])
    for e in doc["entities"]:
        for m in e["mentions"]:
            text.stylize(styles[e["type"]], m["start"], m["end"])
    for v in doc["events"]:
        text.stylize("bold underline", v["trigger"]["start"], v["trigger"]["end"])
    meta = Text(f"{art['id']}  {art['language']}"
                + (f" ({art['translation']} translation from {art['original_language']})" if art["translation"] else "")
                + f"  published {art['published'] or 'unknown'}  publisher {art['publisher'] or 'unknown'}"
                + f"  license {art['license']}  split {art['split']}", style="bold")
    legend = Text("  ".join(f"{t}" for t in contract.entity_types))
    for i, t in enumerate(contract.entity_types):
        start = sum(len(x) + 2 for x in contract.entity_types[:i])
        legend.stylize(styles[t], start, start + len(t))

    mentions = {m["id"]: (e, m) for e in doc["entities"] for m in e["mentions"]}
    ents = Table("entity", "type", "name", "wikidata", "mentions", title=f"{len(doc['entities'])} entities", show_lines=False)
    for e in doc["entities"]:
        ments = "; ".join(f"{m['text']} ({m['kind']})" for m in e["mentions"])
        if e.get("event_ids"):
            ments += "  names events " + " ".join(_local(x) for x in e["event_ids"])
        ents.add_row(*(Text(_printable(x)) for x in (_local(e["id"]), e["type"], e["name"], e["wikidata"] or "", ments)))
    evs = Table("event", "type", "trigger", "arguments", "realis/polarity", "time", title=f"{len(doc['events'])} events")
    for v in doc["events"]:
        args = "; ".join(f"{a['role']}={mentions[a['mention_id']][1]['text'] if a['mention_id'] in mentions else a['mention_id']}"
                         for a in v["arguments"])
        evs.add_row(*(Text(_printable(x)) for x in (_local(v["id"]), v["type"], v["trigger"]["text"], args, f"{v['realis']}/{v['polarity']}", v["time"] or "")))
    cls = Table("claim", "claimer", "cue", "quote/stance", "topic", "events", "claimed", title=f"{len(doc['claims'])} claims")
    for c in doc["claims"]:
        who = "(author)" if c["by_author"] else (mentions[c["claimer"]["mention_id"]][0]["name"] if c["claimer"] and c["claimer"]["mention_id"] in mentions else "(unnamed)")
        cls.add_row(*(Text(_printable(x)) for x in (_local(c["id"]), who, (c["cue"] or {}).get("text", ""), f"{c['quote']}/{c['stance']}",
                                        c["topic"], " ".join(_local(e) for e in c["event_ids"]), _clip(c["span"]["text"]))))
    return Group(meta, legend, Text(""), text, ents, evs, cls)


_CONTROLS = {c: "\ufffd" for c in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)]}


def _printable(text: str) -> str:
    """The text with each control character (but \n and \t) shown as U+FFFD: one for one, so offsets hold, and
    no escape sequence from the data reaches the terminal (rich passes ESC through)."""
    return text.translate(_CONTROLS)


def _local(rid: str) -> str:
    return rid.rsplit("/", 1)[-1]


def _clip(s: str, n: int = 90) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"
