"""A large corpus checked piece by piece, with the same findings as in memory.

All level 2 and 3 checks but one look within an article, so they run on each partition of a piece as
they would on the whole corpus. What crosses articles is handled so that the findings stay exactly those
of the in-memory path:
- ids follow "<article_id>/<local>". Where an id, a mention id or a reference names another article
  than its row's (a defect, or a cross-article reference), the two articles are linked (_edges); the
  linked articles ("tainted") are checked again together, from the pieces that hold them, and their
  per-partition findings of levels 2 to 4 are replaced by that check's.
- wikidata-type-conflict, article-split-leak and article-duplicate-text are corpus-wide: each partition
  gives a small projection ((wikidata, type) pairs; one (text digest, id, split) row an article) and
  they are checked over those at the end.
The piece jobs (check_piece) are run by a runner (runner.py): every job is a top-level function of
picklable arguments, and its result is small (findings, links, projections).
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import shutil
import tempfile
import zlib
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..contract import ANNOTATION_TABLES, TABLES, Contract
from ..errors import StorageError
from ..findings import CHECKS, sort_findings
from ..store import storage
from ..store.flat import column as _col, numpy_of as _np
from ..store.remote import RemoteCorpus
from .arrays import utf8_bytes, values_at
from .cache import PieceCache
from .consistency import wikidata_conflicts
from .corpus import same_texts
from .pieces import SPILL_OPTIONS, SPILL_SPLIT, Spilled, aligned_groups, article_keys, id_prefix, load_piece, spill_rows, split_piece
from .levels import Report, check_all_levels
from .runner import LocalRunner, Runner
from .text import normalized_text

_WIKIDATA = pa.schema([("wikidata", pa.string()), ("type", pa.string()), ("id", pa.string())])


def validate_partitioned(root: Path, contract: Contract, partitions: int, workers: int | None = None, workdir: Path | None = None,
                         *, spill: bool = False, runner: Runner | None = None, cache: PieceCache | None = None) -> Report:
    """validate_corpus in about `partitions` parts, each checked on its own, by `runner` (default: a
    LocalRunner of `workers` processes); with a `cache`, a piece of aligned shards whose content was
    checked before is not checked again (cache.py).

    Where the shards are aligned by article (aligned_groups), each group of shards is read straight
    from the corpus and split in memory; otherwise every row is first spilled to a hash partition in
    temporary Parquet files (spill)."""
    tmp = Path(tempfile.mkdtemp(prefix="newscorpus-validate-", dir=workdir))
    try:
        # one version of the corpus, read from several processes (object storage has no lock: a snapshot is read)
        with contextlib.nullcontext() if isinstance(root, RemoteCorpus) else storage.read_lock(root):
            runner = runner or LocalRunner(workers)
            groups = None if spill else aligned_groups(root, partitions)
            if groups is not None:
                pieces = [("files", g) for g in groups]
                counts = {t: sum(g.rows[t] for g in groups) for t in TABLES}
                report = _check_pieces(contract, tmp, pieces, counts, [], runner, cache)
                if report is not None:
                    report.method = f"aligned shards: {len(groups)} group(s) in {sum(g.split for g in groups)} partition(s), no spill, {runner.description}"
                    if cache is not None:
                        cache.prune()
                        report.method += f"; {cache.reused} of {len(groups)} piece(s) from the cache"
                        if cache.checked:
                            report.method += (f", and {cache.partitions_reused} of the {cache.partitions} partition(s) of the "
                                              f"{cache.checked} checked")
                    return report
                # a shard that cannot be read: the spill below names it, as the in-memory path does
            files = max(1, math.ceil(partitions / SPILL_SPLIT))
            method = f"spilled to {files} file(s) in {files * math.ceil(partitions / files)} partition(s), {runner.description}"
            if cache is not None:
                method += "; the cache is not used (it keeps pieces of aligned shards only)"
            findings, counts = spill_rows(root, contract, files, tmp)
            if len(counts) < len(TABLES):
                return Report(sort_findings(findings), counts, skipped_levels=True, method=method)
            pieces = [("spill", Spilled(p, math.ceil(partitions / files))) for p in range(files)]
            report = _check_pieces(contract, tmp, pieces, counts, findings, runner)
            report.method = method
            return report
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _check_pieces(contract: Contract, tmp: Path, pieces: list, counts: dict, findings: list, runner: Runner,
                  cache: PieceCache | None = None) -> Report | None:
    """Every piece (a spilled hash file or a group of aligned shards) checked on its own by the runner, or
    taken from the cache, then what crosses them. None if a shard could not be read (only aligned shards
    are read here)."""
    stride = len(pieces) if pieces and pieces[0][0] == "spill" else 1
    keys = cache.keys(pieces) if cache is not None and pieces and pieces[0][0] == "files" else None
    results: dict = {}  # piece -> the results of its jobs
    for i, key in enumerate(keys or ()):
        cached = cache.load(key, _wikidata_file(tmp, i, (0, 1)))
        if cached is not None:
            results[i] = [cached]
    todo = [i for i in range(len(pieces)) if i not in results]
    if keys:  # a piece checked again is cut as it was last time, so that its unchanged partitions are found in the cache
        cache.reuse_splits([pieces[i][1] for i in todo])
    workers = min(runner.workers, sum(pieces[i][1].split for i in todo)) if todo else 1
    # a worker takes a piece, or, when fewer pieces than workers are left to check, every other partition of one
    share = workers if len(todo) < workers else 1
    args = [(contract, tmp, i, pieces[i], stride, (w, share), cache if keys else None) for i in todo for w in range(share)]
    try:
        fresh = runner.map(check_piece, args)
    except StorageError:
        return None
    for a, result in zip(args, fresh):
        results.setdefault(a[2], []).append(result)
    if keys:
        for i in todo:
            cache.store(keys[i], results[i], [_wikidata_file(tmp, i, (w, share)) for w in range(share)])
        cache.keep_splits([g for _, g in pieces], [pieces[i][1] for i in todo])
    edges, pairs, digests = [], [], []
    local = []
    for found, owners, part_edges, part_pairs, part_digests, _ in (r for i in sorted(results) for r in results[i]):
        findings += [f for f, k in zip(found, owners) if k is None]
        local += [(f, k) for f, k in zip(found, owners) if k is not None]
        edges += part_edges
        pairs.append(part_pairs)
        digests.append(part_digests)
    tainted = {article for edge in edges for article in edge}
    findings += [f for f, k in local if k not in tainted]
    if tainted:
        findings += _check_tainted(contract, tmp, pieces, tainted)
    findings += same_texts(pa.concat_tables(digests))
    findings += _wikidata_conflicts(tmp, pa.concat_tables(pairs))
    return Report(sort_findings(findings), counts)


def check_piece(contract: Contract, tmp: Path, index: int, piece, stride: int = 1, share: tuple = (0, 1),
                cache: PieceCache | None = None):
    """One piece (its partitions p with p % share[1] == share[0]): the findings, the article key of each
    level 2-4 finding (None for level 1, which is per row and kept whatever happens), the links between
    articles, the corpus-wide projections, and (cache key, taken from the cache) of each of its partitions.
    With a `cache`, a partition whose content was checked before is taken from it, and the others are put
    in it."""
    tables = load_piece(contract, tmp, piece)
    found, keys, edges, pairs, digests, wds, partitions = [], [], [], [], [], [], []
    for part in split_piece(tables, piece[1].split, stride, share):
        key = cache.partition_key(part) if cache is not None else None
        cached = cache.load_partition(key) if key is not None else None
        if cached is not None:
            part_found, part_keys, part_edges, part_pairs, part_digests, wd = cached
        else:
            part_found, corpus = check_all_levels(contract, part, local=True)
            part_keys, part_edges = _finding_keys(part_found, part), _edges(part)
            wd = corpus.wikidata()
            wd = wd.select(["wikidata", "type", "id"]).cast(_WIKIDATA) if wd.num_rows else _WIKIDATA.empty_table()
            part_pairs, part_digests = wd.group_by(["wikidata", "type"]).aggregate([]), _digests(corpus.t["articles"])
            if key is not None:
                cache.store_partition(key, part_found, part_keys, part_edges, part_pairs, part_digests, wd)
        found += part_found
        keys += part_keys
        edges += part_edges
        wds.append(wd)
        pairs.append(part_pairs)
        digests.append(part_digests)
        partitions += [(key, cached is not None)] if key is not None else []
    pq.write_table(pa.concat_tables(wds) if wds else _WIKIDATA.empty_table(), _wikidata_file(tmp, index, share), **SPILL_OPTIONS)
    del tables
    pa.default_memory_pool().release_unused()  # a worker checks many pieces: give the freed memory back
    if not digests:  # a share with no partition
        return [], [], [], _WIKIDATA.empty_table().select(["wikidata", "type"]), _digests(contract.arrow_schema("articles").empty_table()), []
    return found, keys, edges, pa.concat_tables(pairs), pa.concat_tables(digests), partitions


def _wikidata_file(tmp: Path, index: int, share: tuple) -> Path:
    """Where the job of piece `index` (its share) writes its (wikidata, type, id) projection."""
    return tmp / f"wikidata-{index:05d}-{share[0]:03d}.parquet"


def _finding_keys(findings: list, tables: dict) -> list:
    keys: list = [None] * len(findings)
    for table in TABLES:
        at = [i for i, f in enumerate(findings) if f.table == table and CHECKS[f.check].level >= 2]
        if not at:
            continue
        data = tables[table]
        idx = pc.index_in(pa.array([findings[i].record for i in at], pa.string()), value_set=_col(data, "id"))
        owner = pc.take(article_keys(table, data), pc.fill_null(idx, 0)).to_pylist()
        for i, k in zip(at, owner):
            keys[i] = k
    return keys


def _digests(arts: pa.Table) -> pa.Table:
    """One small row per clean article: a digest (BLAKE2b, 16 bytes) of its normalised text, its id and split."""
    norm = normalized_text(_col(arts, "text")) if arts.num_rows else pa.array([], pa.string())
    buf, off = utf8_bytes(norm) if len(norm) else (np.zeros(0, np.uint8), np.zeros(1, np.int64))
    mv = memoryview(buf)
    digests = [hashlib.blake2b(mv[off[i]:off[i + 1]], digest_size=16).digest() for i in range(len(norm))]
    return pa.table({"norm": pa.array(digests, pa.binary()), "id": _col(arts, "id") if arts.num_rows else pa.array([], pa.string()),
                     "split": _col(arts, "split") if arts.num_rows else pa.array([], pa.string())})


def _prefix_differs(values: pa.Array, keys: pa.Array) -> np.ndarray:
    """Where values[i] (an id) is not null and its part before the first "/" (all of it if it has none)
    is not keys[i].

    Where the values come in sorted stretches of one key (the ids of a stored table: sorted, in runs of
    one article), only the first and last value of each stretch are split: if both start with key + "/",
    so does every value between them (the strings with a given prefix are an interval of the sort
    order). The values of the other stretches (a defect) are split one by one."""
    n = len(values)
    if n > 2:
        brk = np.empty(n, dtype=bool)
        brk[0] = True
        brk[1:] = _np(pc.fill_null(pc.or_(pc.not_equal(keys.slice(1), keys.slice(0, n - 1)),
                                          pc.less(values.slice(1), values.slice(0, n - 1))), True))
        heads = np.flatnonzero(brk)
        if len(heads) * 4 <= n:
            tails = np.append(heads[1:], n) - 1
            ends = pa.array(np.concatenate([heads, tails]))
            ev, ek = values.take(ends), keys.take(ends)
            good = ~_split_differs(ev, ek) & _np(pc.fill_null(pc.match_substring(ev, "/"), False))
            bad = ~(good[:len(heads)] & good[len(heads):])
            out = np.zeros(n, dtype=bool)
            if bad.any():
                run = np.cumsum(brk) - 1
                rows = np.flatnonzero(bad[run])
                out[rows] = _split_differs(values.take(pa.array(rows)), keys.take(pa.array(rows)))
            return out
    return _split_differs(values, keys)


def _split_differs(values: pa.Array, keys: pa.Array) -> np.ndarray:
    """_prefix_differs for every value, by splitting each at its first "/" (faster, measured, than
    comparing the bytes before it in numpy)."""
    head = pc.list_element(pc.split_pattern(values, "/", max_splits=1), 0)
    return _np(pc.fill_null(pc.not_equal(head, keys), False))


def _edges(tables: dict) -> list:
    """(article, other article) for every id or reference of a row that names another article than the row's."""
    out = []

    def check(values, keys):
        values = storage.one_array(values)
        sel = np.flatnonzero(_prefix_differs(values, keys))
        if len(sel):
            out.extend(zip(values_at(keys, sel), id_prefix(values_at(values, sel))))

    def nested(keys, lists, fields):
        lists = storage.one_array(lists)
        flat = lists.flatten()
        if len(flat) == 0:
            return
        k = pc.take(keys, pc.list_parent_indices(lists))
        for name in fields:
            check(flat.field(name) if name else flat, k)

    for table in ANNOTATION_TABLES:
        data = tables[table]
        if data.num_rows == 0:
            continue
        keys = article_keys(table, data)
        check(data["id"], keys)
        if table == "entities":
            nested(keys, data["mentions"], ["id"])
            nested(keys, data["event_ids"], [None])
        elif table == "events":
            nested(keys, data["arguments"], ["entity_id", "mention_id"])
        else:
            claimer = _col(data, "claimer")
            check(claimer.field("entity_id"), keys)
            check(claimer.field("mention_id"), keys)
            nested(keys, data["event_ids"], [None])
    return out


def _check_tainted(contract: Contract, tmp: Path, pieces: list, tainted: set) -> list:
    """Levels 2 to 4 (corpus-wide checks aside) over the rows of the linked articles, all together, read
    again from the pieces that hold them."""
    wanted = pa.array(sorted(tainted), pa.string())
    parts = {zlib.crc32(k.encode("utf-8")) % len(pieces) for k in tainted}
    gathered = {t: [] for t in TABLES}
    for i, piece in enumerate(pieces):
        if piece[0] == "spill" and piece[1].index not in parts or piece[0] == "files" and not any(piece[1].lo <= k <= piece[1].hi for k in tainted):
            continue
        tables = load_piece(contract, tmp, piece)
        for t in TABLES:
            data = tables[t]
            if data.num_rows:
                gathered[t].append(data.filter(pc.is_in(article_keys(t, data), value_set=wanted)))
    tables = {t: pa.concat_tables(v, promote_options="permissive") if v else storage.relaxed(contract.arrow_schema(t)).empty_table()
              for t, v in gathered.items()}
    findings, _ = check_all_levels(contract, tables, local=True)
    return [f for f in findings if CHECKS[f.check].level >= 2]


def _wikidata_conflicts(tmp: Path, pairs: pa.Table) -> list:
    """wikidata-type-conflict from the distinct (wikidata, type) pairs of every partition; the rows of a
    conflicting Wikidata id are read back from the partitions' small projections."""
    if pairs.num_rows == 0:
        return []
    pairs = pairs.group_by(["wikidata", "type"]).aggregate([])
    g = pairs.group_by(["wikidata"]).aggregate([("type", "count")])
    bad = storage.one_array(g.filter(pc.greater(g["type_count"], 1))["wikidata"])
    if len(bad) == 0:
        return []
    rows = [pq.read_table(path, filters=pc.is_in(pc.field("wikidata"), value_set=bad)) for path in sorted(tmp.glob("wikidata-*.parquet"))]
    return list(wikidata_conflicts(pa.concat_tables(rows)))
