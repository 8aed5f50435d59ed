"""The rows of a release: gold annotations of annotated articles, per config and split, as Arrow tables
of the config's Features (labels as ClassLabel integers). Column work only, no loop over records.

The corpus is a local root or one on object storage (store/remote.py), read in place either way. A
corpus bigger than memory is derived piece by piece: `piece_ranges` cuts the annotated articles into
ranges of ids, `read_piece` reads the rows of one range (articles by id, annotations by article_id, row
groups skipped by their statistics), and `config_tables` of a piece are the rows of that range. Ids of
annotations start with their article's id, so the pieces, one after the other, are the rows in id order
(release/build.py checks it, and derives the corpus in one piece where they are not).

Only gold rows are released, and only articles that have at least one gold annotation: an article in
the `documents` config with empty entity, event and claim lists would read as "nothing to annotate",
which is not what an article still waiting for annotation means.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from datasets import ClassLabel, Features, List, Value

from ..check.pieces import corpus_files, parquet_source
from ..store import storage
from ..store.versions import annotated_ids, gold_of_annotated, where
from ..contract import ANNOTATION_TABLES, SPLITS, Contract
from ..store.flat import flat_mentions
from .features import CONFIGS, ReleaseSchema



def _chunk(arr):
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def encode(arr: pa.Array, feature) -> pa.Array:
    """`arr` (as stored: labels as strings) as the Arrow storage of `feature` (labels as int64 ids)."""
    arr = _chunk(arr)
    if isinstance(feature, ClassLabel):
        ids = pc.index_in(arr, value_set=pa.array(feature.names, pa.string()))
        if pc.sum(pc.and_(pc.is_valid(arr), pc.is_null(ids))).as_py():
            bad = sorted(set(pc.filter(arr, pc.and_(pc.is_valid(arr), pc.is_null(ids))).to_pylist()))
            raise ValueError(f"values {bad[:5]} are not among the labels {feature.names}")
        return ids.cast(pa.int64())
    if isinstance(feature, dict):
        children = arr.flatten()
        names = [f.name for f in arr.type]
        arrays = [encode(children[names.index(k)], f) for k, f in feature.items()]
        mask = arr.is_null() if arr.null_count else None
        return pa.StructArray.from_arrays(arrays, names=list(feature), mask=mask)
    if isinstance(feature, List):
        offsets = pc.subtract(arr.offsets, arr.offsets[0]) if len(arr) else pa.array([0], pa.int32())
        values = encode(arr.flatten(), feature.feature)
        mask = arr.is_null() if arr.null_count else None
        return pa.ListArray.from_arrays(offsets, values, mask=mask)
    if isinstance(feature, Value):
        return arr.cast(feature.pa_type)
    raise TypeError(f"unsupported feature {feature!r}")


def to_features(table: pa.Table, features: Features) -> pa.Table:
    cols = [encode(table[name], f) for name, f in features.items()]
    return pa.Table.from_arrays(cols, schema=features.arrow_schema)


def _sort(t: pa.Table, *keys) -> pa.Table:
    """t sorted by keys (a stable sort), without a copy when it is sorted already (tables are stored sorted by id)."""
    return t.sort_by([(k, "ascending") for k in keys]) if t.num_rows and not _is_sorted(t, keys) else t


def _is_sorted(t: pa.Table, keys) -> bool:
    """Whether the rows are in (keys) order already; a null key, which sort_by puts last, counts as unsorted."""
    if t.num_rows < 2:
        return True
    if any(t[k].null_count for k in keys):
        return False
    cols = [_chunk(t[k]) for k in keys]
    before, after = [c.slice(0, len(c) - 1) for c in cols], [c.slice(1) for c in cols]
    ok = pc.less_equal(before[-1], after[-1])
    for b, a in zip(reversed(before[:-1]), reversed(after[:-1])):
        ok = pc.or_(pc.less(b, a), pc.and_(pc.equal(b, a), ok))
    return bool(pc.all(ok).as_py())


def _nest(articles: pa.Table, rows: pa.Table, item_feature) -> pa.Array:
    """rows grouped under their article (in `articles` order), sorted by id, as a list column."""
    idx = _chunk(pc.index_in(rows["article_id"], value_set=_chunk(articles["id"])))
    keyed = rows.append_column("_article", idx)
    keyed = _sort(keyed, "_article", "id")
    counts = np.bincount(keyed["_article"].to_numpy(), minlength=articles.num_rows) if keyed.num_rows else np.zeros(articles.num_rows, np.int64)
    offsets = pa.array(np.concatenate([[0], np.cumsum(counts)]).astype(np.int32))
    struct_names = list(item_feature.feature)
    values = pa.StructArray.from_arrays([_chunk(keyed[n]) for n in struct_names], names=struct_names) if keyed.num_rows else \
        pa.array([], pa.struct([pa.field(n, rows.schema.field(n).type) for n in struct_names]))
    return pa.ListArray.from_arrays(offsets, values)


def config_tables(tables: dict, contract: Contract, schema: ReleaseSchema) -> dict:
    """config -> split -> Arrow table of the config's Features, rows sorted by id. Splits without an
    article are left out. The flat configs are cut by split and encoded first; a split's `documents` are its
    articles with its entities, events and claims nested, as encoded already (a document's field is its
    flat config's, without article_id): the nested rows are neither cut nor encoded a second time."""
    g = gold_of_annotated(tables)
    arts = _sort(g["articles"], "id")
    mentions = flat_mentions(g["entities"])
    mentions = mentions.rename_columns(["id" if n == "mention_id" else n for n in mentions.column_names])
    flat = {"articles": arts, "entities": g["entities"], "events": g["events"], "claims": g["claims"], "mentions": mentions}
    art_split = _chunk(arts["split"])
    present = [s for s in SPLITS if s in set(art_split.to_pylist())]
    out = {}
    for config, data in flat.items():  # every config but documents
        feats = schema.features(config)
        data = _sort(data, "id")
        if config == "articles":
            split_col = art_split
        else:
            split_col = pc.take(art_split, _chunk(pc.index_in(data["article_id"], value_set=_chunk(arts["id"])))) if data.num_rows else pa.array([], pa.string())
        out[config] = {}
        for split in present:
            part = data.filter(pc.equal(split_col, split)) if data.num_rows else data
            out[config][split] = to_features(part.select(list(feats)), feats)
    docs_feat = schema.features("documents")
    out["documents"] = {}
    for split in present:
        articles = out["articles"][split]
        cols = [_nest(articles, out[n][split], docs_feat[n]) if n in ANNOTATION_TABLES else articles[n] for n in docs_feat]
        out["documents"][split] = pa.Table.from_arrays(cols, schema=docs_feat.arrow_schema)
    return {config: out[config] for config in CONFIGS}


# --- the corpus piece by piece --------------------------------------------------------------------
PIECE_ARTICLES = 10_000  # annotated articles a piece: about 150 MB of corpus as Arrow, a few times that derived


def _read_range(path: Path, schema: pa.Schema, key: str, lo: str | None, hi: str | None) -> pa.Table | None:
    """The rows of one Parquet file with lo <= key < hi (None: unbounded), as the contract's schema; row
    groups whose statistics say they hold none are not read. None if no row is in the range."""
    with parquet_source(path) as source:
        f = pq.ParquetFile(source)
        meta = f.metadata
        j = storage.column_chunk_index(meta, key)
        groups = []
        for i in range(meta.num_row_groups):
            st = meta.row_group(i).column(j).statistics if j is not None else None
            if st is not None and st.has_min_max and ((hi is not None and st.min >= hi) or (lo is not None and st.max < lo)):
                continue
            groups.append(i)
        if not groups:
            return None
        t = f.read_row_groups(groups)
    if lo is not None or hi is not None:
        k = t[key]
        mask = None
        for cond in ([pc.greater_equal(k, lo)] if lo is not None else []) + ([pc.less(k, hi)] if hi is not None else []):
            mask = cond if mask is None else pc.and_(mask, cond)
        t = t.filter(mask)
    return storage.conform(t, schema, str(path)) if t.num_rows else None


def read_piece(root: Path, contract: Contract, lo: str | None = None, hi: str | None = None, exclude=()) -> dict:
    """The corpus tables cut to the articles with lo <= id < hi and the annotations of those articles (the
    rows as storage.all_tables reads them, in stored order), without the articles in `exclude` and their
    annotations. The caller holds the corpus lock."""
    out = {}
    left_out = pa.array(sorted(exclude), pa.string()) if exclude else None
    for name in ("articles", *ANNOTATION_TABLES):
        schema = contract.arrow_schema(name)
        key = "id" if name == "articles" else "article_id"
        parts = [t for t in (_read_range(p, schema, key, lo, hi) for p in corpus_files(root, name)) if t is not None]
        t = pa.concat_tables(parts) if len(parts) > 1 else parts[0] if parts else storage.relaxed(schema).empty_table()
        if left_out is not None and t.num_rows:
            t = where(t, pc.invert(pc.is_in(t[key], value_set=left_out)))
        out[name] = t
    return out


def unlicensed_articles(root: Path, annotated: list) -> list:
    """The ids (sorted) of the `annotated` articles whose license is `unknown`: the ones a release leaves
    out unless it is built with include_unlicensed. Reads only the id and license columns."""
    if not annotated:
        return []
    unknown = []  # the few articles of unknown license first; the annotated ones among them after
    for path in corpus_files(root, "articles"):
        with parquet_source(path) as source:
            t = pq.read_table(source, columns=["id", "license"])
        ids, lic = storage.plain(storage.one_array(t["id"])), storage.plain(storage.one_array(t["license"]))
        unknown.append(pc.filter(ids, pc.fill_null(pc.equal(lic, "unknown"), False)).cast(pa.string()))
    unknown = pa.concat_arrays(unknown) if unknown else pa.array([], pa.string())
    if not len(unknown):
        return []
    wanted = pa.array(annotated, pa.string())
    return sorted(set(pc.filter(wanted, pc.is_in(wanted, value_set=unknown)).to_pylist()))


@dataclass
class AnnotationScan:
    """What one pass over the annotation tables' article_id, status and annotator columns tells: the
    articles with a gold annotation (sorted), the numbers of rows and of gold rows, the annotators, and
    table -> its candidate rows (what agreement is computed from)."""

    annotated: list
    rows: int
    gold: int
    annotators: set
    candidates: dict


def scan_annotations(root: Path, contract: Contract) -> AnnotationScan:
    """The scan, a row group at a time; the other columns of a row group are read only if it has a
    candidate row (most corpora have few: their gold rows are not read whole a second time)."""
    ids, rows, gold_rows, annotators, candidates = [], 0, 0, set(), {}
    for name in ANNOTATION_TABLES:
        schema, parts = contract.arrow_schema(name), []
        for path in corpus_files(root, name):
            with parquet_source(path) as source:
                f = pq.ParquetFile(source)
                for i in range(f.metadata.num_row_groups):
                    t = f.read_row_group(i, columns=["article_id", "status", "annotator"])
                    is_gold = pc.fill_null(pc.equal(t["status"], "gold"), False)
                    rows += t.num_rows
                    gold_rows += int(pc.sum(is_gold).as_py() or 0)
                    annotators |= set(pc.unique(t["annotator"]).to_pylist())
                    ids.append(annotated_ids({name: t}))
                    is_candidate = pc.fill_null(pc.equal(t["status"], "candidate"), False)
                    if pc.any(is_candidate).as_py():
                        parts.append(storage.conform(f.read_row_group(i).filter(is_candidate), schema, str(path)))
        candidates[name] = pa.concat_tables(parts) if parts else storage.relaxed(schema).empty_table()
    annotated = pc.unique(pa.chunked_array(ids, pa.string())) if ids else pa.array([], pa.string())
    annotated = pc.drop_null(annotated)
    return AnnotationScan(pc.take(annotated, pc.sort_indices(annotated)).to_pylist(), rows, gold_rows, annotators,
                          candidates)


def piece_ranges(annotated: list, piece_articles: int = PIECE_ARTICLES) -> list[tuple]:
    """(lo, hi) ranges of article ids, each holding piece_articles of the annotated articles; the first
    and the last are open (None), so together they cover every id."""
    cuts = annotated[piece_articles::piece_articles] if piece_articles > 0 else []
    bounds = [None, *cuts, None]
    return list(zip(bounds[:-1], bounds[1:]))
