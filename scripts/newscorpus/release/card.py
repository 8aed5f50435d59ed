"""The dataset card (README.md of a release) and the datasheet figures, generated from the data.

The card's YAML (configs with per-split data_files, dataset_info with the Features) is written with the
same code `datasets` reads it with (MetadataConfigs, DatasetInfosDict) through huggingface_hub's
DatasetCardData. Its prose figures and the DATASHEET.md figures block come from `release_stats`, which
counts the built tables themselves, so the card cannot disagree with the data files.
"""

from __future__ import annotations

from pathlib import Path

from datasets import ClassLabel, DatasetInfo, List, Value
from datasets.info import DatasetInfosDict
from datasets.splits import SplitDict, SplitInfo
from datasets.utils.metadata import MetadataConfigs
from huggingface_hub import DatasetCardData

from ..contract import SPLITS
from ..figures import COUNTED, Figures, process_figures, row_counts
from ..research.agreement import figures_markdown
from ..errors import InputError
from .features import _non_null, CONFIG_DESCRIPTIONS, CONFIGS, DEFAULT_CONFIG, PROVENANCE

FIGURES_START = "<!-- figures:start -->"
FIGURES_END = "<!-- figures:end -->"
HUB_REPO = "<org>/newscorpus"


# --- figures (counted by newscorpus.figures, from the release's own config tables) -------------------
class ReleaseFigures(Figures):
    """The figures of a release, counted from its config tables a piece at a time (each piece: config ->
    split -> table, as tables.config_tables gives them), so that no piece need be held past its `add_piece`."""

    def __init__(self, schema):
        super().__init__({t: schema.label_names(t) for t in COUNTED})
        self.schema = schema
        self.documents = {}  # split -> rows of the documents config (one an article)

    def add_piece(self, ctables: dict) -> None:
        for s in SPLITS:
            if any(ctables[t].get(s) is not None for t in COUNTED):
                self.add({t: self._table(ctables[t].get(s), t) for t in COUNTED}, s)
            if ctables["documents"].get(s) is not None:
                self.documents[s] = self.documents.get(s, 0) + ctables["documents"][s].num_rows

    def merge(self, other: "ReleaseFigures") -> "ReleaseFigures":
        super().merge(other)
        for s, n in other.documents.items():
            self.documents[s] = self.documents.get(s, 0) + n
        return self

    def _table(self, table, config):
        return table if table is not None else self.schema.features(config).arrow_schema.empty_table()

    def result(self) -> dict:
        """The figures (the keys of newscorpus.figures.corpus_stats), with rows_per_split of every config."""
        rows = self.rows_per_split()
        return {**super().result(), "rows_per_split": {c: self.documents if c == "documents" else rows[c] for c in CONFIGS}}


def release_stats(ctables: dict, schema, tables: dict | None = None) -> dict:
    """Figures of a release (the same keys as newscorpus.figures.corpus_stats, plus rows_per_split),
    counted from the built config tables, in Arrow. `tables` (the corpus) adds candidate rows and annotators."""
    figures = ReleaseFigures(schema)
    figures.add_piece(ctables)
    out = figures.result()
    if tables is not None:
        out.update(process_figures(*row_counts(tables), tables))
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


def render_datasheet(root, stats: dict, version: str) -> str:
    """The corpus' DATASHEET.md (local or on object storage) with its figures regenerated from the release
    (a stub if it has none)."""
    from ..store.remote import corpus_name, corpus_text

    text = corpus_text(root, "DATASHEET.md")
    return replace_figures(DATASHEET_STUB if text is None else text, f"Release {version}. " + render_figures(stats),
                           corpus_name(root, "DATASHEET.md"))


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
