"""Views of the stored tables that several jobs share: the rows of some articles, the gold rows of annotated
articles, and each annotator's version of an article (what agreement compares, adjudication chooses from,
`convert` and `show` write out)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from . import storage
from ..contract import ANNOTATION_TABLES


@dataclass
class Version:
    """One version of an article: its gold rows (annotator None), or one annotator's candidate rows."""

    article_id: str
    annotator: str | None
    entities: list = field(default_factory=list)
    events: list = field(default_factory=list)
    claims: list = field(default_factory=list)

    def mention_index(self) -> dict:
        """mention id -> (mention, its entity)"""
        return {m["id"]: (m, e) for e in self.entities for m in e["mentions"]}


def natural_key(rid: str):
    """A record id's sort key: `a/T10` after `a/T9`."""
    head, _, local = rid.rpartition("/")
    digits = "".join(ch for ch in local if ch.isdigit())
    return (head, local.rstrip("0123456789"), int(digits) if digits else 0, rid)


def _mask(table: pa.Table, status: str | None, article_ids) -> pa.Array | None:
    conds = []
    if status is not None:
        conds.append(pc.equal(table["status"], status))
    if article_ids is not None:
        conds.append(pc.is_in(table["article_id"], value_set=pa.array(sorted(article_ids), pa.string())))
    mask = None
    for c in conds:
        mask = c if mask is None else pc.and_(mask, c)
    return pc.fill_null(mask, False) if mask is not None else None


def where(t: pa.Table, mask) -> pa.Table:
    """t filtered by mask (null: left out), without a copy when every row is kept."""
    return t if pc.all(pc.fill_null(mask, False)).as_py() else t.filter(mask)


def annotation_rows(tables: dict, status: str | None = None, article_ids=None) -> dict:
    """table -> its rows of `status` (None: any) of the articles in `article_ids` (None: all), as Arrow."""
    out = {}
    for name in ANNOTATION_TABLES:
        t = tables[name]
        mask = _mask(t, status, article_ids) if t.num_rows else None
        out[name] = where(t, mask) if mask is not None else t
    return out


def annotated_ids(tables: dict, status: str = "gold") -> pa.Array:
    """The distinct ids of the articles with at least one annotation row of `status` (unsorted), of the
    annotation tables in `tables` (a table left out or empty has none)."""
    ids = [storage.plain(storage.one_array(t["article_id"])).cast(pa.string())
           for name, t in tables.items() if name in ANNOTATION_TABLES and t.num_rows
           for t in [where(t, pc.equal(t["status"], status))] if t.num_rows]
    return pc.unique(pa.concat_arrays(ids)) if ids else pa.array([], pa.string())


def gold_of_annotated(tables: dict) -> dict:
    """The gold rows of every annotation table, and the articles that have at least one of them."""
    out = annotation_rows(tables, "gold")
    arts = tables["articles"]
    annotated = annotated_ids(out)
    out["articles"] = where(arts, pc.is_in(arts["id"], value_set=annotated)) if arts.num_rows else arts
    return out


def versions(tables: dict, status: str = "candidate", article_ids=None) -> dict[str, dict]:
    """article id -> annotator -> Version of the `status` rows (gold: one version a article, annotator None),
    rows in stored order. Only the selected rows are made Python objects."""
    out: dict[str, dict] = defaultdict(dict)
    for name, data in annotation_rows(tables, status, article_ids).items():
        for row in data.to_pylist():
            who = row["annotator"] if status != "gold" else None
            v = out[row["article_id"]].setdefault(who, Version(row["article_id"], who))
            getattr(v, name).append(row)
    return dict(out)
