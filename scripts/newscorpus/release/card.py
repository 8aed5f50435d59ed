"""The dataset card (README.md of a release) and the datasheet figures, generated from the data.

The card's YAML (configs with per-split data_files, dataset_info with the Features) is written with the
same code `datasets` reads it with (MetadataConfigs, DatasetInfosDict) through huggingface_hub's
DatasetCardData. Its prose figures and the DATASHEET.md figures block come from `release_stats`, which
counts the built tables themselves, so the card cannot disagree with the data files.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from datasets import ClassLabel, DatasetInfo, List, Value
from datasets.info import DatasetInfosDict
from datasets.splits import SplitDict, SplitInfo
from datasets.utils.metadata import MetadataConfigs
from huggingface_hub import DatasetCardData

from ..research.agreement import compute_agreement, figures_markdown
from ..contract import ANNOTATION_TABLES
from ..errors import InputError
from .features import _non_null, CONFIG_DESCRIPTIONS, CONFIGS, DEFAULT_CONFIG, PROVENANCE

FIGURES_START = "<!-- figures:start -->"
FIGURES_END = "<!-- figures:end -->"
SPLITS = ("train", "validation", "test")
HUB_REPO = "<org>/newscorpus"


# --- figures --------------------------------------------------------------------------------------
def _sorted_counts(pairs) -> dict:
    """(value, count) pairs, nulls left out, most frequent first (ties by the value as text)."""
    return dict(sorted(((k, n) for k, n in pairs if k is not None), key=lambda kv: (-kv[1], str(kv[0]))))


def _counts(values, names: list | None = None) -> dict:
    """value -> how many times it occurs (a label column counted as its names), counted in Arrow."""
    return _named(_raw_counts(values), names)


def _raw_counts(values) -> dict:
    """value -> how many times it occurs (label ids as they are), nulls included, in no particular order."""
    if len(values) == 0:
        return {}
    vc = pc.value_counts(values)
    return dict(zip(vc.field("values").to_pylist(), vc.field("counts").to_pylist()))


def _add_counts(into: dict, counts: dict) -> None:
    for k, n in counts.items():
        into[k] = into.get(k, 0) + n


def _named(counts: dict, names: list | None = None) -> dict:
    """Raw counts (from _raw_counts, added up) as _counts gives them: labels as names, nulls out, sorted."""
    if names is None:
        return _sorted_counts(counts.items())
    merged = {}  # (no two ids share a name, but add them up if they did)
    for k, n in counts.items():
        key = names[k] if k is not None else None
        merged[key] = merged.get(key, 0) + n
    return _sorted_counts(merged.items())


def _true(column) -> int:
    """How many values are true (nulls are not)."""
    return int(pc.sum(pc.fill_null(column, False)).as_py() or 0) if len(column) else 0


# (figure, config, column) of the distributions counted; a label column is counted as its names
_DISTRIBUTIONS = (
    ("articles_per_language", "articles", "language"), ("articles_per_license", "articles", "license"),
    ("entities_per_type", "entities", "type"), ("mentions_per_kind", "mentions", "kind"),
    ("mentions_per_type", "mentions", "entity_type"), ("events_per_type", "events", "type"),
    ("events_per_realis", "events", "realis"), ("arguments_per_role", "events", "arguments.role"),
    ("claims_per_quote", "claims", "quote"), ("claims_per_stance", "claims", "stance"),
)


class ReleaseFigures:
    """release_stats added up over config tables given a piece at a time (each piece: config -> split ->
    table, as tables.config_tables gives them), so that no piece need be held past its `add`."""

    def __init__(self, schema):
        self.schema = schema
        self.names = {c: schema.label_names(c) for c in CONFIGS}
        self.rows = {c: {} for c in CONFIGS}  # config -> split -> rows
        self.sums = dict.fromkeys(("characters", "entities_with_wikidata", "event_arguments", "claims_by_author",
                                   "claims_checkworthy"), 0)
        self.dists = {key: {} for key, _, _ in _DISTRIBUTIONS}

    def add(self, ctables: dict) -> None:
        for c in CONFIGS:
            for s, tb in ctables[c].items():
                self.rows[c][s] = self.rows[c].get(s, 0) + tb.num_rows
        t = {c: _concat(ctables[c]) or self.schema.features(c).arrow_schema.empty_table() for c in ("articles", "entities", "events", "claims", "mentions")}
        arts, ents, evs, cls = t["articles"], t["entities"], t["events"], t["claims"]
        roles = pc.struct_field(pc.list_flatten(evs["arguments"]), "role") if evs.num_rows else pa.array([], pa.int64())
        self.sums["characters"] += int(pc.sum(pc.utf8_length(arts["text"])).as_py() or 0) if arts.num_rows else 0
        self.sums["entities_with_wikidata"] += ents.num_rows - ents["wikidata"].null_count
        self.sums["event_arguments"] += len(roles)
        self.sums["claims_by_author"] += _true(cls["by_author"])
        self.sums["claims_checkworthy"] += _true(cls["checkworthy"])
        for key, config, column in _DISTRIBUTIONS:
            _add_counts(self.dists[key], _raw_counts(roles if column == "arguments.role" else t[config][column]))

    def result(self) -> dict:
        """The figures (the keys of newscorpus.figures.corpus_stats, plus rows_per_split), splits in SPLITS order."""
        rows = {c: {s: self.rows[c][s] for s in SPLITS if s in self.rows[c]} for c in CONFIGS}
        total = {c: sum(rows[c].values()) for c in CONFIGS}
        dist = {key: _named(self.dists[key], self.names[config].get(column)) for key, config, column in _DISTRIBUTIONS}
        return {
            "status": "gold",
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
            "rows_per_split": rows,
        }


def _concat(parts: dict) -> pa.Table | None:
    tables = [t for t in parts.values() if t is not None]
    return pa.concat_tables(tables) if tables else None


def corpus_figures(rows: int, gold: int, annotators, candidates: dict) -> dict:
    """The figures of a release that come from the corpus rather than the released rows: candidate rows,
    annotators and agreement (from `candidates`, table -> its candidate rows)."""
    return {"candidate_rows": rows - gold, "annotators": sorted(annotators), "agreement": compute_agreement(candidates)}


def release_stats(ctables: dict, schema, tables: dict | None = None) -> dict:
    """Figures of a release (the same keys as newscorpus.figures.corpus_stats, plus rows_per_split),
    counted from the built config tables, in Arrow. `tables` (the corpus) adds candidate rows and annotators."""
    figures = ReleaseFigures(schema)
    figures.add(ctables)
    out = figures.result()
    if tables is not None:
        total = sum(tables[n].num_rows for n in ANNOTATION_TABLES)
        gold = sum(int(pc.sum(pc.equal(tables[n]["status"], "gold")).as_py() or 0) for n in ANNOTATION_TABLES if tables[n].num_rows)
        annotators = set().union(*(set(pc.unique(tables[n]["annotator"]).to_pylist()) for n in ANNOTATION_TABLES))
        out.update(corpus_figures(total, gold, annotators, tables))
    return out


def _dist_table(title: str, dist: dict) -> list[str]:
    if not dist:
        return [f"{title}: none.", ""]
    return [f"| {title} | count |", "| --- | ---: |", *(f"| {k} | {v} |" for k, v in dist.items()), ""]


def render_figures(stats: dict) -> str:
    """The figures block of DATASHEET.md (and of the card) from corpus_stats() or release_stats() output.
    Markdown, ends with a newline, without the markers."""
    s = stats
    lines = [
        f"Figures of the {s.get('status', 'gold')} annotations, generated from the data by `newscorpus release "
        "datasheet`; do not edit them by hand.",
        "",
        "| | count |",
        "| --- | ---: |",
        f"| articles | {s['articles']} |",
        f"| characters of article text | {s['characters']:,} |",
        f"| entities (coreference clusters) | {s['entities']} |",
        f"| entities with a Wikidata id | {s['entities_with_wikidata']} |",
        f"| entity mentions | {s['mentions']} |",
        f"| events | {s['events']} |",
        f"| event arguments | {s['event_arguments']} |",
        f"| claims | {s['claims']} |",
        f"| claims by the author | {s['claims_by_author']} |",
        f"| check-worthy claims | {s['claims_checkworthy']} |",
    ]
    if "candidate_rows" in s:
        lines.append(f"| candidate rows (not released, kept for agreement) | {s['candidate_rows']} |")
    if "annotators" in s:
        lines.append(f"| annotators | {len(s['annotators'])} |")
    lines.append("")
    for title, key in (("split", "articles_per_split"), ("language", "articles_per_language"), ("license", "articles_per_license"),
                       ("entity type", "entities_per_type"), ("mention kind", "mentions_per_kind"),
                       ("mention entity type", "mentions_per_type"), ("event type", "events_per_type"),
                       ("event realis", "events_per_realis"), ("argument role", "arguments_per_role"),
                       ("claim quote", "claims_per_quote"), ("claim stance", "claims_per_stance")):
        lines += _dist_table(title, s.get(key, {}))
    agreement = figures_markdown(s["agreement"]) if s.get("agreement") else ""
    if agreement:  # reported when two or more annotators' versions of an article exist
        lines += [agreement]
    return "\n".join(lines).rstrip("\n") + "\n"


def replace_figures(text: str, figures: str, where: str = "DATASHEET.md") -> str:
    """`text` with the block between the figures markers replaced by `figures`."""
    start, end = text.find(FIGURES_START), text.find(FIGURES_END)
    if start < 0 or end < start:
        raise InputError(f"{where}: no {FIGURES_START} ... {FIGURES_END} block to regenerate")
    return text[: start + len(FIGURES_START)] + "\n" + figures + text[end:]


def rewrite_datasheet(path: Path, stats: dict) -> bool:
    """Regenerate the figures block of the datasheet at `path` in place; True if it changed."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    new = replace_figures(text, render_figures(stats), str(path))
    if new != text:
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(new, encoding="utf-8")
        tmp.replace(path)
    return new != text


DATASHEET_STUB = f"""# Datasheet for newscorpus

The corpus has no DATASHEET.md of its own yet; this release carries its figures only.

## Composition

{FIGURES_START}
{FIGURES_END}
"""


def render_datasheet(root: Path, stats: dict, version: str) -> str:
    """The corpus' DATASHEET.md with its figures regenerated from the release (a stub if it has none)."""
    path = Path(root) / "DATASHEET.md"
    text = path.read_text(encoding="utf-8") if path.is_file() else DATASHEET_STUB
    return replace_figures(text, f"Release {version}. " + render_figures(stats), str(path))


# --- the card -------------------------------------------------------------------------------------
def size_category(n: int) -> str:
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
                        (10_000_000, "1M<n<10M"), (100_000_000, "10M<n<100M")):
        if n < limit:
            return name
    return "n>1T" if n > 10**12 else "100M<n<1B"


def card_license(stats: dict) -> tuple[dict, str]:
    """The YAML license fields and a paragraph saying what they mean for this release."""
    lic = stats["articles_per_license"]
    per = ", ".join(f"{k} ({v} article{'s' * (v != 1)})" for k, v in lic.items()) or "none"
    if set(lic) == {"unknown"} or not lic:
        return {"license": "unknown"}, (
            "The texts are news articles whose license has not been cleared: every article's `license` is `unknown`. "
            "The annotations are ours; the article texts are not, and this release does not grant any right to them. "
            "Use them for research only where your jurisdiction allows text and data mining, and do not redistribute them.")
    if len(lic) == 1:
        only = next(iter(lic))
        return {"license": only.lower()}, f"Every article is licensed {only}; the annotations are released under the same terms."
    unknown = ("`unknown` for texts not cleared for redistribution. Check the license of every article you use; for "
               "`unknown` ones this release grants no right to the text.") if "unknown" in lic else \
        "Check the license of every article you use."
    return {"license": "other", "license_name": "per-article"}, (
        f"Licenses differ from article to article ({per}); each article's `license` column is its SPDX id{', ' if 'unknown' in lic else '. '}"
        f"{unknown}")


LEFT_OUT_IDS_LISTED = 20  # the card lists the ids of at most this many left-out articles, counts beyond


def left_out_text(ids: list) -> str:
    """The card's paragraph on the articles a build left out for their unknown license ('' if none)."""
    if not ids:
        return ""
    n = len(ids)
    which = (": " + ", ".join(f"`{i}`" for i in ids)) if n <= LEFT_OUT_IDS_LISTED else ""
    return (f"Left out of this release: {n} annotated article{'s' * (n != 1)} of the corpus, with all "
            f"{'their' if n != 1 else 'its'} annotations, because {'their' if n != 1 else 'its'} license is `unknown` "
            f"(not cleared for redistribution){which}. {'They stay' if n != 1 else 'It stays'} in the corpus and can be "
            "released once cleared.")


def _type_name(feature) -> str:
    if isinstance(feature, ClassLabel):
        return f"ClassLabel ({feature.num_classes})"
    if isinstance(feature, Value):
        return feature.dtype
    if isinstance(feature, List):
        inner = feature.feature
        return "list of struct" if isinstance(inner, dict) else f"list of {_type_name(inner)}"
    if isinstance(feature, dict):
        return "struct"
    return type(feature).__name__


def field_rows(node: dict, features, prefix: str = "") -> list[str]:
    """One markdown table row a field (nested ones with a dotted path), from the schema and the Features."""
    rows = []
    for name, child in node["properties"].items():
        f = features[name]
        child_nn = _non_null(child)
        desc = (child.get("description") or child_nn.get("description") or "").replace("|", "/").replace("\n", " ")
        if isinstance(f, ClassLabel) and f.num_classes <= 12:
            desc += f" Labels: {', '.join(f'`{n}`' for n in f.names)}."
        rows.append(f"| `{prefix}{name}` | {_type_name(f)} | {desc.strip()} |")
        inner, sub = f, child_nn
        if isinstance(f, List):
            inner, sub = f.feature, _non_null(child_nn["items"])
        if isinstance(inner, dict):
            rows += field_rows(sub, inner, f"{prefix}{name}.")
    return rows


def card_yaml(version: str, schema, ctables: dict, stats: dict) -> DatasetCardData:
    """The card's YAML; `ctables` is config -> split -> the split's table, or anything with its `num_rows`
    and `nbytes` (a build's SplitSize)."""
    lic_fields, _ = card_license(stats)
    languages = sorted({lang.split("-")[0] for lang in stats["articles_per_language"]}) or ["en"]
    data = DatasetCardData(
        pretty_name="newscorpus",
        language=languages,
        multilinguality="monolingual" if len(languages) == 1 else "multilingual",
        annotations_creators=["expert-generated"],
        language_creators=["found"],
        source_datasets=["original"],
        task_categories=["token-classification", "text-classification"],
        task_ids=["named-entity-recognition", "fact-checking"],
        size_categories=[size_category(stats["articles"])],
        tags=["news", "events", "claims", "coreference", "entity-linking"],
        **lic_fields,
    )
    configs = MetadataConfigs({
        c: {**({"default": True} if c == DEFAULT_CONFIG else {}),
            "data_files": [{"split": s, "path": f"data/{c}/{s}-*.parquet"} for s in SPLITS if s in ctables[c]]}
        for c in CONFIGS
    })
    configs.to_dataset_card_data(data)
    infos = {}
    for c in CONFIGS:
        splits = SplitDict()
        for s in SPLITS:
            if s in ctables[c]:
                splits.add(SplitInfo(name=s, num_bytes=ctables[c][s].nbytes, num_examples=ctables[c][s].num_rows))
        infos[c] = DatasetInfo(features=schema.features(c), splits=splits,
                               dataset_size=sum(t.nbytes for t in ctables[c].values()))
    DatasetInfosDict(infos).to_dataset_card_data(data)
    return data


def ontology_tables(contract) -> list[str]:
    onto = contract.ontology
    lines = ["### Entity types", "", "| label | OntoNotes | definition |", "| --- | --- | --- |"]
    lines += [f"| `{k}` | {v.get('ontonotes') or ''} | {v['definition']} |" for k, v in onto["entity_types"].items()]
    lines += ["", "### Event types", "", "| label | CAMEO root | roles | definition |", "| --- | --- | --- | --- |"]
    lines += [f"| `{k}` | {v.get('cameo') or '-'} | {', '.join(v['roles'])} | {v['definition']} |" for k, v in onto["event_types"].items()]
    lines += ["", f"Claimers may be entities of type {', '.join(f'`{t}`' for t in onto['claimer_types'])}.", ""]
    return lines


def render_card(version: str, schema, ctables: dict, stats: dict, contract) -> str:
    data = card_yaml(version, schema, ctables, stats)
    _, lic_text = card_license(stats)
    rows = stats["rows_per_split"]
    present = [s for s in SPLITS if any(s in rows[c] for c in CONFIGS)]
    prose = [
        "# newscorpus",
        "",
        f"Release **{version}** (schema and ontology {contract.version}). News articles annotated with entities "
        "(typed coreference clusters of mentions, linked to Wikidata where certain), events (typed, with a trigger, "
        "arguments, realis, polarity and time) and claims (what is claimed, by whom, how, with which stance, about "
        "which events). Only gold (adjudicated) annotations are released, and only articles that have some.",
        "",
        "## Loading",
        "",
        "```python",
        "from datasets import load_dataset",
        "",
        f'docs = load_dataset("{HUB_REPO}", "documents", revision="v{version}")  # one row an article, annotations nested',
        f'mentions = load_dataset("{HUB_REPO}", "mentions", revision="v{version}")  # flat, for NER',
        'labels = mentions["train"].features["entity_type"].names',
        "```",
        "",
        "## Configs",
        "",
        "| config | rows | " + " | ".join(present) + " |",
        "| --- | --- | " + " | ".join("---:" for _ in present) + " |",
    ]
    for c in CONFIGS:
        default = " (default)" if c == DEFAULT_CONFIG else ""
        prose.append(f"| `{c}`{default} | {CONFIG_DESCRIPTIONS[c]} | " + " | ".join(str(rows[c].get(s, 0)) for s in present) + " |")
    prose += ["", "Splits without an article are left out. Offsets are Unicode code points, 0-based, end-exclusive, into "
              "`text` exactly as stored (NFC, `\\n` line breaks): `text[start:end]` is the span's text.", "",
              "Every label column is a `ClassLabel` whose names come from the ontology (in its order); "
              "`features[column].int2str(i)` gives the name.", "",
              "## Figures", "", render_figures(stats).rstrip("\n"), "",
              "## Fields", ""]
    for c in CONFIGS:
        prose += [f"### `{c}`", "", "| field | type | description |", "| --- | --- | --- |",
                  *field_rows(schema.nodes[c], schema.features(c)), ""]
    prose += ["Provenance columns of the corpus (" + ", ".join(f"`{p}`" for p in PROVENANCE) + ") are left out: every "
              "released row is gold, and annotators, Label Studio references and edit times describe the process, not the data.",
              "", "## Labels", "", *ontology_tables(contract),
              "## License", "", lic_text, "", *([left_out_text(stats["left_out_unlicensed"]), ""] if stats.get("left_out_unlicensed") else []),
              "## Files", "",
              "`data/<config>/<split>-NNNNN-of-NNNNN.parquet` (zstd, the Features stored under the `huggingface` schema "
              "metadata key), `DATASHEET.md` (how the corpus was made), `CHANGELOG.md` (annotation-level changes "
              "since the previous release), `croissant.json` (Croissant 1.0 metadata), `SHA256SUMS` (`sha256sum -c SHA256SUMS`).",
              ""]
    return f"---\n{data.to_yaml()}\n---\n\n" + "\n".join(prose)
