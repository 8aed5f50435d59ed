"""Flat views of the nested annotation columns, as Arrow tables: one row a mention (of `entities.mentions`),
one row an argument (of `events.arguments`), each with its parent's fields and its path in the record.
The validator, the corpus figures and the release tables all read mentions and arguments through these."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import storage


def numpy_of(arr) -> np.ndarray:
    return storage.one_array(arr).to_numpy(zero_copy_only=False)


def column(table: pa.Table, name: str) -> pa.Array:
    col = table.column(name)
    return storage.one_array(col)


def item_paths(prefix: str, pos: np.ndarray, suffix: str = "]") -> pa.Array:
    """prefix + str(pos) + suffix for every position, as a dictionary array (one string a distinct position):
    the strings are only made for the rows a finding is about."""
    top = int(pos.max()) + 1 if len(pos) else 0
    return pa.DictionaryArray.from_arrays(pa.array(pos.astype(np.int32)), pa.array([f"{prefix}{i}{suffix}" for i in range(top)], pa.string()))


ENTITY_FIELDS = (("id", "entity_id"), ("article_id", "article_id"), ("type", "entity_type"), ("status", "status"), ("annotator", "annotator"))


def flat_mentions(entities: pa.Table, entity_fields=ENTITY_FIELDS) -> pa.Table:
    """One row a mention: mention_id, start, end, text, kind, and its entity's id, article, type, status,
    annotator (or those of `entity_fields` only), and its path in the entity record (mentions[i])."""
    names = ["mention_id", "start", "end", "text", "kind", *(dst for _, dst in entity_fields), "path"]
    if entities.num_rows == 0:
        return pa.table({n: pa.array([], pa.int32() if n in ("start", "end") else pa.string()) for n in names})
    lists = storage.one_array(entities["mentions"])
    flat = lists.flatten()
    parents = pc.list_parent_indices(lists)
    offsets = numpy_of(lists.offsets)
    pos = np.arange(len(flat)) + offsets[0] - offsets[numpy_of(parents)]
    cols = {"mention_id": flat.field("id"), "start": flat.field("start"), "end": flat.field("end"), "text": flat.field("text"),
            "kind": flat.field("kind")}
    for src, dst in entity_fields:
        cols[dst] = pc.take(column(entities, src), parents)
    cols["path"] = item_paths("mentions[", pos)
    return pa.table(cols)


def flat_arguments(events: pa.Table) -> pa.Table:
    """One row an event argument, with its event's id, type, article, status and annotator."""
    names = ["id", "event_type", "article_id", "status", "annotator", "role", "entity_id", "mention_id", "path"]
    lists = storage.one_array(events["arguments"]) if events.num_rows else None
    if lists is None or len(lists.flatten()) == 0:
        return pa.table({n: pa.array([], pa.string()) for n in names})
    flat = lists.flatten()
    parents = pc.list_parent_indices(lists)
    offsets = numpy_of(lists.offsets)
    pos = np.arange(len(flat)) + offsets[0] - offsets[numpy_of(parents)]
    cols = {dst: pc.take(column(events, src), parents) for src, dst in
            (("id", "id"), ("type", "event_type"), ("article_id", "article_id"), ("status", "status"), ("annotator", "annotator"))}
    cols.update({"role": flat.field("role"), "entity_id": flat.field("entity_id"), "mention_id": flat.field("mention_id"),
                 "path": item_paths("arguments[", pos)})
    return pa.table(cols)
