"""Scale: the synthetic corpus (scripts/newscorpus/synth.py) and the partitioned validator.

Findings on a generated corpus with injected faults are exactly the injected ones; a clean generated corpus
gives none; and the partitioned, bounded-memory path reports exactly what the in-memory path reports, on
the generated corpus and on every tests/cases/<check-id>/ case.
"""

from __future__ import annotations

import json
from collections import Counter

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from newscorpus.store import storage
from newscorpus.findings import CHECKS
from newscorpus.bench.faults import NOT_INJECTABLE, injectable_checks
from newscorpus.bench.synth import generate
from newscorpus.check.validate import validate_corpus

from test_cases import CASES, VALIDATOR_CHECKS, build_case


def keys(findings):
    return Counter((f.check, f.table, f.record, f.field) for f in findings)


@pytest.fixture(scope="module")
def faulty(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("synth") / "faulty", articles=400, faults=0.25, seed=7, shard_rows=90)


def test_every_injectable_check_is_injected(faulty):
    assert {f["check"] for f in faulty.faults} == set(injectable_checks())
    assert set(injectable_checks()) | set(NOT_INJECTABLE) <= {c.id for c in CHECKS.values() if c.level >= 1}


def test_findings_are_exactly_the_injected_faults(faulty):
    report = validate_corpus(faulty.root, partitions=1)
    assert keys(report.findings) == Counter(faulty.expected)
    manifest = json.loads((faulty.root / "manifest.json").read_text())
    assert len(manifest["faults"]) == len(faulty.faults) == 100


@pytest.mark.parametrize("spill", [False, True])
def test_partitioned_path_is_identical(faulty, spill):
    in_memory = validate_corpus(faulty.root, partitions=1)
    for partitions in (2, 5, 12):
        report = validate_corpus(faulty.root, partitions=partitions, spill=spill)
        assert report.method.startswith("spilled" if spill else "aligned shards: 5 group(s)")
        assert report.findings == in_memory.findings
        assert report.counts == in_memory.counts


class RecordingRunner:
    """A runner of the seam (check/runner.py) that runs the piece jobs in this process, one after the
    other, and keeps what it was given: what a distributed engine's runner gets."""

    def __init__(self, workers):
        self.workers, self.jobs = workers, []
        self.description = "by the recording runner"

    def map(self, job, args):
        self.jobs += [(job.__name__, a[2], a[5]) for a in args]  # (job, piece, (share, of))
        return [job(*a) for a in args]


@pytest.mark.parametrize("spill", [False, True])
def test_pieces_go_through_the_runner_it_is_given(faulty, spill):
    """validate_corpus(runner=...) sends every piece job to that runner; with 3 workers the pieces are
    shared out otherwise than by the local default, and the findings are the in-memory path's."""
    in_memory = validate_corpus(faulty.root, partitions=1)
    runner = RecordingRunner(workers=3)
    report = validate_corpus(faulty.root, partitions=2, spill=spill, runner=runner)
    assert report.findings == in_memory.findings and report.counts == in_memory.counts
    assert report.method.endswith(", by the recording runner")
    assert {name for name, _, _ in runner.jobs} == {"check_piece"}
    # spilled: one hash file of 2 partitions, fewer pieces than workers, so it goes out as 2 jobs of one
    # partition each; aligned: 5 shard groups, one job each
    shares = sorted((piece, share) for _, piece, share in runner.jobs)
    assert shares == ([(0, (0, 2)), (0, (1, 2))] if spill else [(i, (0, 1)) for i in range(5)])


def test_unaligned_shards_are_spilled(tmp_path):
    """One entities file over the articles of several articles shards: the shards are not aligned, so the
    rows are spilled to partitions, with the same findings."""
    result = generate(tmp_path / "unaligned", articles=300, faults=0.2, seed=4, shard_rows=100)
    folder = result.root / "annotations" / "entities"
    shards = sorted(folder.glob("*.parquet"))
    merged = pa.concat_tables([pq.read_table(p) for p in shards])
    for p in shards[1:]:
        p.unlink()
    pq.write_table(merged, shards[0])
    in_memory = validate_corpus(result.root, partitions=1)
    assert keys(in_memory.findings) == Counter(result.expected)
    report = validate_corpus(result.root, partitions=3)
    assert report.method.startswith("spilled")
    assert (report.findings, report.counts) == (in_memory.findings, in_memory.counts)


def test_clean_corpus_has_no_finding(tmp_path):
    result = generate(tmp_path / "clean", articles=300, seed=3, shard_rows=100)
    assert sorted(p.name for p in storage.table_files(result.root, "entities")) == ["part-00000.parquet", "part-00001.parquet", "part-00002.parquet"]
    assert validate_corpus(result.root, partitions=1).findings == []
    assert validate_corpus(result.root, partitions=3).findings == []


def test_generation_is_deterministic(tmp_path):
    a = generate(tmp_path / "a", articles=120, faults=0.2, seed=11, shard_rows=50)
    b = generate(tmp_path / "b", articles=120, faults=0.2, seed=11, shard_rows=50)
    files = sorted(p.relative_to(a.root) for p in a.root.rglob("*.parquet"))
    assert files and all((a.root / f).read_bytes() == (b.root / f).read_bytes() for f in files)


def test_unreadable_shard(tmp_path):
    result = generate(tmp_path / "broken", articles=100, faults=0.1, seed=5, shard_rows=40, unreadable=True)
    for partitions in (1, 3):
        report = validate_corpus(result.root, partitions=partitions)
        assert keys(report.findings) == Counter(result.expected) and report.skipped_levels


@pytest.mark.parametrize("column,change", [("origin", "drop"), ("annotator", "drop"), ("origin", "category"), ("status", "category")])
def test_shard_missing_a_column_is_unreadable_like_in_memory(tmp_path, column, change):
    """A shard without a column, or with a column stored as a dictionary (a pandas category), gives the
    in-memory path's table-unreadable finding (naming the file and the column) in the aligned path too,
    where the validator asks Parquet for some columns (origin, annotator, status) as dictionaries; nothing
    crashes."""
    result = generate(tmp_path / "missing", articles=120, seed=8, shard_rows=40)
    shard = sorted((result.root / "annotations" / "entities").glob("*.parquet"))[1]
    table = pq.read_table(shard)
    if change == "drop":
        changed = table.drop_columns([column])
    else:
        i = table.schema.get_field_index(column)
        changed = table.set_column(i, column, pc.dictionary_encode(table[column]))
    pq.write_table(changed.replace_schema_metadata(table.schema.metadata), shard)
    in_memory = validate_corpus(result.root, partitions=1)
    assert [(f.check, f.table) for f in in_memory.findings] == [("table-unreadable", "entities")]
    assert (f"missing column(s) {column}" if change == "drop" else f"column {column} is dictionary") in in_memory.findings[0].message
    assert in_memory.skipped_levels
    for partitions in (2, 3):
        report = validate_corpus(result.root, partitions=partitions)
        assert (report.findings, report.skipped_levels) == (in_memory.findings, in_memory.skipped_levels)


STORED_CASES = [c for c in ["_base", *VALIDATOR_CHECKS] if "import" not in json.loads((CASES / c / "case.json").read_text())]


@pytest.mark.parametrize("case", STORED_CASES)  # an import case stores nothing to validate
def test_cases_partitioned_like_in_memory(case, tmp_path):
    folder = CASES / case
    root = build_case(folder, tmp_path)
    in_memory = validate_corpus(root, partitions=1)
    for partitions, spill in ((2, False), (3, False), (2, True), (3, True)):
        report = validate_corpus(root, partitions=partitions, spill=spill)
        assert (report.findings, report.counts, report.skipped_levels) == (in_memory.findings, in_memory.counts, in_memory.skipped_levels)


def test_span_substrings_match_python_slicing():
    """The span check reads article text through Arrow string views built in numpy (Texts.substrings):
    short views inline their bytes, long ones point into the text buffer. Both agree with str slicing."""
    import random

    import numpy as np

    from newscorpus.check.text import Texts

    rng = random.Random(1)
    alphabet = "ab c\\né“”—ğ😀\u0301"
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 60))) for _ in range(40)]
    arr = pa.array(texts, pa.string()).slice(3)  # an offset into the buffers, as a slice of a column has
    t = Texts(arr)
    a, start, end = [], [], []
    for _ in range(3000):
        i = rng.randrange(len(texts) - 3)
        n = len(texts[i + 3])
        s = rng.randrange(n + 1)
        a.append(i), start.append(s), end.append(rng.randrange(s, n + 1))
    a, start, end = (np.array(x, np.int64) for x in (a, start, end))
    got = t.substrings(t.byte_at(a, start), t.byte_at(a, end)).to_pylist()
    assert got == [texts[i + 3][s:e] for i, s, e in zip(a.tolist(), start.tolist(), end.tolist())]
    assert any(e - s > 12 for s, e in zip(start.tolist(), end.tolist())) and any(0 < e - s <= 12 for s, e in zip(start.tolist(), end.tolist()))


def test_normalized_text_matches_the_regular_expression():
    """normalized_text works on UTF-8 bytes in numpy; it gives what lower-casing and removing every
    [^\\p{L}\\p{N}] with a regular expression gives, on ASCII, accents, combining marks, astral letters,
    numerals and spaces of other scripts, nulls, empty strings and sliced arrays."""
    import random

    import pyarrow.compute as pc

    from newscorpus.check.text import normalized_text

    rng = random.Random(0)
    alphabet = "aB1 ,.-\n\té“”—ğ😀\u0301İΣ٣Ⅻ²\u00a0ſß\U0001D400中\u3000"
    values = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 20))) for _ in range(3000)] + [None, ""]
    for arr in (pa.array(values, pa.string()), pa.array(values, pa.string()).slice(5), pa.array(values, pa.large_string()),
                pa.array([], pa.string())):
        got = normalized_text(arr)
        got.validate(full=True)
        assert got.to_pylist() == pc.replace_substring_regex(pc.utf8_lower(arr), r"[^\p{L}\p{N}]+", "").to_pylist()


def test_prefix_test_matches_splitting():
    """_edges tests ids against their row's article: by the first and last id of each sorted stretch of one
    article (_prefix_differs), else id by id on bytes (_split_differs). Both give what splitting in Python
    gives, where ids sort between "a" and "a/..." without being of article a ("a-1", "a.b"), are null, have
    no "/", where the key holds a "/", is empty, is longer than 16 bytes or is not ASCII."""
    import random

    import numpy as np

    from newscorpus.check.partitioned import _prefix_differs, _split_differs

    def expected(values, keys):
        return [v is not None and v.split("/", 1)[0] != k for v, k in zip(values, keys)]

    rng = random.Random(3)
    keys, values = [], []
    arts = sorted({rng.choice(["a", "kz-csto-unrest-2022-01", "é-x", "b"]) + str(rng.randrange(50)) for _ in range(400)})
    for art in arts:
        # sorted within the article, as stored ids are, so that the stretches are long
        twin_last = art[:-1] + chr(ord(art[-1]) ^ 1)  # as long as the key, one byte off, at its end or start
        twin_first = chr(ord(art[0]) ^ 1) + art[1:]
        odd = [art, f"{art}-1", f"{art}.b/E1", f"{art}/", "b/E1", None, "/E1", f"{art[:-1]}/E1", f"{art}x/E1",
               f"{twin_last}/E1", f"{twin_first}/E1", twin_last]
        stretch = [f"{art}/E{rng.randrange(30)}" for _ in range(rng.randrange(20, 40))] + [rng.choice(odd) for _ in range(rng.randrange(4))]
        values += sorted(stretch, key=lambda v: (v is not None, v or ""))
        keys += [art] * len(stretch)
    keys[5:9] = ["a/1"] * 4
    keys[40:45] = [""] * 5
    shuffled = list(range(len(keys)))
    rng.shuffle(shuffled)
    for k, v in ((keys, values), (["x"] * 3, ["x/1", "x-1", "x/2"]), ([keys[i] for i in shuffled], [values[i] for i in shuffled])):
        want = expected(v, k)
        assert _prefix_differs(pa.array(v, pa.string()), pa.array(k)).tolist() == want
        assert _split_differs(pa.array(["pad"] + v, pa.string()).slice(1), pa.array(["pad"] + k).slice(1)).tolist() == want
    assert sum(expected(values, keys)) > 10 and any(len(k.encode()) > 16 for k in keys)
    sorted_keys = sorted(f"a{i:03d}" for i in range(100) for _ in range(10))
    ids = pa.array([f"{k}/E{j}" for j, k in enumerate(sorted_keys)])
    assert not _prefix_differs(ids, pa.array(sorted_keys)).any()
    bad = ids.to_pylist()
    bad[505] = "a000/E505"  # inside the stretch of a050, sorting before it
    assert np.flatnonzero(_prefix_differs(pa.array(bad), pa.array(sorted_keys))).tolist() == [505]


def test_integer_codes_keep_equality():
    """codes_of gives equal codes to equal values and different codes to different ones, whether the column is
    sorted, has long runs (one hash a run) or neither; combined_codes does so for tuples."""
    import random

    import numpy as np

    from newscorpus.check.arrays import codes_of, combined_codes

    rng = random.Random(5)
    plain = [rng.choice(["gold", "candidate", None, "x"]) for _ in range(2000)]
    runs = [v for v in plain[:200] for _ in range(10)]
    for values in (sorted(v for v in plain if v is not None), runs, plain, [None, None], ["a"], []):
        codes = codes_of(pa.array(values, pa.string()))
        for i in range(0, len(values), 37):
            for j in range(0, len(values), 41):
                assert (codes[i] == codes[j]) == (values[i] == values[j])
    a = np.array([rng.randrange(3) for _ in range(500)])
    b = np.array([rng.randrange(-2, 1 << 40) for _ in range(500)])
    c = np.array([rng.randrange(1 << 40) for _ in range(500)])
    combined = combined_codes(a, b, c)
    pairs = list(zip(a.tolist(), b.tolist(), c.tolist()))
    assert len(set(combined.tolist())) == len(set(pairs))
    assert all((combined[i] == combined[j]) == (pairs[i] == pairs[j]) for i in range(0, 500, 7) for j in range(0, 500, 11))


def test_same_texts_prefilter_on_digests_keeps_every_duplicate():
    """same_texts (groups_of) narrows a column of equal-width digests to those whose first 8 bytes recur
    before grouping: a digest seen twice is found, one that only shares its first 8 bytes with another is
    not reported, and a column of other values (texts of several lengths, a null) goes the general way, with the same findings."""
    from newscorpus.check.arrays import prefix_codes, shared_positions
    from newscorpus.check.corpus import same_texts

    same_head = [b"H" * 8 + bytes([i]) * 8 for i in range(3)]  # first 8 bytes alike, digests different
    digests = [bytes([i]) * 16 for i in range(50)] + same_head + [bytes([7]) * 16, bytes([9]) * 16]
    ids = [f"a{i:03d}" for i in range(len(digests))]
    splits = ["train"] * (len(digests) - 1) + ["test"]
    view = pa.table({"norm": pa.array(digests, pa.binary()), "id": ids, "split": splits})
    assert sorted(shared_positions(prefix_codes(view["norm"])).tolist()) == [7, 9, 50, 51, 52, 53, 54]
    found = sorted((f.check, f.record) for f in same_texts(view))
    assert found == [("article-duplicate-text", "a007"), ("article-split-leak", "a009")]
    texts = ["one text", "another, longer text", "one text", None]
    assert prefix_codes(pa.array(texts)) is None and prefix_codes(pa.array(["short", "short"])) is None
    texts_view = pa.table({"norm": pa.array(texts), "id": ["b1", "b2", "b3", "b4"], "split": ["train"] * 4})
    assert [(f.check, f.record) for f in same_texts(texts_view)] == [("article-duplicate-text", "b1")]


def test_schema_engine_checks_runs_like_rows(tmp_path, monkeypatch):
    """A repetitive column of a big table (article_id, status, annotator in runs, as stored) is checked
    once a run of equal values by the schema engine; the failing rows and fields are those a check of
    every value gives, for faults alone in their run, at the edges of a run, and filling a run."""
    import pyarrow.compute as pc

    from newscorpus.check import schema as schemacheck
    from newscorpus.contract import load_contract

    result = generate(tmp_path / "runs", articles=250, seed=9, shard_rows=100_000)
    contract = load_contract(result.root)
    ents = storage.read_table(result.root, "entities", contract)
    assert ents.num_rows > 4 * schemacheck._DISTINCT_SAMPLE
    cols = {c: ents[c].to_pylist() for c in ("article_id", "status", "annotator")}
    cols["article_id"][5000] = "Not An Id"  # alone in the middle of a run
    first = cols["article_id"].index(cols["article_id"][4700])
    cols["article_id"][first] = "-bad"  # the first of its run
    for i in range(len(cols["status"])):
        if cols["article_id"][i] == cols["article_id"][4800]:
            cols["status"][i] = "approved"  # a whole run
    cols["annotator"][4900] = "A"
    for c, values in cols.items():
        ents = ents.set_column(ents.schema.get_field_index(c), c, pa.array(values, pa.string()))
    engine = schemacheck.compile_table("entities", contract.schemas["entities"])
    by_runs, bad_runs = engine.check(ents)
    assert schemacheck.equal_runs(pc.cast(ents["status"], pa.string()).combine_chunks()) is not None  # the run path is taken
    monkeypatch.setattr(schemacheck, "_DISTINCT_SAMPLE", 10 ** 9)  # every value checked on its own
    by_rows, bad_rows = engine.check(ents)
    assert sorted((f.check, f.record, f.field) for f in by_runs) == sorted((f.check, f.record, f.field) for f in by_rows)
    assert (bad_runs == bad_rows).all() and bad_rows.sum() > 4


def test_texts_left_out_of_the_nfc_test_are_nfc():
    """articles_text decodes (for \\r and NFC) only the texts may_need_normalizing flags: every text that
    has a \\r or is not in NFC is flagged, whatever its mix of combining marks, composed and decomposed
    letters, Hangul jamo, Indic vowel signs, singletons (U+2000, U+212B), quotes and astral characters."""
    import random
    import unicodedata

    import numpy as np

    from newscorpus.check.arrays import utf8_bytes
    from newscorpus.check.text import may_need_normalizing

    rng = random.Random(6)
    alphabet = ["a", " ", "é", "e\u0301", "\u0301", "\u1100", "\u1161", "\u11a8", "\uac00", "\u0995", "\u09be", "\u09c7", "\u2000",
                "\u212b", "“", "—", "😀", "\r", "\n", "中", "\u0327", "Å", "A\u030a", "\u0344", "\u0958"]
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 6))) for _ in range(5000)]
    arr = pa.array(["pad"] + texts).slice(1)
    buf, off = utf8_bytes(arr)
    flagged = may_need_normalizing(buf, off)
    need = np.array(["\r" in t or not unicodedata.is_normalized("NFC", t) for t in texts])
    assert not (need & ~flagged).any()
    assert need.sum() > 1000 and (~flagged).sum() > 500


def test_columns_read_as_dictionaries_are_plain_strings_of_the_contract():
    """The validator reads the columns only level 1 looks at, and a few more that it decodes after level 1,
    as dictionaries (a performance hint, so it lists names): each is a top-level string field of some
    table, so that a rename is noticed here."""
    from newscorpus.contract import TABLES, load_contract
    from newscorpus.check.pieces import DECODED_AFTER_L1, L1_ONLY_COLUMNS

    from conftest import REPO

    contract = load_contract(REPO)
    fields = {f.name: f.type for t in TABLES for f in contract.arrow_schema(t)}
    assert all(name in fields and pa.types.is_string(fields[name]) for name in L1_ONLY_COLUMNS + DECODED_AFTER_L1)
