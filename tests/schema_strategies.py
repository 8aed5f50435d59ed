"""Hypothesis strategies for records of a resolved table schema (the keywords our schemas use).

hypothesis-jsonschema 0.23 does not run with current hypothesis (it calls a removed internal API), so the
few keywords of schema/ are mapped here: type (with null), enum, pattern, minLength/maxLength,
minimum/maximum, minItems/maxItems, properties/required, items, anyOf [X, null].
"""

from __future__ import annotations

from hypothesis import strategies as st

from newscorpus.contract import _non_null, _allows_null


def from_node(node: dict) -> st.SearchStrategy:
    inner = _non_null(node)
    strat = _value(inner)
    return st.one_of(st.none(), strat) if _allows_null(node) else strat


def _value(node: dict) -> st.SearchStrategy:
    if "enum" in node:
        return st.sampled_from([v for v in node["enum"] if v is not None])
    t = node.get("type")
    if t == "string":
        lo, hi = node.get("minLength", 0), node.get("maxLength", 10**6)
        if "pattern" in node:
            return st.from_regex(node["pattern"], fullmatch=True).filter(lambda s: lo <= len(s) <= hi)
        return st.text(min_size=lo, max_size=min(hi, 40))
    if t == "integer":
        return st.integers(node.get("minimum", -(2**31)), min(node.get("maximum", 2**31 - 1), 2**31 - 1))
    if t == "boolean":
        return st.booleans()
    if t == "array":
        return st.lists(from_node(node["items"]), min_size=node.get("minItems", 0), max_size=node.get("maxItems", 3))
    if t == "object":
        return st.fixed_dictionaries({k: from_node(v) for k, v in node["properties"].items()})
    raise NotImplementedError(f"no strategy for {node}")


def records(schema: dict) -> st.SearchStrategy:
    return from_node(schema)
