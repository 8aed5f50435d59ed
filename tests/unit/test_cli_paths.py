"""Every command that reads a corpus takes `--path`; `show --html` into a missing folder is a one-line error."""

from __future__ import annotations

import click
from click.testing import CliRunner

from newscorpus.cli import main

NO_CORPUS = {"newscorpus checks", "newscorpus synth"}  # the registry alone; synth writes a new corpus at --out


def commands(cmd=main, name="newscorpus"):
    if isinstance(cmd, click.Group):
        for sub, c in cmd.commands.items():
            yield from commands(c, f"{name} {sub}")
    else:
        yield name, cmd


def test_every_command_that_reads_a_corpus_takes_path():
    names = dict(commands())
    assert {"newscorpus validate", "newscorpus add", "newscorpus studio push", "newscorpus release build"} <= set(names)
    missing = [n for n, c in names.items() if n not in NO_CORPUS and "--path" not in {o for p in c.params for o in getattr(p, "opts", [])}]
    assert missing == []


def test_validate_takes_path_as_option_or_argument(fixture_root, tmp_path):
    run = CliRunner().invoke
    assert run(main, ["validate", "--path", str(fixture_root)]).exit_code == 0
    assert run(main, ["validate", str(fixture_root)]).exit_code == 0
    both = run(main, ["validate", str(fixture_root), "--path", str(tmp_path)])
    assert both.exit_code == 2 and "two corpus roots" in both.output


def test_show_html_into_a_missing_folder_is_one_line(fixture_root, tmp_path):
    out = tmp_path / "no" / "such" / "page.html"
    r = CliRunner().invoke(main, ["show", "fx-meet", "--html", str(out), "--path", str(fixture_root)])
    assert r.exit_code == 1 and r.output.strip().splitlines() == [f"newscorpus: {out}: folder {out.parent} does not exist; create it first"]
    ok = CliRunner().invoke(main, ["show", "fx-meet", "--html", str(tmp_path / "page.html"), "--path", str(fixture_root)])
    assert ok.exit_code == 0 and (tmp_path / "page.html").read_text().startswith("<!")
