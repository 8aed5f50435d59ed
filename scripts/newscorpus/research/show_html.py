"""`newscorpus show ARTICLE_ID --html FILE`: the article as one self-contained HTML page.

The text is shown with every mention, event trigger, claim and cue as an inline <span> carrying its ids
in data attributes (data-mention-id, data-entity-id, data-event-id, data-claim-id, data-cue-of), and
lists of entities, events and claims with anchors. A small inline script draws the links (event ->
argument mention, claim -> claimer mention) as SVG lines over the text and highlights a mention's whole
cluster on hover.

Safe for any text: every piece of text and every attribute value is escaped, the link data is JSON with
<, > and & escaped, annotation spans isolate bidirectional text (so an RTL override in the article does
not reorder the page around it), and a Content-Security-Policy allows no network access and only the one
inline script the page was written with (by its hash).

Spans that cross (a claim that starts inside one mention and ends after it) are cut into fragments: the
first fragment carries the id attribute (data-mention-id=...), the others data-part-of, so there is
exactly one element with an id attribute per annotation.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
from collections import defaultdict
from pathlib import Path

from ..errors import InputError
from .show import load_article

CSS = """
body{font:15px/1.6 system-ui,sans-serif;margin:2em auto;max-width:60em;padding:0 1em;color:#222}
.text{white-space:pre-wrap;position:relative;border:1px solid #ddd;padding:1em;unicode-bidi:isolate}
.ann{unicode-bidi:isolate}
.claim{background:#f3f0e6;border-bottom:2px solid #c9b98a}
.cue{font-style:italic;text-decoration:underline dotted}
.mention{border-radius:3px;padding:0 1px;box-shadow:inset 0 -2px 0 var(--c,#999)}
.trigger{font-weight:bold;text-decoration:underline}
.hl{background:#ffe58a}
svg.links{position:absolute;left:0;top:0;pointer-events:none;overflow:visible}
svg.links line{stroke:#7a7aff;stroke-width:1.2;opacity:.55}
svg.links line[data-link=claimer]{stroke:#c98a2a}
.meta{color:#555}.legend span{margin-right:.8em}
li bdi{background:#f6f6f6}
"""

SCRIPT = """
(function(){
  var data = JSON.parse(document.getElementById('links-data').textContent);
  var text = document.getElementById('text');
  var byAttr = function(attr){ var m = {}; var els = text.querySelectorAll('[' + attr + ']');
    for (var i = 0; i < els.length; i++) { m[els[i].getAttribute(attr)] = els[i]; } return m; };
  var mentions = byAttr('data-mention-id'), events = byAttr('data-event-id'), claims = byAttr('data-claim-id');
  var ns = 'http://www.w3.org/2000/svg';
  var svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('class', 'links');
  svg.setAttribute('width', text.scrollWidth); svg.setAttribute('height', text.scrollHeight);
  text.appendChild(svg);
  var box = text.getBoundingClientRect();
  var centre = function(el){ var r = el.getBoundingClientRect(); return [r.left - box.left + r.width / 2, r.top - box.top + r.height / 2]; };
  var draw = function(kind, from, to, a, b){
    if (!from || !to) return;
    var p = centre(from), q = centre(to), l = document.createElementNS(ns, 'line');
    l.setAttribute('x1', p[0]); l.setAttribute('y1', p[1]); l.setAttribute('x2', q[0]); l.setAttribute('y2', q[1]);
    l.setAttribute('data-link', kind); l.setAttribute('data-from', a); l.setAttribute('data-to', b);
    svg.appendChild(l);
  };
  data.arguments.forEach(function(x){ draw('argument', events[x[0]], mentions[x[1]], x[0], x[1]); });
  data.claimers.forEach(function(x){ draw('claimer', claims[x[0]], mentions[x[1]], x[0], x[1]); });
  var all = text.querySelectorAll('[data-entity-id]');
  var toggle = function(eid, on){ for (var i = 0; i < all.length; i++) {
    if (all[i].getAttribute('data-entity-id') === eid) all[i].classList.toggle('hl', on); } };
  for (var i = 0; i < all.length; i++) {
    all[i].addEventListener('mouseenter', function(ev){ toggle(ev.currentTarget.getAttribute('data-entity-id'), true); });
    all[i].addEventListener('mouseleave', function(ev){ toggle(ev.currentTarget.getAttribute('data-entity-id'), false); });
  }
  document.body.setAttribute('data-links-drawn', String(svg.childNodes.length));
})();
"""

COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#bcbd22",
           "#7f7f7f", "#393b79", "#637939", "#8c6d31", "#843c39"]
RANK = {"claim": 0, "cue": 1, "mention": 2, "trigger": 3}


def _e(s) -> str:
    return html.escape("" if s is None else str(s), quote=True)


def _attrs(d: dict) -> str:
    return "".join(f' {k}="{_e(v)}"' for k, v in d.items() if v is not None)


class _Ann:
    def __init__(self, start, end, kind, id_attr, ident, attrs):
        self.start, self.end, self.kind, self.id_attr, self.ident, self.attrs = start, end, kind, id_attr, ident, attrs
        self.opened = False

    def open(self) -> str:
        cls = f"ann {self.kind}" + (f" t-{self.attrs.get('data-type')}" if self.kind == "mention" else "")
        head = {self.id_attr: self.ident} if not self.opened else {"data-part-of": self.ident}
        self.opened = True
        return f'<span class="{_e(cls)}"{_attrs(head)}{_attrs(self.attrs)}>'


def _inline(text: str, anns: list) -> str:
    """The text with the annotations as nested <span>s, crossing ones cut into fragments."""
    starts = defaultdict(list)
    for a in sorted(anns, key=lambda a: (a.start, -a.end, RANK[a.kind], a.ident)):
        starts[a.start].append(a)
    points = sorted({0, len(text)} | {a.start for a in anns} | {a.end for a in anns})
    out, stack = [], []
    for n, p in enumerate(points):
        if any(a.end == p for a in stack):
            reopen = []
            while any(a.end == p for a in stack):
                a = stack.pop()
                out.append("</span>")
                if a.end != p:
                    reopen.append(a)
            for a in reversed(reopen):
                out.append(a.open())
                stack.append(a)
        for a in starts.get(p, ()):
            out.append(a.open())
            stack.append(a)
        if n + 1 < len(points):
            out.append(html.escape(text[p:points[n + 1]], quote=False))
    return "".join(out)


def _json_for_script(data) -> str:
    return json.dumps(data, ensure_ascii=True).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_html(doc: dict) -> str:
    """The page of a document from show.load_article()."""
    art, contract = doc["article"], doc["contract"]
    text = art["text"]
    colour = {t: COLOURS[i % len(COLOURS)] for i, t in enumerate(contract.entity_types)}
    mentions = {m["id"]: (m, e) for e in doc["entities"] for m in e["mentions"]}
    anns = []
    for e in doc["entities"]:
        for m in e["mentions"]:
            anns.append(_Ann(m["start"], m["end"], "mention", "data-mention-id", m["id"],
                             {"data-entity-id": e["id"], "data-type": e["type"], "data-kind": m["kind"],
                              "style": f"--c:{colour.get(e['type'], '#999')}", "title": f"{e['type']} {m['kind']}: {e['name']}"}))
    for v in doc["events"]:
        anns.append(_Ann(v["trigger"]["start"], v["trigger"]["end"], "trigger", "data-event-id", v["id"],
                         {"data-type": v["type"], "title": f"{v['type']} ({v['realis']}, {v['polarity']})"}))
    for c in doc["claims"]:
        anns.append(_Ann(c["span"]["start"], c["span"]["end"], "claim", "data-claim-id", c["id"],
                         {"data-stance": c["stance"], "data-quote": c["quote"], "title": f"claim: {c['topic']} ({c['quote']}, {c['stance']})"}))
        if c["cue"]:
            anns.append(_Ann(c["cue"]["start"], c["cue"]["end"], "cue", "data-cue-of", c["id"], {"title": "cue"}))
    links = {"arguments": [[v["id"], a["mention_id"], a["role"]] for v in doc["events"] for a in v["arguments"]],
             "claimers": [[c["id"], c["claimer"]["mention_id"]] for c in doc["claims"] if c["claimer"]]}
    script_hash = base64.b64encode(hashlib.sha256(SCRIPT.encode("utf-8")).digest()).decode()
    csp = f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{script_hash}'; img-src data:"

    def mref(mid):
        if mid not in mentions:
            return f"<code>{_e(mid)}</code>"
        m = mentions[mid][0]
        return f'<a href="#{_e("mention-" + mid)}"><bdi>{_e(m["text"])}</bdi></a>'

    ents = []
    for e in doc["entities"]:
        ms = " · ".join(f'<a id="{_e("mention-" + m["id"])}" href="#{_e("entity-" + e["id"])}"><bdi>{_e(m["text"])}</bdi></a> '
                        f'<small>{_e(m["kind"])}</small>' for m in e["mentions"])
        wd = f' <small>{_e(e["wikidata"])}</small>' if e["wikidata"] else ""
        ents.append(f'<li id="{_e("entity-" + e["id"])}"><b>{_e(e["type"])}</b> <bdi>{_e(e["name"])}</bdi>{wd}: {ms}</li>')
    evs = []
    for v in doc["events"]:
        args = ", ".join(f"{_e(a['role'])}={mref(a['mention_id'])}" for a in v["arguments"])
        evs.append(f'<li id="{_e("event-" + v["id"])}"><b>{_e(v["type"])}</b> <bdi>{_e(v["trigger"]["text"])}</bdi> '
                   f'<small>{_e(v["realis"])}/{_e(v["polarity"])} {_e(v["time"] or "")}</small> {args}</li>')
    cls = []
    for c in doc["claims"]:
        who = "the author" if c["by_author"] else (mref(c["claimer"]["mention_id"]) if c["claimer"] else "unnamed")
        about = " ".join(f'<a href="#{_e("event-" + x)}">{_e(x.rsplit("/", 1)[-1])}</a>' for x in c["event_ids"])
        cls.append(f'<li id="{_e("claim-" + c["id"])}">by {who}, {_e(c["quote"])}/{_e(c["stance"])}, topic <bdi>{_e(c["topic"])}</bdi>'
                   f'{" about " + about if about else ""}: <q><bdi>{_e(c["span"]["text"])}</bdi></q></li>')
    meta = (f"{art['id']} · {art['language']}" + (f" ({art['translation']} translation from {art['original_language']})" if art["translation"] else "")
            + f" · published {art['published'] or 'unknown'} · publisher {art['publisher'] or 'unknown'} · license {art['license']} · split {art['split']}")
    legend = "".join(f'<span class="ann mention" style="--c:{colour[t]}">{_e(t)}</span>' for t in contract.entity_types)
    return "".join([
        "<!DOCTYPE html>\n<html", _attrs({"lang": art["language"]}), ">\n<head>\n<meta charset=\"utf-8\">\n",
        f'<meta http-equiv="Content-Security-Policy" content="{_e(csp)}">\n',
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
        f"<title>{_e(art['title'] or art['id'])}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        f"<header><h1><bdi>{_e(art['title'] or art['id'])}</bdi></h1><p class=\"meta\"><bdi>{_e(meta)}</bdi></p>",
        f'<p class="legend">{legend}</p></header>\n',
        f'<div id="text" class="text" dir="auto">{_inline(text, anns)}</div>\n',
        f'<section id="entities"><h2>{len(doc["entities"])} entities</h2><ol>{"".join(ents)}</ol></section>\n',
        f'<section id="events"><h2>{len(doc["events"])} events</h2><ol>{"".join(evs)}</ol></section>\n',
        f'<section id="claims"><h2>{len(doc["claims"])} claims</h2><ol>{"".join(cls)}</ol></section>\n',
        f'<script type="application/json" id="links-data">{_json_for_script(links)}</script>\n',
        f"<script>{SCRIPT}</script>\n</body>\n</html>\n",
    ])


def write_html(root: Path | str, article_id: str, out: Path | str, status: str | None = "gold") -> Path:
    """Write the page of `article_id` (its `status` rows; None for all) to `out`. Returns the path."""
    doc = load_article(Path(root), article_id, status)
    out = Path(out)
    if not out.parent.is_dir():
        raise InputError(f"{out}: folder {out.parent} does not exist; create it first")
    try:
        out.write_text(render_html(doc), encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{out}: cannot write: {exc.strerror or exc}") from None
    return out
