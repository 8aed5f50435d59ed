"""`newscorpus convert`: the annotations in the formats other tools read: CoNLL BIO, brat standoff, JSONL,
spaCy DocBin. docs/research.md documents each format; this docstring is the short version.

Tokenization (CoNLL, JSONL, spaCy) is `tokenize()`: a regular expression over the article text, stated
in TOKEN_PATTERN, that keeps code-point offsets. White space separates tokens and is never part of one;
every other character is in exactly one token, so the tokens with their offsets and the text give the
text back exactly. Mention spans are never moved to fit tokens: a mention whose start or end is not a
token boundary is reported (reason "off-token-boundary") and left out of the BIO tags. BIO tags
(IOB2: B- on the first token of every mention) can only hold non-overlapping spans, so the outermost
mentions are kept and the mentions inside them ("nested") or crossing them ("crossing") are reported and
left out. The reports are returned and written to dropped.jsonl in the output folder.

brat standoff, both ways, is in brat.py.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from ..store import storage
from ..store.versions import natural_key, versions
from ..contract import ANNOTATION_TABLES, Contract, load_contract
from ..errors import InputError, SetupError
from .brat import brat_conf, to_brat

FORMATS = ("conll", "brat", "jsonl", "spacy")
TOKENIZER = "newscorpus-regex-1"
# numbers with internal separators (3,000  1.5  2,000s); words, hyphenated words kept whole (pro-Russian,
# Alma-Ata); a possessive 's or ’s; any other single character that is not white space.
TOKEN_PATTERN = r"\d+(?:[.,]\d+)+\w*|\w+(?:-\w+)*|['’]s(?!\w)|\S"
TOKEN_RE = re.compile(TOKEN_PATTERN)


def tokenize(text: str) -> list[tuple[str, int, int]]:
    """(token, start, end) in code points; text[start:end] == token; white space is in no token."""
    return [(m.group(), m.start(), m.end()) for m in TOKEN_RE.finditer(text)]


@dataclass
class Doc:
    """One version of an article: the gold rows, or one annotator's candidate rows."""

    article: dict
    annotator: str | None  # None for gold
    entities: list
    events: list
    claims: list

    @property
    def name(self) -> str:
        return self.article["id"] + (f".{self.annotator}" if self.annotator else "")

    @property
    def text(self) -> str:
        return self.article["text"]


def bio_tags(text: str, entities: list, tokens=None) -> tuple[list, list, list]:
    """(tokens, IOB2 tags, dropped mentions). See the module docstring for what is dropped and why."""
    tokens = tokens if tokens is not None else tokenize(text)
    starts = {s: i for i, (_, s, _) in enumerate(tokens)}
    ends = {e: i for i, (_, _, e) in enumerate(tokens)}
    dropped, candidates = [], []
    for e in entities:
        for m in e["mentions"]:
            rec = {"mention_id": m["id"], "entity_id": e["id"], "type": e["type"], "start": m["start"], "end": m["end"], "text": m["text"]}
            if m["start"] in starts and m["end"] in ends:
                candidates.append(rec)
            else:
                dropped.append({**rec, "reason": "off-token-boundary"})
    kept = []
    for rec in sorted(candidates, key=lambda r: (r["start"], -r["end"], r["mention_id"])):
        clash = next((k for k in kept if k["start"] < rec["end"] and rec["start"] < k["end"]), None)
        if clash is None:
            kept.append(rec)
        else:
            nested = clash["start"] <= rec["start"] and rec["end"] <= clash["end"]
            dropped.append({**rec, "reason": "nested" if nested else "crossing", "kept": clash["mention_id"]})
    tags = ["O"] * len(tokens)
    for rec in kept:
        first, last = starts[rec["start"]], ends[rec["end"]]
        tags[first] = f"B-{rec['type']}"
        for i in range(first + 1, last + 1):
            tags[i] = f"I-{rec['type']}"
    return tokens, tags, sorted(dropped, key=lambda r: (r["start"], r["end"], r["mention_id"]))


def conll_lines(doc: Doc) -> tuple[list[str], list]:
    """The CoNLL file of a doc: `-DOCSTART- -X- -X- O`, then one token a line, `TOKEN START END TAG`
    (space-separated; tokens hold no white space), a blank line where the text has a line break."""
    tokens, tags, dropped = bio_tags(doc.text, doc.entities)
    lines = ["-DOCSTART- -X- -X- O", ""]
    prev_end = 0
    for (tok, s, e), tag in zip(tokens, tags):
        if "\n" in doc.text[prev_end:s] and lines[-1] != "":
            lines.append("")
        lines.append(f"{tok} {s} {e} {tag}")
        prev_end = e
    if lines[-1] != "":
        lines.append("")
    return lines, dropped


def read_conll(lines) -> list[tuple[str, int, int, str]]:
    """(token, start, end, tag) of a CoNLL file written by conll_lines()."""
    out = []
    for line in lines:
        if not line.strip() or line.startswith("-DOCSTART-"):
            continue
        tok, s, e, tag = line.rsplit(" ", 3)
        out.append((tok, int(s), int(e), tag))
    return out


# ---------------------------------------------------------------------------------------------------
# spaCy (optional)


def spacy_doc(doc: Doc, nlp_vocab=None):
    """A spaCy Doc over our tokens (white space kept as spaCy does: trailing spaces, other white space as
    tokens), with doc.ents the BIO-kept mentions and span groups: mentions (all that fit tokens),
    triggers, claims, and coref_clusters_1..N. The records go in doc.user_data["newscorpus"]."""
    try:
        import spacy
        from spacy.tokens import Doc as SpacyDoc
    except ImportError:
        raise SetupError("spaCy is not installed: pip install 'newscorpus[spacy]'") from None
    vocab = nlp_vocab or spacy.blank("xx").vocab
    text = doc.text
    words, spaces = [], []
    tokens = tokenize(text)
    if tokens and tokens[0][1] > 0:
        words.append(text[: tokens[0][1]])
        spaces.append(False)
    for i, (tok, s, e) in enumerate(tokens):
        gap = text[e: tokens[i + 1][1] if i + 1 < len(tokens) else len(text)]
        words.append(tok)
        spaces.append(gap.startswith(" "))
        rest = gap[1:] if gap.startswith(" ") else gap
        if rest:
            words.append(rest)
            spaces.append(False)
    sdoc = SpacyDoc(vocab, words=words, spaces=spaces)
    assert sdoc.text == text
    _, _, dropped = bio_tags(text, doc.entities)
    gone = {d["mention_id"] for d in dropped}

    def sp(start, end, label):
        return sdoc.char_span(start, end, label=label, alignment_mode="strict")

    ents, mentions = [], []
    for e in doc.entities:
        for m in e["mentions"]:
            s = sp(m["start"], m["end"], e["type"])
            if s is not None:
                mentions.append(s)
                if m["id"] not in gone:
                    ents.append(s)
    sdoc.ents = sorted(ents, key=lambda s: s.start_char)
    sdoc.spans["mentions"] = mentions
    sdoc.spans["triggers"] = [s for v in doc.events if (s := sp(v["trigger"]["start"], v["trigger"]["end"], v["type"])) is not None]
    sdoc.spans["claims"] = [s for c in doc.claims if (s := sp(c["span"]["start"], c["span"]["end"], c["stance"])) is not None]
    for i, e in enumerate(doc.entities, 1):
        sdoc.spans[f"coref_clusters_{i}"] = [s for m in e["mentions"] if (s := sp(m["start"], m["end"], e["type"])) is not None]
    sdoc.user_data["newscorpus"] = json.dumps({"article_id": doc.article["id"], "annotator": doc.annotator, "entities": doc.entities,
                                               "events": doc.events, "claims": doc.claims}, ensure_ascii=False)
    return sdoc


# ---------------------------------------------------------------------------------------------------
# the corpus


@dataclass
class ConvertResult:
    format: str
    docs: int
    files: list = field(default_factory=list)
    dropped: list = field(default_factory=list)  # mentions left out of BIO tags, with the reason

    def summary(self) -> str:
        why = defaultdict(int)
        for d in self.dropped:
            why[d["reason"]] += 1
        left = f"; {len(self.dropped)} mention(s) left out of BIO tags ({', '.join(f'{k} {v}' for k, v in sorted(why.items()))}), see dropped.jsonl" if self.dropped else ""
        return f"{self.format}: {self.docs} document(s), {len(self.files)} file(s) written{left}"


def load_docs(root: Path, status: str = "gold", contract: Contract | None = None, article_ids=None) -> list[Doc]:
    """The versions to convert: each article's gold rows, or each (article, annotator)'s candidate rows.
    Articles without rows of that status are left out."""
    contract = contract or load_contract(root)
    t = storage.all_tables(root, contract)
    arts = {a["id"]: a for a in t["articles"].to_pylist()}
    docs = []
    for aid, by_annotator in sorted(versions(t, status, article_ids).items()):
        for ann, v in sorted(by_annotator.items(), key=lambda kv: kv[0] or ""):
            if aid in arts:
                docs.append(Doc(arts[aid], ann, **{n: sorted(getattr(v, n), key=lambda r: natural_key(r["id"])) for n in ANNOTATION_TABLES}))
    return docs


def convert(root: Path | str, to: str, out: Path | str, status: str = "gold", contract: Contract | None = None,
            article_ids=None) -> ConvertResult:
    """Write the `status` annotations of the corpus to folder `out` in format `to` (see FORMATS); with
    `article_ids`, of those articles only (InputError if one has no rows of that status)."""
    if to not in FORMATS:
        raise InputError(f"unknown format {to!r}; formats are {', '.join(FORMATS)}")
    if status not in ("gold", "candidate"):
        raise InputError(f"unknown status {status!r}; gold or candidate")
    root, out = Path(root), Path(out)
    contract = contract or load_contract(root)
    docs = load_docs(root, status, contract, article_ids=set(article_ids) if article_ids else None)
    missing = sorted(set(article_ids or ()) - {d.article["id"] for d in docs})
    if missing:
        raise InputError(f"no {status} rows for article(s) {', '.join(missing[:5])}{' …' if len(missing) > 5 else ''} (or not in the corpus)")
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: exists and is not a folder")
    out.mkdir(parents=True, exist_ok=True)
    res = ConvertResult(to, len(docs))

    def write(name, content):
        path = out / name
        path.write_text(content, encoding="utf-8", newline="\n")
        res.files.append(path)

    def note_dropped(doc, dropped):
        res.dropped += [{"article_id": doc.article["id"], "annotator": doc.annotator, **d} for d in dropped]

    if to == "conll":
        for doc in docs:
            lines, dropped = conll_lines(doc)
            write(f"{doc.name}.conll", "\n".join(lines) + "\n")
            note_dropped(doc, dropped)
    elif to == "brat":
        write("annotation.conf", brat_conf(contract))
        for doc in docs:
            write(f"{doc.name}.txt", doc.text)
            write(f"{doc.name}.ann", to_brat(doc.text, doc.entities, doc.events, doc.claims))
    elif to == "jsonl":
        lines = []
        for doc in docs:
            tokens, tags, dropped = bio_tags(doc.text, doc.entities)
            note_dropped(doc, dropped)
            lines.append(json.dumps({
                "article_id": doc.article["id"], "annotator": doc.annotator, "status": status, "text": doc.text,
                "tokenizer": TOKENIZER, "tokens": [t for t, _, _ in tokens], "token_starts": [s for _, s, _ in tokens],
                "token_ends": [e for _, _, e in tokens], "ner_tags": tags,
                "entities": doc.entities, "events": doc.events, "claims": doc.claims}, ensure_ascii=False))
        write(f"newscorpus-{status}.jsonl", "".join(line + "\n" for line in lines))
    elif to == "spacy":
        try:
            import spacy
            from spacy.tokens import DocBin
        except ImportError:
            raise SetupError("spaCy is not installed: pip install 'newscorpus[spacy]'") from None
        vocab = spacy.blank("xx").vocab
        bin_ = DocBin(store_user_data=True)
        for doc in docs:
            bin_.add(spacy_doc(doc, vocab))
            note_dropped(doc, bio_tags(doc.text, doc.entities)[2])
        path = out / f"newscorpus-{status}.spacy"
        bin_.to_disk(path)
        res.files.append(path)
    if res.dropped:
        write("dropped.jsonl", "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in res.dropped))
    return res
