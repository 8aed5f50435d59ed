"""How a split is cut into shards: never an empty shard beside full ones (datasets cannot read one)."""

from newscorpus.release.shards import _layout


def test_no_shard_is_left_empty():
    for rows in range(1, 40):
        for shards_wanted in range(1, 12):
            nbytes = rows * 100
            n, per_shard, _ = _layout(rows, nbytes, max(1, nbytes // shards_wanted), 10**9)
            sizes = [min(per_shard, rows - i * per_shard) for i in range(n)]
            assert sum(sizes) == rows and min(sizes) > 0, (rows, shards_wanted, n, per_shard)


def test_a_split_without_rows_is_one_shard():
    assert _layout(0, 0, 100, 100)[0] == 1
