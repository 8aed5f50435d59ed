"""croissant.json: Croissant 1.0 metadata of a release, built with mlcroissant's own node classes.

One FileSet a config (its Parquet shards), one RecordSet a config whose Fields are sourced from the
Parquet columns, derived from the same Features as the card. A list of structs is a repeated field with
sub-fields; a struct is a field with sub-fields (a JSON path into the column); the split is read from the
file name. Label columns are integers (the ClassLabel ids): their names are in the field description and
in the card. mlcroissant reads nested values one level deep only, so in `documents` the entities,
events and claims carry their scalar fields; their inner lists and spans are in the flat record sets.
"""

from __future__ import annotations

from pathlib import Path

import mlcroissant as mlc
from datasets import ClassLabel, List, Value

from .features import CONFIG_DESCRIPTIONS, CONFIGS

_DTYPES = {"string": mlc.DataType.TEXT, "int32": mlc.DataType.INTEGER, "int64": mlc.DataType.INTEGER,
           "bool": mlc.DataType.BOOL, "float64": mlc.DataType.FLOAT}


def _dtype(feature):
    if isinstance(feature, ClassLabel):
        return mlc.DataType.INTEGER
    return _DTYPES[feature.dtype]


def _describe(feature, base: str = "") -> str:
    if isinstance(feature, ClassLabel):
        labels = ", ".join(f"{i}={n}" for i, n in enumerate(feature.names))
        return f"{base} ClassLabel ids: {labels}.".strip()
    return base


def _fields(config: str, features, descriptions: dict, file_set: str) -> list:
    out = []
    for name, f in features.items():
        fid = f"{config}/{name}"
        desc = descriptions.get(name, "")
        src = mlc.Source(file_set=file_set, extract=mlc.Extract(column=name))
        if isinstance(f, (ClassLabel, Value)):
            out.append(mlc.Field(id=fid, name=name, description=_describe(f, desc), data_types=[_dtype(f)], source=src))
        elif isinstance(f, List) and isinstance(f.feature, (ClassLabel, Value)):
            out.append(mlc.Field(id=fid, name=name, description=_describe(f.feature, desc), data_types=[_dtype(f.feature)],
                                 source=src, repeated=True))
        else:
            inner = f.feature if isinstance(f, List) else f
            subs = []
            for sub, sf in inner.items():
                if not isinstance(sf, (ClassLabel, Value)):
                    continue  # deeper nesting: see the module docstring
                subs.append(mlc.Field(
                    id=f"{fid}/{sub}", name=sub, description=_describe(sf), data_types=[_dtype(sf)],
                    source=mlc.Source(file_set=file_set, extract=mlc.Extract(column=name), transforms=[mlc.Transform(json_path=sub)])))
            out.append(mlc.Field(id=fid, name=name, description=desc, repeated=True if isinstance(f, List) else None, sub_fields=subs))
    return out


def build_croissant(folder: Path, version: str, schema, ctables: dict, stats: dict, contract) -> dict:
    """The Croissant JSON-LD of the release in `folder` (whose data/ is written already); `ctables` is
    config -> split -> table or SplitSize (only which splits a config has is read)."""
    from .card import card_license

    lic, lic_text = card_license(stats)
    distribution, record_sets = [], []
    for config in CONFIGS:
        if not ctables[config]:
            continue
        fs = f"parquet-{config}"
        distribution.append(mlc.FileSet(id=fs, name=fs, description=f"Parquet shards of the {config} config.",
                                        encoding_formats=["application/x-parquet"], includes=[f"data/{config}/*.parquet"]))
        node = schema.nodes[config]
        descriptions = {k: (v.get("description") or "") for k, v in node["properties"].items()}
        split = mlc.Field(
            id=f"{config}/split", name="split", description="The split of the row, from its file name.",
            data_types=[mlc.DataType.TEXT],
            source=mlc.Source(file_set=fs, extract=mlc.Extract(file_property=mlc.FileProperty.filename),
                              transforms=[mlc.Transform(regex=r"^(train|validation|test)-\d+-of-\d+\.parquet$")]))
        record_sets.append(mlc.RecordSet(id=config, name=config, description=CONFIG_DESCRIPTIONS[config],
                                         fields=[split, *_fields(config, schema.features(config), descriptions, fs)]))
    languages = sorted({lang.split("-")[0] for lang in stats["articles_per_language"]})
    metadata = mlc.Metadata(
        name="newscorpus",
        description=("News articles annotated with entities (coreference clusters of typed mentions), events (type, "
                     "trigger, arguments, realis, polarity, time) and claims (span, claimer, cue, stance, topic). "
                     f"Gold annotations only. License: {lic_text}"),
        version=version,
        cite_as=f"@misc{{newscorpus_{version.replace('.', '_')}, title={{newscorpus: news articles annotated with entities, "
                f"events and claims}}, note={{version {version}}}}}",
        license=[lic.get("license_name") or lic["license"]],
        url="https://huggingface.co/datasets/newscorpus",
        in_language=languages or None,
        keywords=["news", "named entity recognition", "event extraction", "claim detection", "coreference"],
        distribution=distribution,
        record_sets=record_sets,
    )
    return metadata.to_json()
