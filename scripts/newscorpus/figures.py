"""`newscorpus stats`: the corpus in figures, computed from the data (the README and datasheet use them)."""

from __future__ import annotations

from pathlib import Path

import pyarrow.compute as pc

from .store import storage
from .contract import ANNOTATION_TABLES, Contract, load_contract
from .research.agreement import compute_agreement
from .store.flat import flat_arguments, flat_mentions
from .studio import preannotate


def _counts(column) -> dict:
    if len(column) == 0:
        return {}
    vc = pc.value_counts(column)
    return dict(sorted(((v["values"], v["counts"]) for v in vc.to_pylist()), key=lambda kv: (-kv[1], str(kv[0]))))


def corpus_stats(root: Path, contract: Contract | None = None, status: str = "gold") -> dict:
    """Figures of the `status` rows (gold by default) and of the articles."""
    contract = contract or load_contract(root)
    t = storage.all_tables(root, contract)
    arts = t["articles"]
    ann = {name: t[name].filter(pc.equal(t[name]["status"], status)) if t[name].num_rows else t[name] for name in ANNOTATION_TABLES}
    mentions = flat_mentions(ann["entities"])
    args = flat_arguments(ann["events"])
    claims = ann["claims"]
    chars = pc.sum(pc.utf8_length(arts["text"])).as_py() if arts.num_rows else 0
    return {
        "status": status,
        "articles": arts.num_rows,
        "characters": chars or 0,
        "articles_per_split": _counts(arts["split"]),
        "articles_per_language": _counts(arts["language"]),
        "articles_per_license": _counts(arts["license"]),
        "entities": ann["entities"].num_rows,
        "entities_per_type": _counts(ann["entities"]["type"]),
        "mentions": mentions.num_rows,
        "mentions_per_kind": _counts(mentions["kind"]),
        "mentions_per_type": _counts(mentions["entity_type"]),
        "entities_with_wikidata": (ann["entities"].num_rows - ann["entities"]["wikidata"].null_count) if ann["entities"].num_rows else 0,
        "events": ann["events"].num_rows,
        "events_per_type": _counts(ann["events"]["type"]),
        "events_per_realis": _counts(ann["events"]["realis"]),
        "event_arguments": args.num_rows,
        "arguments_per_role": _counts(args["role"]),
        "claims": claims.num_rows,
        "claims_per_quote": _counts(claims["quote"]),
        "claims_per_stance": _counts(claims["stance"]),
        "claims_by_author": int(pc.sum(claims["by_author"]).as_py() or 0) if claims.num_rows else 0,
        "claims_checkworthy": int(pc.sum(pc.fill_null(claims["checkworthy"], False)).as_py() or 0) if claims.num_rows else 0,
        "candidate_rows": sum(t[n].num_rows for n in ANNOTATION_TABLES) - sum(ann[n].num_rows for n in ANNOTATION_TABLES),
        "annotators": sorted(set().union(*(set(t[n]["annotator"].to_pylist()) for n in ANNOTATION_TABLES))),
        "agreement": compute_agreement(t),
        "preannotation": preannotate.summarize(preannotate.read_figures(root)),
    }


def format_stats(s: dict) -> list[str]:
    def dist(d):
        return ", ".join(f"{k} {v}" for k, v in d.items()) or "none"

    return [
        f"articles   {s['articles']} ({s['characters']:,} characters); splits: {dist(s['articles_per_split'])}; licenses: {dist(s['articles_per_license'])}",
        f"entities   {s['entities']} {s['status']} clusters, {s['entities_with_wikidata']} with a Wikidata id; {dist(s['entities_per_type'])}",
        f"mentions   {s['mentions']}; {dist(s['mentions_per_kind'])}",
        f"events     {s['events']}; {dist(s['events_per_type'])}",
        f"arguments  {s['event_arguments']}; {dist(s['arguments_per_role'])}",
        f"claims     {s['claims']} ({s['claims_by_author']} by the author, {s['claims_checkworthy']} check-worthy); quote: {dist(s['claims_per_quote'])}; stance: {dist(s['claims_per_stance'])}",
        f"candidates {s['candidate_rows']} candidate rows; annotators: {', '.join(s['annotators']) or 'none'}",
    ] + ([f"pre-annotation {preannotate.format_figures(s['preannotation'])}"] if s.get("preannotation") else [])
