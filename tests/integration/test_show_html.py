"""`show --html`: a self-contained page where every annotation is rendered and no article text is
interpreted, checked in the parsed page and, after its script ran, in headless Chromium."""

from __future__ import annotations

import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from newscorpus.store import storage
from newscorpus.contract import load_contract
from newscorpus.store.importer import records_to_table
from newscorpus.research.show_html import write_html

from conftest import REPO, article, claim, entity, event, make_root, mention, parquet_rows, span

HOSTILE = ("Breaking: <script>alert('x')</script> says &amp; &lt;b&gt; \u202eevil\u202c Putin "
           "<img src=x onerror=alert(1)> met 🙂👍🏽 Tokayev \"quoted\" 'single' ]]> <!-- c --> in Almaty.")


class Dom(HTMLParser):
    """Elements (tag, attrs) and the text of the #text element (the article text as the page shows it)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements, self.text, self._depth, self._in_svg = [], [], 0, 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.elements.append((tag, attrs))
        if self._depth:
            self._depth += 1
            self._in_svg += tag == "svg" or bool(self._in_svg)
        elif attrs.get("id") == "text":
            self._depth = 1

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if self._depth:
            self._depth -= 1
            if self._in_svg:
                self._in_svg -= 1

    def handle_data(self, data):
        if self._depth and not self._in_svg:
            self.text.append(data)

    def count(self, attr):
        return sum(1 for _, a in self.elements if attr in a)


def parse(html: str) -> Dom:
    d = Dom()
    d.feed(html)
    return d


@pytest.fixture
def hostile_root(tmp_path):
    root = make_root(tmp_path)
    c = load_contract(root)
    t = HOSTILE
    ents = [entity("a-test/E1", "PER", "<b>Putin</b>", [mention("a-test/M1", span(t, "Putin")), mention("a-test/M2", span(t, "\u202eevil\u202c Putin"), "NOM")]),
            entity("a-test/E2", "PER", "Tokayev & co", [mention("a-test/M3", span(t, "🙂👍🏽 Tokayev"), "NOM")]),
            entity("a-test/E3", "GPE", "Almaty", [mention("a-test/M4", span(t, "Almaty"))]),
            entity("a-test/E4", "ORG", "script", [mention("a-test/M5", span(t, "<script>alert('x')</script>"))])]
    # nested: M1 is inside M2; the claim crosses M2 (starts inside it) so it is cut into fragments
    evs = [event("a-test/V1", "contact.meet", span(t, "met"), [
        {"role": "participant", "entity_id": "a-test/E1", "mention_id": "a-test/M1"},
        {"role": "participant", "entity_id": "a-test/E2", "mention_id": "a-test/M3"},
        {"role": "place", "entity_id": "a-test/E3", "mention_id": "a-test/M4"}])]
    cls = [claim("a-test/C1", span(t, "evil\u202c Putin <img src=x onerror=alert(1)> met"), by_author=False, quote="indirect",
                 claimer={"entity_id": "a-test/E4", "mention_id": "a-test/M5"}, cue=span(t, "says"), topic="</script><b>x</b>",
                 event_ids=["a-test/V1"])]
    storage.write_tables(root, {"articles": records_to_table([article(text=t, title="<img src=x onerror=alert(2)>")], "articles", c),
                                "entities": records_to_table(ents, "entities", c), "events": records_to_table(evs, "events", c),
                                "claims": records_to_table(cls, "claims", c)}, c)
    return root


def expected_of(root, aid: str) -> dict:
    """What the page of `aid` must hold, computed from the Parquet with pyarrow alone: its text, the counts of
    gold mentions, events and claims, and the links (one per event argument, one per claim with a claimer)."""
    gold = {t: [r for r in parquet_rows(root, t) if r["article_id"] == aid and r["status"] == "gold"]
            for t in ("entities", "events", "claims")}
    return {"text": next(a["text"] for a in parquet_rows(root, "articles") if a["id"] == aid),
            "counts": (sum(len(e["mentions"]) for e in gold["entities"]), len(gold["events"]), len(gold["claims"])),
            "arguments": sum(len(v["arguments"]) for v in gold["events"]),
            "claimers": sum(1 for c in gold["claims"] if c["claimer"])}


def assert_pages_render_every_annotation(root, tmp_path):
    for aid in [a["id"] for a in parquet_rows(root, "articles")]:
        want = expected_of(root, aid)
        dom = parse(write_html(root, aid, tmp_path / f"{aid}.html").read_text(encoding="utf-8"))
        assert (dom.count("data-mention-id"), dom.count("data-event-id"), dom.count("data-claim-id")) == want["counts"], aid
        assert "".join(dom.text) == want["text"], aid


def test_page_renders_every_annotation(fixture_root, tmp_path):
    assert expected_of(fixture_root, "fx-meet")["counts"] == (6, 2, 2)
    assert_pages_render_every_annotation(fixture_root, tmp_path)


@pytest.mark.corpus
def test_every_repo_page_renders_every_annotation(tmp_path):
    assert_pages_render_every_annotation(REPO, tmp_path)


def test_hostile_text_is_never_interpreted(hostile_root, tmp_path):
    html = write_html(hostile_root, "a-test", tmp_path / "page.html").read_text(encoding="utf-8")
    for raw in ("<script>alert", "<img", "<b>Putin", "</script><b>", "<!-- c"):
        assert raw not in html
    dom = parse(html)
    assert "".join(dom.text) == HOSTILE
    assert [t for t, _ in dom.elements if t in ("script", "img")] == ["script", "script"]  # ours: the link data and the script
    assert dom.count("data-mention-id") == 5 and dom.count("data-claim-id") == 1
    assert dom.count("data-part-of") >= 1  # the crossing claim was cut, and only its first fragment has the id


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def dump_dom(path: Path, tmp_path: Path) -> str:
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (apt-get install -y chromium)")
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'chromium-profile'}", "--dump-dom", path.resolve().as_uri()]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def assert_chromium_draws_every_link(root, aid: str, tmp_path: Path):
    want = expected_of(root, aid)
    page = write_html(root, aid, tmp_path / f"{aid}.html")
    dom = parse(dump_dom(page, tmp_path))
    assert (dom.count("data-mention-id"), dom.count("data-event-id"), dom.count("data-claim-id")) == want["counts"], aid
    lines = [a["data-link"] for t, a in dom.elements if t == "line"]
    assert (lines.count("argument"), lines.count("claimer"), len(lines)) == (want["arguments"], want["claimers"], want["arguments"] + want["claimers"]), aid
    body = next(a for t, a in dom.elements if t == "body")
    assert body["data-links-drawn"] == str(len(lines))  # the script ran to its end


@pytest.mark.integration
def test_chromium_runs_the_page_and_draws_every_link(fixture_root, tmp_path):
    want = expected_of(fixture_root, "fx-meet")
    assert (want["arguments"], want["claimers"]) == (5, 1)
    assert_chromium_draws_every_link(fixture_root, "fx-meet", tmp_path)


@pytest.mark.integration
@pytest.mark.corpus
def test_chromium_draws_every_link_of_each_repo_article(tmp_path):
    for aid in [a["id"] for a in parquet_rows(REPO, "articles")]:
        assert_chromium_draws_every_link(REPO, aid, tmp_path)


@pytest.mark.integration
def test_chromium_interprets_nothing_of_a_hostile_article(hostile_root, tmp_path):
    page = write_html(hostile_root, "a-test", tmp_path / "page.html")
    dom = parse(dump_dom(page, tmp_path))
    assert "".join(dom.text) == HOSTILE
    assert not [t for t, _ in dom.elements if t == "img"]
    assert sum(1 for t, _ in dom.elements if t == "script") == 2
    assert dom.count("data-mention-id") == 5 and dom.count("data-event-id") == 1 and dom.count("data-claim-id") == 1
    assert len([a for t, a in dom.elements if t == "line"]) == 4  # 3 arguments + 1 claimer
