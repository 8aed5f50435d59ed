"""The columnar JSON Schema engine gives jsonschema's verdicts: the same records invalid, the same fields,
the same check ids. Valid records are generated from each schema, then one field is broken."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newscorpus.contract import TABLES, _allows_null, _non_null, load_contract
from newscorpus.check.schema import compile_table, record_findings
from newscorpus.store.storage import relaxed

from conftest import REPO
from schema_strategies import records

CONTRACT = load_contract(REPO)


def _leaves(node, path=()):
    """(path, node) for every field; list items get the index 0 (the mutation makes sure one exists)."""
    node_nn = _non_null(node)
    yield path, node
    if node_nn.get("type") == "object":
        for k, v in node_nn["properties"].items():
            yield from _leaves(v, path + (k,))
    elif node_nn.get("type") == "array":
        yield from _leaves(node_nn["items"], path + (0,))


def _violations(node):
    """Values (of the right Arrow type) that break `node`, each with the check id it must give."""
    out = []
    nn = _non_null(node)
    if not _allows_null(node):
        out.append((None, "schema-null"))
    if "enum" in nn:
        out.append(("not-a-label", "schema-enum"))
    if "pattern" in nn:
        out.append(("~~ no pattern matches this ~~", "schema-pattern"))
    if "minLength" in nn and nn["minLength"] > 0 and "pattern" not in nn and "enum" not in nn:
        out.append(("", "schema-length"))
    if "maxLength" in nn and "pattern" not in nn and "enum" not in nn:
        out.append(("x" * (nn["maxLength"] + 1), "schema-length"))
    if nn.get("type") == "integer" and "minimum" in nn:
        out.append((nn["minimum"] - 1, "schema-range"))
    if nn.get("type") == "array" and nn.get("minItems", 0) > 0:
        out.append(([], "schema-items"))
    return out


def _set(record, path, value):
    node = record
    for p in path[:-1]:
        node = node[p]
    node[path[-1]] = value


def _get(record, path):
    node = record
    for p in path:
        if node is None or (isinstance(p, int) and (not isinstance(node, list) or len(node) <= p)):
            return _MISSING
        node = node[p]
    return node


_MISSING = object()


def _path_str(path):
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else p)
    return out


@pytest.mark.parametrize("table", TABLES)
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_engine_agrees_with_jsonschema(table, data):
    schema = CONTRACT.schemas[table]
    rows = data.draw(st.lists(records(schema), min_size=2, max_size=4))
    broken = data.draw(st.sets(st.integers(0, len(rows) - 1), max_size=len(rows)))
    for i in sorted(broken):
        # choose a field that exists in this record (its parent is present) and a way to break it
        choices = [(p, v) for p, n in _leaves(schema) if p and _get(rows[i], p) is not _MISSING
                   and _get(rows[i], p[:-1]) is not None for v in _violations(n)]
        path, (value, _) = data.draw(st.sampled_from(choices))
        _set(rows[i], path, value)
    arrow = pa.Table.from_pylist(rows, schema=relaxed(CONTRACT.arrow_schema(table)))
    findings, bad = compile_table(table, schema).check(arrow, ids=[str(i) for i in range(len(rows))])
    engine = {(f.record, f.field, f.check) for f in findings}
    reference = set()
    for i, rec in enumerate(rows):
        reference |= {(f.record, f.field, f.check) for f in record_findings(CONTRACT.validators[table], table, rec, str(i))}
    assert engine == reference
    assert {int(i) for i, _, _ in reference} == set(map(int, [i for i, b in enumerate(bad) if b]))


def test_lengths_decide_bounds_like_characters():
    """The engine counts characters only for strings whose byte length leaves minLength/maxLength open;
    its verdicts are those of the lengths in characters, for 1- to 4-byte characters, nulls and slices."""
    import random

    import numpy as np

    from newscorpus.check.schema import _char_lengths

    rng = random.Random(4)
    values = ["".join(rng.choice("aé€😀") for _ in range(rng.randrange(0, 12))) for _ in range(3000)] + [None]
    arr = pa.array(["pad"] + values).slice(1)
    for low, high in ((1, None), (3, 5), (None, 4), (2, 2), (0, 30)):
        got = _char_lengths(arr, low, high).to_numpy(zero_copy_only=False)
        for v, g in zip(values, got.tolist()):
            if v is None:
                continue
            ok = (low is None or len(v) >= low) and (high is None or len(v) <= high)
            assert ((low is None or g >= low) and (high is None or g <= high)) == ok, (v, g, low, high)
        assert np.isnan(got[-1]) or got[-1] is None


def test_dollar_ends_the_string_for_both_engines():
    """`$` in a pattern is the end of the string (ECMA-262, RE2), not also the place before a final newline
    (Python's `re`): an id with a trailing newline fails the columnar engine and the JSON validators alike."""
    from newscorpus.contract import _python_regex

    base = {"id": "kz-csto/E1", "article_id": "kz-csto", "type": "PER", "name": "X", "wikidata": None,
            "mentions": [{"id": "kz-csto/M1", "start": 0, "end": 1, "text": "X", "kind": "NAM"}], "event_ids": [],
            "annotator": "gold-seed", "status": "gold", "origin": "manual", "source_ref": None, "updated_at": "2026-11-28T14:00:00Z"}
    rows = [base, {**base, "id": "kz-csto/E1\n"}, {**base, "annotator": "gold-seed\n"}]
    arrow = pa.Table.from_pylist(rows, schema=relaxed(CONTRACT.arrow_schema("entities")))
    findings, _ = compile_table("entities", CONTRACT.schemas["entities"]).check(arrow, ids=["0", "1", "2"])
    engine = {(f.record, f.field, f.check) for f in findings}
    reference = set()
    for i, rec in enumerate(rows):
        reference |= {(f.record, f.field, f.check) for f in record_findings(CONTRACT.validators["entities"], "entities", rec, str(i))}
    assert engine == reference == {("1", "id", "schema-pattern"), ("2", "annotator", "schema-pattern")}
    assert _python_regex("^a[$]b\\$$").search("a$b$") and not _python_regex("^a$").search("a\n")


# --- patterns matched by shape -------------------------------------------------------------------------

def _schema_patterns():
    out = set()

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("pattern"), str):
                out.add(node["pattern"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(CONTRACT.schemas)
    return sorted(out)


# the corpus's patterns, and constructs they do not use yet: escapes whose ASCII members differ between RE2
# and Python's re (\s and \v), word boundaries, '.', negated classes, alternation, non-ASCII literals
_EXTRA_PATTERNS = [r"^\d{2,3}\s\w+$", r"\bab.c\b", r"^[^a-c/]+(x|yz)?$", r"é+[^xé]?$", r"^(Q|q)[1-9]\d*$", r"^\S+$", r"a\Wb",
                   r"^[^\n]*$", r"^.+$"]
_CHARS = "aAbBcCqQxXyYzZhpst09_-./:/ \t\n\r\v\x0c\x00\x1cé€😀"


@pytest.mark.parametrize("pattern", _schema_patterns() + _EXTRA_PATTERNS)
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_shapes_match_as_the_values_do(pattern, data):
    """A value and its shape match a pattern alike (RE2, Arrow's engine), whatever the characters: matching
    strings from the pattern, each with some characters replaced, and strings of arbitrary characters. For
    the corpus's patterns, the JSON validators agree too."""
    import re

    import pyarrow.compute as pc

    from newscorpus.contract import _python_regex
    from newscorpus.check.schema import mismatches_by_shape, shape_table, shapes

    table = shape_table(pattern)
    assert table is not None, pattern
    matching = data.draw(st.lists(st.from_regex(re.compile(pattern), fullmatch=False), min_size=1, max_size=12))
    edits = data.draw(st.lists(st.tuples(st.integers(0, 11), st.integers(0, 40), st.sampled_from(_CHARS)), max_size=12))
    values = list(matching)
    for which, at, char in edits:
        v = values[which % len(values)]
        values.append(v[:at] + char + v[at + 1:])
    values += data.draw(st.lists(st.text(st.sampled_from(_CHARS), max_size=10), max_size=12))
    arr = pa.array(["pad"] + values, pa.string()).slice(1)
    got = np.asarray(mismatches_by_shape(shapes(arr, table), pattern), dtype=bool).tolist()
    by_re2 = pc.invert(pc.match_substring_regex(arr, pattern)).to_pylist()
    assert got == by_re2, [(v, g, r) for v, g, r in zip(values, got, by_re2) if g != r]
    if pattern in _schema_patterns():  # (Python's \s and \d take in non-ASCII characters that RE2's do not)
        assert got == [not _python_regex(pattern).search(v) for v in values]


def test_shapes_refuse_patterns_they_cannot_be_sure_of():
    from newscorpus.check.schema import shape_table

    for pattern in ["(?i)^abc$", r"(a)\1", "[[:alpha:]]", r"^\pL", r"a(?=b)", r"(?<!a)b", r"\Qa.b\E"]:
        assert shape_table(pattern) is None, pattern
    table = shape_table("^[a-z0-9][a-z0-9-]*(/[A-Za-z0-9_.-]+)+$")
    assert table is not None
    assert b"kz-csto/M12".translate(table) == b"kz-csto/M12".translate(table).translate(table)
    assert len({b"kz-csto/M12".translate(table), b"ab-cdef/X99".translate(table)}) == 1
    assert b"kz-csto/M12".translate(table) != b"kz-csto/m12".translate(table)  # M is allowed after the slash only


def test_long_columns_report_the_rows_that_fail_their_pattern(monkeypatch):
    """Past _SHAPES_FROM values a column is matched by shape: the failing ids are found, at their rows and
    list positions, among many that pass; a column of many shapes is matched value by value, just as well."""
    import random

    from newscorpus.check import schema as schemacheck

    by_shape = []
    real = schemacheck.mismatches_by_shape
    monkeypatch.setattr(schemacheck, "mismatches_by_shape", lambda shaped, pattern: by_shape.append(len(shaped)) or real(shaped, pattern))
    rng = random.Random(5)
    base = {"article_id": "kz-csto", "type": "PER", "name": "X", "wikidata": None, "event_ids": [], "annotator": "gold-seed", "status": "gold",
            "origin": "manual", "source_ref": None, "updated_at": "2026-11-28T14:00:00Z"}
    n = schemacheck._SHAPES_FROM + 500
    for many_shapes in (False, True):
        def local(i, j):  # a few shapes (M1.0, M12.1, ...) or hundreds (aB.-0x, ...)
            return "".join(rng.choice("aB.-0_") for _ in range(6)) + f"{i}.{j}" if many_shapes else f"M{i}.{j}"
        rows = [{**base, "id": f"kz-csto/E{i}", "mentions": [{"id": f"kz-csto/{local(i, j)}", "start": 0, "end": 1, "text": "X", "kind": "NAM"}
                                                              for j in range(2)]} for i in range(n)]
        rows[17]["id"] = "kz-csto/E17/"
        rows[4000]["mentions"][1]["id"] = "Kz-csto/M4000.1"
        rows[4001]["annotator"] = "Gold"
        arrow = pa.Table.from_pylist(rows, schema=relaxed(CONTRACT.arrow_schema("entities")))
        by_shape.clear()
        findings, bad = compile_table("entities", CONTRACT.schemas["entities"]).check(arrow, ids=[str(i) for i in range(n)])
        assert {(f.record, f.field, f.check) for f in findings} == {
            ("17", "id", "schema-pattern"), ("4000", "mentions[1].id", "schema-pattern"), ("4001", "annotator", "schema-pattern")}
        assert np.flatnonzero(bad).tolist() == [17, 4000, 4001]
        assert n in by_shape and (2 * n in by_shape) != many_shapes  # the ids by shape; the mention ids unless many shapes


def test_shapes_need_python_s_parser(monkeypatch):
    """The shapes use Python's private re parser; without it every pattern is matched value by value."""
    import re
    import sys

    from newscorpus.check.schema import shape_table

    shape_table.cache_clear()
    monkeypatch.delattr(re, "_parser")
    monkeypatch.setitem(sys.modules, "re._parser", None)
    try:
        assert shape_table("^[a-z]+$") is None
    finally:
        shape_table.cache_clear()
