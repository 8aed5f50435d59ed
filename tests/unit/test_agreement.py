"""Agreement figures, each checked on a small case worked out by hand (the arithmetic is in the comments)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from newscorpus.research.agreement import (Version, agreement_figures, b_cubed, ceaf_e, cohen_kappa, compare, figures_markdown,
                                  krippendorff_alpha, match_overlap, max_assignment, muc, pair_figures)
from newscorpus.cli import CorpusGroup
from newscorpus.contract import load_contract
from newscorpus.store.importer import records_to_table
from newscorpus.store import storage
from newscorpus.cli.research import agreement as agreement_cmd

from conftest import article, claim, entity, event, make_root, mention, span

A = "a-test"
TEXT = "Putin met President Tokayev in Almaty. He said the talks went well."


def approx(x):
    return pytest.approx(x, abs=1e-9)


def ratio(num, den):
    """(recall or precision numerator, denominator) -> figure."""
    return num / den


# --- coreference: the example of Pradhan et al. 2014 (ACL), "Scoring coreference partitions of predicted
# mentions: a reference implementation", figure 1: key {a b c} {d e f g}; response {a b} {c d} {f g h i}.
KEY = [{"a", "b", "c"}, {"d", "e", "f", "g"}]
RESPONSE = [{"a", "b"}, {"c", "d"}, {"f", "g", "h", "i"}]


def test_muc_pradhan_example():
    # recall: key {a b c} falls into 2 parts of the response ({a b}, {c}) -> 3-2 = 1 of 3-1 = 2;
    #         key {d e f g} into 3 parts ({d}, {e} alone, {f g}) -> 4-3 = 1 of 4-1 = 3. R = 2/5.
    # precision: {a b} -> 1 part: 1 of 1; {c d} -> 2 parts: 0 of 1; {f g h i} -> {f g}, {h}, {i}: 1 of 3. P = 2/5.
    rn, rd, pn, pd = muc(KEY, RESPONSE)
    assert (rn, rd, pn, pd) == (2, 5, 2, 5)  # R = P = F1 = 40%, as in the paper


def test_b_cubed_pradhan_example():
    # recall = sum over key clusters K, response clusters R of |K∩R|²/|K|, over 7 key mentions:
    #   {a b c}: 2²/3 + 1²/3 = 5/3; {d e f g}: 1²/4 + 2²/4 = 5/4; (5/3 + 5/4) / 7 = 35/84 = 5/12 = 41.67%
    # precision, the same with the roles swapped, over 8 response mentions:
    #   {a b}: 2²/2 = 2; {c d}: 1/2 + 1/2 = 1; {f g h i}: 2²/4 = 1; 4 / 8 = 50%.  F1 = 2·(5/12)(1/2)/(11/12) = 5/11
    rn, rd, pn, pd = b_cubed(KEY, RESPONSE)
    assert ratio(rn, rd) == approx(5 / 12) and ratio(pn, pd) == approx(0.5)
    r, p = rn / rd, pn / pd
    assert 2 * p * r / (p + r) == approx(5 / 11)  # 45.45%, as in the paper


def test_ceaf_e_pradhan_example():
    # φ4(K, R) = 2|K∩R| / (|K|+|R|): {abc}~{ab} 4/5, {abc}~{cd} 2/5, {defg}~{cd} 2/6, {defg}~{fghi} 4/8.
    # best alignment: {abc}-{ab} + {defg}-{fghi} = 0.8 + 0.5 = 1.3.  R = 1.3/2 = 65%, P = 1.3/3 = 43.33%,
    # F1 = 2·0.65·0.4333/(1.0833) = 52%, as in the paper.
    sim, nk, sim2, nr = ceaf_e(KEY, RESPONSE)
    assert sim == approx(1.3) and (nk, nr) == (2, 3)
    r, p = sim / nk, sim2 / nr
    assert 2 * p * r / (p + r) == approx(0.52)


def test_identical_partitions_score_one_and_muc_ignores_singletons():
    same = [{"a", "b"}, {"c"}]
    assert muc(same, same) == (1, 1, 1, 1)
    assert b_cubed(same, same) == (3.0, 3, 3.0, 3)
    assert ceaf_e(same, same) == (2.0, 2, 2.0, 2)
    # singletons only: MUC has nothing to count (0 of 0), B-cubed and CEAF-e do
    assert muc([{"a"}], [{"a"}]) == (0, 0, 0, 0)


def test_max_assignment_finds_the_best_not_the_greedy():
    # greedy takes 0.9 (row 0 -> col 0) and then 0.1; the best is 0.8 + 0.8 = 1.6
    assert max_assignment([[0.9, 0.8], [0.8, 0.1]]) == approx(1.6)
    assert max_assignment([[0.5], [0.7]]) == approx(0.7)  # more rows than columns


# --- categorical agreement


def test_cohen_kappa_2x2_by_hand():
    # 50 items: yes/yes 20, yes/no 5, no/yes 10, no/no 15.
    # p_o = (20+15)/50 = 0.7; A says yes 25/50 = 0.5, B says yes 30/50 = 0.6;
    # p_e = 0.5·0.6 + 0.5·0.4 = 0.5; kappa = (0.7-0.5)/(1-0.5) = 0.4
    pairs = [("yes", "yes")] * 20 + [("yes", "no")] * 5 + [("no", "yes")] * 10 + [("no", "no")] * 15
    assert cohen_kappa(pairs) == approx(0.4)


def test_cohen_kappa_undefined_and_empty():
    assert cohen_kappa([]) is None
    assert cohen_kappa([("a", "a"), ("a", "a")]) is None  # p_e = 1: kappa is 0/0


def test_krippendorff_alpha_by_hand():
    # units [a a], [a b], [b b]: coincidences o_aa = 2, o_ab = o_ba = 1, o_bb = 2 (each ordered pair 1/(2-1));
    # n_a = n_b = 3, n = 6; D_o = o_ab + o_ba = 2; D_e = (n_a·n_b + n_b·n_a)/(n-1) = 18/5; alpha = 1 - 2/(18/5) = 4/9
    assert krippendorff_alpha([["a", "a"], ["a", "b"], ["b", "b"]]) == approx(4 / 9)
    assert krippendorff_alpha([["a"], ["b"]]) is None  # nothing pairable


def test_krippendorff_alpha_literature_example():
    # Krippendorff (2011), "Computing Krippendorff's alpha-reliability": 4 coders, 12 units, missing values;
    # the nominal alpha is 0.743.
    rows = ["1 2 3 3 2 1 4 1 2 . . .", "1 2 3 3 2 2 4 1 2 5 . 3", ". 3 3 3 2 3 4 2 2 5 1 .", "1 2 3 3 2 4 4 1 2 5 1 ."]
    cols = list(zip(*(r.split() for r in rows)))
    units = [[v for v in col if v != "."] for col in cols]
    assert krippendorff_alpha(units) == pytest.approx(0.743, abs=5e-4)


def test_match_overlap_is_a_maximum_matching():
    # a0 overlaps b0 by 8 and b1 by 1; a1 overlaps b0 only. Largest-overlap-first alone pairs a0-b0 and leaves a1
    # out; the maximum matching pairs a0-b1 and a1-b0.
    a = [(0, 10), (0, 2)]
    b = [(0, 8), (9, 10)]
    assert match_overlap(a, b) == [(0, 1), (1, 0)]


# --- the figures of a pair of annotators on one hand-made article

def _m(ann, n, needle, kind="NAM"):
    return mention(f"{A}/{ann}/M{n}", span(TEXT, needle), kind)


def _arg(ann, role, e, m):
    return {"role": role, "entity_id": f"{A}/{ann}/E{e}", "mention_id": f"{A}/{ann}/M{m}"}


def version_rows(ann: str, variant: str) -> dict:
    """anna: He = Putin; Tokayev; Almaty GPE. ben: He = President Tokayev; Almaty LOC. carl = anna."""
    p = dict(annotator=ann, status="candidate")
    if variant == "anna":
        entities = [entity(f"{A}/{ann}/E1", "PER", "Vladimir Putin", [_m(ann, 1, "Putin"), _m(ann, 4, "He", "PRO")], **p),
                    entity(f"{A}/{ann}/E2", "PER", "Tokayev", [_m(ann, 2, "Tokayev")], **p),
                    entity(f"{A}/{ann}/E3", "GPE", "Almaty", [_m(ann, 3, "Almaty")], **p)]
        events = [event(f"{A}/{ann}/V1", "contact.meet", span(TEXT, "met"),
                        [_arg(ann, "participant", 1, 1), _arg(ann, "participant", 2, 2), _arg(ann, "participant", 3, 3)], **p),
                  event(f"{A}/{ann}/V2", "contact.statement", span(TEXT, "said"), [_arg(ann, "speaker", 1, 4)], **p)]
        claims = [claim(f"{A}/{ann}/C1", span(TEXT, "Putin met President Tokayev in Almaty"), **p),
                  claim(f"{A}/{ann}/C2", span(TEXT, "the talks went well"), by_author=False, quote="indirect",
                        claimer={"entity_id": f"{A}/{ann}/E1", "mention_id": f"{A}/{ann}/M4"}, cue=span(TEXT, "said"), **p)]
    else:
        entities = [entity(f"{A}/{ann}/E1", "PER", "Vladimir Putin", [_m(ann, 1, "Putin")], **p),
                    entity(f"{A}/{ann}/E2", "PER", "Tokayev", [_m(ann, 2, "President Tokayev", "NOM"), _m(ann, 4, "He", "PRO")], **p),
                    entity(f"{A}/{ann}/E3", "LOC", "Almaty", [_m(ann, 3, "Almaty")], **p)]
        events = [event(f"{A}/{ann}/V1", "contact.meet", span(TEXT, "met"),
                        [_arg(ann, "participant", 1, 1), _arg(ann, "participant", 2, 2), _arg(ann, "place", 3, 3)], **p),
                  event(f"{A}/{ann}/V2", "contact.negotiate", span(TEXT, "talks"), [], **p)]
        claims = [claim(f"{A}/{ann}/C1", span(TEXT, "Putin met President Tokayev in Almaty"), stance="unclear", **p),
                  claim(f"{A}/{ann}/C2", span(TEXT, "talks went well"), by_author=False, quote="indirect",
                        claimer={"entity_id": f"{A}/{ann}/E2", "mention_id": f"{A}/{ann}/M4"}, cue=span(TEXT, "said"), **p)]
    return {"entities": entities, "events": events, "claims": claims}


def version(ann, variant) -> Version:
    return Version(A, ann, **version_rows(ann, variant))


@pytest.fixture
def figs():
    return pair_figures(compare(version("anna", "anna"), version("ben", "ben")))


def test_mention_f1_exact_partial_span_and_per_type(figs):
    # anna: Putin PER, Tokayev PER, Almaty GPE, He PER; ben: Putin PER, President Tokayev PER, Almaty LOC, He PER.
    # exact (span + type): Putin, He = 2 -> F1 = 2·2/(4+4) = 0.5
    # partial (overlap + type): Putin, He, Tokayev~President Tokayev = 3 -> 6/8 = 0.75
    # span only: Putin, Almaty, He = 3 -> 0.75
    m = figs["mentions"]
    assert (m["exact"]["matched"], m["exact"]["a"], m["exact"]["b"]) == (2, 4, 4)
    assert m["exact"]["f1"] == approx(0.5) and m["partial"]["f1"] == approx(0.75) and m["span"]["f1"] == approx(0.75)
    # PER: 3 each side; exact 2 -> 4/6; partial 3 -> 1.0. GPE: 1 vs 0 -> 0. LOC: 0 vs 1 -> 0.
    assert m["per_type"]["PER"]["exact"] == approx(2 / 3) and m["per_type"]["PER"]["partial"] == approx(1.0)
    assert m["per_type"]["GPE"]["exact"] == 0 and m["per_type"]["LOC"]["partial"] == 0


def test_coreference_figures(figs):
    # clusters by span. anna {Putin, He} {Tokayev} {Almaty}; ben {Putin} {President Tokayev, He} {Almaty}.
    # MUC: anna {Putin, He} splits in 2 -> 0 of 1; ben {President Tokayev, He} splits in 2 -> 0 of 1: R = P = 0, F1 = 0.
    # B-cubed R: {Putin,He}: (1²+1²)/2 = 1; {Tokayev}: 0; {Almaty}: 1 -> 2/4 = 0.5
    #         P: {Putin}: 1; {PT, He}: 1²/2 = 0.5; {Almaty}: 1 -> 2.5/4 = 0.625; F1 = 2·0.5·0.625/1.125 = 5/9
    # CEAF-e: {Putin,He}~{Putin} 2/3, {Putin,He}~{PT,He} 2/4, {Almaty}~{Almaty} 1; best 2/3 + 1 = 5/3;
    #         R = P = (5/3)/3 = 5/9
    c = figs["coreference"]
    assert c["muc"] == {"f1": 0.0, "precision": 0.0, "recall": 0.0}
    assert c["b_cubed"]["recall"] == approx(0.5) and c["b_cubed"]["precision"] == approx(0.625) and c["b_cubed"]["f1"] == approx(5 / 9)
    assert c["ceaf_e"]["f1"] == approx(5 / 9)
    assert c["conll_f1"] == approx((0 + 5 / 9 + 5 / 9) / 3)


def test_event_figures(figs):
    # triggers anna: met, said; ben: met, talks. By span: met -> F1 = 2·1/4 = 0.5; typed: met is contact.meet on
    # both -> 0.5; type agreement on matched triggers 1/1.
    # arguments of met: anna participant=Putin, participant=Tokayev, participant=Almaty;
    #                   ben participant=Putin, participant=President Tokayev, place=Almaty.
    # role + filler: Putin -> 2·1/6 = 1/3; filler only: Putin, Almaty -> 2·2/6 = 2/3
    e = figs["events"]
    assert e["trigger"]["f1"] == approx(0.5) and e["trigger_typed"]["f1"] == approx(0.5) and e["type_agreement"] == 1.0
    assert e["arguments"]["f1"] == approx(1 / 3) and e["argument_fillers"]["f1"] == approx(2 / 3)


def test_claim_figures(figs):
    # anna: author claim "Putin met ... Almaty" (affirm), He said "the talks went well" (indirect, affirm);
    # ben: the same author claim (unclear), He said "talks went well".
    # exact spans: 1 -> 2·1/4 = 0.5; overlap: 2 -> 1.0.
    # claimer: author/author, He/He -> 1.0; by entity: anna's He is in {Putin, He}, ben's in {PT, He}: share He -> 1.0
    # stance pairs (affirm, unclear), (affirm, affirm): p_o = 0.5; anna affirm 2/2, ben affirm 1/2, unclear 1/2;
    #   p_e = 1·0.5 + 0·0.5 = 0.5; kappa = (0.5-0.5)/0.5 = 0
    # quote pairs (none, none), (indirect, indirect): p_o = 1; p_e = 0.5·0.5 + 0.5·0.5 = 0.5; kappa = 1
    c = figs["claims"]
    assert c["exact"]["f1"] == approx(0.5) and c["overlap"]["f1"] == approx(1.0)
    assert c["claimer_agreement"] == 1.0 and c["claimer_entity_agreement"] == 1.0
    assert c["stance"] == {"agreement": 0.5, "kappa": 0.0, "items": 2}
    assert c["quote"] == {"agreement": 1.0, "kappa": 1.0, "items": 2}


# --- over a corpus


def build_corpus(tmp_path, annotators=(("anna", "anna"), ("ben", "ben"))):
    """A corpus root with the article and the given annotators' candidate versions, written through storage."""
    root = make_root(tmp_path)
    contract = load_contract(root)
    rows = {"entities": [], "events": [], "claims": []}
    for ann, variant in annotators:
        for t, rs in version_rows(ann, variant).items():
            rows[t] += rs
    tables = {"articles": records_to_table([article(A, TEXT)], "articles", contract),
              **{t: records_to_table(rs, t, contract) for t, rs in rows.items()}}
    storage.write_tables(root, tables, contract)
    return root


def test_agreement_figures_two_annotators(tmp_path):
    from newscorpus.check.validate import validate_corpus

    root = build_corpus(tmp_path)
    assert validate_corpus(root).ok  # the hand-made versions are valid candidate rows
    figs = agreement_figures(root)
    assert figs["articles"] == [A] and figs["annotators"] == ["anna", "ben"] and len(figs["pairs"]) == 1
    assert figs["pairs"][0]["annotators"] == ["anna", "ben"]
    assert figs["mean"]["mentions"]["exact"]["f1"] == approx(0.5)
    assert figs["mean"]["claims"]["stance"]["coefficient"] == "kappa"
    assert "| mention F1, exact (span + type) | 0.500 |" in figures_markdown(figs)


def test_agreement_figures_three_annotators_average_pairs_and_use_alpha(tmp_path):
    root = build_corpus(tmp_path, (("anna", "anna"), ("ben", "ben"), ("carl", "anna")))
    figs = agreement_figures(root)
    assert [p["annotators"] for p in figs["pairs"]] == [["anna", "ben"], ["anna", "carl"], ["ben", "carl"]]
    # exact mention F1 per pair: 0.5, 1.0 (carl = anna), 0.5 -> mean 2/3
    assert figs["mean"]["mentions"]["exact"]["f1"] == approx(2 / 3)
    # stance alpha: units {C1 of anna, ben, carl} = [affirm, unclear, affirm], {C2 ...} = [affirm, affirm, affirm].
    # 3 values a unit, each ordered pair weighs 1/2: o(aff,aff) = 1 + 3 = 4, o(aff,unc) = o(unc,aff) = 1;
    # n_aff = 5, n_unc = 1, n = 6; D_o = 2; D_e = (5·1 + 1·5)/5 = 2; alpha = 1 - 2/2 = 0
    assert figs["mean"]["claims"]["stance"]["alpha"] == approx(0.0)
    assert figs["mean"]["claims"]["stance"]["coefficient"] == "alpha"


def test_no_figures_without_two_annotators(tmp_path):
    root = build_corpus(tmp_path, (("anna", "anna"),))
    figs = agreement_figures(root)
    assert figs == {"articles": [], "annotators": [], "pairs": [], "mean": {}}
    assert figures_markdown(figs) == ""


def test_a_gold_only_corpus_has_no_figures(fixture_root):
    # three gold articles by one annotator: gold rows are never a version to compare
    assert agreement_figures(fixture_root) == {"articles": [], "annotators": [], "pairs": [], "mean": {}}


def _cli():
    return CorpusGroup(commands={"agreement": agreement_cmd})


def test_cli_json_and_table(tmp_path):
    root = build_corpus(tmp_path)
    result = CliRunner().invoke(_cli(), ["agreement", "--format", "json", "--path", str(root)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["mean"]["events"]["arguments"]["f1"] == approx(1 / 3)
    table = CliRunner().invoke(_cli(), ["agreement", "--path", str(root)], terminal_width=200)
    assert table.exit_code == 0
    assert "mention F1, exact (span + type)" in table.output and "0.500" in table.output
    assert "Krippendorff" not in table.output  # two annotators: kappa
    assert "Example:" in CliRunner().invoke(_cli(), ["agreement", "--help"]).output


def test_datasheet_figures_report_agreement_when_there_is_some(tmp_path):
    from newscorpus.release.card import render_figures
    from newscorpus.figures import corpus_stats

    with_two = render_figures(corpus_stats(build_corpus(tmp_path / "two")))
    assert "Inter-annotator agreement on 1 article(s) annotated by 2 annotators" in with_two
    # exact mention F1 of anna and ben is 0.5 (test_mention_f1_exact_partial_span_and_per_type)
    assert any(line.startswith("| mention F1, exact") and "0.5" in line for line in with_two.splitlines()), with_two
    alone = render_figures(corpus_stats(build_corpus(tmp_path / "one", annotators=(("anna", "anna"),))))
    assert "Inter-annotator agreement" not in alone
