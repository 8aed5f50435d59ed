"""`newscorpus remove`: records leave a table only through the validator; a record still cited is refused."""

from __future__ import annotations

from click.testing import CliRunner

from conftest import parquet_rows
from newscorpus.cli import main


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def snapshot(root):
    return {p: p.read_bytes() for p in root.rglob("*.parquet")}


def test_a_claim_goes_and_nothing_else_changes(fixture_root):
    claims = {r["id"] for r in parquet_rows(fixture_root, "claims")}
    victim = sorted(claims)[0]
    entities = parquet_rows(fixture_root, "entities")
    result = run("remove", "claims", victim, "--path", fixture_root)
    assert result.exit_code == 0, result.output
    assert f"claims: 1 removed ({victim})" in result.output
    assert {r["id"] for r in parquet_rows(fixture_root, "claims")} == claims - {victim}
    assert parquet_rows(fixture_root, "entities") == entities
    assert run("validate", "--path", fixture_root).exit_code == 0


def test_a_cited_entity_is_refused_naming_who_cites_it(fixture_root):
    cited = next(a["entity_id"] for e in parquet_rows(fixture_root, "events") for a in e["arguments"])
    before = snapshot(fixture_root)
    result = run("remove", "entities", cited, "--path", fixture_root)
    assert result.exit_code == 1
    assert "entity-ref-unresolved" in result.output and "nothing was written" in result.output
    assert snapshot(fixture_root) == before


def test_an_article_goes_with_its_annotations(fixture_root):
    result = run("remove", "articles", "fx-meet", "--path", fixture_root)
    assert result.exit_code == 0, result.output
    for table in ("articles", "entities", "events", "claims"):
        key = "id" if table == "articles" else "article_id"
        assert "fx-meet" not in {r[key] for r in parquet_rows(fixture_root, table)}
    result = run("validate", "--path", fixture_root)
    assert result.exit_code == 0, result.output


def test_unknown_id_and_dry_run(fixture_root):
    before = snapshot(fixture_root)
    result = run("remove", "claims", "fx-meet/C99", "--path", fixture_root)
    assert result.exit_code == 1 and result.output.strip().splitlines() == ["newscorpus: claims: no record 'fx-meet/C99'; nothing was removed"]
    some = parquet_rows(fixture_root, "claims")[0]["id"]
    result = run("remove", "claims", some, "--path", fixture_root, "--dry-run")
    assert result.exit_code == 0 and "dry run" in result.output
    assert snapshot(fixture_root) == before
