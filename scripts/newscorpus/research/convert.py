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

brat (.txt + .ann, and annotation.conf derived from the ontology) holds everything, nothing is dropped,
and from_brat() reads it back to the same records: mentions are T annotations typed with their entity
type, clusters `*\tCoref` equivalences, the kind an attribute; an event is a trigger T plus an E line
with its roles (repeated roles numbered: participant, participant2), realis and polarity attributes;
a claim is a `Claim` T with Stance, Quote, ByAuthor and Checkworthy attributes and Claimer, Cue and About
relations (About points at the event's trigger). Ids, names, Wikidata ids, times, topics and provenance
go in one AnnotatorNotes line a record, as JSON. Event types are written with `_` for `.` (brat type
names), e.g. conflict_attack.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.compute as pc

from ..store import storage
from ..contract import ANNOTATION_TABLES, Contract, load_contract
from ..errors import InputError, SchemaError, SetupError

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
# brat


def brat_type(event_type: str) -> str:
    return event_type.replace(".", "_")


def brat_conf(contract: Contract) -> str:
    """annotation.conf for brat, derived from the ontology."""
    if any("_" in t for t in contract.event_types):
        raise SchemaError("an event type contains '_', which the brat conversion uses for '.'")
    ents = contract.entity_types
    lines = ["# generated by `newscorpus convert --to brat` from schema/ontology.json; do not edit", "[entities]", *ents,
             "Claim", "Cue", "", "[relations]", f"Coref\tArg1:<ENTITY>, Arg2:<ENTITY>, <REL-TYPE>:symmetric-transitive",
             f"Claimer\tArg1:Claim, Arg2:{'|'.join(contract.claimer_types)}", "Cue\tArg1:Claim, Arg2:Cue",
             f"About\tArg1:Claim, Arg2:{'|'.join(brat_type(t) for t in contract.event_types)}",
             "<OVERLAP>\tArg1:<ANY>, Arg2:<ANY>, <OVL-TYPE>:<ANY>", "", "[events]"]
    for t, spec in contract.ontology["event_types"].items():
        roles = ", ".join(f"{r}*:{'|'.join(fill)}" for r, fill in spec["roles"].items())
        lines.append(f"{brat_type(t)}\t{roles}")
    lines += ["", "[attributes]", f"Kind\tArg:{'|'.join(ents)}, Value:NAM|NOM|PRO",
              f"Realis\tArg:<EVENT>, Value:actual|generic|other", "Polarity\tArg:<EVENT>, Value:positive|negative",
              "Stance\tArg:Claim, Value:affirm|refute|unclear", "Quote\tArg:Claim, Value:direct|indirect|none",
              "ByAuthor\tArg:Claim", "Checkworthy\tArg:Claim, Value:true|false", ""]
    return "\n".join(lines)


_PROV = ("annotator", "status", "origin", "source_ref", "updated_at")


def _frags(text: str, start: int, end: int) -> str:
    """brat offsets: fragments split at line breaks, as brat itself writes spans that cross lines."""
    out, s = [], start
    for i in range(start, end):
        if text[i] == "\n":
            if i > s:
                out.append(f"{s} {i}")
            s = i + 1
    if end > s:
        out.append(f"{s} {end}")
    return ";".join(out)


def _oneline(s: str) -> str:
    return s.replace("\n", " ")


def to_brat(text: str, entities: list, events: list, claims: list) -> str:
    """The .ann of one version (see the module docstring)."""
    lines, n = [], defaultdict(int)

    def new(letter):
        n[letter] += 1
        return f"{letter}{n[letter]}"

    def note(target, data):
        lines.append(f"{new('#')}\tAnnotatorNotes {target}\t{json.dumps(data, ensure_ascii=False)}")

    t_of_mention = {}
    for e in entities:
        tids = []
        for i, m in enumerate(e["mentions"]):
            tid = new("T")
            t_of_mention[m["id"]] = tid
            tids.append(tid)
            lines.append(f"{tid}\t{e['type']} {_frags(text, m['start'], m['end'])}\t{_oneline(m['text'])}")
            lines.append(f"{new('A')}\tKind {tid} {m['kind']}")
            data = {"id": m["id"]}
            if i == 0:
                data["entity"] = {"id": e["id"], "name": e["name"], "wikidata": e["wikidata"], **{k: e[k] for k in _PROV}}
                if e.get("event_ids"):
                    data["entity"]["event_ids"] = e["event_ids"]
            note(tid, data)
        if len(tids) > 1:
            lines.append(f"*\tCoref {' '.join(tids)}")
    trigger_of_event = {}
    for v in events:
        tid = new("T")
        trigger_of_event[v["id"]] = tid
        tr = v["trigger"]
        lines.append(f"{tid}\t{brat_type(v['type'])} {_frags(text, tr['start'], tr['end'])}\t{_oneline(tr['text'])}")
        seen: dict[str, int] = defaultdict(int)
        args = []
        for a in v["arguments"]:
            seen[a["role"]] += 1
            label = a["role"] + (str(seen[a["role"]]) if seen[a["role"]] > 1 else "")
            args.append(f"{label}:{t_of_mention[a['mention_id']]}")
        eid = new("E")
        lines.append(f"{eid}\t{brat_type(v['type'])}:{tid}" + "".join(f" {x}" for x in args))
        lines.append(f"{new('A')}\tRealis {eid} {v['realis']}")
        lines.append(f"{new('A')}\tPolarity {eid} {v['polarity']}")
        note(eid, {"id": v["id"], "time": v["time"], "arguments": [[a["entity_id"], a["mention_id"]] for a in v["arguments"]],
                   **{k: v[k] for k in _PROV}})
    for c in claims:
        tid = new("T")
        sp = c["span"]
        lines.append(f"{tid}\tClaim {_frags(text, sp['start'], sp['end'])}\t{_oneline(sp['text'])}")
        lines.append(f"{new('A')}\tStance {tid} {c['stance']}")
        lines.append(f"{new('A')}\tQuote {tid} {c['quote']}")
        if c["by_author"]:
            lines.append(f"{new('A')}\tByAuthor {tid}")
        if c["checkworthy"] is not None:
            lines.append(f"{new('A')}\tCheckworthy {tid} {'true' if c['checkworthy'] else 'false'}")
        if c["claimer"]:
            lines.append(f"{new('R')}\tClaimer Arg1:{tid} Arg2:{t_of_mention[c['claimer']['mention_id']]}")
        if c["cue"]:
            cue = new("T")
            lines.append(f"{cue}\tCue {_frags(text, c['cue']['start'], c['cue']['end'])}\t{_oneline(c['cue']['text'])}")
            lines.append(f"{new('R')}\tCue Arg1:{tid} Arg2:{cue}")
        for e in c["event_ids"]:
            lines.append(f"{new('R')}\tAbout Arg1:{tid} Arg2:{trigger_of_event[e]}")
        note(tid, {"id": c["id"], "topic": c["topic"], "event_ids": c["event_ids"], **{k: c[k] for k in _PROV}})
    return "\n".join(lines) + "\n"


def from_brat(article_id: str, text: str, ann: str, contract: Contract, **defaults) -> dict:
    """Records (table -> list) from a .ann written by to_brat(), or by brat from such a file. Where a
    note is missing (annotations added in brat), ids are numbered <article>/E1, M1, V1, C1 in file order,
    names are the first mention's text, and the provenance is `defaults` (annotator, status, origin,
    source_ref, updated_at). InputError naming the line on anything it cannot read."""
    prov = {"annotator": "brat", "status": "candidate", "origin": "import", "source_ref": None, "updated_at": None, **defaults}
    etypes, vtypes = set(contract.entity_types), {brat_type(t): t for t in contract.event_types}
    T, E, attrs, notes, rels, coref = {}, {}, defaultdict(dict), {}, [], []
    for n, line in enumerate(ann.split("\n"), 1):
        if not line.strip():
            continue
        try:
            head, rest = line.split("\t", 1)
            if head.startswith("T"):
                label_frags, _ = rest.split("\t", 1)
                label, frags = label_frags.split(" ", 1)
                pos = [tuple(map(int, f.split())) for f in frags.split(";")]
                T[head] = (label, pos[0][0], pos[-1][1])
            elif head.startswith("E"):
                parts = rest.split()
                label, trig = parts[0].split(":")
                E[head] = (label, trig, [tuple(p.split(":")) for p in parts[1:]])
            elif head.startswith("A"):
                parts = rest.split()
                attrs[parts[1]][parts[0]] = parts[2] if len(parts) > 2 else True
            elif head.startswith("R"):
                label, a1, a2 = rest.split()
                rels.append((label, a1.split(":", 1)[1], a2.split(":", 1)[1]))
            elif head == "*":
                label, *members = rest.split()
                coref.append(members)
            elif head.startswith("#"):
                _, target, data = (rest.split(" ", 1)[0], *rest.split(" ", 1)[1].split("\t", 1))
                try:
                    notes[target] = json.loads(data)
                except json.JSONDecodeError:
                    notes[target] = {}
        except (ValueError, IndexError) as exc:
            raise InputError(f"{article_id}.ann:{n}: cannot read the line ({exc})") from None
    counter = defaultdict(int)

    def fresh(letter):
        counter[letter] += 1
        return f"{article_id}/{letter}{counter[letter]}"

    def span(tid):
        _, s, e = T[tid]
        return {"start": s, "end": e, "text": text[s:e]}

    # entities: coref chains, then singletons, in file order of their first mention
    mention_ts = [t for t, (label, _, _) in T.items() if label in etypes]
    chain_of = {}
    for members in coref:
        for m in members:
            chain_of[m] = members
    chains, seen = [], set()
    for t in mention_ts:
        if t in seen:
            continue
        members = chain_of.get(t, [t])
        seen.update(members)
        chains.append(members)
    entities, where = [], {}
    for members in chains:
        first = notes.get(members[0], {}).get("entity") or {}
        eid = first.get("id") or fresh("E")
        ms = []
        for t in members:
            mid = notes.get(t, {}).get("id") or fresh("M")
            where[t] = (eid, mid)
            ms.append({"id": mid, **span(t), "kind": attrs[t].get("Kind", "NAM")})
        entities.append({"id": eid, "article_id": article_id, "type": T[members[0]][0], "name": first.get("name") or ms[0]["text"],
                         "wikidata": first.get("wikidata"), "mentions": ms, "event_ids": list(first.get("event_ids") or []),
                         **{k: first.get(k, prov[k]) for k in _PROV}})
    events, event_of_trigger = [], {}
    for e, (label, trig, args) in E.items():
        meta = notes.get(e, {})
        vid = meta.get("id") or fresh("V")
        event_of_trigger[trig] = vid
        arguments = []
        for role, t in args:
            eid, mid = where[t]
            arguments.append({"role": role.rstrip("0123456789"), "entity_id": eid, "mention_id": mid})
        events.append({"id": vid, "article_id": article_id, "type": vtypes.get(label, label), "trigger": span(trig), "arguments": arguments,
                       "realis": attrs[e].get("Realis", "actual"), "polarity": attrs[e].get("Polarity", "positive"), "time": meta.get("time"),
                       **{k: meta.get(k, prov[k]) for k in _PROV}})
    claims = []
    for t, (label, _, _) in T.items():
        if label != "Claim":
            continue
        meta = notes.get(t, {})
        mine = [(lab, a2) for lab, a1, a2 in rels if a1 == t]
        claimer = next(({"entity_id": where[a2][0], "mention_id": where[a2][1]} for lab, a2 in mine if lab == "Claimer"), None)
        cue = next((span(a2) for lab, a2 in mine if lab == "Cue"), None)
        about = [event_of_trigger[a2] for lab, a2 in mine if lab == "About"]
        cw = attrs[t].get("Checkworthy")
        claims.append({"id": meta.get("id") or fresh("C"), "article_id": article_id, "span": span(t), "claimer": claimer,
                       "by_author": bool(attrs[t].get("ByAuthor", False)), "cue": cue, "quote": attrs[t].get("Quote", "none"),
                       "stance": attrs[t].get("Stance", "affirm"), "topic": meta.get("topic") or span(t)["text"][:200],
                       "event_ids": meta.get("event_ids", about) if set(meta.get("event_ids", about)) == set(about) else about,
                       "checkworthy": None if cw is None else cw == "true", **{k: meta.get(k, prov[k]) for k in _PROV}})
    return {"entities": entities, "events": events, "claims": claims}


# ---------------------------------------------------------------------------------------------------
# spaCy (optional)


def spacy_doc(doc: Doc, nlp_vocab=None):
    """A spaCy Doc over our tokens (white space kept as spaCy does: trailing spaces, other white space as
    tokens), with doc.ents the BIO-kept mentions and span groups: mentions (all that fit tokens),
    triggers, claims, and coref_clusters_1..N. The records go in doc.user_data["newscorpus"]."""
    try:
        import spacy
        from spacy.tokens import Doc as SpacyDoc
        from spacy.tokens import Span
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
    groups: dict[tuple, dict] = defaultdict(lambda: {n: [] for n in ANNOTATION_TABLES})
    for name in ANNOTATION_TABLES:
        data = t[name]
        if data.num_rows == 0:
            continue
        for row in data.filter(pc.equal(data["status"], status)).to_pylist():
            if article_ids and row["article_id"] not in article_ids:
                continue
            groups[(row["article_id"], row["annotator"] if status == "candidate" else None)][name].append(row)
    docs = []
    for (aid, ann), rows in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        if aid in arts:
            docs.append(Doc(arts[aid], ann, **{n: sorted(rows[n], key=lambda r: _natural(r["id"])) for n in ANNOTATION_TABLES}))
    return docs


def _natural(rid: str):
    head, local = rid.rsplit("/", 1)
    digits = "".join(ch for ch in local if ch.isdigit())
    return (head, local.rstrip("0123456789"), int(digits) if digits else 0, rid)


def convert(root: Path | str, to: str, out: Path | str, status: str = "gold", contract: Contract | None = None) -> ConvertResult:
    """Write the `status` annotations of the corpus to folder `out` in format `to` (see FORMATS)."""
    if to not in FORMATS:
        raise InputError(f"unknown format {to!r}; formats are {', '.join(FORMATS)}")
    if status not in ("gold", "candidate"):
        raise InputError(f"unknown status {status!r}; gold or candidate")
    root, out = Path(root), Path(out)
    contract = contract or load_contract(root)
    docs = load_docs(root, status, contract)
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
