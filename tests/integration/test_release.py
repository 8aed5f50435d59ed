"""A built release, used as researchers use it: datasets.load_dataset offline, streaming, mlcroissant,
the card's YAML, byte-identical rebuilds, refusals, and the README loading snippet."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import datasets
import httpx2
import huggingface_hub
import mlcroissant as mlc
import pyarrow.parquet as pq
import pytest
from datasets import ClassLabel, Features, List, load_dataset
from huggingface_hub import DatasetCard

from newscorpus.store import storage
from newscorpus.contract import load_contract
from newscorpus.errors import Refused
from newscorpus.release.build import build_release
from newscorpus.release.shards import write_split
from newscorpus.release.card import render_card, release_stats
from newscorpus.release.features import CONFIGS, release_schema
from newscorpus.release.tables import config_tables, read_piece

from conftest import entity, from_cache, mention, span
from test_release_support import TEXTS, UNLICENSED, build_corpus, records

REPO_ROOT = Path(__file__).resolve().parents[2]
GOLDEN = REPO_ROOT / "tests" / "golden" / "release" / "README.md"
SPAN_FIELDS = {"mentions": [None], "events": ["trigger"], "claims": ["span", "cue"]}

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("release")
    root = build_corpus(tmp)
    result = build_release(root, "0.1.0", out=tmp / "out" / "0.1.0")
    assert result.left_out == UNLICENSED
    return root, result.out


@pytest.fixture
def offline(tmp_path, monkeypatch):
    """Offline, every cache in tmp_path, and an HTTP client that records any request huggingface_hub makes."""
    for name, value in (("HF_HUB_OFFLINE", "1"), ("HF_DATASETS_OFFLINE", "1"), ("HF_HOME", str(tmp_path / "hf")),
                        ("HF_DATASETS_CACHE", str(tmp_path / "hf" / "datasets"))):
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(datasets.config, "HF_DATASETS_OFFLINE", True)
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "hf" / "datasets")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    requests = []
    huggingface_hub.set_client_factory(lambda: httpx2.Client(transport=httpx2.MockTransport(
        lambda r: requests.append(r) or httpx2.Response(599))))
    yield tmp_path / "hf" / "datasets", requests
    huggingface_hub.set_client_factory(huggingface_hub.utils._http.default_client_factory)
    assert requests == [], f"network requests were made: {[str(r.url) for r in requests]}"


def _spans(config, row):
    """(article_id or None, start, end, text) of every span in a row."""
    if config == "documents":
        for e in row["entities"]:
            for m in e["mentions"]:
                yield row["id"], m["start"], m["end"], m["text"]
        for ev in row["events"]:
            yield row["id"], ev["trigger"]["start"], ev["trigger"]["end"], ev["trigger"]["text"]
        for c in row["claims"]:
            for key in ("span", "cue"):
                if c[key] is not None:
                    yield row["id"], c[key]["start"], c[key]["end"], c[key]["text"]
    elif config == "entities":
        for m in row["mentions"]:
            yield row["article_id"], m["start"], m["end"], m["text"]
    else:
        for key in SPAN_FIELDS.get(config, []):
            s = row if key is None else row[key]
            if s is not None:
                yield row["article_id"], s["start"], s["end"], s["text"]


def test_every_config_loads_offline_with_features_and_spans(built, offline):
    root, out = built
    cache, _ = offline
    contract = load_contract(root)
    schema = release_schema(contract)
    texts = {}
    for split, ds in load_dataset(str(out), "articles", cache_dir=str(cache)).items():
        texts.update({r["id"]: r["text"] for r in ds})
    assert set(texts) == {"a-almaty", "b-troops", "c-prices"}  # d-waiting has no gold annotation, e-unlicensed no license
    checked = 0
    for config in CONFIGS:
        dd = load_dataset(str(out), config, cache_dir=str(cache))
        assert set(dd) == {"train", "validation"}  # no article in test: the split is left out
        for split, ds in dd.items():
            assert ds.features == schema.features(config)
            assert Features.from_arrow_schema(pq.read_schema(next((out / "data" / config).glob(f"{split}-*.parquet")))) == ds.features
            for row in ds:
                for aid, start, end, text in _spans(config, row):
                    if config == "documents":
                        assert row["text"][start:end] == text
                    else:
                        assert texts[aid][start:end] == text
                    checked += 1
    assert checked > 20
    ents = load_dataset(str(out), "entities", cache_dir=str(cache))["train"].features
    assert ents["type"].names == contract.entity_types
    assert ents["mentions"].feature["kind"].names == contract.enum("entities", "mentions", "kind")
    ev = load_dataset(str(out), "events", cache_dir=str(cache))["train"].features
    assert ev["type"].names == contract.event_types
    assert ev["arguments"].feature["role"].names == contract.roles
    ments = load_dataset(str(out), "mentions", cache_dir=str(cache))["train"]
    assert ments.features["entity_type"].int2str(ments[0]["entity_type"]) == "PER"


def test_streaming_loads_every_config(built, offline):
    _, out = built
    cache, _ = offline
    for config in CONFIGS:
        full = load_dataset(str(out), config, cache_dir=str(cache))
        streamed = load_dataset(str(out), config, streaming=True, cache_dir=str(cache))
        for split in full:
            assert list(streamed[split]) == list(full[split])


def test_every_enum_field_is_a_classlabel_with_the_schema_names(built):
    root, _ = built
    contract = load_contract(root)
    schema = release_schema(contract)
    feats = schema.features("documents")
    assert feats["entities"].feature["type"].names == contract.entity_types
    assert feats["events"].feature["realis"].names == contract.enum("events", "realis")
    assert feats["claims"].feature["stance"].names == contract.enum("claims", "stance")
    assert feats["translation"].names == ["machine", "human"]
    for config in CONFIGS:
        for path, names in schema.label_names(config).items():
            f = schema.features(config)
            for part in path.split("."):
                f = f.feature[part] if isinstance(f, List) else f[part]
            assert isinstance(f, ClassLabel) and f.names == names, (config, path)


def test_second_build_is_byte_identical(built, tmp_path):
    root, out = built
    again = build_release(root, "0.1.0", out=tmp_path / "again")
    first = {p.relative_to(out): p.read_bytes() for p in (out / "data").rglob("*.parquet")}
    second = {p.relative_to(again.out): p.read_bytes() for p in (again.out / "data").rglob("*.parquet")}
    assert first and first == second
    assert (out / "SHA256SUMS").read_text() == (again.out / "SHA256SUMS").read_text()


def _files(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("piece_articles", [1, 2])
def test_a_build_piece_by_piece_is_byte_identical_to_one_in_one_piece(built, tmp_path, piece_articles):
    """The configs derived a few articles at a time, and cut into several shards and row groups across the
    pieces, give the same files, byte for byte, as the whole corpus derived at once (card sizes included)."""
    root, _ = built
    limits = dict(max_shard_bytes=600, max_row_group_bytes=150)
    whole = build_release(root, "0.1.0", out=tmp_path / "whole", piece_articles=100, **limits).out
    pieces = build_release(root, "0.1.0", out=tmp_path / "pieces", piece_articles=piece_articles, **limits).out
    files = _files(whole)
    assert any(pq.ParquetFile(whole / rel).metadata.num_row_groups > 1 for rel in files if rel.endswith(".parquet"))
    assert any("-00001-of-" in rel for rel in files)
    assert _files(pieces) == files


def test_annotation_ids_out_of_article_order_are_derived_in_one_piece(tmp_path):
    """An annotation id that does not sort with its article's id would put the pieces out of id order: the
    build sees it and derives the corpus in one piece, so the rows stay sorted by id."""
    recs = records()
    for e in recs["entities"]:
        if e["id"] == "b-troops/T3":
            e["id"] = "0-troops/T3"
    for ev in recs["events"]:
        for arg in ev["arguments"]:
            if arg["entity_id"] == "b-troops/T3":
                arg["entity_id"] = "0-troops/T3"
    root = build_corpus(tmp_path / "corpus", recs)
    whole = build_release(root, "0.1.0", out=tmp_path / "whole", piece_articles=100).out
    pieces = build_release(root, "0.1.0", out=tmp_path / "pieces", piece_articles=1).out
    assert _files(pieces) == _files(whole)
    ids = pq.read_table(pieces / "data" / "entities" / "train-00000-of-00001.parquet")["id"].to_pylist()
    assert ids[0] == "0-troops/T3" and ids == sorted(ids)


def test_croissant_validates_and_loads(built):
    _, out = built
    ds = mlc.Dataset(jsonld=str(out / "croissant.json"))
    assert not ds.metadata.issues.errors
    expected = {c: sum(pq.ParquetFile(p).metadata.num_rows for p in (out / "data" / c).glob("*.parquet")) for c in CONFIGS}
    for rs in ds.metadata.record_sets:
        recs = list(ds.records(rs.id))
        assert len(recs) == expected[rs.id], rs.id
        assert {r[f"{rs.id}/split"] for r in recs} == {b"train", b"validation"}
    claims = {r["claims/id"]: r for r in ds.records("claims")}
    assert claims[b"a-almaty/C1"]["claims/span"]["claims/span/text"] == b"the riots were a coup attempt"


def _figure(card_text: str, label: str) -> int:
    return int(re.search(rf"^\| {re.escape(label)} \| ([0-9,]+) \|$", card_text, re.M).group(1).replace(",", ""))


def test_card_yaml_parses_and_counts_match_the_data(built, offline):
    root, out = built
    cache, _ = offline
    card = DatasetCard.load(out / "README.md")
    data = card.data.to_dict()
    assert data["license"] == "other" and data["license_name"] == "per-article"
    assert data["language"] == ["en"]
    assert {c["config_name"] for c in data["configs"]} == set(CONFIGS)
    assert [c["config_name"] for c in data["configs"] if c.get("default")] == ["documents"]
    loaded = {c: load_dataset(str(out), c, cache_dir=str(cache)) for c in CONFIGS}
    for info in data["dataset_info"]:
        sizes = {s["name"]: s["num_examples"] for s in info["splits"]}
        assert sizes == {s: len(d) for s, d in loaded[info["config_name"]].items()}
    text = card.text
    n = {c: sum(len(d) for d in loaded[c].values()) for c in CONFIGS}
    assert _figure(text, "articles") == n["articles"] == 3
    assert _figure(text, "entities (coreference clusters)") == n["entities"]
    assert _figure(text, "entity mentions") == n["mentions"]
    assert _figure(text, "events") == n["events"]
    assert _figure(text, "claims") == n["claims"]
    ev = loaded["events"]["train"].features["type"]
    per_type = {}
    for d in loaded["events"].values():
        for r in d:
            per_type[ev.int2str(r["type"])] = per_type.get(ev.int2str(r["type"]), 0) + 1
    for label, count in per_type.items():
        assert _figure(text, label) == count
    assert _figure(text, "train") == len(loaded["articles"]["train"])
    assert "| `documents` (default) |" in text


def test_card_matches_golden(built):
    _, out = built
    text = (out / "README.md").read_text(encoding="utf-8")
    if os.environ.get("NEWSCORPUS_UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8"), "card changed: regenerate with NEWSCORPUS_UPDATE_GOLDEN=1 if on purpose"


def test_checksums_cover_every_file(built):
    _, out = built
    listed = dict(line.split("  ", 1)[::-1] for line in (out / "SHA256SUMS").read_text().splitlines())
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file() and p.name != "SHA256SUMS")
    assert sorted(listed) == files
    for rel, digest in listed.items():
        assert hashlib.sha256((out / rel).read_bytes()).hexdigest() == digest
    for p in (out / "data").rglob("*.parquet"):
        meta = pq.ParquetFile(p).metadata
        assert meta.row_group(0).column(0).compression == "ZSTD"
        assert b"huggingface" in meta.metadata


def test_shards_and_row_groups_are_cut_by_size_and_load(built, tmp_path, offline):
    root, _ = built
    cache, _ = offline
    contract = load_contract(root)
    schema = release_schema(contract)
    ct = config_tables(storage.all_tables(root, contract), contract, schema)
    table = ct["mentions"]["train"]
    paths = write_split(table, schema.features("mentions"), tmp_path / "m" / "data" / "mentions", "train",
                        max_shard_bytes=table.nbytes // 3, max_row_group_bytes=table.nbytes // 6)
    n = len(paths)
    assert n >= 3 and [p.name for p in paths] == [f"train-{i:05d}-of-{n:05d}.parquet" for i in range(n)]
    assert any(pq.ParquetFile(p).metadata.num_row_groups > 1 for p in paths)
    ds = load_dataset("parquet", data_files=[str(p) for p in paths], split="train", cache_dir=str(cache))
    assert ds.features == schema.features("mentions")
    assert ds["id"] == table["id"].to_pylist()


def test_refuses_a_corpus_with_a_validation_error_and_writes_nothing(tmp_path):
    root = build_corpus(tmp_path)
    contract = load_contract(root)
    ents = storage.read_table(root, "entities", contract).to_pylist()
    ents[0]["mentions"][0]["text"] = "Wrong"
    import pyarrow as pa

    with storage.corpus_lock(root):
        storage.write_tables(root, {"entities": pa.Table.from_pylist(ents, schema=contract.arrow_schema("entities"))}, contract)
    with pytest.raises(Refused) as exc:
        build_release(root, "0.1.0", out=tmp_path / "out" / "0.1.0")
    assert any(f.check == "span-text-mismatch" for f in exc.value.findings)
    assert not (tmp_path / "out" / "0.1.0").exists()
    assert list((tmp_path / "out").iterdir()) == [] if (tmp_path / "out").exists() else True


def test_the_readme_snippet_runs_against_a_release(built, offline, capsys):
    _, out = built
    cache, _ = offline
    doc = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    block = doc.split("<!-- snippet:load:start -->", 1)[1].split("<!-- snippet:load:end -->", 1)[0]
    code = block.split("```python\n", 1)[1].rsplit("```", 1)[0]
    assert 'REPO = "<org>/newscorpus"' in code
    code = re.sub(r"^REPO = .*$", f"REPO = {str(out)!r}", code, flags=re.M)
    code = code.replace("revision=VERSION", f"revision=None, cache_dir={str(cache)!r}")
    exec(compile(code, "README.md snippet", "exec"), {})
    printed = capsys.readouterr().out
    assert "('Putin', 'B-PER')" in printed
    assert "the riots were a coup attempt | affirm | check-worthy: True" in printed


def test_card_render_is_a_pure_function_of_the_data(built):
    root, out = built
    contract = load_contract(root)
    schema = release_schema(contract)
    tables = read_piece(root, contract, exclude=UNLICENSED)
    ct = config_tables(tables, contract, schema)
    stats = {**release_stats(ct, schema, tables), "left_out_unlicensed": UNLICENSED}
    assert render_card("0.1.0", schema, ct, stats, contract) == (out / "README.md").read_text()
    assert len(records()["articles"]) == 5


def test_a_release_and_the_corpus_it_was_built_from_do_not_differ(built):
    from newscorpus.release.diff import diff_snapshots
    from newscorpus.release.snapshot import snapshot_corpus, snapshot_release

    root, out = built
    assert diff_snapshots(snapshot_release(out), snapshot_corpus(root)).empty()


def _expected_rows(tables: dict, with_unknown: bool) -> dict:
    """config -> split -> rows a release of `tables` must have, counted from the stored rows themselves: gold
    rows of the articles that have one, without the articles of unknown license unless with_unknown."""
    arts = {a["id"]: a for a in tables["articles"].to_pylist() if with_unknown or a["license"] != "unknown"}
    gold = {n: [r for r in tables[n].to_pylist() if r["status"] == "gold" and r["article_id"] in arts]
            for n in ("entities", "events", "claims")}
    annotated = {r["article_id"] for rows in gold.values() for r in rows}
    out = {c: {} for c in CONFIGS}

    def add(config, aid, n=1):
        split = arts[aid]["split"]
        out[config][split] = out[config].get(split, 0) + n

    for aid in annotated:
        add("articles", aid)
        add("documents", aid)
    for config in ("entities", "events", "claims"):
        for r in gold[config]:
            add(config, r["article_id"])
    for e in gold["entities"]:
        add("mentions", e["article_id"], len(e["mentions"]))
    return {c: {s: n for s, n in out[c].items() if n} for c in CONFIGS}, annotated


def _load_and_check_spans(out: Path, cache) -> tuple[dict, set]:
    """Every config of the release at `out` loaded; every span equal to its article's text at its offsets.
    (config -> split -> rows, the article ids)."""
    rows = {c: load_dataset(str(out), c, cache_dir=str(cache)) for c in CONFIGS}
    texts = {r["id"]: r["text"] for d in rows["articles"].values() for r in d}
    for config, dd in rows.items():
        for d in dd.values():
            for row in d:
                for aid, start, end, span_text in _spans(config, row):
                    assert texts[aid][start:end] == span_text, (config, aid, start, end)
    return {c: {s: len(d) for s, d in dd.items()} for c, dd in rows.items()}, set(texts)


@pytest.mark.corpus
def test_the_repo_corpus_releases_and_loads(tmp_path, offline):
    """The issue's done-when, for whatever the repo's corpus holds: `release build` on it, every config loaded
    offline with the row counts the stored gold rows give, every span equal to the article text at its
    offsets; articles of unknown license left out unless --include-unlicensed (and when that leaves none,
    the build is refused)."""
    from conftest import make_root

    cache, _ = offline
    root = make_root(tmp_path / "repo", with_data=True)
    tables = storage.all_tables(root, load_contract(root))
    everything, annotated = _expected_rows(tables, with_unknown=True)
    assert annotated, "the repo corpus has no gold annotation to release"
    out = build_release(root, "0.1.0", out=tmp_path / "out" / "all", include_unlicensed=True).out
    counts, ids = _load_and_check_spans(out, cache)
    assert counts == everything and ids == annotated

    licensed, kept = _expected_rows(tables, with_unknown=False)
    unknown = annotated - kept
    if not kept:
        with pytest.raises(Refused, match="--include-unlicensed"):
            build_release(root, "0.1.0", out=tmp_path / "out" / "licensed")
        assert not (tmp_path / "out" / "licensed").exists()
        return
    result = build_release(root, "0.1.0", out=tmp_path / "out" / "licensed")
    assert result.left_out == sorted(unknown)
    counts, ids = _load_and_check_spans(result.out, cache)
    assert counts == licensed and ids == kept


def test_the_card_agreement_is_that_of_every_candidate_row(tmp_path):
    """The build gathers the candidate rows in its one scan of the annotation columns (reading a row group
    whole only where it has one): the card's agreement figures are those of `newscorpus stats`, which reads
    every row (two annotators' candidates of one article)."""
    from newscorpus.figures import corpus_stats
    from newscorpus.research.agreement import figures_markdown

    recs = records()
    a = TEXTS["a-almaty"]
    recs["entities"] += [entity("a-almaty/T3d", "GPE", "Almaty", [mention("a-almaty/T3d/M1", span(a, "Almaty"))], aid="a-almaty",
                                status="candidate", annotator="second"),
                         entity("a-almaty/T1d", "PER", "Putin", [mention("a-almaty/T1d/M1", span(a, "Putin"))], aid="a-almaty",
                                status="candidate", annotator="second")]
    root = build_corpus(tmp_path, recs)
    figures = corpus_stats(root)["agreement"]
    assert figures["articles"] == ["a-almaty"] and figures["annotators"] == ["other", "second"]
    card = (build_release(root, "0.1.0").out / "README.md").read_text(encoding="utf-8")
    assert figures_markdown(figures) in card


def test_a_build_reuses_the_validation_cache_and_still_refuses_a_changed_fault(tmp_path):
    """`validate --cache DIR` then `release build --cache DIR`: the build checks no piece again and writes
    the files of a build without the cache; a piece changed since (a span fault in it) is checked again
    and the build is refused, nothing written."""
    import pyarrow as pa

    from click.testing import CliRunner

    from newscorpus.bench.synth import generate
    from newscorpus.cli import main

    root = generate(tmp_path / "corpus", articles=300, faults=0, seed=5, shard_rows=80).root
    cache = tmp_path / "cache"
    run = CliRunner().invoke(main, ["validate", "--path", str(root), "--cache", str(cache)])
    assert run.exit_code == 0, run.output
    plain = build_release(root, "0.1.0", out=tmp_path / "plain")
    cached = build_release(root, "0.1.0", out=tmp_path / "cached", cache=cache)
    n, m = from_cache(cached.validation)
    assert n == m > 1, cached.validation
    assert (plain.out / "SHA256SUMS").read_bytes() == (cached.out / "SHA256SUMS").read_bytes()

    path = sorted((root / "annotations" / "entities").glob("*.parquet"))[1]
    table = pq.read_table(path)
    rows = table.to_pylist()
    rows[0]["mentions"][0]["text"] = "X" + rows[0]["mentions"][0]["text"][1:]
    pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), path)  # (a fault, as a broken tool would write it)
    run = CliRunner().invoke(main, ["release", "build", "--version", "0.2.0", "--path", str(root), "--cache", str(cache),
                                    "--out", str(tmp_path / "refused")])
    assert run.exit_code == 1 and "validation error" in run.output and rows[0]["id"] in run.output, run.output
    assert not (tmp_path / "refused").exists()
