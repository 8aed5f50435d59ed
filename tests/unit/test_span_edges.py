"""GUIDELINES §1.1 at the edges of spans: mention-punctuation-edge (mentions and triggers never start or end
with punctuation, a quotation mark or an unmatched bracket; an abbreviation's period is kept),
in memory and partition by partition; and span-text-mismatch saying where the text does occur."""

from __future__ import annotations

import pyarrow as pa
import pytest

from conftest import article, claim, entity, event, make_root, mention, span

from newscorpus.store import storage
from newscorpus.contract import TABLES, load_contract
from newscorpus.check.levels import check_tables
from newscorpus.check.text import abbreviation_period, punctuation_edge
from newscorpus.check.validate import validate_corpus

CHECK = "mention-punctuation-edge"
A = "a-edges"
TEXT = ('Officials of the U.S. and the U.K. said Almaty, "Putin" and Acme Inc. met (CSTO) staff; '
        "John F. Kennedy's «Tokayev» spoke this Monday (10). He came.")


def _records():
    t = TEXT
    ms = [("M1", "U.S."), ("M2", "the U.K."), ("M3", "Almaty,"), ("M4", '"Putin"'), ("M5", "Acme Inc."), ("M6", "(CSTO)"),
          ("M7", "John F."), ("M8", "«Tokayev»"), ("M9", "this Monday (10)"), ("M10", "CSTO)"), ("M11", "He came.")]
    ents = [entity(f"{A}/T{i}", "ORG", name, [mention(f"{A}/T{i}/{mid}", span(t, name))], aid=A)
            for i, (mid, name) in enumerate(ms, 1)]
    evs = [event(f"{A}/E1", "contact.meet", span(t, "met"), aid=A), event(f"{A}/E2", "contact.statement", span(t, "spoke this"), aid=A),
           event(f"{A}/E3", "contact.meet", span(t, "came."), aid=A)]
    cls = [claim(f"{A}/C1", span(t, "Acme Inc. met (CSTO) staff;"), aid=A, by_author=False, cue=span(t, "said Almaty,"), quote="indirect"),
           claim(f"{A}/C2", span(t, "He came"), aid=A)]
    return {"articles": [article(A, t)], "entities": ents, "events": evs, "claims": cls}


EXPECTED = {
    ("entities", f"{A}/T3", "mentions[0].text"),   # Almaty,
    ("entities", f"{A}/T4", "mentions[0].text"),   # "Putin"
    ("entities", f"{A}/T6", "mentions[0].text"),   # (CSTO)
    ("entities", f"{A}/T8", "mentions[0].text"),   # «Tokayev»
    ("entities", f"{A}/T10", "mentions[0].text"),  # CSTO) with its ( outside
    ("entities", f"{A}/T11", "mentions[0].text"),  # He came.  (not an abbreviation)
    ("events", f"{A}/E3", "trigger.text"),         # came.
}  # claims are not checked: C1's span `...staff;` and its cue `said Almaty,` are no finding


def _tables(records, root):
    contract = load_contract(root)
    return contract, {n: pa.Table.from_pylist(records.get(n, []), schema=contract.arrow_schema(n)) for n in TABLES}


def _found(report, check=CHECK):
    return {(f.table, f.record, f.field) for f in report.findings if f.check == check}


def test_punctuation_at_an_edge_is_a_finding_and_an_abbreviation_period_is_not(tmp_path):
    contract, tables = _tables(_records(), make_root(tmp_path))
    report = check_tables(contract, tables)
    assert _found(report) == EXPECTED
    assert all(f.severity == "error" and f.level == 2 for f in report.findings if f.check == CHECK)
    assert not [f for f in report.findings if f.check not in (CHECK, "article-unannotated")]  # nothing else is wrong


def test_the_same_findings_partition_by_partition(tmp_path):
    root = make_root(tmp_path / "p")
    contract = load_contract(root)
    recs = _records()
    other = "Kazakhstan freed the price of gas."
    recs["articles"].append(article("b-other", other))
    recs["entities"].append(entity("b-other/T1", "GPE", "Kazakhstan", [mention("b-other/T1/M1", span(other, "gas."))], aid="b-other"))
    with storage.corpus_lock(root):
        storage.write_tables(root, {n: pa.Table.from_pylist(recs[n], schema=contract.arrow_schema(n)) for n in recs}, contract)
    expected = EXPECTED | {("entities", "b-other/T1", "mentions[0].text")}
    assert _found(validate_corpus(root, contract, partitions=1)) == expected
    assert _found(validate_corpus(root, contract, partitions=3)) == expected


@pytest.mark.parametrize("text, why", [
    ("U.S.", None), ("the U.K.", None), ("Acme Inc.", None), ("Jr.", None), ("St.", None), ("John F.", None), ("pro-U.S.", None),
    ("Putin.", "ends"), ("U.S.,", "ends"), ("U.S..", "ends"), ("Almaty ,", "ends"), ("Almaty;", "ends"), ("Why?", "ends"),
    (".NET", "starts"), ("“Putin”", "starts"), ("Kazakhs’", "ends"), ("‘Almaty", "starts"), ("[CSTO", "starts"),
    ("CSTO (", "ends"), ("CSTO]", "ends"), ("Organization (CSTO)", None), ("Monday (10)", None), ("a", None), ("", None),
])
def test_punctuation_edge_rule(text, why):
    got = punctuation_edge(text)
    assert (got is None) if why is None else got.startswith(why), (text, got)


def test_abbreviation_period():
    assert abbreviation_period("U.S.") and abbreviation_period("Co.") and abbreviation_period("Mr. Smith Jr.")
    assert not abbreviation_period("Putin.") and not abbreviation_period("U.S") and not abbreviation_period(".")


# --- span-text-mismatch says where the text does occur ------------------------------------------------------
MISMATCH_TEXT = "Almaty is big. Protests in Almaty, and in Almaty again."


@pytest.mark.parametrize("stored, start, nearest", [
    ("Almaty", 27, (27, 33)),   # stored with the comma's offsets moved one on: text[28:34] is 'lmaty,'
    ("Almaty", 37, (42, 48)),   # between two occurrences, nearer the later one
    ("Almaty", 5, (0, 6)),      # nearer the first one
    ("Oslo", 10, None),         # nowhere
])
def test_span_text_mismatch_names_the_nearest_occurrence(tmp_path, stored, start, nearest):
    t = MISMATCH_TEXT
    bad = {"start": start + 1, "end": start + 1 + len(stored), "text": stored}
    recs = {"articles": [article(A, t)],
            "entities": [entity(f"{A}/T1", "GPE", "Almaty", [mention(f"{A}/T1/M1", span(t, "Almaty"))], aid=A),
                         entity(f"{A}/T2", "GPE", "Almaty", [mention(f"{A}/T2/M1", bad)], aid=A)]}
    contract, tables = _tables(recs, make_root(tmp_path))
    found = [f for f in check_tables(contract, tables).findings if f.check == "span-text-mismatch"]
    assert [(f.table, f.record, f.field) for f in found] == [("entities", f"{A}/T2", "mentions[0].text")]
    message = found[0].message
    assert f"text[{bad['start']}:{bad['end']}] is {t[bad['start']:bad['end']]!r}" in message
    if nearest:
        assert f"occurs at {nearest[0]}-{nearest[1]} (nearest)" in message
    else:
        assert "does not occur in the text" in message


def test_the_studio_span_text_mismatch_says_it_too(tmp_path):
    from test_studio_convert import CASES, run_case

    _, _, result, _ = run_case(CASES / "studio-span-text-mismatch", tmp_path)
    found = [f for f in result.findings if f.check == "studio-span-text-mismatch"]
    assert [(f.record, f.field) for f in found] == [("task 1 annotation 11", "region r1")]
    assert "'Osl0' does not occur in the text" in found[0].message
