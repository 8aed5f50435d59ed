"""Arrow and numpy helpers of the checks: values of the few rows a finding is about, integer codes of
string columns for group-bys, the groups with more than one row, the UTF-8 bytes of a string column."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..store import storage
from ..store.flat import numpy_of as _np
from .schema import equal_runs


def values_at(values, rows: np.ndarray) -> list:
    """values[rows] as Python objects: only the rows a finding is about are ever converted."""
    if len(rows) == 0:
        return []
    values = storage.one_array(values)
    return values.take(pa.array(rows, pa.int64())).to_pylist()


def differs(a, b) -> np.ndarray:
    """a != b element-wise over Arrow arrays, a null on one side only counting as different."""
    ne = pc.not_equal(a, b)
    both_null = pc.and_(pc.is_null(a), pc.is_null(b))
    return _np(pc.and_not(pc.fill_null(ne, True), both_null))


def constant_column(value: str, n: int) -> pa.Array:
    """`value` n times, as a dictionary array: nothing is copied n times."""
    return pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, np.int32)), pa.array([value], pa.string()))


def codes_of(values) -> np.ndarray:
    """An int64 code for every value of a string column, equal values (nulls alike) having equal codes,
    for group-bys and comparisons on integers instead of strings. A column of long runs of equal values
    (article_id, status, annotator of stored tables) is coded by hashing one value a run; anything else by
    hashing every value."""
    values = storage.plain(storage.one_array(values))
    if len(values) == 0:
        return np.zeros(0, np.int64)
    runs = equal_runs(values)
    if runs is not None:
        heads, run = runs
        return _np(pc.dictionary_encode(heads).indices).astype(np.int64)[_np(run)]
    return _np(pc.dictionary_encode(values, null_encoding="encode").indices).astype(np.int64)


def shared_positions(key: np.ndarray) -> np.ndarray:
    """The positions whose key occurs more than once (by a sort of the keys: numpy sorts integers fast)."""
    if len(key) < 2:
        return np.zeros(0, np.int64)
    s = np.sort(key)
    again = s[1:] == s[:-1]
    if not again.any():
        return np.zeros(0, np.int64)
    return np.flatnonzero(np.isin(key, np.unique(s[1:][again])))


def combined_codes(*codes: np.ndarray) -> np.ndarray:
    """One int64 code for every tuple of codes (equal tuples, equal codes)."""
    out = codes[0]
    for c in codes[1:]:
        if len(c) and c.min() < 0:
            c = c - c.min()
        width = int(c.max()) + 1 if len(c) else 1
        if len(out) and int(out.max()) >= (1 << 62) // width:  # would overflow: renumber first
            out = np.unique(out, return_inverse=True)[1].astype(np.int64)
        out = out * width + c
    return out


def prefix_codes(values) -> np.ndarray | None:
    """For a binary or string column whose values all have the same length, of at least 8 bytes (a column
    of digests), an int64 code for each value from its first 8 bytes (62 bits of them, so that codes
    combine): equal values have equal codes, and an integer sort finds the few that may be equal, instead
    of a hash of every value. None for any other column."""
    values = storage.one_array(values)
    t = values.type
    if not (pa.types.is_binary(t) or pa.types.is_string(t)) or values.null_count or len(values) < 2:
        return None
    off = storage.string_offsets(values)
    width = int(off[1] - off[0])
    if width < 8 or int(off[-1] - off[0]) != width * len(values):
        return None
    data = np.frombuffer(values.buffers()[2], np.uint8)[int(off[0]):int(off[-1])]
    return (data.reshape(-1, width)[:, :8].copy().view(np.uint64).ravel() >> np.uint64(2)).astype(np.int64)


def groups_of(view: pa.Table, keys: list, col: str, also=()) -> pa.Table:
    """The groups of `view` by `keys` that have more than one row, with `col` (and `also`) listed. Only
    the few such groups are materialised as lists."""
    if view.num_rows > 1:  # only the rows whose key is shared can be in a group: find them on one integer key
        codes = []
        for k in keys:
            c = view[k]
            plain = pa.types.is_integer(c.type) and c.null_count == 0
            prefix = None if plain else prefix_codes(c)  # (digests)
            codes.append(_np(c).astype(np.int64) if plain else prefix if prefix is not None else codes_of(c))
        shared = shared_positions(combined_codes(*codes))
        if len(shared) < view.num_rows:
            view = view.take(pa.array(shared))
    g = view.group_by(keys).aggregate([(col, "count")])
    g = g.filter(pc.greater(g[f"{col}_count"], 1))
    rows = view.join(g.select(keys), keys=keys, join_type="inner") if g.num_rows else view.slice(0, 0)
    rows = rows.cast(pa.schema([pa.field(f.name, f.type.value_type if pa.types.is_dictionary(f.type) else f.type) for f in rows.schema]))
    return rows.group_by(keys).aggregate([(col, "list")] + [(c, "list") for c in also])


def utf8_bytes(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The UTF-8 bytes of a string array and the byte offset of each value (len + 1), zero-copy."""
    arr = storage.one_array(arr)
    off = storage.string_offsets(arr).astype(np.int64, copy=False)
    data = arr.buffers()[2]
    buf = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    return buf, off
