"""Datasheet figures: render_figures on corpus_stats output, and the in-place rewrite between markers."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from conftest import article, entity, make_root, mention, span

from newscorpus.cli import main
from newscorpus.errors import InputError
from newscorpus.release.card import FIGURES_END, FIGURES_START, render_figures, replace_figures, rewrite_datasheet, size_category
from newscorpus.figures import corpus_stats

TEXT = "Putin met Tokayev in Almaty."


@pytest.fixture
def root(tmp_path):
    from newscorpus.store.importer import import_file

    r = make_root(tmp_path)
    for table, recs in (("articles", [article(text=TEXT)]),
                        ("entities", [entity("a-test/T1", "PER", "Putin", [mention("a-test/T1/M1", span(TEXT, "Putin"))])])):
        (r / f"{table}.jsonl").write_text("".join(json.dumps(x) + "\n" for x in recs))
        import_file(r, table, r / f"{table}.jsonl")
    return r


def test_render_figures_from_corpus_stats(root):
    text = render_figures(corpus_stats(root))
    assert "| articles | 1 |" in text and "| entity mentions | 1 |" in text and "| PER | 1 |" in text
    assert text.endswith("\n") and FIGURES_START not in text


def test_datasheet_block_is_rewritten_in_place(root, tmp_path):
    sheet = tmp_path / "DATASHEET.md"
    sheet.write_text(f"# Datasheet\n\nprose stays\n\n{FIGURES_START}\nold figures\n{FIGURES_END}\n\nmore prose\n")
    assert rewrite_datasheet(sheet, corpus_stats(root))
    new = sheet.read_text()
    assert "old figures" not in new and "prose stays" in new and new.endswith(f"{FIGURES_END}\n\nmore prose\n")
    assert not rewrite_datasheet(sheet, corpus_stats(root))  # idempotent
    out = CliRunner().invoke(main, ["release", "datasheet", str(sheet), "--path", str(root)])
    assert out.exit_code == 0 and "already up to date" in out.output
    with pytest.raises(InputError, match="no <!-- figures:start -->"):
        replace_figures("no markers", "x")


def test_size_category():
    assert size_category(1) == "n<1K" and size_category(1000) == "1K<n<10K" and size_category(150_000) == "100K<n<1M"
