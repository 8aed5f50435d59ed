"""`show --html`: a self-contained page where every annotation is rendered and no article text is
interpreted, checked in the parsed page and, after its script ran, in headless Chromium."""

from __future__ import annotations

import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from newscorpus import storage
from newscorpus.contract import load_contract
from newscorpus.importer import records_to_table
from newscorpus.show_html import write_html

from conftest import SEED_ARTICLE, article, claim, entity, event, make_root, mention, span

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


def test_seed_page_renders_every_annotation(seed_root, tmp_path):
    out = write_html(seed_root, SEED_ARTICLE, tmp_path / "page.html")
    dom = parse(out.read_text(encoding="utf-8"))
    assert (dom.count("data-mention-id"), dom.count("data-event-id"), dom.count("data-claim-id")) == (181, 50, 41)
    text = storage.read_table(seed_root, "articles", load_contract(seed_root)).to_pylist()[0]["text"]
    assert "".join(dom.text) == text


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


@pytest.mark.integration
def test_chromium_runs_the_page_and_draws_every_link(seed_root, tmp_path):
    page = write_html(seed_root, SEED_ARTICLE, tmp_path / "page.html")
    dom = parse(dump_dom(page, tmp_path))
    assert (dom.count("data-mention-id"), dom.count("data-event-id"), dom.count("data-claim-id")) == (181, 50, 41)
    contract = load_contract(seed_root)
    events = storage.read_table(seed_root, "events", contract).to_pylist()
    claims = storage.read_table(seed_root, "claims", contract).to_pylist()
    links = sum(len(v["arguments"]) for v in events) + sum(1 for c in claims if c["claimer"])
    lines = [a for t, a in dom.elements if t == "line"]
    assert len(lines) == links and {a["data-link"] for a in lines} == {"argument", "claimer"}
    body = next(a for t, a in dom.elements if t == "body")
    assert body["data-links-drawn"] == str(links)  # the script ran to its end


@pytest.mark.integration
def test_chromium_interprets_nothing_of_a_hostile_article(hostile_root, tmp_path):
    page = write_html(hostile_root, "a-test", tmp_path / "page.html")
    dom = parse(dump_dom(page, tmp_path))
    assert "".join(dom.text) == HOSTILE
    assert not [t for t, _ in dom.elements if t == "img"]
    assert sum(1 for t, _ in dom.elements if t == "script") == 2
    assert dom.count("data-mention-id") == 5 and dom.count("data-event-id") == 1 and dom.count("data-claim-id") == 1
    assert len([a for t, a in dom.elements if t == "line"]) == 4  # 3 arguments + 1 claimer
