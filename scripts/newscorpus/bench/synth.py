"""A synthetic corpus for scale tests: realistic sizes and label distributions, valid offsets, optional faults.

`generate(out, articles=N)` writes a corpus root (schema/, corpus/articles/*.parquet,
annotations/<table>/*.parquet) whose shards are aligned: shard k of every table holds the records of the
articles of corpus/articles/part-k.parquet. Everything is built with numpy and pyarrow over whole shards;
only the few faulty articles are edited as Python records.

Distributions come from the repo's seed article (5,129 characters, 83 entities / 181 mentions, 50 events /
92 arguments, 41 claims; `newscorpus stats --format json`): annotation densities per character, entity
types, mentions per entity, mention kinds, event types, arguments per event, realis, claim quote/stance,
events per claim. Article lengths are log-normal around 1,400 characters, so that a million articles
carry about fifty million annotation rows (entities, events, claims), as a silver-annotated corpus would.

With `faults=RATE`, about RATE x N articles each carry one fault, the check ids taken in turn, and
`manifest.json` lists, for every fault, the exact findings (check, table, record, field) the validator
must report; the injectors, and the check ids that cannot be injected, are in bench/faults.py.
`table-unreadable` stops levels 2 to 4, so it is made separately, with `unreadable=True`: one shard of
the entities table is truncated and the manifest then expects that one finding only.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..contract import TABLES, load_contract, table_location
from ..store.storage import WRITE_OPTIONS, empty_lists, relaxed
from .faults import NOT_INJECTABLE, apply_faults, injectable_checks

# --- distributions measured on the seed article ------------------------------------------------------
SEED_CHARS = 5129
DENSITY = {"entities": 83 / SEED_CHARS, "events": 50 / SEED_CHARS, "claims": 41 / SEED_CHARS}
ENTITY_TYPES = {"GPE": 23, "ORG": 13, "DATE": 12, "PER": 11, "LOC": 6, "PRODUCT": 5, "QUANTITY": 5, "CARDINAL": 2,
                "EVENT": 2, "FAC": 2, "NORP": 2, "LAW": 1, "TIME": 1, "MONEY": 1}
MENTIONS_PER_ENTITY = {1: 59, 2: 9, 3: 5, 4: 4, 6: 1, 7: 1, 8: 2, 17: 1, 27: 1}
MENTION_KINDS = {"NAM": 77, "NOM": 71, "PRO": 33}
WIKIDATA_SHARE = {"GPE": 15 / 23, "ORG": 2 / 13, "LOC": 2 / 6, "PER": 2 / 11, "PRODUCT": 2 / 5}
ARGUMENTS_PER_EVENT = {0: 9, 1: 13, 2: 11, 3: 12, 4: 4, 5: 1}
REALIS = {"actual": 41, "other": 7, "generic": 2}
EVENTS_PER_CLAIM = {0: 9, 1: 22, 2: 8, 3: 1, 4: 1}
QUOTE_NOT_BY_AUTHOR = {"indirect": 9, "direct": 5}
STANCE = {"affirm": 38, "unclear": 2, "refute": 1}
BY_AUTHOR = 27 / 41
CHECKWORTHY = 32 / 41
TIME_SET = 38 / 50
SPLITS = {"train": 8, "validation": 1, "test": 1}
MEAN_CHARS = 1400
NOW = "2026-11-28T00:00:00Z"
ANNOTATOR = "silver-model"

# --- vocabulary ----------------------------------------------------------------------------------------
FILLER = ("the of and to in a that for on with as by at from is was has have had be been were its their this which "
          "after over under against about more most than also but not only while since before during between into "
          "government officials week year country people forces security political economic crisis talks region "
          "border troops leaders report reports support power state public press city capital agreement "
          "opposition parliament ministry policy market prices energy gas oil protest protests military "
          "naïve café façade résumé — “reform” “stability” Zürich-based São-Paulo-based "
          "said. today. yesterday. again. there. now. later. earlier. abroad. at-home. tonight. "
          "however, meanwhile, instead, moreover, therefore, indeed,").split()
NAMES = {
    "PER": ["Vladimir Putin", "Kassym-Jomart Tokayev", "Recep Tayyip Erdoğan", "Volodymyr Zelensky", "Olaf Scholz",
            "Emmanuel Macron", "Xi Jinping", "Alexander Lukashenko", "Nikol Pashinyan", "Angela Merkel", "Lula da Silva",
            "Jens Stoltenberg", "Ursula von der Leyen", "Sergei Lavrov", "Antony Blinken"],
    "ORG": ["NATO", "CSTO", "the Kremlin", "the European Union", "Gazprom", "the United Nations", "the IMF", "Reuters",
            "the Supreme Court", "Interfax"],
    "GPE": ["Kazakhstan", "Russia", "Ukraine", "Belarus", "Armenia", "Georgia", "Moscow", "Almaty", "Kyiv", "Minsk",
            "Tbilisi", "Zürich", "São Paulo", "France", "Brazil"],
    "LOC": ["Central Asia", "the Caucasus", "the Black Sea", "Siberia", "the Baltic", "Crimea’s coast"],
    "FAC": ["Almaty airport", "the Kremlin Palace", "the main square", "the parliament building"],
    "NORP": ["Russians", "Kazakhs", "pro-Russian separatists", "Ukrainians", "Europeans"],
    "EVENT": ["the Ukraine crisis", "World War II", "the Maidan protests", "the Cold War"],
    "PRODUCT": ["liquefied petroleum gas", "bitcoins", "tanks", "uranium", "wheat"],
    "LAW": ["the Collective Security Treaty", "the Minsk agreements", "the new constitution"],
    "DATE": ["Monday", "2014", "last week", "this Monday (10)", "January 2022", "2002"],
    "TIME": ["this morning", "overnight", "at noon"],
    "MONEY": ["$2 billion", "€300 million", "1.5 trillion roubles"],
    "QUANTITY": ["almost 3,000 men", "164 people", "2,500 troops", "dozens of protesters"],
    "CARDINAL": ["five", "two", "three", "a dozen"],
}
NOMINALS = {"PER": ["the president", "the leader", "the minister", "the spokesman"],
            "ORG": ["the alliance", "the agency", "the organization"],
            "GPE": ["the country", "the capital", "the neighbor"], "LOC": ["the region"], "FAC": ["the building"],
            "NORP": ["the protesters", "the elite"]}
PRONOUNS = ["he", "she", "it", "they", "him", "them", "its", "there"]
CUES = ["said", "told reporters", "according to", "declared", "claimed", "stated", "warned", "insisted"]


def _weights(d: dict) -> tuple[list, np.ndarray]:
    keys = list(d)
    w = np.array([d[k] for k in keys], dtype=float)
    return keys, w / w.sum()


@dataclass
class Vocab:
    """Every token the generator can write, as one Arrow string array and numpy lengths."""

    words: list
    index: dict

    @classmethod
    def build(cls, event_types) -> "Vocab":
        words: list[str] = []
        index: dict[str, np.ndarray] = {}

        def add(key, items):
            start = len(words)
            words.extend(items)
            index[key] = np.arange(start, len(words))

        add("filler", FILLER)
        for t in ENTITY_TYPES:
            add(("NAM", t), NAMES[t])
            add(("NOM", t), NOMINALS.get(t, NAMES[t]))
            add(("PRO", t), PRONOUNS)
        for ev in event_types:
            w = ev.split(".")[1].replace("-", " ")
            add(("trigger", ev), [w, f"{w}s", f"the {w}", f"{w}ed" if not w.endswith("e") else f"{w}d"])
        add("cue", CUES)
        return cls(words, index)

    @property
    def punctuated(self) -> np.ndarray:
        """Per token: whether it starts or ends with punctuation as validate.punctuation_edge sees it."""
        from ..check.text import punctuation_edge

        return np.array([punctuation_edge(w) is not None for w in self.words], bool)

    def arrays(self):
        arr = pa.array(self.words, pa.string())
        cp = pc.utf8_length(arr).to_numpy().astype(np.int64)
        off = np.frombuffer(arr.buffers()[1], dtype=np.int32)[: len(arr) + 1].astype(np.int64)
        nbytes = np.diff(off)
        data = np.frombuffer(arr.buffers()[2], dtype=np.uint8)[: int(off[-1])]
        offs = off[:-1]
        return arr, cp, nbytes, data, offs


def _rank_within(groups: np.ndarray, n_groups: int) -> np.ndarray:
    """For an array sorted by group: the position of each element within its group."""
    counts = np.bincount(groups, minlength=n_groups)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    return np.arange(len(groups)) - starts[groups]


def _pick(rng, choices: np.ndarray, n: int) -> np.ndarray:
    return choices[rng.integers(0, len(choices), n)]


def _sample(rng, d: dict, n: int):
    keys, w = _weights(d)
    return np.array(keys)[rng.choice(len(keys), size=n, p=w)]


def _slices(data: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> pa.Array:
    """A string array of data[starts[i]:ends[i]] (UTF-8 bytes), gathered with numpy."""
    lens = (ends - starts).astype(np.int64)
    offsets = np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
    total = int(offsets[-1])
    within = np.arange(total, dtype=np.int64) - np.repeat(offsets[:-1], lens)
    buf = data[np.repeat(starts.astype(np.int64), lens) + within]
    return pa.LargeStringArray.from_buffers(len(lens), pa.py_buffer(offsets), pa.py_buffer(buf.tobytes())).cast(pa.string())


def _ids(prefix: pa.Array, sep: str, local: np.ndarray) -> pa.Array:
    return pc.binary_join_element_wise(prefix, pc.cast(pa.array(local), pa.string()), sep)


# --- one shard, step by step ---------------------------------------------------------------------------------
# Indices are into the shard: an article is 0..n-1, an entity a row of its entities table, and so on.

@dataclass
class _Articles:
    """Per article: its id, target length in characters and how many entities, events and claims it carries."""

    first: int  # the corpus number of the shard's first article
    n: int
    ids: pa.Array
    chars: np.ndarray
    n_ent: np.ndarray
    n_ev: np.ndarray
    n_cl: np.ndarray


@dataclass
class _Events:
    """Per event: its article, rank in the article, type and number of arguments; per argument: its event, role
    and the entity type that fills it."""

    art: np.ndarray
    local: np.ndarray
    type: np.ndarray
    n_args: np.ndarray
    arg_event: np.ndarray
    arg_role: np.ndarray
    arg_filler: np.ndarray


@dataclass
class _Claims:
    """Per claim: its article, rank in the article and whether the author makes it; the claims made by a claimer
    entity instead (indices into the claims) and the entity type of each claimer."""

    art: np.ndarray
    local: np.ndarray
    by_author: np.ndarray
    claimer: np.ndarray
    claimer_type: np.ndarray


@dataclass
class _Entities:
    """Per entity (sorted by article): its article, rank in the article and type (an index into ENTITY_TYPES);
    the entity of each argument and of each claimer."""

    art: np.ndarray
    local: np.ndarray
    code: np.ndarray
    arg_entity: np.ndarray
    claimer_entity: np.ndarray


@dataclass
class _Mentions:
    """Per mention: its entity, article, rank in the article and kind; per entity: its number of mentions and its
    first; the mention of each argument and of each claimer."""

    entity: np.ndarray
    art: np.ndarray
    local: np.ndarray
    kind: np.ndarray
    count: np.ndarray
    first: np.ndarray
    arg_mention: np.ndarray
    claimer_mention: np.ndarray


@dataclass
class _Layout:
    """The shard's tokens (vocabulary indices, article after article) and the position of each annotated one."""

    tokens: np.ndarray
    tok_start: np.ndarray  # per article: its first token
    n_tok: np.ndarray  # per article: its number of tokens
    tok_art: np.ndarray  # per token: its article
    m_pos: np.ndarray  # per mention: its token
    m_tok: np.ndarray  # per mention: its vocabulary index
    ev_pos: np.ndarray  # per event: its trigger token
    cue_pos: np.ndarray  # per claim made by a claimer: its cue token
    cl_first: np.ndarray  # per claim: the first and last tokens of its span
    cl_last: np.ndarray


@dataclass
class _Text:
    """The shard's text as one UTF-8 buffer and as a string per article, and where each token lies in it."""

    articles: pa.Array
    buf: np.ndarray
    out_off: np.ndarray  # per token: its byte offset in buf (and the end of buf, last)
    tb: np.ndarray  # per token: its length in bytes
    tc: np.ndarray  # per token: its length in code points
    tok_cp: np.ndarray  # per token: its code-point offset in its article

    def span(self, first_tok: np.ndarray, last_tok: np.ndarray) -> pa.StructArray:
        start = self.tok_cp[first_tok]
        end = self.tok_cp[last_tok] + self.tc[last_tok]
        txt = _slices(self.buf, self.out_off[first_tok], self.out_off[last_tok] + self.tb[last_tok])
        return pa.StructArray.from_arrays([pa.array(start, pa.int32()), pa.array(end, pa.int32()), txt], ["start", "end", "text"])


@dataclass
class _Plan:
    """Everything drawn for a shard before its tables are assembled."""

    arts: _Articles
    evs: _Events
    cls: _Claims
    ents: _Entities
    ments: _Mentions
    lay: _Layout
    text: _Text


class ShardBuilder:
    """Builds the four tables of one shard of articles, vectorised."""

    def __init__(self, contract, seed: int):
        self.contract = contract
        self.onto = contract.ontology["event_types"]
        self.event_types = list(self.onto)
        self.vocab = Vocab.build(self.event_types)
        self.varr, self.vcp, self.vbytes, self.vdata, self.voffs = self.vocab.arrays()
        self.seed = seed
        self.etype_code = {t: i for i, t in enumerate(ENTITY_TYPES)}
        # (event type, role) pairs and the filler types each allows
        self.roles = [(ev, role, fillers) for ev, spec in self.onto.items() for role, fillers in spec["roles"].items()]
        ev_w = {ev: 1.0 for ev in self.event_types}
        ev_w.update({"conflict.interfere": 6, "military.intervene": 6, "contact.statement": 5, "conflict.demonstrate": 4,
                     "conflict.attack": 2, "conflict.occupy": 2, "conflict.riot": 2, "contact.criticize": 2, "contact.demand": 2,
                     "contact.negotiate": 2, "diplomacy.join": 2, "justice.arrest": 2, "life.die": 2, "military.deploy": 2})
        self.event_weights = ev_w

    def build(self, shard: int, first: int, n: int) -> dict:
        """The tables of the `n` articles numbered from `first`. Every step draws from the shard's one random
        generator, in this order: reordering the steps changes every corpus."""
        rng = np.random.default_rng([self.seed, shard])
        arts = self._plan_articles(rng, first, n)
        evs = self._plan_events(rng, arts)
        cls = self._plan_claims(rng, arts)
        ents = self._plan_entities(rng, arts, evs, cls)
        ments = self._plan_mentions(rng, arts, ents)
        lay = self._lay_out(rng, arts, evs, cls, ents, ments)
        p = _Plan(arts, evs, cls, ents, ments, lay, self._write_text(rng, lay))
        articles = self._articles_table(rng, p)
        entities, e_ids, m_ids = self._entities_table(rng, p)
        events, v_ids = self._events_table(rng, p, e_ids, m_ids)
        claims = self._claims_table(rng, p, e_ids, m_ids, v_ids)
        return {"articles": articles, "entities": entities, "events": events, "claims": claims}

    # --- what each article holds

    def _plan_articles(self, rng, first: int, n: int) -> _Articles:
        ids = pc.binary_join_element_wise("syn", pc.utf8_lpad(pc.cast(pa.array(np.arange(n) + first), pa.string()), 7, "0"), "-")
        chars = np.clip(rng.lognormal(np.log(MEAN_CHARS) - 0.5 * 0.45**2, 0.45, n), 250, 20000)
        n_ent = np.maximum(1, rng.poisson(DENSITY["entities"] * chars))
        n_ev = np.maximum(1, rng.poisson(DENSITY["events"] * chars))
        n_cl = np.maximum(1, rng.poisson(DENSITY["claims"] * chars))
        return _Articles(first, n, ids, chars, n_ent, n_ev, n_cl)

    def _plan_events(self, rng, arts: _Articles) -> _Events:
        """A type per event, then for each argument a role of the type and an allowed filler type."""
        ev_art = np.repeat(np.arange(arts.n), arts.n_ev)
        ev_type = _sample(rng, self.event_weights, len(ev_art))
        n_args = _sample(rng, ARGUMENTS_PER_EVENT, len(ev_art)).astype(np.int64)
        role_of_type = {ev: list(spec["roles"].items()) for ev, spec in self.onto.items()}
        arg_ev = np.repeat(np.arange(len(ev_art)), n_args)
        arg_role, arg_ftype = self._roles(rng, ev_type[arg_ev], role_of_type)
        return _Events(ev_art, _rank_within(ev_art, arts.n), ev_type, n_args, arg_ev, arg_role, arg_ftype)

    def _roles(self, rng, ev_types: np.ndarray, role_of_type: dict):
        roles = np.empty(len(ev_types), dtype=object)
        ftypes = np.empty(len(ev_types), dtype=object)
        for ev, spec in role_of_type.items():
            sel = np.flatnonzero(ev_types == ev)
            if not len(sel):
                continue
            r = rng.integers(0, len(spec), len(sel))
            names = np.array([s[0] for s in spec], dtype=object)
            roles[sel] = names[r]
            for j, (_, fillers) in enumerate(spec):
                sub = sel[r == j]
                ftypes[sub] = np.array(fillers, dtype=object)[rng.integers(0, len(fillers), len(sub))]
        return roles.astype(str) if len(roles) else np.zeros(0, str), ftypes.astype(str) if len(ftypes) else np.zeros(0, str)

    def _plan_claims(self, rng, arts: _Articles) -> _Claims:
        """A claim is by the author, or by a claimer entity (of a claimer type) with a cue."""
        cl_art = np.repeat(np.arange(arts.n), arts.n_cl)
        by_author = rng.random(len(cl_art)) < BY_AUTHOR
        claimer_idx = np.flatnonzero(~by_author)
        cl_types = np.array(self.contract.claimer_types)[rng.integers(0, len(self.contract.claimer_types), len(claimer_idx))]
        return _Claims(cl_art, _rank_within(cl_art, arts.n), by_author, claimer_idx, cl_types)

    def _plan_entities(self, rng, arts: _Articles, evs: _Events, cls: _Claims) -> _Entities:
        """The entities the arguments and claimers need (two demands of a type in an article share an entity),
        then free ones up to the article's count (and one, in an article that needs none)."""
        n = arts.n
        dem_art = np.concatenate([evs.art[evs.arg_event], cls.art[cls.claimer]])
        dem_type = np.concatenate([evs.arg_filler, cls.claimer_type])
        dem_code = np.array([self.etype_code[t] for t in dem_type], dtype=np.int64) if len(dem_type) else np.zeros(0, np.int64)
        order = np.lexsort((dem_code, dem_art))
        key = dem_art[order] * 64 + dem_code[order]
        new_group = np.concatenate([[True], key[1:] != key[:-1]]) if len(key) else np.zeros(0, bool)
        grp = np.cumsum(new_group) - 1
        grp_start = np.flatnonzero(new_group)
        within = np.arange(len(key)) - grp_start[grp] if len(key) else np.zeros(0, np.int64)
        slot = within // 2
        # a demand entity is (group, slot); number them
        dent_key = grp * 100000 + slot
        uniq, dem_ent = np.unique(dent_key, return_inverse=True)
        dent_art = np.zeros(len(uniq), np.int64)
        dent_code = np.zeros(len(uniq), np.int64)
        dent_art[dem_ent] = dem_art[order]
        dent_code[dem_ent] = dem_code[order]
        per_art_dem = np.bincount(dent_art, minlength=n)
        n_free = np.maximum(arts.n_ent - per_art_dem, np.where(per_art_dem == 0, 1, 0))
        free_art = np.repeat(np.arange(n), n_free)
        free_code = np.array([self.etype_code[t] for t in _sample(rng, ENTITY_TYPES, len(free_art))], dtype=np.int64)
        e_art = np.concatenate([dent_art, free_art])
        e_code = np.concatenate([dent_code, free_code])
        e_order = np.argsort(e_art, kind="stable")
        e_art, e_code = e_art[e_order], e_code[e_order]
        inv = np.empty(len(e_order), np.int64)
        inv[e_order] = np.arange(len(e_order))
        dem_entity = np.empty(len(dem_art), np.int64)
        dem_entity[order] = inv[dem_ent]  # demand -> entity row
        n_arg = len(evs.arg_event)
        return _Entities(e_art, _rank_within(e_art, n), e_code, dem_entity[:n_arg], dem_entity[n_arg:])

    def _plan_mentions(self, rng, arts: _Articles, ents: _Entities) -> _Mentions:
        """Mentions per entity, the first one a name; an argument or claimer refers to one of its entity's."""
        n_e = len(ents.art)
        m_count = _sample(rng, MENTIONS_PER_ENTITY, n_e).astype(np.int64)
        m_ent = np.repeat(np.arange(n_e), m_count)
        m_art = ents.art[m_ent]
        m_kind = _sample(rng, MENTION_KINDS, len(m_ent))
        m_first = np.concatenate([[0], np.cumsum(m_count)[:-1]])
        m_kind[m_first] = "NAM"
        arg_ent, claimer_ent = ents.arg_entity, ents.claimer_entity
        arg_mention = m_first[arg_ent] + rng.integers(0, 1 << 30, len(arg_ent)) % m_count[arg_ent]
        claimer_mention = m_first[claimer_ent] + rng.integers(0, 1 << 30, len(claimer_ent)) % m_count[claimer_ent]
        return _Mentions(m_ent, m_art, _rank_within(m_art, arts.n), m_kind, m_count, m_first, arg_mention, claimer_mention)

    # --- the text

    def _lay_out(self, rng, arts: _Articles, evs: _Events, cls: _Claims, ents: _Entities, ments: _Mentions) -> _Layout:
        """Each mention, trigger and cue is one token at its own position; claims start at other positions."""
        n = arts.n
        cue_art = cls.art[cls.claimer]
        n_m = np.bincount(ments.art, minlength=n)
        n_cue = np.bincount(cue_art, minlength=n)
        slots = n_m + arts.n_ev + n_cue
        n_tok = np.maximum(np.ceil(arts.chars / 6.6).astype(np.int64), slots + arts.n_cl + 8)
        tok_start = np.concatenate([[0], np.cumsum(n_tok)[:-1]])
        T = int(n_tok.sum())
        tok_art = np.repeat(np.arange(n), n_tok)
        perm = np.lexsort((rng.random(T), tok_art))  # a random order of each article's token positions
        perm_local = perm - tok_start[tok_art]
        tokens = _pick(rng, self.vocab.index["filler"], T)

        def place(art, j):
            return tok_start[art] + perm_local[tok_start[art] + j]

        m_pos = place(ments.art, ments.local)
        m_tok = self._mention_tokens(rng, ents, ments)
        tokens[m_pos] = m_tok
        ev_pos = place(evs.art, n_m[evs.art] + evs.local)
        tokens[ev_pos] = self._trigger_tokens(rng, evs.type)
        cue_pos = place(cue_art, n_m[cue_art] + arts.n_ev[cue_art] + _rank_within(cue_art, n))
        tokens[cue_pos] = _pick(rng, self.vocab.index["cue"], len(cue_pos))
        cl_first = place(cls.art, slots[cls.art] + cls.local)
        cl_len = rng.integers(4, 15, len(cls.art))
        cl_last = np.minimum(cl_first + cl_len - 1, tok_start[cls.art] + n_tok[cls.art] - 1)
        # a claim span neither starts nor ends with punctuation (GUIDELINES §1.1; injected faults also reuse
        # claim spans as mentions and triggers, which mention-punctuation-edge checks): a filler there with
        # a period, comma or quotation marks at its edge is written as a plain one
        edge = self.vocab.punctuated[tokens[np.concatenate([cl_first, cl_last])]]
        tokens[np.concatenate([cl_first, cl_last])[edge]] = self.vocab.index["filler"][0]
        return _Layout(tokens, tok_start, n_tok, tok_art, m_pos, m_tok, ev_pos, cue_pos, cl_first, cl_last)

    def _mention_tokens(self, rng, ents: _Entities, ments: _Mentions) -> np.ndarray:
        """Per mention, a word of its kind for its entity's type."""
        m_tok = np.empty(len(ments.art), np.int64)
        codes = np.array(list(ENTITY_TYPES))
        for kind in MENTION_KINDS:
            for c, t in enumerate(codes):
                sel = np.flatnonzero((ments.kind == kind) & (ents.code[ments.entity] == c))
                if len(sel):
                    m_tok[sel] = _pick(rng, self.vocab.index[(kind, t)], len(sel))
        return m_tok

    def _trigger_tokens(self, rng, ev_type: np.ndarray) -> np.ndarray:
        """Per event, a trigger word of its type."""
        ev_tok = np.empty(len(ev_type), np.int64)
        for t in self.event_types:
            sel = np.flatnonzero(ev_type == t)
            if len(sel):
                ev_tok[sel] = _pick(rng, self.vocab.index[("trigger", t)], len(sel))
        return ev_tok

    def _write_text(self, rng, lay: _Layout) -> _Text:
        """The tokens joined by a space, or by a line break after a sentence end, gathered with numpy."""
        tokens, tok_start, n_tok = lay.tokens, lay.tok_start, lay.n_tok
        T = len(tokens)
        last_in_art = np.zeros(T, bool)
        last_in_art[tok_start + n_tok - 1] = True
        ends_sentence = np.isin(tokens, np.flatnonzero(np.char.endswith(np.array(self.vocab.words), ".")))
        sep = np.where(last_in_art, 0, np.where(ends_sentence & (rng.random(T) < 0.3), 2, 1))  # 0 none, 1 space, 2 \n
        tb = self.vbytes[tokens]
        tc = self.vcp[tokens]
        out_len = tb + (sep > 0)
        out_off = np.concatenate([[0], np.cumsum(out_len)])
        total = int(out_off[-1])
        buf = np.empty(total, np.uint8)
        tok_of = np.repeat(np.arange(T), tb)
        within_b = np.arange(len(tok_of)) - np.repeat(np.cumsum(tb) - tb, tb)
        buf[out_off[:-1][tok_of] + within_b] = self.vdata[self.voffs[tokens][tok_of] + within_b]
        del tok_of, within_b
        has_sep = sep > 0
        buf[out_off[:-1][has_sep] + tb[has_sep]] = np.where(sep[has_sep] == 2, ord("\n"), ord(" ")).astype(np.uint8)
        text = _slices(buf, out_off[tok_start], out_off[tok_start + n_tok])
        cp_len = tc + (sep > 0)
        cp_off = np.concatenate([[0], np.cumsum(cp_len)])
        tok_cp = cp_off[:-1] - cp_off[tok_start][lay.tok_art]  # code-point start of each token in its article
        return _Text(text, buf, out_off, tb, tc, tok_cp)

    # --- the tables

    def _provenance(self, k: int) -> dict:
        return {"annotator": pa.array([ANNOTATOR] * k), "status": pa.array(["gold"] * k), "origin": pa.array(["import"] * k),
                "source_ref": pa.array([f"synth:seed={self.seed}"] * k), "updated_at": pa.array([NOW] * k)}

    def _articles_table(self, rng, p: _Plan) -> pa.Table:
        n, aids, text = p.arts.n, p.arts.ids, p.text.articles
        offsets = np.frombuffer(text.buffers()[1], dtype=np.int32)[: n + 1]
        tbytes = np.frombuffer(text.buffers()[2], dtype=np.uint8)
        sha = [hashlib.sha256(tbytes[offsets[i]:offsets[i + 1]]).hexdigest() for i in range(n)]
        split = _sample(rng, SPLITS, n)
        day = rng.integers(0, 365 * 3, n)
        published = pc.strftime(pa.array((np.datetime64("2020-01-01") + day).astype("datetime64[s]")), format="%Y-%m-%d")
        none = pa.nulls(n, pa.string())
        return pa.table({
            "id": aids, "title": pc.binary_join_element_wise("Synthetic article", aids, " "), "text": text,
            "text_sha256": pa.array(sha, pa.string()), "language": pa.array(["en"] * n), "original_language": none,
            "translation": none, "published": published, "publisher": pa.array(["Synthetic Wire"] * n), "author": none,
            "url": pc.binary_join_element_wise("https://example.org/news", aids, "/"), "license": pa.array(["CC-BY-4.0"] * n),
            "split": pa.array(split), "source_ref": pa.array([f"synth:seed={self.seed}"] * n), "updated_at": pa.array([NOW] * n)})

    def _entities_table(self, rng, p: _Plan) -> tuple[pa.Table, pa.Array, pa.Array]:
        """The entities table, and the ids of the entities and of the mentions."""
        ents, ments, m_pos, tok_cp, tc = p.ents, p.ments, p.lay.m_pos, p.text.tok_cp, p.text.tc
        n_e = len(ents.art)
        e_aid = p.arts.ids.take(pa.array(ents.art))
        e_ids = _ids(e_aid, "/E", ents.local + 1)
        m_aid = p.arts.ids.take(pa.array(ments.art))
        m_ids = _ids(m_aid, "/M", ments.local + 1)
        m_text = self.varr.take(pa.array(p.lay.m_tok))
        mstruct = pa.StructArray.from_arrays(
            [m_ids, pa.array(tok_cp[m_pos], pa.int32()), pa.array(tok_cp[m_pos] + tc[m_pos], pa.int32()), m_text, pa.array(ments.kind)],
            ["id", "start", "end", "text", "kind"])
        m_offsets = pa.array(np.concatenate([[0], np.cumsum(ments.count)]).astype(np.int32))
        e_type = pa.array(np.array(list(ENTITY_TYPES))[ents.code])
        entities = pa.table({"id": e_ids, "article_id": e_aid, "type": e_type, "name": m_text.take(pa.array(ments.first)),
                             "wikidata": self._wikidata(rng, p.arts, ents), "mentions": pa.ListArray.from_arrays(m_offsets, mstruct),
                             "event_ids": empty_lists(n_e, pa.string()),
                             **self._provenance(n_e)})
        return entities, e_ids, m_ids

    @staticmethod
    def _wikidata(rng, arts: _Articles, ents: _Entities) -> pa.Array:
        """A share of the entities of some types has a Wikidata id, one no other entity of the corpus has."""
        n_e = len(ents.art)
        wd_share = np.array([WIKIDATA_SHARE.get(t, 0.0) for t in ENTITY_TYPES])
        has_wd = rng.random(n_e) < wd_share[ents.code]
        qnum = 1 + ents.code + 20 * ((ents.art * 7919 + arts.first * 31 + ents.local) % 100000)
        wikidata = pa.array(np.char.add("Q", qnum.astype(str)), pa.string()).filter(pa.array(has_wd))
        wd_full = pa.array([None] * n_e, pa.string())
        return pc.replace_with_mask(wd_full, pa.array(has_wd), wikidata) if has_wd.any() else wd_full

    def _events_table(self, rng, p: _Plan, e_ids: pa.Array, m_ids: pa.Array) -> tuple[pa.Table, pa.Array]:
        """The events table, and the ids of the events."""
        evs = p.evs
        v_aid = p.arts.ids.take(pa.array(evs.art))
        v_ids = _ids(v_aid, "/V", evs.local + 1)
        astruct = pa.StructArray.from_arrays([pa.array(evs.arg_role, pa.string()), e_ids.take(pa.array(p.ents.arg_entity)),
                                              m_ids.take(pa.array(p.ments.arg_mention))], ["role", "entity_id", "mention_id"])
        a_offsets = pa.array(np.concatenate([[0], np.cumsum(evs.n_args)]).astype(np.int32))
        n_v = len(evs.art)
        years = 2020 + rng.integers(0, 3, n_v)
        months = rng.integers(1, 13, n_v)
        tstr = np.char.add(np.char.add(years.astype(str), "-"), np.char.zfill(months.astype(str), 2))
        time = pa.array(np.where(rng.random(n_v) < TIME_SET, tstr, None).tolist(), pa.string())
        events = pa.table({"id": v_ids, "article_id": v_aid, "type": pa.array(evs.type), "trigger": p.text.span(p.lay.ev_pos, p.lay.ev_pos),
                           "arguments": pa.ListArray.from_arrays(a_offsets, astruct), "realis": pa.array(_sample(rng, REALIS, n_v)),
                           "polarity": pa.array(np.where(rng.random(n_v) < 0.95, "positive", "negative")), "time": time,
                           **self._provenance(n_v)})
        return events, v_ids

    def _claims_table(self, rng, p: _Plan, e_ids: pa.Array, m_ids: pa.Array, v_ids: pa.Array) -> pa.Table:
        cls, n_e = p.cls, len(p.ents.art)
        n_c = len(cls.art)
        c_aid = p.arts.ids.take(pa.array(cls.art))
        quote = np.array(["none"] * n_c, dtype=object)
        quote[cls.claimer] = _sample(rng, QUOTE_NOT_BY_AUTHOR, len(cls.claimer))
        mask = pa.array(cls.by_author)
        cl_ent_full = np.zeros(n_c, np.int64)
        cl_ent_full[cls.claimer] = p.ents.claimer_entity
        cl_men_full = np.zeros(n_c, np.int64)
        cl_men_full[cls.claimer] = p.ments.claimer_mention
        claimer = pa.StructArray.from_arrays([e_ids.take(pa.array(cl_ent_full)) if n_e else pa.nulls(n_c, pa.string()),
                                              m_ids.take(pa.array(cl_men_full)) if len(m_ids) else pa.nulls(n_c, pa.string())],
                                             ["entity_id", "mention_id"], mask=mask)
        cue_full = np.zeros(n_c, np.int64)
        cue_full[cls.claimer] = p.lay.cue_pos
        cue = p.text.span(cue_full, cue_full)
        cue = pa.StructArray.from_arrays([cue.field(i) for i in range(3)], ["start", "end", "text"], mask=mask)
        event_ids = self._claim_events(rng, p, v_ids)
        checkworthy = pa.array((rng.random(n_c) < CHECKWORTHY).tolist(), pa.bool_())
        return pa.table({"id": _ids(c_aid, "/C", cls.local + 1), "article_id": c_aid, "span": p.text.span(p.lay.cl_first, p.lay.cl_last),
                         "claimer": claimer, "by_author": pa.array(cls.by_author), "cue": cue, "quote": pa.array(quote.tolist(), pa.string()),
                         "stance": pa.array(_sample(rng, STANCE, n_c)),
                         "topic": pc.binary_join_element_wise("claim about", self.varr.take(pa.array(p.lay.tokens[p.lay.cl_first])), " "),
                         "event_ids": event_ids, "checkworthy": checkworthy, **self._provenance(n_c)})

    @staticmethod
    def _claim_events(rng, p: _Plan, v_ids: pa.Array) -> pa.ListArray:
        """Per claim, a few events of its article: consecutive ones from a random one, wrapping around."""
        cl_art, n_ev = p.cls.art, p.arts.n_ev
        n_c = len(cl_art)
        k_ev = np.minimum(_sample(rng, EVENTS_PER_CLAIM, n_c).astype(np.int64), n_ev[cl_art])
        ev_first = np.concatenate([[0], np.cumsum(n_ev)[:-1]])
        ce_claim = np.repeat(np.arange(n_c), k_ev)
        ce_j = _rank_within(ce_claim, n_c)
        r0 = rng.integers(0, 1 << 30, n_c)
        ce_event = ev_first[cl_art[ce_claim]] + (r0[ce_claim] + ce_j) % n_ev[cl_art[ce_claim]]
        return pa.ListArray.from_arrays(pa.array(np.concatenate([[0], np.cumsum(k_ev)]).astype(np.int32)), v_ids.take(pa.array(ce_event)))


# --- writing -----------------------------------------------------------------------------------------------

@dataclass
class SynthResult:
    root: Path
    articles: int
    records: dict  # table -> rows written
    faults: list  # manifest entries
    seconds: float = 0.0

    @property
    def expected(self) -> list:
        return [tuple(f) for entry in self.faults for f in entry["expected"]]


def generate(out: Path, articles: int, faults: float = 0.0, seed: int = 0, shard_rows: int = 25000,
             unreadable: bool = False, schema_from: Path | None = None, progress=None) -> SynthResult:
    """Write a synthetic corpus root at `out` (which must not exist or be empty). See the module docstring."""
    import time

    t0 = time.perf_counter()
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out}: exists and is not empty")
    src = Path(schema_from) if schema_from else Path(__file__).resolve().parents[3] / "schema"
    shutil.copytree(src, out / "schema")
    contract = load_contract(out)
    builder = ShardBuilder(contract, seed)
    checks = injectable_checks()
    rng = np.random.default_rng([seed, 1 << 20])
    n_faults = int(round(faults * articles)) if faults else 0
    faulty = np.sort(rng.choice(articles, size=min(n_faults, articles // 2), replace=False)) if n_faults else np.zeros(0, np.int64)
    schemas = {t: relaxed(contract.arrow_schema(t)) for t in TABLES}
    for t in TABLES:
        table_location(out, t).mkdir(parents=True, exist_ok=True)
    counts = {t: 0 for t in TABLES}
    manifest: list = []
    n_shards = (articles + shard_rows - 1) // shard_rows
    for shard in range(n_shards):
        first = shard * shard_rows
        n = min(shard_rows, articles - first)
        tables = builder.build(shard, first, n)
        here = faulty[(faulty >= first) & (faulty < first + n)] - first
        if len(here):
            tables = apply_faults(tables, here, int(np.searchsorted(faulty, first)), checks, manifest, schemas)
        for t in TABLES:
            data = tables[t].cast(schemas[t]).sort_by([("id", "ascending")])
            pq.write_table(data, table_location(out, t) / f"part-{shard:05d}.parquet", **WRITE_OPTIONS)
            counts[t] += data.num_rows
        if progress:
            progress(min(first + n, articles))
    if unreadable:
        target = table_location(out, "entities") / "part-00000.parquet"
        data = target.read_bytes()
        target.write_bytes(data[: len(data) // 2])
        manifest = [{"check": "table-unreadable", "article": None, "expected": [["table-unreadable", "entities", None, None]]}]
    result = SynthResult(out, counts["articles"], counts, manifest, time.perf_counter() - t0)
    (out / "manifest.json").write_text(json.dumps({"articles": articles, "seed": seed, "faults_rate": faults, "shard_rows": shard_rows,
                                                    "records": counts, "not_injected": list(NOT_INJECTABLE) if not unreadable else [],
                                                    "faults": manifest}, indent=1) + "\n")
    return result
