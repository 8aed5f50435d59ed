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
must report. Two check ids cannot be stored in a Parquet table of the contract's schemas and are not
injected: `schema-structure` (the Arrow schema fixes fields and types; a file that breaks it is
`table-unreadable`) and `schema-other` (the schemas use no keyword the columnar engine does not compile).
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
        rng = np.random.default_rng([self.seed, shard])
        A = np.arange(n)
        aids = pc.binary_join_element_wise("syn", pc.utf8_lpad(pc.cast(pa.array(A + first), pa.string()), 7, "0"), "-")
        chars = np.clip(rng.lognormal(np.log(MEAN_CHARS) - 0.5 * 0.45**2, 0.45, n), 250, 20000)
        n_ent = np.maximum(1, rng.poisson(DENSITY["entities"] * chars))
        n_ev = np.maximum(1, rng.poisson(DENSITY["events"] * chars))
        n_cl = np.maximum(1, rng.poisson(DENSITY["claims"] * chars))

        # events and their arguments: type, then for each argument a role of the type and an allowed filler type
        ev_art = np.repeat(A, n_ev)
        ev_type = _sample(rng, self.event_weights, len(ev_art))
        n_args = _sample(rng, ARGUMENTS_PER_EVENT, len(ev_art)).astype(np.int64)
        role_of_type = {ev: list(spec["roles"].items()) for ev, spec in self.onto.items()}
        arg_ev = np.repeat(np.arange(len(ev_art)), n_args)
        arg_role, arg_ftype = self._roles(rng, ev_type[arg_ev], role_of_type)
        # claims: by the author, or by a claimer entity (a claimer type) with a cue
        cl_art = np.repeat(A, n_cl)
        by_author = rng.random(len(cl_art)) < BY_AUTHOR
        claimer_idx = np.flatnonzero(~by_author)
        cl_types = np.array(self.contract.claimer_types)[rng.integers(0, len(self.contract.claimer_types), len(claimer_idx))]

        # entities: those the arguments and claimers need (two demands share an entity), then free ones
        dem_art = np.concatenate([ev_art[arg_ev], cl_art[claimer_idx]])
        dem_type = np.concatenate([arg_ftype, cl_types])
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
        n_free = np.maximum(n_ent - per_art_dem, np.where(per_art_dem == 0, 1, 0))
        free_art = np.repeat(A, n_free)
        free_code = np.array([self.etype_code[t] for t in _sample(rng, ENTITY_TYPES, len(free_art))], dtype=np.int64)
        e_art = np.concatenate([dent_art, free_art])
        e_code = np.concatenate([dent_code, free_code])
        e_order = np.argsort(e_art, kind="stable")
        e_art, e_code = e_art[e_order], e_code[e_order]
        inv = np.empty(len(e_order), np.int64)
        inv[e_order] = np.arange(len(e_order))
        dem_entity = np.empty(len(dem_art), np.int64)
        dem_entity[order] = inv[dem_ent]  # demand -> entity row
        arg_ent = dem_entity[: len(arg_ev)]
        claimer_ent = dem_entity[len(arg_ev):]
        n_e = len(e_art)
        e_local = _rank_within(e_art, n)

        # mentions
        m_count = _sample(rng, MENTIONS_PER_ENTITY, n_e).astype(np.int64)
        m_ent = np.repeat(np.arange(n_e), m_count)
        m_art = e_art[m_ent]
        m_kind = _sample(rng, MENTION_KINDS, len(m_ent))
        m_first = np.concatenate([[0], np.cumsum(m_count)[:-1]])
        m_kind[m_first] = "NAM"
        m_local = _rank_within(m_art, n)
        arg_mention = m_first[arg_ent] + rng.integers(0, 1 << 30, len(arg_ent)) % m_count[arg_ent]
        claimer_mention = m_first[claimer_ent] + rng.integers(0, 1 << 30, len(claimer_ent)) % m_count[claimer_ent]

        # tokens: each mention, trigger and cue is one token at its own position; claims start at other positions
        n_m = np.bincount(m_art, minlength=n)
        n_cue = np.bincount(cl_art[claimer_idx], minlength=n)
        slots = n_m + n_ev + n_cue
        n_tok = np.maximum(np.ceil(chars / 6.6).astype(np.int64), slots + n_cl + 8)
        tok_start = np.concatenate([[0], np.cumsum(n_tok)[:-1]])
        T = int(n_tok.sum())
        tok_art = np.repeat(A, n_tok)
        perm = np.lexsort((rng.random(T), tok_art))  # a random order of each article's token positions
        perm_local = perm - tok_start[tok_art]
        tokens = _pick(rng, self.vocab.index["filler"], T)

        def place(art, j):
            return tok_start[art] + perm_local[tok_start[art] + j]

        m_pos = place(m_art, m_local)
        m_tok = np.empty(len(m_art), np.int64)
        codes = np.array(list(ENTITY_TYPES))
        for kind in MENTION_KINDS:
            for c, t in enumerate(codes):
                sel = np.flatnonzero((m_kind == kind) & (e_code[m_ent] == c))
                if len(sel):
                    m_tok[sel] = _pick(rng, self.vocab.index[(kind, t)], len(sel))
        tokens[m_pos] = m_tok
        ev_local = _rank_within(ev_art, n)
        ev_pos = place(ev_art, n_m[ev_art] + ev_local)
        ev_tok = np.empty(len(ev_art), np.int64)
        for t in self.event_types:
            sel = np.flatnonzero(ev_type == t)
            if len(sel):
                ev_tok[sel] = _pick(rng, self.vocab.index[("trigger", t)], len(sel))
        tokens[ev_pos] = ev_tok
        cue_art = cl_art[claimer_idx]
        cue_pos = place(cue_art, n_m[cue_art] + n_ev[cue_art] + _rank_within(cue_art, n))
        tokens[cue_pos] = _pick(rng, self.vocab.index["cue"], len(cue_pos))
        cl_local = _rank_within(cl_art, n)
        cl_first = place(cl_art, slots[cl_art] + cl_local)
        cl_len = rng.integers(4, 15, len(cl_art))
        cl_last = np.minimum(cl_first + cl_len - 1, tok_start[cl_art] + n_tok[cl_art] - 1)
        # a claim span neither starts nor ends with punctuation (GUIDELINES §1.1; injected faults also reuse
        # claim spans as mentions and triggers, which mention-punctuation-edge checks): a filler there with
        # a period, comma or quotation marks at its edge is written as a plain one
        edge = self.vocab.punctuated[tokens[np.concatenate([cl_first, cl_last])]]
        tokens[np.concatenate([cl_first, cl_last])[edge]] = self.vocab.index["filler"][0]

        # the text: tokens joined by a space, or by a line break after a sentence end
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
        art_boff = out_off[tok_start]
        art_bend = out_off[tok_start + n_tok]
        text = _slices(buf, art_boff, art_bend)
        cp_len = tc + (sep > 0)
        cp_off = np.concatenate([[0], np.cumsum(cp_len)])
        tok_cp = cp_off[:-1] - cp_off[tok_start][tok_art]  # code-point start of each token in its article

        def span(first_tok, last_tok):
            start = tok_cp[first_tok]
            end = tok_cp[last_tok] + tc[last_tok]
            txt = _slices(buf, out_off[first_tok], out_off[last_tok] + tb[last_tok])
            return pa.StructArray.from_arrays([pa.array(start, pa.int32()), pa.array(end, pa.int32()), txt], ["start", "end", "text"])

        # --- articles
        offsets = np.frombuffer(text.buffers()[1], dtype=np.int32)[: n + 1]
        tbytes = np.frombuffer(text.buffers()[2], dtype=np.uint8)
        sha = [hashlib.sha256(tbytes[offsets[i]:offsets[i + 1]]).hexdigest() for i in range(n)]
        split = _sample(rng, SPLITS, n)
        day = rng.integers(0, 365 * 3, n)
        published = pc.strftime(pa.array((np.datetime64("2020-01-01") + day).astype("datetime64[s]")), format="%Y-%m-%d")
        nulls = lambda k: pa.nulls(n, pa.string())  # noqa: E731
        articles = pa.table({
            "id": aids, "title": pc.binary_join_element_wise("Synthetic article", aids, " "), "text": text,
            "text_sha256": pa.array(sha, pa.string()), "language": pa.array(["en"] * n), "original_language": nulls(0),
            "translation": nulls(0), "published": published, "publisher": pa.array(["Synthetic Wire"] * n), "author": nulls(0),
            "url": pc.binary_join_element_wise("https://example.org/news", aids, "/"), "license": pa.array(["CC-BY-4.0"] * n),
            "split": pa.array(split), "source_ref": pa.array([f"synth:seed={self.seed}"] * n), "updated_at": pa.array([NOW] * n)})

        def prov(idx, k):
            return {"annotator": pa.array([ANNOTATOR] * k), "status": pa.array(["gold"] * k), "origin": pa.array(["import"] * k),
                    "source_ref": pa.array([f"synth:seed={self.seed}"] * k), "updated_at": pa.array([NOW] * k)}

        # --- entities
        e_aid = aids.take(pa.array(e_art))
        e_ids = _ids(e_aid, "/E", e_local + 1)
        m_aid = aids.take(pa.array(m_art))
        m_ids = _ids(m_aid, "/M", m_local + 1)
        m_text = self.varr.take(pa.array(m_tok))
        mstruct = pa.StructArray.from_arrays(
            [m_ids, pa.array(tok_cp[m_pos], pa.int32()), pa.array(tok_cp[m_pos] + tc[m_pos], pa.int32()), m_text, pa.array(m_kind)],
            ["id", "start", "end", "text", "kind"])
        m_offsets = pa.array(np.concatenate([[0], np.cumsum(m_count)]).astype(np.int32))
        e_type = pa.array(codes[e_code])
        wd_share = np.array([WIKIDATA_SHARE.get(t, 0.0) for t in codes])
        has_wd = rng.random(n_e) < wd_share[e_code]
        qnum = 1 + e_code + 20 * ((e_art * 7919 + first * 31 + e_local) % 100000)
        wikidata = pa.array(np.char.add("Q", qnum.astype(str)), pa.string()).filter(pa.array(has_wd))
        wd_full = pa.array([None] * n_e, pa.string())
        wd_full = pc.replace_with_mask(wd_full, pa.array(has_wd), wikidata) if has_wd.any() else wd_full
        entities = pa.table({"id": e_ids, "article_id": e_aid, "type": e_type, "name": m_text.take(pa.array(m_first)),
                             "wikidata": wd_full, "mentions": pa.ListArray.from_arrays(m_offsets, mstruct),
                             "event_ids": empty_lists(n_e, pa.string()),
                             **prov(None, n_e)})

        # --- events
        v_aid = aids.take(pa.array(ev_art))
        v_ids = _ids(v_aid, "/V", ev_local + 1)
        astruct = pa.StructArray.from_arrays([pa.array(arg_role, pa.string()), e_ids.take(pa.array(arg_ent)), m_ids.take(pa.array(arg_mention))],
                                             ["role", "entity_id", "mention_id"])
        a_offsets = pa.array(np.concatenate([[0], np.cumsum(n_args)]).astype(np.int32))
        n_v = len(ev_art)
        years = 2020 + rng.integers(0, 3, n_v)
        months = rng.integers(1, 13, n_v)
        tstr = np.char.add(np.char.add(years.astype(str), "-"), np.char.zfill(months.astype(str), 2))
        time = pa.array(np.where(rng.random(n_v) < TIME_SET, tstr, None).tolist(), pa.string())
        events = pa.table({"id": v_ids, "article_id": v_aid, "type": pa.array(ev_type), "trigger": span(ev_pos, ev_pos),
                           "arguments": pa.ListArray.from_arrays(a_offsets, astruct), "realis": pa.array(_sample(rng, REALIS, n_v)),
                           "polarity": pa.array(np.where(rng.random(n_v) < 0.95, "positive", "negative")), "time": time, **prov(None, n_v)})

        # --- claims
        n_c = len(cl_art)
        c_aid = aids.take(pa.array(cl_art))
        quote = np.array(["none"] * n_c, dtype=object)
        quote[claimer_idx] = _sample(rng, QUOTE_NOT_BY_AUTHOR, len(claimer_idx))
        mask = pa.array(by_author)
        cl_ent_full = np.zeros(n_c, np.int64)
        cl_ent_full[claimer_idx] = claimer_ent
        cl_men_full = np.zeros(n_c, np.int64)
        cl_men_full[claimer_idx] = claimer_mention
        claimer = pa.StructArray.from_arrays([e_ids.take(pa.array(cl_ent_full)) if n_e else pa.nulls(n_c, pa.string()),
                                              m_ids.take(pa.array(cl_men_full)) if len(m_ids) else pa.nulls(n_c, pa.string())],
                                             ["entity_id", "mention_id"], mask=mask)
        cue_full = np.zeros(n_c, np.int64)
        cue_full[claimer_idx] = cue_pos
        cue = span(cue_full, cue_full)
        cue = pa.StructArray.from_arrays([cue.field(i) for i in range(3)], ["start", "end", "text"], mask=mask)
        k_ev = np.minimum(_sample(rng, EVENTS_PER_CLAIM, n_c).astype(np.int64), n_ev[cl_art])
        ev_first = np.concatenate([[0], np.cumsum(n_ev)[:-1]])
        ce_claim = np.repeat(np.arange(n_c), k_ev)
        ce_j = _rank_within(ce_claim, n_c)
        r0 = rng.integers(0, 1 << 30, n_c)
        ce_event = ev_first[cl_art[ce_claim]] + (r0[ce_claim] + ce_j) % n_ev[cl_art[ce_claim]]
        ev_ids_list = pa.ListArray.from_arrays(pa.array(np.concatenate([[0], np.cumsum(k_ev)]).astype(np.int32)), v_ids.take(pa.array(ce_event)))
        checkworthy = pa.array((rng.random(n_c) < CHECKWORTHY).tolist(), pa.bool_())
        claims = pa.table({"id": _ids(c_aid, "/C", cl_local + 1), "article_id": c_aid, "span": span(cl_first, cl_last),
                           "claimer": claimer, "by_author": pa.array(by_author), "cue": cue, "quote": pa.array(quote.tolist(), pa.string()),
                           "stance": pa.array(_sample(rng, STANCE, n_c)),
                           "topic": pc.binary_join_element_wise("claim about", self.varr.take(pa.array(tokens[cl_first])), " "),
                           "event_ids": ev_ids_list, "checkworthy": checkworthy, **prov(None, n_c)})
        return {"articles": articles, "entities": entities, "events": events, "claims": claims}

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


# --- faults ----------------------------------------------------------------------------------------------

NOT_INJECTABLE = ("schema-structure", "schema-other", "table-unreadable")
# the check ids inject() knows how to make (check ids added to findings.CHECKS later need an injector here)
INJECTORS = frozenset("""schema-null schema-enum schema-pattern schema-length schema-range schema-items id-duplicate
article-ref-unresolved entity-ref-unresolved mention-ref-unresolved mention-entity-mismatch event-ref-unresolved
reference-cross-article reference-status-mismatch span-out-of-bounds span-reversed span-text-mismatch span-whitespace-edge
text-sha256-mismatch text-not-normalized event-role-not-allowed event-argument-type-not-allowed span-multiple-entities
wikidata-multiple-clusters wikidata-type-conflict claimer-type-not-allowed claim-claimer-inconsistent annotation-duplicate
article-split-leak article-duplicate-text article-unannotated license-unknown""".split())


def injectable_checks() -> list[str]:
    from ..findings import CHECKS

    return [c.id for c in CHECKS.values() if c.level >= 1 and c.id in INJECTORS]


class _Article:
    """The records of one article as Python dicts, and helpers that add records to them."""

    def __init__(self, article, entities, events, claims):
        self.a, self.ents, self.evs, self.cls = article, entities, events, claims
        self.extra_articles: list = []
        self.aid = article["id"]
        self.prov = {k: entities[0][k] if entities else events[0][k] for k in ("annotator", "status", "origin", "source_ref", "updated_at")}

    @property
    def span_a(self):  # a trigger span: a single token no mention uses
        return dict(self.evs[0]["trigger"])

    @property
    def span_b(self):  # a claim span: starts where no mention, trigger or cue does
        return dict(self.cls[0]["span"])

    def entity(self, etype, sp, local="EF1", wikidata=None, aid=None, **prov):
        aid = aid or self.aid
        rec = {"id": f"{aid}/{local}", "article_id": aid, "type": etype, "name": sp["text"], "wikidata": wikidata,
               "mentions": [{"id": f"{aid}/M{local}", **sp, "kind": "NAM"}], "event_ids": [], **{**self.prov, **prov}}
        self.ents.append(rec)
        return rec

    def event(self, etype, trigger, arguments, local="VF1", **prov):
        rec = {"id": f"{self.aid}/{local}", "article_id": self.aid, "type": etype, "trigger": trigger, "arguments": arguments,
               "realis": "actual", "polarity": "positive", "time": None, **{**self.prov, **prov}}
        self.evs.append(rec)
        return rec

    def claim(self, sp, local="CF1", **kw):
        rec = {"id": f"{self.aid}/{local}", "article_id": self.aid, "span": sp, "claimer": None, "by_author": True, "cue": None,
               "quote": "none", "stance": "affirm", "topic": "an injected claim", "event_ids": [], "checkworthy": None, **self.prov}
        rec.update(kw)
        self.cls.append(rec)
        return rec

    def copy_article(self, suffix, **changes):
        rec = {**self.a, "id": f"{self.aid}-{suffix}", **changes}
        self.extra_articles.append(rec)
        return rec


def _arg(role, ent, mention_id=None):
    return {"role": role, "entity_id": ent["id"] if isinstance(ent, dict) else ent,
            "mention_id": mention_id or ent["mentions"][0]["id"]}


def inject(check: str, art: _Article, partner: _Article, fault_no: int) -> list:
    """Change `art` (and for two checks its `partner`, a clean article of the same shard) so that the validator
    reports exactly the returned findings, as [check, table, record, field]."""
    a, aid = art, art.aid
    if check == "schema-null":
        c = a.cls[0]
        c["topic"] = None
        return [[check, "claims", c["id"], "topic"]]
    if check == "schema-enum":
        c = a.cls[0]
        c["stance"] = "maybe"
        return [[check, "claims", c["id"], "stance"]]
    if check == "schema-pattern":
        c = a.cls[0]
        c["updated_at"] = "yesterday"
        return [[check, "claims", c["id"], "updated_at"]]
    if check == "schema-length":
        c = a.cls[0]
        c["topic"] = "x" * 201
        return [[check, "claims", c["id"], "topic"]]
    if check == "schema-range":
        c = a.cls[0]
        c["span"] = {**c["span"], "start": -1}
        return [[check, "claims", c["id"], "span.start"]]
    if check == "schema-items":
        e = a.entity("PER", a.span_a)
        e["mentions"] = []
        return [[check, "entities", e["id"], "mentions"]]
    if check == "id-duplicate":
        e = a.ents[0]
        e["mentions"].append({**e["mentions"][0], **a.span_a})
        return [[check, "entities", e["id"], "mentions[0]"], [check, "entities", e["id"], f"mentions[{len(e['mentions']) - 1}]"]]
    if check == "article-ref-unresolved":
        c = a.claim(a.span_a, article_id=f"{aid}-gone")
        return [[check, "claims", c["id"], "article_id"]]
    if check == "entity-ref-unresolved":
        e0 = a.ents[0]
        v = a.event("contact.meet", a.span_b, [_arg("participant", f"{aid}/EZZ", e0["mentions"][0]["id"])])
        return [[check, "events", v["id"], "arguments[0].entity_id"], ["mention-entity-mismatch", "events", v["id"], "arguments[0].mention_id"]]
    if check == "mention-ref-unresolved":
        e = a.entity("PER", a.span_a)
        v = a.event("contact.meet", a.span_b, [_arg("participant", e, f"{aid}/MZZ")])
        return [[check, "events", v["id"], "arguments[0].mention_id"]]
    if check == "mention-entity-mismatch":
        e = a.entity("PER", a.span_a)
        v = a.event("contact.meet", a.span_b, [_arg("participant", e, a.ents[0]["mentions"][0]["id"])])
        return [[check, "events", v["id"], "arguments[0].mention_id"]]
    if check == "event-ref-unresolved":
        c = a.claim(a.span_a, event_ids=[f"{aid}/VZZ"])
        return [[check, "claims", c["id"], "event_ids[0]"]]
    if check == "reference-cross-article":
        c = a.claim(a.span_a, event_ids=[partner.evs[0]["id"]])
        return [[check, "claims", c["id"], "event_ids[0]"]]
    if check == "reference-status-mismatch":
        c = a.claim(a.span_a, event_ids=[a.evs[0]["id"]], status="candidate")
        return [[check, "claims", c["id"], "event_ids[0]"]]
    if check == "span-out-of-bounds":
        n = len(a.a["text"])
        c = a.claim({"start": n - 2, "end": n + 5, "text": "xxxxxxx"})
        return [[check, "claims", c["id"], "span"]]
    if check == "span-reversed":
        c = a.claim({"start": 10, "end": 5, "text": "abcde"})
        return [[check, "claims", c["id"], "span"]]
    if check == "span-text-mismatch":
        sp = a.span_a
        c = a.claim({**sp, "text": "#" * (sp["end"] - sp["start"])})
        return [[check, "claims", c["id"], "span.text"]]
    if check == "span-whitespace-edge":
        sp, text = a.span_a, a.a["text"]
        start, end = (sp["start"] - 1, sp["end"]) if sp["start"] > 0 else (sp["start"], sp["end"] + 1)
        c = a.claim({"start": start, "end": end, "text": text[start:end]})
        return [[check, "claims", c["id"], "span.text"]]
    if check == "text-sha256-mismatch":
        a.a["text_sha256"] = hashlib.sha256(b"not this text").hexdigest()
        return [[check, "articles", aid, "text_sha256"]]
    if check == "text-not-normalized":
        a.a["text"] += "\r" if fault_no % 2 else " Cafe\u0301"
        a.a["text_sha256"] = hashlib.sha256(a.a["text"].encode()).hexdigest()
        return [[check, "articles", aid, "text"]]
    if check == "event-role-not-allowed":
        e = a.entity("PER", a.span_a)
        v = a.event("contact.meet", a.span_b, [_arg("victim", e)])
        return [[check, "events", v["id"], "arguments[0].role"]]
    if check == "event-argument-type-not-allowed":
        e = a.entity("DATE", a.span_a)
        v = a.event("contact.meet", a.span_b, [_arg("participant", e)])
        return [[check, "events", v["id"], "arguments[0].entity_id"]]
    if check == "span-multiple-entities":
        e0 = a.ents[0]
        sp = {k: e0["mentions"][0][k] for k in ("start", "end", "text")}
        e = a.entity("PER", sp)
        return [[check, "entities", min(e0["id"], e["id"]), "mentions"]]
    if check == "wikidata-multiple-clusters":
        q = f"Q{900000000 + fault_no}"
        e1 = a.entity("GPE", a.span_a, "EF1", wikidata=q)
        e2 = a.entity("GPE", a.span_b, "EF2", wikidata=q)
        return [[check, "entities", sorted([e1["id"], e2["id"]])[1], "wikidata"]]
    if check == "wikidata-type-conflict":
        q = f"Q{900000000 + fault_no}"
        e1 = a.entity("GPE", a.span_a, "EF1", wikidata=q)
        e2 = partner.entity("ORG", partner.span_a, "EF1", wikidata=q)
        return [[check, "entities", min(e1["id"], e2["id"]), "type"]]
    if check == "claimer-type-not-allowed":
        e = a.entity("DATE", a.span_a)
        c = a.claim(a.span_a, by_author=False, claimer={"entity_id": e["id"], "mention_id": e["mentions"][0]["id"]}, quote="indirect")
        return [[check, "claims", c["id"], "claimer.entity_id"]]
    if check == "claim-claimer-inconsistent":
        c = a.claim(a.span_a, quote="direct")
        return [[check, "claims", c["id"], "by_author"]]
    if check == "annotation-duplicate":
        v0 = a.evs[0]
        v = a.event(v0["type"], dict(v0["trigger"]), [])
        return [[check, "events", sorted([v0["id"], v["id"]])[1], "trigger"]]
    if check in ("article-split-leak", "article-duplicate-text"):
        other = {"train": "test", "validation": "train", "test": "train"}[a.a["split"]] if check == "article-split-leak" else a.a["split"]
        copy = a.copy_article("leak" if check == "article-split-leak" else "dup", split=other)
        a.entity("PER", a.span_a, "E1", aid=copy["id"])
        return [[check, "articles", min(aid, copy["id"]), "split" if check == "article-split-leak" else "text"]]
    if check == "article-unannotated":
        text = f"An article about {aid} that nobody has annotated yet."
        copy = a.copy_article("bare", text=text, text_sha256=hashlib.sha256(text.encode()).hexdigest())
        return [[check, "articles", copy["id"], None]]
    if check == "license-unknown":
        a.a["license"] = "unknown"
        return [[check, "articles", aid, "license"]]
    raise ValueError(f"no fault injector for check {check}")


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
            tables = _apply_faults(tables, here, int(np.searchsorted(faulty, first)), checks, manifest, schemas)
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


def _apply_faults(tables: dict, local_idx: np.ndarray, rank0: int, checks: list, manifest: list, schemas: dict) -> dict:
    """Edit the faulty articles (and their partners) as Python records, then put them back."""
    arts = tables["articles"]
    n = arts.num_rows
    taken = set(local_idx.tolist())
    partners = {}
    free = (i for i in range(n) if i not in taken)
    for i in local_idx.tolist():
        partners[i] = next(free, None)
        taken.add(partners[i])
    touched = sorted(taken - {None})
    ids = arts["id"].take(pa.array(touched))
    rows = {}
    for t in TABLES:
        data = tables[t]
        key = data["id"] if t == "articles" else data["article_id"]
        mask = pc.is_in(key, value_set=ids)
        recs = data.filter(mask).to_pylist()
        tables[t] = data.filter(pc.invert(mask))
        rows[t] = recs
    by_art = {aid: {t: [] for t in TABLES} for aid in ids.to_pylist()}
    for t in TABLES:
        for r in rows[t]:
            by_art[r["id"] if t == "articles" else r["article_id"]][t].append(r)
    view = {aid: _Article(d["articles"][0], d["entities"], d["events"], d["claims"]) for aid, d in by_art.items()}
    aid_of = dict(zip(touched, ids.to_pylist()))
    for j, i in enumerate(local_idx.tolist()):
        fault_no = rank0 + j  # the k-th fault of the corpus checks the k-th check id, in turn
        check = checks[fault_no % len(checks)]
        art = view[aid_of[i]]
        partner = view[aid_of[partners[i]]] if partners[i] is not None else art
        expected = inject(check, art, partner, fault_no)
        manifest.append({"check": check, "article": art.aid, "expected": expected})
    new = {t: [] for t in TABLES}
    for v in view.values():
        new["articles"] += [v.a, *v.extra_articles]
        new["entities"] += v.ents
        new["events"] += v.evs
        new["claims"] += v.cls
    for t in TABLES:
        tables[t] = pa.concat_tables([tables[t].cast(schemas[t]), pa.Table.from_pylist(new[t], schema=schemas[t])])
    return tables
