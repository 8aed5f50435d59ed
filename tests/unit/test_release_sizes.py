"""The sizes a build counts piece by piece (ArrowSize) and the ids of a first release (IdList)."""

import pyarrow as pa
import pytest

from newscorpus.release.shards import ArrowSize
from newscorpus.release.snapshot import IdList, Snapshot

SPAN = pa.struct([("start", pa.int32()), ("text", pa.string())])


@pytest.mark.parametrize("parts", [
    [pa.array(["a", "bc"]), pa.array(["def", None, "g"])],
    [pa.array([1, 2], pa.int64()), pa.array([3], pa.int64()), pa.array([], pa.int64())],
    [pa.array([True, None, False]), pa.array([True] * 9)],
    [pa.array([[{"start": 1, "text": "x"}], []], pa.list_(SPAN)), pa.array([None, [{"start": 2, "text": None}]], pa.list_(SPAN))],
    [pa.array([{"start": 1, "text": "ab"}, None], SPAN), pa.array([{"start": 3, "text": "c"}], SPAN)],
    [pa.array(["x", "yy", "zzz", "w"]).slice(1, 2), pa.array(["q"])],
    [pa.array([["a"], ["b", "c"], ["d"]], pa.list_(pa.string())).slice(1, 1), pa.array([["e"]], pa.list_(pa.string()))],
])
def test_arrow_size_of_pieces_is_nbytes_of_their_concatenation(parts):
    size = ArrowSize(parts[0].type)
    for p in parts:
        size.add(p)
    assert size.nbytes == pa.concat_arrays(parts).nbytes


def test_id_list_is_the_sorted_ids_each_once():
    snap = Snapshot({"claims": pa.table({"id": pa.chunked_array([["b", "a"], ["c", "a"]], pa.large_string())})})
    ids = snap.id_list("claims")
    assert len(ids) == 3 and ids == ["a", "b", "c"] == snap.ids("claims") and list(ids) == ["a", "b", "c"]
    assert ids[1:] == ["b", "c"] and ids[-1] == "c"
    assert not Snapshot({"claims": pa.table({"id": pa.array([], pa.string())})}).id_list("claims")
