"""Import is all or nothing, merges by id, and writes deterministic Parquet atomically."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from newscorpus.store import storage
from newscorpus.contract import load_contract
from newscorpus.errors import InputError, Refused, StorageError
from newscorpus.store.importer import import_file
from newscorpus.check.validate import validate_corpus

from conftest import REPO, article, entity, event, mention, parquet_rows, span

TEXT = "Putin met Tokayev in Almaty."


def jsonl(path: Path, *records) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def snapshot(root: Path) -> dict:
    return {p.relative_to(root): p.read_bytes() for p in sorted(root.rglob("*.parquet"))}


@pytest.fixture
def root(empty_root, tmp_path):
    import_file(empty_root, "articles", jsonl(tmp_path / "a.jsonl", article(text=TEXT)))
    import_file(empty_root, "entities", jsonl(tmp_path / "e.jsonl",
                                              entity("a-test/E1", "PER", "Vladimir Putin", [mention("a-test/M1", span(TEXT, "Putin"))]),
                                              entity("a-test/E2", "PER", "Kassym-Jomart Tokayev", [mention("a-test/M2", span(TEXT, "Tokayev"))])))
    return empty_root


def test_import_merges_by_id(root, tmp_path):
    almaty = entity("a-test/E3", "GPE", "Almaty", [mention("a-test/M3", span(TEXT, "Almaty"))])
    renamed = entity("a-test/E1", "PER", "Putin", [mention("a-test/M1", span(TEXT, "Putin"))])
    result = import_file(root, "entities", jsonl(tmp_path / "more.jsonl", almaty, renamed))
    assert (result.added, result.updated, result.unchanged) == (["a-test/E3"], ["a-test/E1"], 0)
    rows = storage.read_table(root, "entities", load_contract(root)).to_pylist()
    assert [r["id"] for r in rows] == ["a-test/E1", "a-test/E2", "a-test/E3"]
    assert rows[0]["name"] == "Putin"


def test_refused_import_changes_nothing(root, tmp_path):
    before = snapshot(root)
    bad_span = entity("a-test/E3", "GPE", "Almaty", [mention("a-test/M3", {"start": 21, "end": 27, "text": "Almati"})])
    with pytest.raises(Refused) as exc:
        import_file(root, "entities", jsonl(tmp_path / "bad.jsonl", bad_span))
    assert [(f.check, f.record, f.field) for f in exc.value.findings] == [("span-text-mismatch", "a-test/E3", "mentions[0].text")]
    assert snapshot(root) == before


def test_schema_findings_name_file_and_line(root, tmp_path):
    before = snapshot(root)
    rec = entity("a-test/E3", "PLANET", "Almaty", [mention("a-test/M3", span(TEXT, "Almaty"))])
    path = jsonl(tmp_path / "bad.jsonl", rec)
    with pytest.raises(Refused) as exc:
        import_file(root, "entities", path)
    assert [(f.check, f.record, f.field, f.file) for f in exc.value.findings] == [("schema-enum", "a-test/E3", "type", f"{path}:1")]
    assert snapshot(root) == before


@pytest.mark.parametrize("content, message", [
    ('{"id": "x"\n', "bad.jsonl:1: invalid JSON"),
    ('\n\n{"id": \n', "bad.jsonl:3: invalid JSON"),
    ("\ufeff{}\n", "byte order mark"),
    ("", "no records"),
])
def test_malformed_jsonl_is_one_line_error(root, tmp_path, content, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        import_file(root, "entities", path)


def test_duplicate_ids_in_input_are_refused(root, tmp_path):
    rec = entity("a-test/E3", "GPE", "Almaty", [mention("a-test/M3", span(TEXT, "Almaty"))])
    with pytest.raises(Refused) as exc:
        import_file(root, "entities", jsonl(tmp_path / "dup.jsonl", rec, rec))
    assert ("id-duplicate", "a-test/E3") in {(f.check, f.record) for f in exc.value.findings}


def test_same_data_same_bytes(root, tmp_path):
    contract = load_contract(root)
    data = storage.read_table(root, "entities", contract)
    first = snapshot(root)
    storage.write_table(root, "entities", data.take([1, 0]), contract)  # other order, same rows
    assert snapshot(root) == first


def test_unreadable_table_is_a_storage_error(root):
    path = root / "annotations" / "entities.parquet"
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(StorageError, match="entities.parquet"):
        storage.read_table(root, "entities", load_contract(root))
    report = validate_corpus(root)
    assert [(f.check, f.table) for f in report.findings] == [("table-unreadable", "entities")]


def test_sharded_table_reads_as_one(root):
    contract = load_contract(root)
    data = storage.read_table(root, "entities", contract)
    single = root / "annotations" / "entities.parquet"
    shards = root / "annotations" / "entities"
    shards.mkdir()
    import pyarrow.parquet as pq

    pq.write_table(data.slice(0, 1), shards / "part-00000.parquet")
    pq.write_table(data.slice(1), shards / "part-00001.parquet")
    single.unlink()
    assert storage.read_table(root, "entities", contract).to_pylist() == data.to_pylist()
    assert validate_corpus(root).ok


def test_second_writer_waits_for_the_lock(root):
    order = []
    with storage.corpus_lock(root):
        t = threading.Thread(target=lambda: (storage.corpus_lock(root, wait=5).__enter__(), order.append("second")))
        t.start()
        time.sleep(0.3)
        order.append("first")
    t.join()
    assert order == ["first", "second"]


def test_lock_held_elsewhere_times_out_with_a_message(root):
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from pathlib import Path; from newscorpus.store.storage import corpus_lock\n"
        f"with corpus_lock(Path({str(root)!r})):\n    print('held', flush=True); time.sleep(30)")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(StorageError, match="another newscorpus process is writing"):
            with storage.corpus_lock(root, wait=0.3):
                pass
    finally:
        holder.kill()
        holder.wait()
    with storage.corpus_lock(root, wait=1):  # a killed holder leaves nothing to clean up
        pass


@pytest.mark.corpus
def test_repo_corpus_is_valid():
    report = validate_corpus(REPO)
    assert report.ok, [f.line() for f in report.errors]
    unknown = sorted(a["id"] for a in parquet_rows(REPO, "articles") if a["license"] == "unknown")
    assert sorted(f.record for f in report.warnings if f.check == "license-unknown") == unknown


def spans_of(root) -> list:
    """(record id, field, span) of every span in the corpus, read with pyarrow alone."""
    out = []
    for e in parquet_rows(root, "entities"):
        out += [(m["id"], "mentions", m) for m in e["mentions"]]
    for v in parquet_rows(root, "events"):
        out.append((v["id"], "trigger", v["trigger"]))
    for c in parquet_rows(root, "claims"):
        out += [(c["id"], field, c[field]) for field in ("span", "cue") if c[field]]
    return out


def assert_spans_are_their_text(root):
    texts = {a["id"]: a["text"] for a in parquet_rows(root, "articles")}
    spans = spans_of(root)
    assert spans
    for rid, field, sp in spans:
        assert texts[rid.split("/", 1)[0]][sp["start"]:sp["end"]] == sp["text"], (rid, field)


def test_spans_are_their_text_after_import(fixture_root):
    assert_spans_are_their_text(fixture_root)
    assert len(spans_of(fixture_root)) == 14 + 4 + 3 + 2  # mentions, triggers, claims, cues


@pytest.mark.corpus
def test_every_repo_span_is_its_text():
    assert_spans_are_their_text(REPO)


def _shard(root, table, contract, names):
    """Move `table` from its single file into a folder of shards with the given file names."""
    import pyarrow.parquet as pq

    data = storage.read_table(root, table, contract)
    single = storage.table_location(root, table).with_suffix(".parquet")
    folder = storage.table_location(root, table)
    folder.mkdir()
    size = -(-data.num_rows // len(names))
    for i, name in enumerate(names):
        pq.write_table(data.slice(i * size, size), folder / name)
    single.unlink()
    return folder


def test_import_into_a_sharded_table(root, tmp_path):
    contract = load_contract(root)
    folder = _shard(root, "entities", contract, ["a.parquet", "b.parquet"])
    almaty = entity("a-test/E3", "GPE", "Almaty", [mention("a-test/M3", span(TEXT, "Almaty"))])
    result = import_file(root, "entities", jsonl(tmp_path / "more.jsonl", almaty))
    assert result.added == ["a-test/E3"]
    assert sorted(p.name for p in folder.iterdir()) == ["part-00000.parquet", "part-00001.parquet"]
    assert not (root / "annotations" / "entities.parquet").exists()
    assert [r["id"] for r in storage.read_table(root, "entities", contract).to_pylist()] == ["a-test/E1", "a-test/E2", "a-test/E3"]
    assert validate_corpus(root).ok
    first = snapshot(root)
    with storage.corpus_lock(root):
        storage.write_table(root, "entities", storage.read_table(root, "entities", contract), contract)
    assert snapshot(root) == first  # same rows, same shards, same bytes


def test_a_write_cut_before_its_shard_deletes_is_finished(root):
    import json as _json

    contract = load_contract(root)
    folder = _shard(root, "entities", contract, ["old-0.parquet", "old-1.parquet", "old-2.parquet"])
    data = storage.read_table(root, "entities", contract)
    new = folder / "part-00000.parquet"
    tmp = folder / f".part-00000.parquet.{os.getpid()}.tmp"
    storage._write_parquet(tmp, data)
    # the journal of a writer killed after writing it: one rename, three shards to delete
    (root / storage.JOURNAL_NAME).write_text(_json.dumps({
        "renames": [[tmp.relative_to(root).as_posix(), new.relative_to(root).as_posix()]],
        "deletes": [f"annotations/entities/old-{i}.parquet" for i in range(3)]}))
    assert [r["id"] for r in storage.read_table(root, "entities", contract).to_pylist()] == ["a-test/E1", "a-test/E2"]
    assert sorted(p.name for p in folder.iterdir()) == ["part-00000.parquet"]
    assert not (root / storage.JOURNAL_NAME).exists()
