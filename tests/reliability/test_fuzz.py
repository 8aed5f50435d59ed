"""Fuzzing: arbitrary and mutated inputs thrown at the Label Studio converter, the pull and the JSONL import.

Each must either convert correctly or refuse with a finding or a documented NewsCorpusError, never crash,
and never write when it refuses. Findings stay one printable line whatever the input. The number of
inputs tried is reported as a figure (see reliability_support.figure).
"""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newscorpus.contract import load_contract
from newscorpus.errors import NewsCorpusError
from newscorpus.findings import ERROR
from newscorpus.store.importer import import_file, records_to_table
from newscorpus.studio.convert import Origin, records_to_result, result_to_records
from newscorpus.studio.sync import pull
from newscorpus.check.validate import validate_corpus

from conftest import REPO
from reliability_support import A, TEXT, TEXT_B, figure, label_studio_export, records, small_corpus, snapshot

CONTRACT = load_contract(REPO)
ORIGIN = Origin(1, 2, 3, "ls-0123456789ab", "candidate", "2026-11-28T00:00:00Z")
def fuzz(n: int):
    return settings(max_examples=n, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None)


def good_result():
    r = records()
    pick = lambda t: [x for x in r[t] if x["article_id"] == A]
    return records_to_result(A, pick("entities"), pick("events"), pick("claims"))


json_values = st.recursive(st.none() | st.booleans() | st.integers(-10, 10**10) | st.floats(allow_nan=False) | st.text(max_size=12),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                           max_leaves=12)
nasty_text = st.sampled_from(["", "M1", "PER", "PLANET", "x\n\x1b[2J", "\u202eevil", "<script>alert(1)</script>", "E1", "C1.cue",
                              "participant", "claimer", "CLAIM", "CUE", "kind", "cluster", "labels", "\ufeff", "M1/../x"]) | st.text(max_size=10)


@st.composite
def mutated_result(draw):
    """The good result of an annotation with a few random mutations: keys dropped, values replaced by arbitrary
    JSON or nasty strings, offsets moved anywhere, items duplicated, relations added between random ids."""
    res = good_result()
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(res) - 1))
        item = res[i]
        op = draw(st.sampled_from(["drop", "replace", "offset", "label", "dup", "relation", "id", "type", "value"]))
        if op == "drop":
            item.pop(draw(st.sampled_from(sorted(item))), None)
        elif op == "replace":
            item[draw(st.sampled_from(sorted(item) + ["extra"]))] = draw(json_values)
        elif op == "offset" and isinstance(item.get("value"), dict):
            item["value"][draw(st.sampled_from(["start", "end"]))] = draw(st.integers(-5, len(TEXT) + 5) | json_values)
        elif op == "label" and isinstance(item.get("value"), dict):
            key = draw(st.sampled_from(["labels", "choices", "text"]))
            item["value"][key] = draw(st.lists(nasty_text, max_size=2) | json_values)
        elif op == "dup":
            res.append(copy.deepcopy(item))
        elif op == "relation":
            ids = [x.get("id") for x in res if isinstance(x, dict)] + ["nowhere"]
            res.append({"from_id": draw(st.sampled_from(ids)), "to_id": draw(st.sampled_from(ids)), "type": "relation",
                        "labels": draw(st.lists(nasty_text, max_size=2))})
        elif op == "id":
            item["id"] = draw(nasty_text | json_values)
        elif op == "type":
            item["type"] = draw(st.sampled_from(["labels", "choices", "textarea", "relation", "rectanglelabels"]) | nasty_text)
        elif op == "value":
            item["value"] = draw(json_values)
    return res


def _check_conversion(result):
    records_, findings = result_to_records(result, A, TEXT, ORIGIN, CONTRACT, f"{A}/{ORIGIN.annotator}")
    for f in findings:
        line = f.line()
        assert "\n" not in line and line.isprintable(), repr(line)
    if any(f.severity == ERROR for f in findings):
        assert records_ == {}
        return "refused"
    for table, rows in records_.items():
        records_to_table(rows, table, CONTRACT)  # storable as they are
        for row in rows:
            for sp in [m for m in row.get("mentions", [])] + [row.get(k) for k in ("trigger", "span", "cue") if row.get(k)]:
                assert TEXT[sp["start"]:sp["end"]] == sp["text"]
    return "converted"


def test_converter_survives_mutated_and_arbitrary_results():
    outcomes = {"converted": 0, "refused": 0}

    @fuzz(300)
    @given(mutated_result() | st.lists(json_values, max_size=5) | json_values)
    def run(result):
        outcomes[_check_conversion(result)] += 1

    run()
    figure("fuzz_converter_inputs", outcomes)
    assert outcomes["refused"] > 50 and outcomes["converted"] > 5


class FakeClient:
    url = "http://127.0.0.1:9"

    def __init__(self, export):
        self.export = export

    def find_project(self, title):
        return {"id": 1, "title": title}

    def snapshot(self, project_id):
        return copy.deepcopy(self.export)

    def users(self):
        return {1: "ann@example.org", 2: "bob@example.org"}


@st.composite
def mutated_export(draw):
    export = label_studio_export({A: TEXT, "b-rel": TEXT_B}, {A: [{"id": 11, "completed_by": 1, "result": draw(mutated_result())},
                                                                   {"id": 12, "completed_by": 2, "result": good_result()}]})
    for _ in range(draw(st.integers(0, 2))):
        task = draw(st.sampled_from(export))
        where = draw(st.sampled_from(["task", "data", "annotation"]))
        target = task if where == "task" else task["data"] if where == "data" else draw(st.sampled_from(task["annotations"] or [{}]))
        target[draw(st.sampled_from(sorted(target) + ["extra"]))] = draw(json_values | nasty_text)
    return export


def test_pull_survives_mutated_and_arbitrary_exports(tmp_path_factory):
    root = small_corpus(tmp_path_factory.mktemp("fuzz-pull"))
    pristine = snapshot(root)
    outcomes = {"written": 0, "refused": 0, "nothing new": 0}

    @fuzz(60)
    @given(mutated_export() | json_values)
    def run(export):
        from reliability_support import restore

        restore(root, pristine)
        try:
            result = pull(root, client=FakeClient(export))
        except NewsCorpusError:
            assert snapshot(root) == pristine  # a refused pull writes nothing
            outcomes["refused"] += 1
            return
        for f in result.findings:
            assert "\n" not in f.line() and f.line().isprintable()
        if result.written:
            outcomes["written"] += 1
            assert validate_corpus(root).ok
        else:
            outcomes["nothing new"] += 1
            assert snapshot(root) == pristine

    run()
    figure("fuzz_pull_exports", outcomes)
    assert outcomes["refused"] and outcomes["written"]


@st.composite
def mutated_jsonl(draw):
    """JSONL of entities: valid records mutated (fields replaced, offsets moved, ids repeated), or the text of
    a valid file with bytes cut, inserted or flipped, or arbitrary bytes."""
    recs = [copy.deepcopy(r) for r in records()["entities"][:3]]  # stored already: a mutation that stays valid is an update
    kind = draw(st.sampled_from(["fields", "bytes", "arbitrary"]))
    if kind == "fields":
        for _ in range(draw(st.integers(1, 3))):
            r = draw(st.sampled_from(recs))
            key = draw(st.sampled_from(sorted(r) + ["extra"]))
            if key == "mentions" and draw(st.booleans()):
                m = r["mentions"][0]
                m[draw(st.sampled_from(["start", "end", "text", "id", "kind"]))] = draw(st.integers(-3, 80) | nasty_text | json_values)
            else:
                r[key] = draw(json_values | nasty_text)
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs).encode()
    if kind == "bytes":
        data = bytearray("".join(json.dumps(r) + "\n" for r in recs).encode())
        for _ in range(draw(st.integers(1, 4))):
            i = draw(st.integers(0, len(data) - 1))
            op = draw(st.sampled_from(["cut", "flip", "insert"]))
            if op == "cut":
                del data[i: i + draw(st.integers(1, 40))]
            elif op == "flip":
                data[i] ^= draw(st.integers(1, 255))
            else:
                data[i:i] = draw(st.binary(min_size=1, max_size=4))
        return bytes(data)
    return draw(st.binary(max_size=200))


def test_import_survives_mutated_and_arbitrary_jsonl(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fuzz-import")
    root = small_corpus(tmp)
    pristine = snapshot(root)
    outcomes = {"imported": 0, "refused": 0}

    @fuzz(150)
    @given(mutated_jsonl())
    def run(data):
        from reliability_support import restore

        restore(root, pristine)
        path = tmp / "fuzz.jsonl"
        path.write_bytes(data)
        try:
            import_file(root, "entities", path)
        except NewsCorpusError as exc:
            assert "\n" not in str(exc)
            for f in getattr(exc, "findings", []):
                assert "\n" not in f.line() and f.line().isprintable(), repr(f.line())
            assert snapshot(root) == pristine
            outcomes["refused"] += 1
            return
        outcomes["imported"] += 1
        assert validate_corpus(root).ok

    run()
    figure("fuzz_import_files", outcomes)
    assert outcomes["refused"] > 20
