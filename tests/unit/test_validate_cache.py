"""Incremental validation (validate --cache): a piece whose content was checked before is taken from the
cache, a changed piece is checked again, and the verdict is always a full run's."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections import Counter

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from click.testing import CliRunner

from newscorpus.bench.synth import generate
from newscorpus.check.pieces import aligned_groups
from newscorpus.check.validate import validate_corpus
from newscorpus.cli import main

from conftest import break_a_mention, from_cache


def keys(findings):
    return Counter((f.check, f.table, f.record, f.field) for f in findings)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("cache") / "faulty", articles=400, faults=0.25, seed=7, shard_rows=90)


@pytest.fixture
def corpus(pristine, tmp_path):
    root = tmp_path / "corpus"
    shutil.copytree(pristine.root, root)
    return root


def reused(report) -> tuple[int, int]:
    return from_cache(report.method)


def test_a_second_run_takes_every_piece_from_the_cache(pristine, corpus, tmp_path):
    full = validate_corpus(corpus, partitions=1)
    assert keys(full.findings) == Counter(pristine.expected)
    cold = validate_corpus(corpus, cache=tmp_path / "cache")
    warm = validate_corpus(corpus, cache=tmp_path / "cache")
    assert cold.findings == warm.findings == full.findings and warm.counts == full.counts
    assert reused(cold) == (0, 5) and reused(warm) == (5, 5)


@pytest.mark.parametrize("keep_mtime", [False, True])
def test_a_changed_piece_is_checked_again_and_its_new_fault_found(corpus, tmp_path, keep_mtime):
    """Only the piece whose bytes changed is checked again (a rewrite that keeps the file's modification
    time too: the key is the content), its new fault is found, and the findings are a full run's."""
    validate_corpus(corpus, cache=tmp_path / "cache")
    entity = break_a_mention(corpus, keep_mtime=keep_mtime)
    again = validate_corpus(corpus, cache=tmp_path / "cache")
    full = validate_corpus(corpus, partitions=1)
    assert again.findings == full.findings
    assert ("span-text-mismatch", "entities", entity) in {(f.check, f.table, f.record) for f in again.findings}
    assert reused(again) == (4, 5)
    # the one piece left was shared out between the two workers; it is kept as one piece all the same
    third = validate_corpus(corpus, cache=tmp_path / "cache")
    assert third.findings == full.findings and reused(third) == (5, 5)


def entries(cache, pieces: bool) -> list:
    """The result.json of every entry of the cache, of its pieces (which list their partitions) or of
    its partitions."""
    return [p for p in sorted(cache.rglob("result.json")) if bool(json.loads(p.read_text(encoding="utf-8"))["partitions"]) == pieces]


def partitions_reused(report) -> tuple[int, int]:
    """(K, N) of a method saying "and K of the N partition(s) of the pieces checked" (from the cache)."""
    m = re.search(r"and (\d+) of the (\d+) partition\(s\) of the \d+ checked", report.method)
    assert m, report.method
    return int(m[1]), int(m[2])


def test_an_unreadable_cache_entry_is_checked_again(corpus, tmp_path):
    first = validate_corpus(corpus, cache=tmp_path / "cache")
    entries(tmp_path / "cache", pieces=True)[0].write_text("{not json", encoding="utf-8")
    again = validate_corpus(corpus, cache=tmp_path / "cache")
    assert again.findings == first.findings and reused(again) == (4, 5)


def test_a_changed_piece_reuses_its_unchanged_partitions(corpus, tmp_path):
    """A piece with a changed file is read again, but of its partitions only the one holding the change is
    checked; an unreadable partition entry is checked again; the partitions of a piece taken whole from the
    cache are kept for its next change; the findings are always a full run's. (The shards are rewritten
    with pyarrow's default options, not the corpus's: the files change size, their pieces are cut as before.)"""
    cache = tmp_path / "cache"
    split = [g.split for g in aligned_groups(corpus, 20)]  # the partitions of each piece (a shard of each table)
    assert len(split) == 5 and min(split) >= 2
    cold = validate_corpus(corpus, partitions=20, cache=cache)
    assert reused(cold) == (0, 5) and partitions_reused(cold) == (0, sum(split))
    entity = break_a_mention(corpus, "part-00002.parquet")
    again = validate_corpus(corpus, partitions=20, cache=cache)
    full = validate_corpus(corpus, partitions=1)
    assert again.findings == full.findings
    assert ("span-text-mismatch", "entities", entity) in {(f.check, f.table, f.record) for f in again.findings}
    assert reused(again) == (4, 5) and partitions_reused(again) == (split[2] - 1, split[2])
    # piece 0 was taken whole from the cache by the run above: its partitions were kept for this change
    other = break_a_mention(corpus, "part-00000.parquet")
    third = validate_corpus(corpus, partitions=20, cache=cache)
    full = validate_corpus(corpus, partitions=1)
    assert third.findings == full.findings and other != entity
    assert ("span-text-mismatch", "entities", other) in {(f.check, f.table, f.record) for f in third.findings}
    assert reused(third) == (4, 5) and partitions_reused(third) == (split[0] - 1, split[0])
    for path in entries(cache, pieces=False):
        path.write_text("{not json", encoding="utf-8")
    break_a_mention(corpus, "part-00004.parquet")
    fourth = validate_corpus(corpus, partitions=20, cache=cache)
    assert fourth.findings == validate_corpus(corpus, partitions=1).findings
    assert reused(fourth) == (4, 5) and partitions_reused(fourth) == (0, split[4])  # every partition entry broken


def test_another_contract_reuses_nothing(corpus, tmp_path):
    validate_corpus(corpus, cache=tmp_path / "cache")
    path = corpus / "schema" / "articles.schema.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    schema["description"] = str(schema.get("description", "")) + " (edited)"
    path.write_text(json.dumps(schema), encoding="utf-8")
    # a new process, as a CI run is (this one keeps the contract it loaded)
    got = subprocess.run([sys.executable, "-m", "newscorpus", "validate", str(corpus), "--format", "json", "--cache", str(tmp_path / "cache")],
                         capture_output=True, text=True)
    assert got.returncode == 1, got.stderr
    method = json.loads(got.stdout)["summary"]["method"]
    assert from_cache(method) == (0, 5) and ", and 0 of the " in method, method  # nor any partition


def test_the_cache_keeps_only_the_last_run_s_pieces(corpus, tmp_path):
    validate_corpus(corpus, cache=tmp_path / "cache")
    break_a_mention(corpus)
    validate_corpus(corpus, cache=tmp_path / "cache")
    assert len(entries(tmp_path / "cache", pieces=True)) == 5
    # and one entry of each of their partitions
    assert len(list((tmp_path / "cache").glob("*/*"))) == 5 + sum(len(json.loads(p.read_text(encoding="utf-8"))["partitions"])
                                                                   for p in entries(tmp_path / "cache", pieces=True))


def test_cli_cache_option(corpus, tmp_path):
    args = ["validate", str(corpus), "--format", "json", "--cache", str(tmp_path / "cache")]
    first, second = (CliRunner().invoke(main, args) for _ in range(2))
    assert first.exit_code == second.exit_code == 1, first.output
    assert json.loads(first.output)["findings"] == json.loads(second.output)["findings"]
    assert json.loads(second.output)["summary"]["method"].endswith("; 5 of 5 piece(s) from the cache")


def test_spilled_shards_are_not_cached(corpus, tmp_path):
    report = validate_corpus(corpus, partitions=3, spill=True, cache=tmp_path / "cache")
    assert report.method.endswith("the cache is not used (it keeps pieces of aligned shards only)")
    assert report.findings == validate_corpus(corpus, partitions=1).findings


def test_a_partition_s_key_is_its_values(pristine):
    """The key of a partition's rows is that of a copy of them (however they are chunked, dictionary
    encoded, or sliced out of bigger buffers), and another value anywhere (a text, a null, a nested
    offset) gives another key."""
    from newscorpus.check.cache import PieceCache
    from newscorpus.contract import TABLES, load_contract
    from newscorpus.store import storage

    contract = load_contract(pristine.root)
    cache = PieceCache(pristine.root / "unused", contract)
    tables = {t: storage.read_table(pristine.root, t, contract) for t in TABLES}
    part = {t: d.slice(d.num_rows // 3, d.num_rows // 3) for t, d in tables.items()}  # offsets inside every buffer
    key = cache.partition_key(part)
    copy = {t: pa.Table.from_pylist(d.to_pylist(), schema=d.schema) for t, d in part.items()}
    chunked = {t: pa.concat_tables([d.slice(0, 5), d.slice(5)]) for t, d in part.items()}
    encoded = dict(part, entities=part["entities"].set_column(
        part["entities"].schema.get_field_index("type"), "type", pc.dictionary_encode(part["entities"]["type"])))
    assert cache.partition_key(copy) == cache.partition_key(chunked) == cache.partition_key(encoded) == key

    def changed(table, row, edit):
        rows = part[table].to_pylist()
        edit(rows[row])
        return cache.partition_key(dict(part, **{table: pa.Table.from_pylist(rows, schema=part[table].schema)}))

    def first_text(r):
        r["mentions"][0]["text"] = r["mentions"][0]["text"] + " "

    def one_more_mention(r):
        r["mentions"].append(dict(r["mentions"][0]))

    def no_wikidata(r):
        r["wikidata"] = None if r["wikidata"] else "Q1"

    edits = [changed("entities", 0, first_text), changed("entities", -1, first_text), changed("entities", 3, one_more_mention),
             changed("entities", 2, no_wikidata), changed("articles", 1, lambda r: r.update(title=(r["title"] or "") + "."))]
    assert len({key, *edits}) == len(edits) + 1
    # what lies beside the slice in its buffers is not part of its key (Arrow's IPC writer sends it as padding)
    rows = tables["entities"].to_pylist()
    first_text(rows[2 * (len(rows) // 3)])  # the first row after the slice
    around = pa.Table.from_pylist(rows, schema=tables["entities"].schema)
    assert cache.partition_key(dict(part, entities=around.slice(len(rows) // 3, len(rows) // 3))) == key
