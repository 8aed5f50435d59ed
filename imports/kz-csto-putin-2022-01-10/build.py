#!/usr/bin/env python3
"""Build the gold annotation of seed 000_9c67a65024abf471.txt (article kz-csto-putin-2022-01-10).

Run with the project interpreter:

    /work/main/.venv/bin/python imports/kz-csto-putin-2022-01-10/build.py

It writes articles.jsonl, entities.jsonl, events.jsonl and claims.jsonl next to itself and then
runs a self-check (JSON Schema validation with the x-ontology enums injected, offsets, ids,
roles, claimers, references).  It exits non-zero if any check fails.

How spans are located
---------------------
Every span is given as its text plus, where the text is not unique, a *context*: a longer
string that occurs exactly once in the article and contains the span.  `loc()` finds the
context, then the n-th whole-word occurrence of the span inside it, and returns code-point
offsets (Python str indices).  Without a context the n-th whole-word occurrence in the whole
article is used.  Every span is asserted to equal text[start:end].

The annotation decisions are documented inline (comments) and in schema/GUIDELINES.md.
"""
from __future__ import annotations

import hashlib
import json
import re
import sys
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent                      # /work/main
SCHEMA_DIR = ROOT / "schema"
SEED = Path("/work/shared/seeds/000_9c67a65024abf471.txt")

ARTICLE_ID = "kz-csto-putin-2022-01-10"
SOURCE_REF = "seed:000_9c67a65024abf471.txt"
UPDATED_AT = "2026-11-28T00:00:00Z"
PROV = {"annotator": "gold-seed", "status": "gold", "origin": "import",
        "source_ref": SOURCE_REF, "updated_at": UPDATED_AT}

with open(SEED, encoding="utf-8", newline="") as fh:
    TEXT = fh.read()
assert hashlib.sha256(TEXT.encode("utf-8")).hexdigest() == \
    "53c092cebc3b8a954517f9a35ddb7db1d14f9c9215a6140d5dc4f3ee108ea6e8"
assert len(TEXT) == 5129 and unicodedata.is_normalized("NFC", TEXT)


# ------------------------------------------------------------------------------------------------
# span location
# ------------------------------------------------------------------------------------------------
def _word_re(s: str) -> re.Pattern:
    # whole-word match: the span is not glued to a letter or digit on either side
    return re.compile(r"(?<![^\W_])" + re.escape(s) + r"(?![^\W_])")


def loc(s: str, n: int = 1, ctx: str | None = None) -> tuple[int, int]:
    """Offsets of the n-th whole-word occurrence of s (inside the unique context ctx, if given)."""
    base, hay = 0, TEXT
    if ctx is not None:
        count = TEXT.count(ctx)
        assert count == 1, f"context {ctx!r} occurs {count} times"
        base = TEXT.index(ctx)
        hay = ctx
    hits = [m.start() for m in _word_re(s).finditer(hay)]
    if ctx is not None:
        # a hit at the edge of the context must also be a whole word in the full text
        hits = [h for h in hits if _word_re(s).match(TEXT, base + h)]
    assert len(hits) >= n, f"{s!r} occurrence {n} not found (ctx={ctx!r}); hits={len(hits)}"
    start = base + hits[n - 1]
    end = start + len(s)
    assert TEXT[start:end] == s
    return start, end


def sub(s: str) -> tuple[int, int]:
    """Offsets of a long literal (claims): must occur exactly once, no word-boundary check."""
    count = TEXT.count(s)
    assert count == 1, f"{s!r} occurs {count} times"
    start = TEXT.index(s)
    return start, start + len(s)


def span_obj(se: tuple[int, int]) -> dict:
    s, e = se
    return {"start": s, "end": e, "text": TEXT[s:e]}


# ------------------------------------------------------------------------------------------------
# ENTITIES
# Each entity: (key, type, canonical name, wikidata or None, [mentions])
# Each mention: (text, kind, ctx)  -- ctx None => the text is unique in the article (whole word)
#               or (text, kind, ctx, n) for the n-th occurrence inside ctx / the article.
# Span rule (see GUIDELINES.md): NAM = the name; NOM = pre-modifiers + head noun, without
# leading determiners/possessives and without post-modifiers; PRO = the pronoun token.
# Titles before a name are a separate NOM mention.  Nested mentions are allowed only when the
# inner span refers to a *different* entity and is not inside a fixed proper name.
# ------------------------------------------------------------------------------------------------
ENTITIES = [
    # --- people ----------------------------------------------------------------------------------
    ("PUTIN", "PER", "Vladimir Putin", "Q7747", [
        ("Vladimir Putin", "NAM", None),
        ("he", "PRO", "victory he has reaped"),
        ("him", "PRO", "for him, given"),
        # "the Russian" (o russo) = Putin throughout; a nominal, span without "the"
        ("Russian", "NOM", "ultimatum that the Russian made"),
        ("his", "PRO", "presenting his terms"),
        ("Russian president", "NOM", "The Russian president, after"),
        ("his", "PRO", "from his miniature version"),
        ("his", "PRO", "in his most important neighbor"),
        ("he", "PRO", "And he spoke like"),
        ("Russian", "NOM", "said the Russian. to the leaders"),
        ("Putin", "NAM", "everything Putin has done"),
        ("his", "PRO", "depth to his borders"),
        ("himself", "PRO", "surround himself"),
        # garbled: "[The] Russian could hardly be clearer. It [= Ele, he] has resurrected ..."
        ("Russian", "NOM", "Russian could hardly be clearer"),
        ("It", "PRO", "It has resurrected"),
        ("Putin", "NAM", "Putin’s speech"),
        ("Putin", "NAM", "Putin, speaking imperially"),
        ("Russian", "NOM", "situation,” said the Russian"),
        ("Putin", "NAM", "the fact that Putin got"),
        ("he", "PRO", "what he wanted"),
        ("Russian", "NOM", "to help the Russian"),
        ("Russian president", "NOM", "remains: the Russian president saw"),
        ("his", "PRO", "saw his delegation"),
        ("Putin", "NAM", "everything Putin, who spent"),
        ("who", "PRO", "Putin, who spent"),
        ("He", "PRO", "He wants to be feared"),
        ("Putin", "NAM", "Kazakhstan, Putin is wearing"),
    ]),
    ("TOKAYEV", "PER", "Kassym-Jomart Tokayev", None, [
        ("Kazakh President", "NOM", "Kazakh President Kassim-Jomart"),   # title: separate NOM
        ("Kassim-Jomart Tokayev", "NAM", None),                          # garbled spelling kept
        ("autocrat", "NOM", "according to the autocrat who"),
        ("who", "PRO", "autocrat who has led"),
        ("he", "PRO", "On Monday, he also declared"),
        ("he", "PRO", "returned,” he said"),
        ("Tokaev", "NAM", None),                                         # variant spelling
        ("him", "PRO", "coup against him"),
    ]),
    ("BLINKEN", "PER", "Antony Blinken", None, [          # QID not verified -> null
        ("Secretary of State", "NOM", None),
        ("Antony Blinken", "NAM", None),
    ]),
    ("BIDEN", "PER", "Joe Biden", "Q6279", [
        ("Joe Biden", "NAM", None),                          # nested in "Joe Biden government"
    ]),
    # the former chief of the National Security Committee (KNB), arrested in January 2022
    ("INTEL_CHIEF", "PER", "Karim Massimov", None, [
        ("former intelligence chief", "NOM", None),
    ]),
    ("OTHERS_ARRESTED", "PER", "other officials arrested with the former intelligence chief", None, [
        ("others", "NOM", "chief and others were arrested"),
    ]),
    ("LEADERS", "PER", "leaders of the other five CSTO member states", None, [
        ("leaders", "NOM", "to the leaders of the other"),
    ]),
    ("CITIZENS", "PER", "citizens of Kazakhstan", None, [
        ("citizens", "NOM", "repressing citizens"),
    ]),
    ("MERCENARIES", "PER", "mercenaries in Syria", None, [
        ("mercenaries", "NOM", None),
    ]),
    ("TERRORISTS", "PER", "terrorists sought by the Kazakh authorities", None, [
        ("terrorists", "NOM", None),
    ]),
    ("CONSPIRACY_THEORISTS", "PER", "conspiracy theorists", None, [
        ("conspiracy theorists", "NOM", None),
    ]),

    # --- organisations -----------------------------------------------------------------------
    # CSO / CTO / SCOT / "Collective Security Treaty Organization" = the CSTO (translation garble)
    ("CSTO", "ORG", "Collective Security Treaty Organization", None, [   # QID not verified -> null
        ("miniature version", "NOM", "his miniature version of NATO"),
        ("CSO", "NAM", None),
        ("Collective Security Treaty Organization", "NAM", None),
        ("CTO", "NAM", "taken by the CTO"),
        ("military alliance", "NOM", None),
        ("SCOT", "NAM", None),
        ("it", "PRO", "it managed to put"),
        ("CTO", "NAM", "CTO troops"),                     # nested in "CTO troops" (other entity)
    ]),
    ("CSTO_FORCE", "ORG", "CSTO Collective Peacekeeping Forces in Kazakhstan", None, [
        ("troops", "NOM", "intervening with troops from"),
        ("foreign troops", "NOM", None),
        ("CTO troops", "NOM", None),
    ]),
    ("RU_TROOPS_UKR", "ORG", "Russian troops massed near Ukraine", None, [
        ("troops", "NOM", "placing troops close"),
    ]),
    ("RU_FORCES", "ORG", "Russian armed forces", None, [
        ("Russian forces", "NOM", None),
    ]),
    ("NATO", "ORG", "NATO", "Q7184", [
        ("NATO", "NAM", "miniature version of NATO"),
        ("NATO", "NAM", "access NATO"),
        ("NATO", "NAM", "US and NATO"),
    ]),
    ("EU", "ORG", "European Union", "Q458", [
        ("European Union", "NAM", None),
    ]),
    ("WESTERN_CLUBS", "ORG", "Western organisations (NATO, EU)", None, [
        ("Western clubs", "NOM", None),
    ]),
    ("CPSU", "ORG", "Communist Party of the Soviet Union", None, [   # name is atomic (no nesting)
        ("Communist Party of the Soviet Union", "NAM", None),
    ]),
    # "the Kremlin" acts and wants: the Russian presidency (metonymy), typed ORG
    ("KREMLIN", "ORG", "Kremlin (Russian presidency)", None, [
        ("Kremlin", "NAM", None),
        ("which", "PRO", "Kremlin, which did"),
        # "his image there" = sua imagem: the Kremlin's image (PT possessive garbled as "his")
        ("his", "PRO", "his image there"),
    ]),
    ("KNB", "ORG", "National Security Committee of Kazakhstan", None, [
        ("intelligence", "NOM", "former intelligence chief"),   # nested: chief of the service
    ]),
    ("FORCES", "ORG", "destructive internal and external forces", None, [
        ("destructive internal and external forces", "NOM", None),
        ("that", "PRO", "forces that took advantage"),
    ]),
    ("DELEGATION", "ORG", "Russian delegation to the Geneva talks", None, [
        ("delegation", "NOM", "his delegation disembark"),
    ]),
    ("BIDEN_GOV", "ORG", "Biden administration", None, [
        ("Joe Biden government", "NOM", None),
    ]),

    # --- geo-political entities ----------------------------------------------------------------
    ("KAZAKHSTAN", "GPE", "Kazakhstan", "Q232", [
        ("Kazakhstan", "NAM", "national revolt in Kazakhstan"),
        ("most important neighbor", "NOM", None),
        ("Kazakhstan", "NAM", "Belarus and now Kazakhstan"),
        ("Kazakh", "NAM", "the Kazakh crisis"),            # nested in the EVENT name
        ("country", "NOM", "3,000 men in the country"),
        ("Kazakh", "NAM", "Kazakh President"),             # nested in Tokayev's title
        ("country", "NOM", "strategic assets for the country"),
        ("major hydrocarbon producer", "NOM", None),       # appositive
        ("world leader", "NOM", "world leader in uranium"),  # appositive
        ("neighboring country", "NOM", None),
        ("there", "PRO", "his image there"),
        ("country", "NOM", "has led the country"),
        ("country", "NOM", "continues in the country"),
        ("country", "NOM", "across the country"),
        ("Kazakh state", "NOM", None),                     # no nested "Kazakh": same entity
        ("Kazakhstan", "NAM", "CTO troops in Kazakhstan"),
        ("Kazakhstan", "NAM", "Kyrgyzstan and Kazakhstan"),
    ]),
    ("RUSSIA", "GPE", "Russia", "Q159", [
        ("Russian", "NAM", "The Russian president, after"),   # nested in a Putin mention
        ("Russian", "NAM", "by the Russian elite"),            # nested in the NORP mention
        ("Russian", "NAM", "basically Russian operation"),
        ("Russian", "NAM", "see Russian forces"),              # nested in the ORG mention
        ("Russian", "NAM", "because Russian public opinion"),
        ("Russian", "NAM", "remains: the Russian president"),  # nested in a Putin mention
        ("its", "PRO", "on its southeastern flank"),
    ]),
    # "the West" (o Ocidente): the Western states acting as a political bloc -> GPE
    ("WEST", "GPE", "the West (Western countries)", None, [
        ("West", "NAM", "to the West by"),
        ("Western", "NAM", "Western clubs"),                   # nested in the ORG mention
        ("West", "NAM", "in the West as"),
    ]),
    ("UKRAINE", "GPE", "Ukraine", "Q212", [
        ("Ukraine", "NAM", "close to Ukraine"),
        ("Ukraine", "NAM", "like Ukraine."),
        ("Ukrainian", "NAM", "the Ukrainian case"),
        ("Ukraine", "NAM", "the Ukraine crisis"),              # nested in the EVENT name
    ]),
    ("GEORGIA", "GPE", "Georgia", "Q230", [
        ("Georgia", "NAM", None),
    ]),
    ("GE_UA", "GPE", "Georgia and Ukraine", None, [
        ("last two ex-Soviet countries", "NOM", None),
        ("they", "PRO", "as they would have liked"),
        ("they", "PRO", "as they have part"),
        ("their", "PRO", "their territories"),
    ]),
    ("BELARUS", "GPE", "Belarus", "Q184", [
        ("Belarus", "NAM", "like Belarus and now"),
        ("Belarus", "NAM", "such as Belarus and Armenia"),
        ("Belarus", "NAM", "allies in Belarus"),
    ]),
    ("ARMENIA", "GPE", "Armenia", "Q399", [("Armenia", "NAM", None)]),
    ("KYRGYZSTAN", "GPE", "Kyrgyzstan", "Q813", [("Kyrgyzstan", "NAM", None)]),
    ("SYRIA", "GPE", "Syria", "Q858", [
        ("Syria", "NAM", None),
        ("where", "PRO", "Syria, where"),
    ]),
    ("MOSCOW", "GPE", "Moscow", "Q649", [("Moscow", "NAM", None)]),          # metonymy kept as city
    ("KYIV", "GPE", "Kyiv", "Q1899", [("Kiev", "NAM", None)]),
    ("TBILISI", "GPE", "Tbilisi", "Q994", [("Tbilisi", "NAM", None)]),
    ("GENEVA", "GPE", "Geneva", "Q71", [("Geneva", "NAM", None)]),
    ("US", "GPE", "United States", "Q30", [
        ("US", "NAM", "talks with the US"),
        ("US", "NAM", "issued by the US"),
    ]),
    ("ALMATY", "GPE", "Almaty", "Q35493", [
        ("most city", "NOM", None),        # garbled "maior cidade" = largest city
        ("Almati", "NAM", None),
        ("which", "PRO", "Almati, which was"),
        ("Alma-Ata", "NAM", None),
    ]),
    ("USSR", "GPE", "Soviet Union", "Q15180", [
        ("Soviet", "NAM", "in Soviet times"),   # nested in the DATE "Soviet times"
    ]),
    ("MEMBER_STATES", "GPE", "CSTO member states", None, [
        ("our", "PRO", "affairs of our states"),
        ("states", "NOM", "affairs of our states"),
        ("we", "PRO", "showed that we will"),
        ("we", "PRO", "and we will not allow the so-called"),
    ]),
    ("OTHER_FIVE", "GPE", "the five CSTO member states other than Russia", None, [
        ("other five members", "NOM", None),
    ]),
    ("ALLIES_ABSORBED", "GPE", "Russia's politically absorbed allies", None, [
        ("politically absorbed allies", "NOM", None),
    ]),
    ("NEIGHBORS", "GPE", "Russia's neighbours seeking to join Western organisations", None, [
        ("neighbors", "NOM", "undermine neighbors"),
        ("who", "PRO", "neighbors who seek"),
    ]),
    ("ALLIES_CSTO", "GPE", "allies taking part in the CSTO intervention", None, [
        ("allies", "NOM", "presence of allies such as"),
    ]),
    ("ALLIES_RESCUED", "GPE", "allied governments in Belarus, Kyrgyzstan and Kazakhstan", None, [
        ("allies", "NOM", "on behalf of allies in"),
    ]),

    # --- locations and facilities ---------------------------------------------------------------
    ("CENTRAL_ASIA", "LOC", "Central Asia", "Q27275", [
        ("Central Asia", "NAM", "neighbor in Central Asia"),
        ("Central Asia", "NAM", "again in Central Asia"),
    ]),
    ("REGION", "LOC", "the region around Ukraine", None, [
        ("region", "NOM", "peace in the region"),
    ]),
    ("BORDERS", "LOC", "Russia's borders", None, [
        ("borders", "NOM", "his borders"),
    ]),
    ("TERRITORIES", "LOC", "separatist-held territories of Georgia and Ukraine", None, [
        ("territories", "NOM", "their territories"),
    ]),
    # Q7835 is the Crimean peninsula (verified) -> LOC
    ("CRIMEA", "LOC", "Crimea", "Q7835", [("Crimea", "NAM", None)]),
    ("FLANK", "LOC", "Russia's southeastern flank", None, [
        ("southeastern flank", "NOM", None),
    ]),
    ("STRATEGIC_ASSETS", "FAC", "strategic assets in Kazakhstan", None, [
        ("strategic assets", "NOM", None),
    ]),
    ("PUBLIC_BUILDINGS", "FAC", "public buildings in Kazakhstan", None, [
        ("public buildings", "NOM", None),
    ]),

    # --- nationalities / political groups -------------------------------------------------------
    ("RU_ELITE", "NORP", "Russian elite", None, [("Russian elite", "NOM", None)]),
    ("SEPARATISTS", "NORP", "pro-Russian separatists", None, [("pro-Russian separatists", "NOM", None)]),

    # --- named events -----------------------------------------------------------------------------
    # Descriptive event names (place + "crisis") are EVENT entities (ontology example "the Ukraine
    # crisis"); the place modifier inside them is annotated as a nested GPE mention.
    ("KZ_CRISIS", "EVENT", "2022 Kazakh unrest (Kazakh crisis)", None, [
        ("episode", "NOM", "in the episode"),
        ("Kazakh crisis", "NAM", None),
        ("crisis", "NOM", "declared the crisis over"),
        ("crisis", "NOM", "inner leg of the crisis"),
        ("crisis", "NOM", "sovereign from the crisis"),
        ("events", "NOM", "the events on its"),
    ]),
    ("UKR_CRISIS", "EVENT", "Russia–Ukraine crisis (2021–2022)", None, [
        ("Ukraine crisis", "NAM", None),
    ]),

    # --- products / commodities ------------------------------------------------------------------
    # "fuel" in "protests and marches over fuel prices" is the LPG whose price was freed.
    ("LPG", "PRODUCT", "liquefied petroleum gas", None, [
        ("liquefied petroleum gas", "NOM", None),
        ("fuel", "NOM", "over fuel prices"),
    ]),
    ("CARS", "PRODUCT", "cars", None, [("cars", "NOM", None)]),
    ("HYDROCARBONS", "PRODUCT", "hydrocarbons", None, [
        ("hydrocarbon", "NOM", "major hydrocarbon producer"),   # nested in a Kazakhstan mention
    ]),
    ("URANIUM", "PRODUCT", "uranium", "Q1098", [("uranium", "NOM", None)]),
    ("BITCOIN", "PRODUCT", "Bitcoin", "Q131723", [("bitcoins", "NOM", None)]),

    # --- dates -------------------------------------------------------------------------------------
    ("D_2022_01_10", "DATE", "2022-01-10", None, [
        ("this Monday (10)", "NAM", None),
        ("Monday", "NAM", "On Monday, he"),
    ]),
    ("D_WEEK", "DATE", "2022-01-10/2022-01-16 (the current week)", None, [
        ("week", "NOM", "the week is full"),
    ]),
    ("D_RECENT_YEARS", "DATE", "recent years", None, [("recent years", "NOM", None)]),
    ("D_2000S", "DATE", "2000s", None, [("2000s", "NAM", None)]),
    ("D_2014", "DATE", "2014", None, [("2014", "NAM", None)]),
    ("D_2002", "DATE", "2002", None, [("2002", "NAM", None)]),
    ("D_TWO_DAYS", "DATE", "two days (duration)", None, [("two days", "NAM", None)]),
    ("D_2019", "DATE", "2019", None, [("2019", "NAM", None)]),
    ("D_LAST_WEEK", "DATE", "2022-01-03/2022-01-09 (last week)", None, [("last week", "NOM", None)]),
    ("D_SOVIET_TIMES", "DATE", "Soviet era (1922–1991)", None, [("Soviet times", "NOM", None)]),
    ("D_WEEKEND", "DATE", "2022-01-08/2022-01-09 (the weekend)", None, [
        ("weekend", "NOM", "over the weekend"),
    ]),
    ("D_2021", "DATE", "2021", None, [("2021", "NAM", None)]),

    # --- quantities and cardinals ----------------------------------------------------------------
    ("Q_MEN", "QUANTITY", "almost 3,000 troops", None, [("almost 3,000 men", "NAM", None)]),
    ("Q_DEAD", "QUANTITY", "164 dead", None, [
        ("164 people", "NAM", None),
        ("them", "PRO", "16 of them police"),
    ]),
    ("Q_DEAD_POLICE", "QUANTITY", "16 police officers killed", None, [("16", "NAM", "only 16 of them")]),
    ("Q_INJURED", "QUANTITY", "1,300 injured", None, [("1,300", "NAM", None)]),
    ("Q_ARRESTED", "QUANTITY", "8,000 arrested", None, [("8,000", "NAM", None)]),
    ("C_FIVE", "CARDINAL", "5", None, [("five", "NAM", "other five members")]),
    ("C_TWO", "CARDINAL", "2", None, [("two", "NAM", "last two ex-Soviet")]),
]


def A(role: str, s: str, ctx: str | None = None, n: int = 1):
    """An event argument, located like a mention; resolved to (entity, mention) by offsets."""
    return (role, s, ctx, n)


# ------------------------------------------------------------------------------------------------
# EVENTS: (key, type, trigger (text, ctx[, n]), [arguments], realis, polarity, time)
# Trigger: a single word where possible; a multiword expression only when the head alone would
# mean something else ("color revolutions").  Reporting verbs that introduce a claim (said,
# saying, stating, declared, according to) are claim cues, not events; nouns/verbs that name the
# speech itself (spoke, speech, speaking, address) are contact.statement events.
# Time: normalised from the text and the publication date (Monday 2022-01-10); "2022-01" when
# the text only places an event in the current crisis; null when the text gives no anchor.
# ------------------------------------------------------------------------------------------------
JAN = "2022-01"
THIS_WEEK = "2022-01-10/2022-01-16"
LAST_WEEK = "2022-01-03/2022-01-09"
WEEKEND = "2022-01-08/2022-01-09"

EVENTS = [
    # P1
    ("protests_p1", "conflict.demonstrate", ("protests", "led protests against"),
     [A("place", "Kazakhstan", "national revolt in Kazakhstan")], "actual", "positive", JAN),
    ("revolt", "conflict.riot", ("revolt", None),
     [A("place", "Kazakhstan", "national revolt in Kazakhstan")], "actual", "positive", JAN),
    # P2
    ("meetings", "contact.meet", ("meetings", None),
     [A("time", "week", "the week is full")], "actual", "positive", THIS_WEEK),
    ("ultimatum", "conflict.threaten", ("ultimatum", "debate the ultimatum"),
     [A("agent", "Russian", "ultimatum that the Russian made"), A("target", "West", "to the West by")],
     "actual", "positive", None),
    ("placing", "military.deploy", ("placing", None),
     [A("agent", "Russian", "ultimatum that the Russian made"), A("force", "troops", "placing troops close"),
      A("destination", "Ukraine", "close to Ukraine")], "actual", "positive", None),
    ("presenting", "contact.demand", ("presenting", None),
     [A("agent", "his", "presenting his terms"), A("addressee", "West", "to the West by")],
     "actual", "positive", None),
    # P3
    ("intervening_p3", "military.intervene", ("intervening", "after intervening with troops"),
     [A("agent", "Russian president", "The Russian president, after"),
      A("force", "troops", "intervening with troops from"),
      A("place", "most important neighbor")], "actual", "positive", JAN),
    ("spoke", "contact.statement", ("spoke", None),
     [A("speaker", "he", "And he spoke like"), A("audience", "leaders", "to the leaders of the other"),
      A("time", "this Monday (10)")], "actual", "positive", "2022-01-10"),
    # P4 (inside Putin's quote; realis as asserted by the speaker)
    ("interfere_p4", "conflict.interfere", ("interfere", "attempts to interfere"),
     [A("target", "states", "affairs of our states")], "actual", "positive", JAN),
    ("color_revolutions_p4", "conflict.interfere", ("color revolutions", "so-called color revolutions”"),
     [A("target", "we", "and we will not allow the so-called")], "other", "positive", None),
    # P5
    ("undermine", "conflict.interfere", ("undermine", None),
     [A("agent", "Putin", "everything Putin has done"), A("target", "neighbors", "undermine neighbors"),
      A("time", "recent years")], "actual", "positive", None),
    ("enter", "diplomacy.join", ("enter", "seek to enter"),
     [A("member", "who", "neighbors who seek"), A("organization", "Western clubs")],
     "other", "positive", None),
    # P6
    ("color_revolution_p6", "conflict.interfere", ("color revolution", "concept of the color revolution"),
     [], "generic", "positive", None),
    # P7
    ("access", "diplomacy.join", ("access", None),
     [A("member", "Kiev"), A("member", "Tbilisi"), A("organization", "NATO", "access NATO"),
      A("organization", "European Union")], "other", "negative", None),
    ("occupied", "conflict.occupy", ("occupied", None),
     [A("occupier", "pro-Russian separatists"), A("territory", "territories", "their territories"),
      A("victim", "their", "their territories")], "actual", "positive", None),
    ("loss_crimea", "conflict.occupy", ("loss", "the loss of Crimea"),
     [A("territory", "Crimea"), A("victim", "Ukrainian", "the Ukrainian case"), A("time", "2014")],
     "actual", "positive", "2014"),
    # P8
    ("speech", "contact.statement", ("speech", "Putin’s speech"),
     [A("speaker", "Putin", "Putin’s speech")], "actual", "positive", "2022-01-10"),
    ("intervention_p8", "military.intervene", ("intervention", "In the intervention in the Kazakh"),
     [A("agent", "it", "it managed to put"), A("place", "Kazakh", "the Kazakh crisis")],
     "actual", "positive", JAN),
    ("operation", "military.intervene", ("operation", None),
     [A("agent", "Russian", "basically Russian operation"), A("agent", "Belarus", "such as Belarus and Armenia"),
      A("agent", "Armenia")], "actual", "positive", JAN),
    # "put ... men in the country": sending forces into another state's crisis = intervene
    ("put", "military.intervene", ("put", "managed to put"),
     [A("agent", "it", "it managed to put"), A("force", "almost 3,000 men"),
      A("place", "country", "3,000 men in the country"), A("time", "two days")], "actual", "positive", JAN),
    # P9 (Tokayev's framing: troops only guard facilities, i.e. stationed without intervening)
    ("securing", "military.deploy", ("securing", None),
     [A("force", "foreign troops"), A("destination", "strategic assets")], "actual", "positive", JAN),
    # P10
    ("imposition", "contact.demand", ("imposition", None),
     [A("agent", "Kremlin")], "actual", "positive", JAN),
    ("repressing", "conflict.repress", ("repressing", None),
     [A("agent", "Russian forces"), A("victim", "citizens", "repressing citizens"),
      A("place", "neighboring country")], "other", "positive", None),
    ("casualties", "life.die", ("casualties", None), [], "generic", "positive", None),
    ("intervention_p10", "military.intervene", ("intervention", "Thus, the intervention comes"),
     [], "actual", "positive", JAN),
    # P11
    ("died", "life.die", ("died", None),
     [A("victim", "164 people"), A("victim", "16", "only 16 of them")], "actual", "positive", JAN),
    ("melee", "conflict.riot", ("melee", None), [], "actual", "positive", JAN),
    ("led", "personnel.start-position", ("led", "has led the country"),
     [A("person", "who", "autocrat who has led"), A("entity", "country", "has led the country"),
      A("time", "2019")], "actual", "positive", "2019"),
    ("injured", "life.injure", ("injured", "1,300 injured"),
     [A("victim", "1,300")], "actual", "positive", JAN),
    ("arrested_p11", "justice.arrest", ("arrested", "8,000 arrested"),
     [A("person", "8,000")], "actual", "positive", JAN),
    # P12
    ("address", "contact.statement", ("address", "televised address"),
     [A("speaker", "he", "returned,” he said"), A("time", "Monday", "On Monday, he")],
     "actual", "positive", "2022-01-10"),
    ("search", "justice.investigate", ("search", "search for terrorists"),
     [A("subject", "terrorists"), A("place", "country", "continues in the country")], "actual", "positive", JAN),
    # P13
    ("speaking", "contact.statement", ("speaking", "Putin, speaking imperially"),
     [A("speaker", "Putin", "Putin, speaking imperially")], "actual", "positive", "2022-01-10"),
    # garbled: "acts to free the price" = protests against the freeing of the price (atos contra ...)
    ("acts", "conflict.demonstrate", ("acts", "as acts to free"), [], "actual", "positive", JAN),
    ("free", "government.policy", ("free", "to free the price"),
     [A("object", "liquefied petroleum gas")], "actual", "positive", JAN),
    ("shootings", "conflict.attack", ("shootings", None),
     [A("place", "country", "across the country"), A("place", "Almati"), A("time", "last week")],
     "actual", "positive", LAST_WEEK),
    ("attacks", "conflict.attack", ("attacks", "attacks on public buildings"),
     [A("target", "public buildings"), A("place", "country", "across the country"), A("place", "Almati"),
      A("time", "last week")], "actual", "positive", LAST_WEEK),
    # P14 (Putin's quote: the protests happened; he denies they caused the threat)
    ("protests_p14", "conflict.demonstrate", ("protests", "spontaneous protests"), [], "actual", "positive", JAN),
    ("marches", "conflict.demonstrate", ("marches", None), [], "actual", "positive", JAN),
    # P15
    ("arrested_p15", "justice.arrest", ("arrested", "others were arrested"),
     [A("person", "former intelligence chief"), A("person", "others", "chief and others were arrested")],
     "actual", "positive", JAN),
    ("coup", "conflict.coup", ("coup", None),
     [A("target", "him", "coup against him")], "other", "positive", JAN),
    # P16
    ("interference", "conflict.interfere", ("interference", "foreign interference"), [], "other", "positive", JAN),
    ("action", "conflict.interfere", ("action", "external action"), [], "other", "positive", JAN),
    # P17
    ("disembark", "movement.transport", ("disembark", None),
     [A("artifact", "delegation", "his delegation disembark"), A("destination", "Geneva")],
     "actual", "positive", JAN),
    ("talks", "contact.negotiate", ("talks", "tough talks"),
     [A("participant", "delegation", "his delegation disembark"), A("participant", "US", "talks with the US"),
      A("participant", "NATO", "US and NATO"), A("place", "Geneva")], "actual", "positive", THIS_WEEK),
    # P18 ("receipt" = garbled recado, message)
    ("receipt", "contact.statement", ("receipt", None),
     [A("speaker", "US", "issued by the US"), A("time", "weekend", "over the weekend")],
     "actual", "positive", WEEKEND),
    ("complained", "contact.criticize", ("complained", None),
     [A("agent", "Antony Blinken"), A("target", "CTO troops"), A("time", "weekend", "over the weekend")],
     "actual", "positive", WEEKEND),
    # P19
    ("called", "contact.criticize", ("called", "being called an oppressor"),
     [A("agent", "Joe Biden government"), A("target", "who", "Putin, who spent"), A("time", "2021")],
     "actual", "positive", "2021"),
    # P20
    ("intervening_p20", "military.intervene", ("intervening", "after intervening on behalf"),
     [A("agent", "Putin", "Kazakhstan, Putin is wearing"), A("beneficiary", "allies", "on behalf of allies in"),
      A("place", "Belarus", "allies in Belarus"), A("place", "Kyrgyzstan"),
      A("place", "Kazakhstan", "Kyrgyzstan and Kazakhstan")], "actual", "positive", None),
    ("negotiations", "contact.negotiate", ("negotiations", None),
     [A("participant", "Putin", "Kazakhstan, Putin is wearing")], "actual", "positive", THIS_WEEK),
]


# ------------------------------------------------------------------------------------------------
# CLAIMS
# author(span, topic, events, checkworthy, stance="affirm")
# said(span, claimer (text, ctx), cue (text, ctx), quote, topic, events, checkworthy, stance)
# Span = the claimed proposition only (no cue, no claimer, no quotation marks, no final stop).
# ------------------------------------------------------------------------------------------------
CLAIMS = []


def author(span, topic, events, checkworthy, stance="affirm"):
    CLAIMS.append(dict(span=span, claimer=None, cue=None, quote="none", stance=stance, topic=topic,
                       events=events, checkworthy=checkworthy, by_author=True))


def said(span, claimer, cue, quote, topic, events, checkworthy, stance="affirm"):
    CLAIMS.append(dict(span=span, claimer=claimer, cue=cue, quote=quote, stance=stance, topic=topic,
                       events=events, checkworthy=checkworthy, by_author=False))


# P1
author("the escalation that led protests against prices to become a national revolt in Kazakhstan",
       "escalation of price protests into a national revolt in Kazakhstan", ["protests_p1", "revolt"], True)
# P2
author("the week is full of meetings to debate the ultimatum",
       "week of Russia-West security meetings", ["meetings", "ultimatum"], True)
author("the ultimatum that the Russian made to the West by placing troops close to Ukraine and presenting "
       "his terms for peace in the region",
       "Russian ultimatum to the West over Ukraine", ["ultimatum", "placing", "presenting"], True)
# P3
author("The Russian president, after intervening with troops from his miniature version of NATO, the CSO "
       "(Collective Security Treaty Organization), saw the situation stabilize in his most important neighbor "
       "in Central Asia",
       "CSTO intervention stabilised Kazakhstan", ["intervening_p3"], True)
# P4: Putin's direct quote, two sentences -> two claims
said("These were not the first nor the last attempts to interfere in the internal affairs of our states",
     ("Russian", "said the Russian. to the leaders"), ("said", "”, said the Russian. to"), "direct",
     "foreign interference in CSTO member states", ["interfere_p4"], True)
said("The measures taken by the CTO clearly showed that we will not allow the situation to be balanced at home "
     "and we will not allow the so-called color revolutions",
     ("Russian", "said the Russian. to the leaders"), ("said", "”, said the Russian. to"), "direct",
     "CSTO pledge to prevent colour revolutions", ["color_revolutions_p4"], False)
# P5: the journalist's characterisation of Putin's policy; asserted, but interpretive -> not checkworthy
author("everything Putin has done in recent years to ensure so-called strategic depth to his borders — to "
       "surround himself with politically absorbed allies, like Belarus and now Kazakhstan, or to undermine "
       "neighbors who seek to enter Western clubs, like Ukraine. and in Georgia",
       "Putin's strategic-depth policy towards neighbours", ["undermine", "enter"], False)
# P6
author("the nickname for the movement away from Moscow in the last two ex-Soviet countries in the 2000s",
       "colour revolutions in Georgia and Ukraine in the 2000s", ["color_revolution_p6"], True)
said("pro-democracy acts", ("West", "in the West as"), ("Selled", None), "indirect",
     "Western framing of colour revolutions", ["color_revolution_p6"], False)
said("destabilizing blows", ("Russian elite", None), ("seen", "they are seen by"), "indirect",
     "Russian elite view of colour revolutions", ["color_revolution_p6"], False)
# P7
author("neither Kiev nor Tbilisi is able to access NATO or the European Union as they would have liked",
       "Ukraine and Georgia unable to join NATO and the EU", ["access"], True)
author("they have part of their territories occupied by pro-Russian separatists",
       "separatist occupation of Georgian and Ukrainian territory", ["occupied"], True)
author("the loss of Crimea in 2014", "Ukraine's loss of Crimea in 2014", ["loss_crimea"], True)
# P8
author("Reorganized in 2002", "CSTO reorganised in 2002", [], True)
author("the SCOT has never been of practical use", "CSTO's practical record before 2022", [], True)
author("a basically Russian operation, but with the presence of allies such as Belarus and Armenia",
       "composition of the CSTO force in Kazakhstan", ["operation"], True)
author("it managed to put almost 3,000 men in the country in two days",
       "size and speed of the CSTO deployment to Kazakhstan", ["put"], True)
# P9
said("foreign troops are only securing strategic assets for the country",
     ("Kassim-Jomart Tokayev", None), ("saying", None), "indirect",
     "role of CSTO troops in Kazakhstan", ["securing"], True)
author("a major hydrocarbon producer and world leader in uranium, not to mention the more debatable virtual "
       "mining of bitcoins",
       "Kazakhstan's hydrocarbon, uranium and bitcoin-mining output", [], True)
# P10
author("It was an imposition by the Kremlin, which did not want to see Russian forces repressing citizens of "
       "the neighboring country directly",
       "Kremlin's motive for a multinational CSTO force", ["imposition", "repressing"], False)
author("Russian public opinion barely tolerates casualties in conflicts",
       "Russian public tolerance of military casualties", ["casualties"], True)
author("the dirtiest job fell to mercenaries", "use of mercenaries in Syria", [], True)
# P11
author("So far, 164 people have died in the melee, only 16 of them police",
       "death toll of the Kazakh unrest", ["died", "melee"], True)
author("has led the country since 2019", "Tokayev in office since 2019", ["led"], True)
said("1,300 injured and 8,000 arrested", ("autocrat", "according to the autocrat who"),
     ("according to", "There are, according to"), "indirect",
     "injured and arrested in the Kazakh unrest", ["injured", "arrested_p11"], True)
# P12
said("the crisis over", ("he", "On Monday, he also declared"), ("declared", None), "indirect",
     "end of the Kazakh crisis", [], True)
said("Constitutional order has returned", ("he", "returned,” he said"), ("said", "returned,” he said"), "direct",
     "restoration of constitutional order in Kazakhstan", [], True)
# partial quotation ("search for terrorists") inside reported speech -> indirect
said("the “search for terrorists” continues in the country", ("he", "returned,” he said"), ("stating", None),
     "indirect", "ongoing search for terrorists in Kazakhstan", ["search"], True)
# P13
author("acts to free the price of liquefied petroleum gas used in cars devolved into shootings and attacks on "
       "public buildings across the country, with particular effect on most city, Almati",
       "LPG price protests turned into shootings and attacks", ["acts", "free", "shootings", "attacks"], True)
author("was the capital in Soviet times and was called Alma-Ata",
       "Almaty as Soviet-era capital named Alma-Ata", [], True)
# P14: Putin's direct quote, two sentences -> two claims
said("The threat to the Kazakh state emerged not from spontaneous protests and marches over fuel prices",
     ("Russian", "situation,” said the Russian"), ("said", "situation,” said the Russian"), "direct",
     "origin of the threat to Kazakhstan", ["protests_p14", "marches"], True)
said("It was because of destructive internal and external forces that took advantage of the situation",
     ("Russian", "situation,” said the Russian"), ("said", "situation,” said the Russian"), "direct",
     "internal and external forces behind the Kazakh unrest", [], True)
# P15
author("The former intelligence chief and others were arrested",
       "arrest of Kazakhstan's former intelligence chief", ["arrested_p15"], True)
author("whether it was a preemptive move by Tokaev to assert power or a coup against him",
       "power grab or coup in Kazakhstan", ["coup"], False, stance="unclear")
# P16
author("foreign interference", "foreign interference in the Kazakh unrest", ["interference"], False,
       stance="unclear")
said("if there was external action, it was to help the Russian", ("conspiracy theorists", None),
     ("For", "For conspiracy theorists"), "indirect",
     "external action in Kazakhstan to benefit Putin", ["action"], False)
# P17
author("the Russian president saw his delegation disembark for the tough talks with the US and NATO about the "
       "Ukraine crisis in Geneva",
       "Russia-US/NATO talks on Ukraine in Geneva", ["disembark", "talks"], True)
# P18: Blinken disputes the desirability -> stance refute
said("the desirability of CTO troops in Kazakhstan", ("Antony Blinken", None), ("complained", None),
     "indirect", "need for CSTO troops in Kazakhstan", ["put"], True, stance="refute")
# P19
author("spent 2021 being called an oppressor and murderer by the Joe Biden government",
       "Biden administration's 2021 criticism of Putin", ["called"], True)
said("an oppressor and murderer", ("Joe Biden government", None), ("called", "being called an oppressor"),
     "indirect", "US accusations against Putin", [], False)
# P20
author("intervening on behalf of allies in Belarus, Kyrgyzstan and Kazakhstan",
       "Russian interventions for allies in Belarus, Kyrgyzstan and Kazakhstan", ["intervening_p20"], True)


# ------------------------------------------------------------------------------------------------
# build records
# ------------------------------------------------------------------------------------------------
def rid(local: str) -> str:
    return f"{ARTICLE_ID}/{local}"


def build():
    article = {
        "id": ARTICLE_ID, "title": None, "text": TEXT,
        "text_sha256": hashlib.sha256(TEXT.encode("utf-8")).hexdigest(),
        "language": "en", "original_language": "pt", "translation": "machine",
        "published": "2022-01-10", "publisher": None, "author": None, "url": None,
        "license": "unknown", "split": "train", "source_ref": SOURCE_REF, "updated_at": UPDATED_AT,
    }

    # locate mentions
    located = []          # (start, end, entity_key, kind)
    for key, etype, name, qid, mentions in ENTITIES:
        for m in mentions:
            s, kind, ctx = m[0], m[1], m[2]
            n = m[3] if len(m) > 3 else 1
            st, en = loc(s, n, ctx)
            located.append((st, en, key, kind))
    # mention ids: M1.. in text order (start, then end)
    located.sort(key=lambda x: (x[0], x[1]))
    mention_id = {}
    by_offsets = {}
    for i, (st, en, key, kind) in enumerate(located, 1):
        assert (st, en) not in by_offsets, f"span {st}:{en} {TEXT[st:en]!r} annotated twice"
        mention_id[(st, en)] = rid(f"M{i}")
        by_offsets[(st, en)] = key

    # entity ids: E1.. in order of first mention
    first = {}
    for st, en, key, kind in located:
        first.setdefault(key, (st, en))
    order = sorted(first, key=lambda k: first[k])
    entity_id = {k: rid(f"E{i}") for i, k in enumerate(order, 1)}
    meta = {k: (t, n, q) for k, t, n, q, _ in ENTITIES}
    entities = []
    for k in order:
        t, n, q = meta[k]
        ms = [{"id": mention_id[(st, en)], "start": st, "end": en, "text": TEXT[st:en], "kind": kind}
              for st, en, key, kind in located if key == k]
        entities.append({"id": entity_id[k], "article_id": ARTICLE_ID, "type": t, "name": n, "wikidata": q,
                         "mentions": ms, **PROV})

    def ref(s, ctx=None, n=1):
        se = loc(s, n, ctx)
        assert se in by_offsets, f"{s!r} (ctx={ctx!r}) is not an annotated mention"
        return entity_id[by_offsets[se]], mention_id[se]

    # events: V1.. in trigger order
    ev_rows = []
    for key, etype, trig, args, realis, pol, time in EVENTS:
        ts, tctx = trig[0], trig[1]
        tn = trig[2] if len(trig) > 2 else 1
        se = loc(ts, tn, tctx)
        arguments = []
        for role, s, ctx, n in args:
            e, m = ref(s, ctx, n)
            arguments.append({"role": role, "entity_id": e, "mention_id": m})
        ev_rows.append((se, key, {"type": etype, "trigger": span_obj(se), "arguments": arguments,
                                  "realis": realis, "polarity": pol, "time": time}))
    ev_rows.sort(key=lambda x: x[0])
    event_id = {}
    events = []
    for i, (se, key, body) in enumerate(ev_rows, 1):
        assert key not in event_id, key
        event_id[key] = rid(f"V{i}")
        events.append({"id": event_id[key], "article_id": ARTICLE_ID, **body, **PROV})

    # claims: C1.. in span order
    cl_rows = []
    for c in CLAIMS:
        se = sub(c["span"])
        claimer = None
        if c["claimer"]:
            e, m = ref(*c["claimer"])
            claimer = {"entity_id": e, "mention_id": m}
        cue = span_obj(loc(c["cue"][0], 1, c["cue"][1])) if c["cue"] else None
        cl_rows.append((se, {"span": span_obj(se), "claimer": claimer, "by_author": c["by_author"], "cue": cue,
                             "quote": c["quote"], "stance": c["stance"], "topic": c["topic"],
                             "event_ids": [event_id[k] for k in c["events"]], "checkworthy": c["checkworthy"]}))
    cl_rows.sort(key=lambda x: x[0])
    claims = [{"id": rid(f"C{i}"), "article_id": ARTICLE_ID, **body, **PROV}
              for i, (se, body) in enumerate(cl_rows, 1)]
    return article, entities, events, claims


def write_jsonl(path: Path, rows):
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")


# ------------------------------------------------------------------------------------------------
# self-check
# ------------------------------------------------------------------------------------------------
# DATE entities too vague to normalise: an event may have them as its time argument with time null
VAGUE_DATES = {"recent years"}


def self_check(article, entities, events, claims) -> list[str]:
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource

    problems: list[str] = []
    onto = json.loads((SCHEMA_DIR / "ontology.json").read_text(encoding="utf-8"))
    enums = {
        "entity_types": sorted(onto["entity_types"]),
        "event_types": sorted(onto["event_types"]),
        "roles": sorted({r for spec in onto["event_types"].values() for r in spec["roles"]}),
    }

    def inject(node):
        if isinstance(node, dict):
            if "x-ontology" in node:
                node["enum"] = enums[node["x-ontology"]]
            for v in node.values():
                inject(v)
        elif isinstance(node, list):
            for v in node:
                inject(v)

    schemas = {}
    for p in SCHEMA_DIR.glob("*.schema.json"):
        s = json.loads(p.read_text(encoding="utf-8"))
        inject(s)
        schemas[p.name] = s
    registry = Registry().with_resources(
        (s["$id"], Resource.from_contents(s)) for s in schemas.values())
    for name, rows in (("articles", [article]), ("entities", entities), ("events", events), ("claims", claims)):
        schema = schemas[f"{name}.schema.json"]
        Draft202012Validator.check_schema(schema)
        v = Draft202012Validator(schema, registry=registry)
        for r in rows:
            for err in v.iter_errors(r):
                problems.append(f"schema {name} {r.get('id')}: {err.json_path}: {err.message}")

    text = article["text"]
    assert article["text_sha256"] == hashlib.sha256(text.encode("utf-8")).hexdigest()
    PUNCT = ".,;:!?\"“”‘’"   # no punctuation or quotation mark at a span edge

    def check_span(where, sp, strict_punct=True):
        s, e, t = sp["start"], sp["end"], sp["text"]
        if not (0 <= s < e <= len(text)):
            problems.append(f"{where}: bad offsets {s}:{e}")
        elif text[s:e] != t:
            problems.append(f"{where}: text mismatch {t!r} != {text[s:e]!r}")
        if t != t.strip():
            problems.append(f"{where}: whitespace at an edge {t!r}")
        if strict_punct and (t[0] in PUNCT or t[-1] in PUNCT):
            problems.append(f"{where}: punctuation at an edge {t!r}")

    # ids
    all_ids = [article["id"]] + [r["id"] for r in entities + events + claims]
    mids = [m["id"] for e in entities for m in e["mentions"]]
    for label, ids in (("record", all_ids), ("mention", mids)):
        dup = {i for i in ids if ids.count(i) > 1}
        if dup:
            problems.append(f"duplicate {label} ids: {sorted(dup)}")
    for r in entities + events + claims:
        if r["article_id"] != ARTICLE_ID or not r["id"].startswith(ARTICLE_ID + "/"):
            problems.append(f"{r['id']}: article id mismatch")
        for k, v in PROV.items():
            if r[k] != v:
                problems.append(f"{r['id']}: provenance {k}={r[k]!r}")
    for i in mids:
        if not re.fullmatch(re.escape(ARTICLE_ID) + r"/M\d+", i):
            problems.append(f"mention id form {i}")

    # entities and mentions
    ent = {e["id"]: e for e in entities}
    mention_entity = {}
    spans_seen = {}
    qids = {}
    for e in entities:
        if e["wikidata"]:
            if e["wikidata"] in qids:
                problems.append(f"{e['wikidata']} on {qids[e['wikidata']]} and {e['id']}")
            qids[e["wikidata"]] = e["id"]
        starts = [m["start"] for m in e["mentions"]]
        if starts != sorted(starts):
            problems.append(f"{e['id']}: mentions not sorted by start")
        for m in e["mentions"]:
            check_span(f"{e['id']}/{m['id']}", m)
            mention_entity[m["id"]] = e["id"]
            key = (m["start"], m["end"])
            if key in spans_seen:
                problems.append(f"span {key} in {spans_seen[key]} and {e['id']}")
            spans_seen[key] = e["id"]
            s, en = key
            if (s > 0 and text[s - 1].isalnum()) or (en < len(text) and text[en].isalnum()):
                problems.append(f"{m['id']} {m['text']!r} is not on word boundaries")
        # a mention nested in another mention of the same entity is not allowed
        for a in e["mentions"]:
            for b in e["mentions"]:
                if a is not b and a["start"] <= b["start"] and b["end"] <= a["end"]:
                    problems.append(f"{e['id']}: {b['text']!r} nested in {a['text']!r} of the same entity")

    # events
    seen_ev = set()
    ev_ids = {v["id"] for v in events}
    for v in events:
        check_span(f"{v['id']}.trigger", v["trigger"])
        k = (v["type"], v["trigger"]["start"], v["trigger"]["end"])
        if k in seen_ev:
            problems.append(f"{v['id']}: duplicate event {k}")
        seen_ev.add(k)
        roles = onto["event_types"][v["type"]]["roles"]
        for a in v["arguments"]:
            if a["role"] not in roles:
                problems.append(f"{v['id']}: role {a['role']} not a role of {v['type']}")
                continue
            if mention_entity.get(a["mention_id"]) != a["entity_id"]:
                problems.append(f"{v['id']}: mention {a['mention_id']} is not a mention of {a['entity_id']}")
                continue
            et = ent[a["entity_id"]]["type"]
            if et not in roles[a["role"]]:
                problems.append(f"{v['id']}: {et} cannot fill {v['type']}.{a['role']}")
            if a["role"] == "time" and v["time"] is None and ent[a["entity_id"]]["name"] not in VAGUE_DATES:
                problems.append(f"{v['id']}: has a time argument but time is null")

    # claims
    seen_cl = set()
    for c in claims:
        check_span(f"{c['id']}.span", c["span"])
        if c["cue"]:
            check_span(f"{c['id']}.cue", c["cue"])
        k = (c["span"]["start"], c["span"]["end"])
        if k in seen_cl:
            problems.append(f"{c['id']}: duplicate claim span")
        seen_cl.add(k)
        if c["by_author"]:
            if c["claimer"] is not None or c["cue"] is not None or c["quote"] != "none":
                problems.append(f"{c['id']}: author claim with claimer/cue/quote")
        else:
            if c["cue"] is None or c["quote"] == "none":
                problems.append(f"{c['id']}: attributed claim without cue or with quote none")
        if c["claimer"]:
            cm, ce = c["claimer"]["mention_id"], c["claimer"]["entity_id"]
            if mention_entity.get(cm) != ce:
                problems.append(f"{c['id']}: claimer mention {cm} is not a mention of {ce}")
            elif ent[ce]["type"] not in onto["claimer_types"]:
                problems.append(f"{c['id']}: claimer type {ent[ce]['type']} not allowed")
            else:
                # claimer and cue lie outside the claimed proposition
                m = next(x for x in ent[ce]["mentions"] if x["id"] == cm)
                if c["span"]["start"] <= m["start"] < c["span"]["end"]:
                    problems.append(f"{c['id']}: claimer inside span")
        if c["cue"] and c["span"]["start"] <= c["cue"]["start"] < c["span"]["end"]:
            problems.append(f"{c['id']}: cue inside span")
        for e in c["event_ids"]:
            if e not in ev_ids:
                problems.append(f"{c['id']}: unknown event {e}")
    return problems


def main() -> int:
    article, entities, events, claims = build()
    write_jsonl(HERE / "articles.jsonl", [article])
    write_jsonl(HERE / "entities.jsonl", entities)
    write_jsonl(HERE / "events.jsonl", events)
    write_jsonl(HERE / "claims.jsonl", claims)
    problems = self_check(article, entities, events, claims)
    for p in problems:
        print("PROBLEM:", p, file=sys.stderr)
    n_m = sum(len(e["mentions"]) for e in entities)
    print(f"entities={len(entities)} mentions={n_m} events={len(events)} claims={len(claims)} "
          f"problems={len(problems)}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
