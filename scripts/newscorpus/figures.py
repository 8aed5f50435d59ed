"""The corpus in figures, counted in Arrow: one implementation for `newscorpus stats`, the DATASHEET.md figures
block and the release card.

`Figures` adds up the figures of annotation tables given a batch at a time (so a release counts its pieces
without holding them); `corpus_stats` feeds it the corpus's own rows, the release build its derived config
tables. Label columns of a release hold ClassLabel ids: `Figures(names=...)` counts them as their names.
"""

from __future__ import annotations


import pyarrow as pa
import pyarrow.compute as pc

from .contract import ANNOTATION_TABLES, SPLITS, Contract, load_contract
from .research.agreement import compute_agreement
from .store import storage
from .store.flat import flat_mentions
from .studio import preannotate

COUNTED = ("articles", "entities", "mentions", "events", "claims")  # the tables `Figures.add` is given

# (figure, table, column) of the distributions counted; a label column is counted as its names
DISTRIBUTIONS = (
    ("articles_per_language", "articles", "language"), ("articles_per_license", "articles", "license"),
    ("entities_per_type", "entities", "type"), ("mentions_per_kind", "mentions", "kind"),
    ("mentions_per_type", "mentions", "entity_type"), ("events_per_type", "events", "type"),
    ("events_per_realis", "events", "realis"), ("arguments_per_role", "events", "arguments.role"),
    ("claims_per_quote", "claims", "quote"), ("claims_per_stance", "claims", "stance"),
)
_SUMS = ("characters", "entities_with_wikidata", "event_arguments", "claims_by_author", "claims_checkworthy")


def _raw_counts(values) -> dict:
    """value -> how many times it occurs (label ids as they are), nulls included, in no particular order."""
    if len(values) == 0:
        return {}
    vc = pc.value_counts(values)
    return dict(zip(vc.field("values").to_pylist(), vc.field("counts").to_pylist()))


def _named(counts: dict, names: list | None = None) -> dict:
    """Counts with label ids as their names, nulls left out, most frequent first (ties by the value as text)."""
    merged = {}  # (no two ids share a name, but add them up if they did)
    for k, n in counts.items():
        key = k if names is None or k is None else names[k]
        if key is not None:
            merged[key] = merged.get(key, 0) + n
    return dict(sorted(merged.items(), key=lambda kv: (-kv[1], str(kv[0]))))


def _true(column) -> int:
    """How many values are true (nulls are not)."""
    return int(pc.sum(pc.fill_null(column, False)).as_py() or 0) if len(column) else 0


class Figures:
    """The figures of articles and their annotations, added up over batches.

    `names`: table -> dotted column -> label names, for tables whose label columns hold ids (a release's
    ClassLabels); None counts values as they are (the corpus's strings)."""

    def __init__(self, names: dict | None = None):
        self.names = names or {}
        self.rows = {t: {} for t in COUNTED}  # table -> split -> rows (articles: from their split column if need be)
        self.total = dict.fromkeys(COUNTED, 0)
        self.sums = dict.fromkeys(_SUMS, 0)
        self.dists = {key: {} for key, _, _ in DISTRIBUTIONS}

    def add(self, tables: dict, split: str | None = None) -> None:
        """Count one batch: `tables` maps each of COUNTED to a table (mentions flat, one row a mention, with
        kind and entity_type), all of `split` if given; without a split the articles' split column says."""
        arts, ents, evs, cls = (tables[t] for t in ("articles", "entities", "events", "claims"))
        for t in COUNTED:
            self.total[t] += tables[t].num_rows
            if split is not None:
                self.rows[t][split] = self.rows[t].get(split, 0) + tables[t].num_rows
        if split is None and arts.num_rows:
            for s, n in _raw_counts(arts["split"]).items():
                self.rows["articles"][s] = self.rows["articles"].get(s, 0) + n
        roles = pc.struct_field(pc.list_flatten(evs["arguments"]), "role") if evs.num_rows else pa.array([], pa.string())
        self.sums["characters"] += int(pc.sum(pc.utf8_length(arts["text"])).as_py() or 0) if arts.num_rows else 0
        self.sums["entities_with_wikidata"] += ents.num_rows - ents["wikidata"].null_count
        self.sums["event_arguments"] += len(roles)
        self.sums["claims_by_author"] += _true(cls["by_author"])
        self.sums["claims_checkworthy"] += _true(cls["checkworthy"])
        for key, table, column in DISTRIBUTIONS:
            for k, n in _raw_counts(roles if column == "arguments.role" else tables[table][column]).items():
                self.dists[key][k] = self.dists[key].get(k, 0) + n

    def merge(self, other: "Figures") -> "Figures":
        """Add the batches counted by `other` (in another process, say) to these; returns self."""
        for t in COUNTED:
            self.total[t] += other.total[t]
            for s, n in other.rows[t].items():
                self.rows[t][s] = self.rows[t].get(s, 0) + n
        for key, n in other.sums.items():
            self.sums[key] += n
        for key, counts in other.dists.items():
            for k, n in counts.items():
                self.dists[key][k] = self.dists[key].get(k, 0) + n
        return self

    def rows_per_split(self, tables=COUNTED) -> dict:
        """table -> split -> rows, splits in SPLITS order (then any other split name), for the batches given
        with their split."""
        return {t: {s: self.rows[t][s] for s in (*SPLITS, *sorted(set(self.rows[t]) - set(SPLITS))) if s in self.rows[t]}
                for t in tables}

    def result(self, status: str = "gold") -> dict:
        """The figures (the keys `newscorpus stats` shows)."""
        rows, total = self.rows_per_split(("articles",)), self.total
        dist = {key: _named(self.dists[key], self.names.get(table, {}).get(column)) for key, table, column in DISTRIBUTIONS}
        return {
            "status": status,
            "articles": total["articles"],
            "characters": self.sums["characters"],
            "articles_per_split": dict(rows["articles"]),
            "articles_per_language": dist["articles_per_language"],
            "articles_per_license": dist["articles_per_license"],
            "entities": total["entities"],
            "entities_per_type": dist["entities_per_type"],
            "mentions": total["mentions"],
            "mentions_per_kind": dist["mentions_per_kind"],
            "mentions_per_type": dist["mentions_per_type"],
            "entities_with_wikidata": self.sums["entities_with_wikidata"],
            "events": total["events"],
            "events_per_type": dist["events_per_type"],
            "events_per_realis": dist["events_per_realis"],
            "event_arguments": self.sums["event_arguments"],
            "arguments_per_role": dist["arguments_per_role"],
            "claims": total["claims"],
            "claims_per_quote": dist["claims_per_quote"],
            "claims_per_stance": dist["claims_per_stance"],
            "claims_by_author": self.sums["claims_by_author"],
            "claims_checkworthy": self.sums["claims_checkworthy"],
        }


def row_counts(tables: dict, status: str = "gold") -> tuple[int, int, set]:
    """(annotation rows, rows of `status`, annotators) of the corpus tables (table -> its rows)."""
    rows = sum(tables[n].num_rows for n in ANNOTATION_TABLES)
    kept = sum(int(pc.sum(pc.equal(tables[n]["status"], status)).as_py() or 0) for n in ANNOTATION_TABLES if tables[n].num_rows)
    return rows, kept, set().union(*(set(pc.unique(tables[n]["annotator"]).to_pylist()) for n in ANNOTATION_TABLES))


def process_figures(rows: int, kept: int, annotators, candidates: dict) -> dict:
    """The figures of the annotation process: the rows that are not the counted status (of `rows`, `kept`
    are), the annotators, and inter-annotator agreement on `candidates` (table -> its candidate rows)."""
    return {"candidate_rows": rows - kept, "annotators": sorted(a for a in annotators if a is not None),
            "agreement": compute_agreement(candidates)}


def corpus_stats(root, contract: Contract | None = None, status: str = "gold") -> dict:
    """Figures of every article and of the `status` rows (gold by default), with the annotation process's;
    `root` is a corpus folder or the URL of one on object storage."""
    from .store.remote import RemoteCorpus, is_url, local_path

    if is_url(root):
        root = local_path(root) or RemoteCorpus.open(root)
    remote = isinstance(root, RemoteCorpus)
    contract = contract or (root.contract() if remote else load_contract(root))
    t = root.all_tables(contract) if remote else storage.all_tables(root, contract)
    ann = {name: t[name].filter(pc.equal(t[name]["status"], status)) if t[name].num_rows else t[name] for name in ANNOTATION_TABLES}
    figures = Figures()
    figures.add({"articles": t["articles"], "mentions": flat_mentions(ann["entities"]), **ann})
    return {**figures.result(status), **process_figures(*row_counts(t, status), t),
            "preannotation": preannotate.summarize(preannotate.read_figures(root))}


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
