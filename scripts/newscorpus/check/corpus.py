"""Level 4, the corpus: texts stored twice or leaking across splits, articles without gold, unknown
licenses, personal data in texts. RUNS is what the validator runs, in order."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from ..findings import Finding
from ..store.flat import column as _col, numpy_of as _np
from ..store.versions import annotated_ids
from .arrays import groups_of
from .text import EMAIL, PERSONAL_RE2, PHONE, normalized_text
from .views import Corpus


def articles(c: Corpus):
    """article-split-leak and article-duplicate-text (here for a corpus checked whole; over the pieces'
    digests in partitioned.py), article-unannotated and license-unknown."""
    arts = c.t["articles"]
    if arts.num_rows == 0:
        return
    if not c.local:
        yield from same_texts(pa.table({"norm": normalized_text(arts["text"]), "id": arts["id"], "split": arts["split"]}))
    lonely = arts.filter(pc.invert(pc.is_in(arts["id"], value_set=annotated_ids(c.t))))
    for aid in lonely["id"].to_pylist():
        yield Finding("article-unannotated", "articles", aid, None, "has no gold annotation yet")
    unknown = arts.filter(pc.equal(arts["license"], "unknown"))
    for aid in unknown["id"].to_pylist():
        yield Finding("license-unknown", "articles", aid, "license", "license is unknown; clear it before redistributing the text")


def personal_data(c: Corpus):
    """E-mail addresses and phone numbers in article texts: a warning to look at before a release. The
    message gives the kind and the offsets, never the value (it would travel into CI logs)."""
    arts = c.t["articles"]
    if arts.num_rows == 0:
        return
    texts = _col(arts, "text")
    # a columnar pre-filter that every match of EMAIL or PHONE passes (an @; eight digits with at most
    # three separators between two of them), so that the Python regexes run on few texts
    rows = c.suspect_texts()
    if len(rows):
        rows = rows[_np(pc.fill_null(pc.match_substring_regex(texts.take(pa.array(rows)), PERSONAL_RE2), False))]
    for i in rows.tolist():
        aid, text = arts["id"][int(i)].as_py(), texts[int(i)].as_py()
        found = [(m.start(), m.end(), "an e-mail address") for m in EMAIL.finditer(text)]
        found += [(m.start(), m.end(), "a phone number") for m in PHONE.finditer(text)
                  if sum(ch.isdigit() for ch in m.group()) >= 8 and not any(s <= m.start() < e for s, e, _ in found)]
        for start, end, what in sorted(found)[:20]:
            yield Finding("text-personal-data", "articles", aid, "text", f"has what looks like {what} at {start}:{end}")


def same_texts(view: pa.Table):
    """article-split-leak and article-duplicate-text over (norm, id, split); norm may be the text or a digest of it."""
    g = groups_of(view, ["norm"], "id", also=["split"])
    for row in g.to_pylist():
        pairs = sorted(zip(row["id_list"], row["split_list"]))
        splits = sorted({s for _, s in pairs})
        others = ", ".join(f"{i} ({s})" for i, s in pairs[1:])
        if len(splits) > 1:
            yield Finding("article-split-leak", "articles", pairs[0][0], "split", f"same text as {others}: splits {' and '.join(splits)} leak")
        else:
            yield Finding("article-duplicate-text", "articles", pairs[0][0], "text", f"same text as {others}")


RUNS = (articles, personal_data)
