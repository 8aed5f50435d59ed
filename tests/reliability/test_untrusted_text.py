"""Untrusted article text: HTML, script tags, right-to-left overrides are legitimate text and stored verbatim;
control characters and byte order marks are reported (text-control-characters, text-bom); e-mail addresses
and phone numbers are warned about before a release (text-personal-data). No output of the tool renders
text as HTML: the release card, datasheet, changelog and Croissant file carry no markup taken from the data,
and the terminal view escapes nothing into the terminal."""

from __future__ import annotations

import json

import pytest

from conftest import article, entity, mention, span
from reliability_support import A, cli, figure, records, small_corpus

HOSTILE = ("Officials said <script>alert('x')</script> was found in <b>the</b> page; "
           "the name \u202eevil\u202c and <img src=x onerror=alert(1)> appeared & stayed.")


def hostile_corpus(tmp_path):
    r = records()
    r["articles"].append(article("h-html", HOSTILE, title="<h1>Headline</h1><script>x()</script>", publisher="<i>Pub</i>"))
    r["entities"].append(entity("h-html/E1", "ORG", "<script>alert('x')</script>", [mention("h-html/M1", span(HOSTILE, "<script>alert('x')</script>"))],
                                aid="h-html"))
    return small_corpus(tmp_path, r)


def test_html_and_bidi_text_is_stored_verbatim_and_never_rendered(tmp_path):
    root = hostile_corpus(tmp_path)
    assert cli("validate", root).returncode == 0
    rows = [json.loads(x) for x in cli("export", "articles", "--path", root).stdout.splitlines()]
    assert next(r for r in rows if r["id"] == "h-html")["text"] == HOSTILE  # verbatim
    build = cli("release", "build", "--version", "0.1.0", "--path", root)
    assert build.returncode == 0, build.stderr
    rel = root / "release" / "0.1.0"
    for name in ("README.md", "DATASHEET.md", "CHANGELOG.md", "croissant.json"):
        text = (rel / name).read_text()
        for markup in ("<script", "<img", "onerror", "<h1>", "<i>", "\u202e"):
            assert markup not in text, (name, markup)
    shown = cli("show", "h-html", "--path", root)
    assert shown.returncode == 0 and "<script>alert('x')</script>" in shown.stdout  # shown as text, not interpreted
    html_help = cli("show", "--help").stdout
    if "--html" in html_help:  # the HTML view (research_cli): the text must arrive escaped
        page = tmp_path / "page.html"
        out = cli("show", "h-html", "--path", root, "--html", page)
        assert out.returncode == 0, out.stderr
        body = page.read_text()
        assert "<script>alert('x')</script>" not in body and "onerror=alert" not in body.replace("onerror=alert(1)&gt;", "")
        assert "&lt;script&gt;" in body
    figure("untrusted_text_outputs_checked", 6 + ("--html" in html_help))


@pytest.mark.parametrize("text, check, severity", [
    ("A bell\x07 in the text.", "text-control-characters", "error"),
    ("An escape \x1b[2J clears a terminal.", "text-control-characters", "error"),
    ("A C1 control \x85 from Windows-1252.", "text-control-characters", "error"),
    ("\ufeffA byte order mark pasted in.", "text-bom", "error"),
    ("Write to press@example.org for details.", "text-personal-data", "warning"),
    ("Call +7 727 123 45 67 or (202) 555-0143.", "text-personal-data", "warning"),
])
def test_text_hygiene_and_personal_data_are_reported(tmp_path, text, check, severity):
    r = records()
    r["articles"].append(article("t-case", text))
    end = len(text) - 1  # the last letter, without the final period (GUIDELINES §1.1)
    r["entities"].append(entity("t-case/E1", "ORG", "x", [mention("t-case/M1", {"start": end - 1, "end": end, "text": text[end - 1]})], aid="t-case"))
    root = small_corpus(tmp_path, r)
    out = json.loads(cli("validate", root, "--format", "json").stdout)
    got = {(f["check"], f["record"], f["severity"]) for f in out["findings"]}
    assert (check, "t-case", severity) in got
    if check == "text-personal-data":
        assert "press@example.org" not in json.dumps(out) and "555-0143" not in json.dumps(out)  # the position, not the value
        build = cli("release", "build", "--version", "0.1.0", "--path", root)
        assert build.returncode == 0 and "text-personal-data" in build.stderr


def test_ordinary_numbers_and_rtl_text_are_not_reported(tmp_path):
    r = records()
    for aid, text in (("n-nums", "In 2022 some 1,250,000 people, 3.5% of 38-40 million, saw 12:30 on 2022-01-10."),
                      ("n-arab", "قال الرئيس \u200fتوكاييف\u200f إن القوات ستنسحب."),
                      ("n-tabs", "Column\tseparated\nand two lines.")):
        r["articles"].append(article(aid, text))
        r["entities"].append(entity(f"{aid}/E1", "ORG", "x", [mention(f"{aid}/M1", {"start": 0, "end": 1, "text": text[0]})], aid=aid))
    root = small_corpus(tmp_path, r)
    out = json.loads(cli("validate", root, "--format", "json").stdout)
    assert not [f for f in out["findings"] if f["check"].startswith("text-")], out["findings"]



def test_terminal_view_lets_no_escape_sequence_through(tmp_path):
    """Text stored before text-control-characters existed (written here straight through storage) is shown with
    its control characters replaced, one for one: an escape sequence in the data never reaches the terminal."""
    r = records()
    text = "Hidden \x1b[8mfrom view\x1b[0m and a title change \x1b]0;pwned\x07 here."
    r["articles"].append(article("e-esc", text))
    r["entities"].append(entity("e-esc/E1", "ORG", "x\x1b[31m", [mention("e-esc/M1", span(text, "Hidden"))], aid="e-esc"))
    root = small_corpus(tmp_path, r)
    out = cli("show", "e-esc", "--path", root)
    assert out.returncode == 0 and "Hidden" in out.stdout
    assert "\x1b" not in out.stdout and "\x07" not in out.stdout
