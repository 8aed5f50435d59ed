"""A columnar JSON Schema engine: each table's resolved JSON Schema compiled into checks over Arrow arrays.

Types, required fields and additionalProperties are guaranteed by the Arrow schema the table is read
with (storage.conform); what is left (null, enum, const, pattern, minLength/maxLength, minimum/maximum,
minItems/maxItems, nested objects and arrays of objects) is checked with pyarrow compute over whole
columns, nested values flattened with their parent row kept. Keywords it does not compile are listed in
`fallback_keywords` and checked per record with `jsonschema`, on those records only.

The same check ids are used for JSON input (`record_findings`), so that an import and a stored table
report a problem the same way.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..contract import _allows_null, _non_null
from ..findings import Finding
from ..store.storage import one_array, string_offsets

# keywords with no run-time meaning here, or guaranteed by the Arrow schema
_STRUCTURAL = {"type", "properties", "required", "additionalProperties", "items", "anyOf",
               "description", "title", "x-ontology", "$comment", "examples", "default"}
_COMPILED = {"enum", "const", "pattern", "minLength", "maxLength", "minimum", "maximum", "minItems", "maxItems"}
_KEYWORD_CHECK = {
    "enum": "schema-enum", "const": "schema-enum", "pattern": "schema-pattern",
    "minLength": "schema-length", "maxLength": "schema-length",
    "minimum": "schema-range", "maximum": "schema-range", "exclusiveMinimum": "schema-range", "exclusiveMaximum": "schema-range",
    "minItems": "schema-items", "maxItems": "schema-items",
    "type": "schema-structure", "required": "schema-structure", "additionalProperties": "schema-structure",
}


@dataclass
class Level:
    """Values at one depth of the schema: `values` (an Arrow array), the path of each value as a format
    string, and `locate`, which gives for some of the values (their indices) their top-level rows and the
    list positions that fill the path's []. Rows and positions are only worked out for failing values."""

    values: pa.Array
    path: str
    locate: object  # (indices: np.ndarray) -> (rows: np.ndarray, positions: tuple of np.ndarray, one per [])


def _top(idx: np.ndarray):
    return idx, ()


def _kept(level: Level, mask: np.ndarray):
    """locate() of the values of `level` kept by `mask`."""
    kept = []

    def locate(idx):
        if not kept:
            kept.append(np.flatnonzero(mask))
        return level.locate(kept[0][idx])
    return locate


def _items(level: Level, offsets: np.ndarray):
    """locate() of the flattened items of the lists of `level` (whose offsets are given)."""
    def locate(idx):
        at = idx + offsets[0]
        parent = np.searchsorted(offsets, at, side="right") - 1
        rows, positions = level.locate(parent)
        return rows, (*positions, at - offsets[parent])
    return locate


@dataclass
class CompiledTable:
    table: str
    schema: dict
    fallback_keywords: set = field(default_factory=set)

    def check(self, data: pa.Table, ids: list | None = None) -> tuple[list[Finding], np.ndarray]:
        """Findings for `data` (already conformed to the Arrow schema) and a boolean mask of the rows
        that failed level 1."""
        bad = np.zeros(data.num_rows, dtype=bool)
        findings: list[Finding] = []
        root_props = self.schema["properties"]
        for name, node in root_props.items():
            col = data.column(name)
            values = one_array(col)
            level = Level(values, name, _top)
            for rows, path, check, message in _walk(node, level):
                bad[rows] = True
                # only the ids of failing rows are turned into Python objects
                rec = [ids[r] for r in rows.tolist()] if ids is not None else _ids_at(data, rows)
                for r, p in zip(rec, path):
                    findings.append(Finding(check, self.table, r, p, message))
        if self.fallback_keywords:
            ids = ids if ids is not None else _ids(data)
            findings.extend(self._fallback(data, ids, bad))
        return findings, bad

    def _fallback(self, data: pa.Table, ids, bad) -> list[Finding]:
        from jsonschema import Draft202012Validator

        validator = Draft202012Validator(self.schema)
        out = []
        for i, record in enumerate(data.to_pylist()):
            for err in validator.iter_errors(record):
                if err.validator in self.fallback_keywords:
                    bad[i] = True
                    out.append(Finding("schema-other", self.table, ids[i], _json_path(err.absolute_path), f"{err.validator}: {err.message}"))
        return out


def compile_table(table: str, schema: dict) -> CompiledTable:
    compiled = CompiledTable(table, schema)
    _collect_fallback(schema, compiled.fallback_keywords)
    return compiled


def _collect_fallback(node: dict, out: set) -> None:
    for key, value in node.items():
        if key not in _STRUCTURAL and key not in _COMPILED:
            out.add(key)
    for child in node.get("properties", {}).values():
        _collect_fallback(child, out)
    if isinstance(node.get("items"), dict):
        _collect_fallback(node["items"], out)
    for alt in node.get("anyOf", ()):
        if alt.get("type") != "null":
            _collect_fallback(alt, out)
    if "anyOf" in node and len([a for a in node["anyOf"] if a.get("type") != "null"]) != 1:
        out.add("anyOf")


def _ids(data: pa.Table) -> list:
    return data.column("id").to_pylist() if "id" in data.column_names else [str(i) for i in range(data.num_rows)]


def _ids_at(data: pa.Table, rows: np.ndarray) -> list:
    if "id" not in data.column_names:
        return [str(i) for i in rows.tolist()]
    return data.column("id").take(pa.array(rows, pa.int64())).to_pylist()


def _paths(level: Level, positions: tuple, n: int) -> list[str]:
    if not positions:
        return [level.path] * n
    template = level.path.replace("{", "{{").replace("}", "}}").replace("[]", "[{}]")
    return [template.format(*vals) for vals in zip(*(p.tolist() for p in positions))]


def _emit(level: Level, failing, check: str, message: str):
    if isinstance(failing, (pa.Array, pa.ChunkedArray)):  # (normally all false: a bitmap test, no conversion)
        if failing.null_count == len(failing) or not pc.any(failing).as_py():
            return
        failing = failing.to_numpy(zero_copy_only=False)
    mask = np.asarray(failing, dtype=bool)
    if mask.any():
        rows, positions = level.locate(np.flatnonzero(mask))
        yield rows, _paths(level, positions, len(rows)), check, message


def _walk(node: dict, level: Level):
    values = level.values
    if not _allows_null(node) and values.null_count:
        yield from _emit(level, values.is_null(), "schema-null", "is null, which the schema does not allow")
    if values.null_count:
        keep = values.is_valid()
        level = Level(values.filter(keep), level.path, _kept(level, keep.to_numpy(zero_copy_only=False)))
        values = level.values
    if len(values) == 0:
        return
    node = _non_null(node)
    yield from _scalar_checks(node, level)
    if node.get("type") == "object" or "properties" in node:
        for i, (name, child) in enumerate(node["properties"].items()):
            child_values = values.field(i)
            yield from _walk(child, Level(child_values, f"{level.path}.{name}", level.locate))
    elif node.get("type") == "array":
        lengths = pc.list_value_length(values)
        if "minItems" in node:
            yield from _emit(level, pc.less(lengths, node["minItems"]), "schema-items", f"has fewer than {node['minItems']} item(s)")
        if "maxItems" in node:
            yield from _emit(level, pc.greater(lengths, node["maxItems"]), "schema-items", f"has more than {node['maxItems']} item(s)")
        flat = values.flatten()
        if len(flat):
            yield from _walk(node["items"], Level(flat, f"{level.path}[]", _items(level, values.offsets.to_numpy())))


_DISTINCT_SAMPLE = 1024  # values looked at to tell a repetitive string column (article_id, status, ...)


def _few_runs(values: pa.Array) -> bool:
    n = len(values)
    return n > 1 and values.null_count == 0 and (pc.sum(pc.not_equal(values.slice(1), values.slice(0, n - 1))).as_py() + 1) * 4 <= n


def _char_lengths(values: pa.Array, low: int | None, high: int | None) -> pa.Array:
    """Lengths of the strings, in characters where that decides `low <= length <= high`, else in bytes:
    a string of n bytes has n/4 to n characters, so only those whose bytes leave it open are counted in
    characters (the others would pass or fail either way)."""
    if not len(values) or values.buffers()[2] is None:
        return pc.utf8_length(values)
    bounds = string_offsets(values)
    nbytes = np.diff(bounds).astype(np.int64)
    open_ = np.zeros(len(nbytes), dtype=bool)
    if low:
        open_ |= (nbytes >= low) & (nbytes < 4 * low - 3)
    if high is not None:
        open_ |= nbytes > high
    if values.null_count:
        open_ &= values.is_valid().to_numpy(zero_copy_only=False)
    if not open_.any() or np.frombuffer(values.buffers()[2], np.uint8)[bounds[0]:bounds[-1]].max() < 0x80:
        return pc.binary_length(values)  # bytes decide, or all ASCII: bytes are characters
    rows = np.flatnonzero(open_)
    nbytes[rows] = pc.utf8_length(values.take(pa.array(rows))).to_numpy(zero_copy_only=False)
    return pa.array(nbytes, mask=~values.is_valid().to_numpy(zero_copy_only=False) if values.null_count else None)


def equal_runs(values: pa.Array):
    """(the first value of every run of equal values, the run of every value) if the runs are few (a
    quarter of the values at most), else None. Costs one comparison of neighbours."""
    n = len(values)
    if n < 2 or values.null_count:
        return None
    change = pc.not_equal(values.slice(1), values.slice(0, n - 1)).to_numpy(zero_copy_only=False)
    if (int(change.sum()) + 1) * 4 > n:
        return None
    heads = np.flatnonzero(np.concatenate([[True], change]))
    run = np.cumsum(change, dtype=np.int32)
    return values.take(pa.array(heads)), pa.array(np.concatenate([np.zeros(1, np.int32), run]))


# --- patterns by shape -----------------------------------------------------------------------------
# A regular expression cannot tell apart two ASCII characters that every character class, literal and
# escape of the pattern either both contain or both leave out ("a" and "b" in ^[a-z]+$). Replacing each
# ASCII byte by the first byte of its class gives a string (its shape) that matches exactly when the
# original does, and ids have few shapes ("kz-csto/M12" -> "aa-aaaa/Aaa"). So a long column is matched
# once a distinct shape instead of once a value: RE2 costs ~45 ns a call however short the string, while
# the translation is one pass over the bytes and the shapes are hashed at ~5 ns each.

_SHAPES_FROM = 4096  # values in a column before its pattern is matched by shape
_SHAPE_SAMPLE = 1024  # values whose shapes are looked at first: more than a quarter distinct, no gain
_ASCII = set(range(128))


def _category_sets(category) -> list[set]:
    """ASCII members of \\d, \\s, \\w (and their negations) as RE2 reads them and as Python's re does:
    both are kept, so that the classes split every place where either engine would."""
    re2 = {"DIGIT": set(range(48, 58)), "SPACE": {9, 10, 12, 13, 32},
           "WORD": set(range(48, 58)) | set(range(65, 91)) | set(range(97, 123)) | {95}}
    name = str(category).replace("CATEGORY_", "").replace("NOT_", "")
    if name not in re2:
        raise ValueError(category)
    py = {b for b in range(128) if re.fullmatch(f"\\{name[0].lower()}", chr(b))}
    return [re2[name], py]


def _class_sets(items) -> list[set]:
    """A parsed [...] is one set, whether negated or not (a byte is in it or not): its ASCII members with its
    \\d, \\s, \\w as RE2 reads them, and again as re does."""
    from re import _constants as c

    members, by_re2, by_re = set(), set(), set()
    for op, item in items:
        if op == c.LITERAL:
            members.add(item)
        elif op == c.RANGE:
            members.update(range(item[0], min(item[1], 127) + 1))
        elif op == c.CATEGORY:
            re2, python = _category_sets(item)
            by_re2 |= re2
            by_re |= python
        elif op != c.NEGATE:
            raise ValueError(op)
    return [(members | by_re2) & _ASCII, (members | by_re) & _ASCII]


def _atom_sets(parsed, out: list) -> None:
    """The sets of ASCII bytes that the atoms of a parsed pattern (re's parser) tell apart; ValueError for
    anything whose effect on classes is not certain here (flags, back-references, look-arounds)."""
    from re import _constants as c

    for op, arg in parsed:
        if op in (c.LITERAL, c.NOT_LITERAL):
            out.append({arg} & _ASCII)
        elif op == c.IN:
            out.extend(_class_sets(arg))
        elif op == c.ANY or op == c.AT and arg in (c.AT_BEGINNING, c.AT_BEGINNING_STRING, c.AT_END, c.AT_END_STRING):
            pass
        elif op == c.AT and arg in (c.AT_BOUNDARY, c.AT_NON_BOUNDARY):
            out.extend(_category_sets(c.CATEGORY_WORD))
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT):
            _atom_sets(arg[2], out)
        elif op == c.SUBPATTERN:
            if arg[1] or arg[2]:
                raise ValueError("inline flags")
            _atom_sets(arg[3], out)
        elif op == c.BRANCH:
            for alternative in arg[1]:
                _atom_sets(alternative, out)
        else:
            raise ValueError(op)


@functools.lru_cache(maxsize=None)
def shape_table(pattern: str) -> bytes | None:
    """A bytes.translate table mapping each ASCII byte to the first byte of its class for `pattern`
    (other bytes, hence every UTF-8 sequence, unchanged), or None if the pattern is not understood well
    enough to be sure (it is then matched value by value). Newline and carriage return stay apart for
    `$` and `.`; RE2-only syntax that Python's parser would read otherwise ([[:alpha:]]) is refused."""
    if "[:" in pattern:
        return None
    try:
        from re import _parser  # (Python's own parser, private: if it ever moves, patterns go value by value)

        parsed = _parser.parse(pattern)
        if parsed.state.flags & ~re.UNICODE:
            return None
        sets = [{10}, {13}]
        _atom_sets(parsed, sets)
    except (ImportError, AttributeError, re.error, ValueError, TypeError, IndexError, OverflowError, RecursionError):
        return None
    table = bytearray(range(256))
    first = {}
    for b in range(128):
        table[b] = first.setdefault(tuple(b in s for s in sets), b)
    return bytes(table)


def shapes(values: pa.Array, table: bytes) -> pa.Array:
    """The strings of `values` (no nulls) with their bytes translated by `table`: one pass over the data."""
    off = string_offsets(values)
    data = values.buffers()[2]
    translated = b"" if data is None else data.slice(int(off[0]), int(off[-1] - off[0])).to_pybytes().translate(table)
    return pa.Array.from_buffers(values.type, len(values), [None, pa.py_buffer(off - off[0]), pa.py_buffer(translated)])


def _mismatches(values: pa.Array, pattern: str, by_shape: bool = True) -> pa.Array:
    """A boolean array: which values do not match `pattern` (RE2, Arrow's engine)."""
    table = shape_table(pattern) if by_shape and len(values) >= _SHAPES_FROM and values.null_count == 0 and \
        (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)) else None
    if table is not None:
        shaped = shapes(values, table)
        if len(pc.unique(shaped.slice(0, _SHAPE_SAMPLE))) * 4 <= min(len(shaped), _SHAPE_SAMPLE):
            return mismatches_by_shape(shaped, pattern)
    return pc.invert(pc.match_substring_regex(values, pattern))


def mismatches_by_shape(shaped: pa.Array, pattern: str):
    """Which of the values whose shapes are given do not match `pattern`: each distinct shape matched once."""
    distinct = pc.unique(shaped)
    bad = distinct.filter(pc.invert(pc.match_substring_regex(distinct, pattern)))
    return pc.is_in(shaped, value_set=bad) if len(bad) else np.zeros(len(shaped), dtype=bool)


def _scalar_checks(node: dict, level: Level):
    values = level.values
    lookup = None
    if pa.types.is_dictionary(values.type):  # (read so by the validator) each distinct value checked once
        values, lookup = values.dictionary, values.indices
    elif ("pattern" in node or "minLength" in node or "maxLength" in node or "enum" in node or "const" in node) and \
            pa.types.is_string(values.type) and len(values) > 4 * _DISTINCT_SAMPLE and \
            len(pc.unique(values.slice(0, _DISTINCT_SAMPLE))) <= _DISTINCT_SAMPLE // 4:
        # a repetitive column: check each run of equal values (article_id, status, annotator of stored
        # tables, sorted by id), or else each distinct value, once, and map the few that fail back to rows
        runs = equal_runs(values) if _few_runs(values.slice(0, _DISTINCT_SAMPLE)) else None
        if runs is not None:
            values, lookup = runs
        elif "pattern" in node:  # (an enum or a length test costs less than a hash)
            encoded = pc.dictionary_encode(values)
            values, lookup = encoded.dictionary, encoded.indices

    def emit(failing, check: str, message: str):
        if lookup is not None:
            if not pc.any(failing).as_py():
                return
            failing = pc.take(failing, lookup)
        yield from _emit(level, failing, check, message)

    if "enum" in node:
        allowed = [v for v in node["enum"] if v is not None]
        yield from emit(pc.invert(pc.is_in(values, value_set=pa.array(allowed, values.type))), "schema-enum",
                        f"is not one of {', '.join(map(str, allowed))}" if len(allowed) <= 12 else f"is not one of the {len(allowed)} allowed values")
    if "const" in node:
        yield from emit(pc.not_equal(values, pa.scalar(node["const"], values.type)), "schema-enum", f"is not {node['const']!r}")
    if "pattern" in node:
        yield from emit(_mismatches(values, node["pattern"], lookup is None), "schema-pattern", f"does not match {node['pattern']}")
    if "minLength" in node or "maxLength" in node:
        length = _char_lengths(values, node.get("minLength"), node.get("maxLength"))
        if "minLength" in node:
            yield from emit(pc.less(length, node["minLength"]), "schema-length", f"is shorter than {node['minLength']} character(s)")
        if "maxLength" in node:
            yield from emit(pc.greater(length, node["maxLength"]), "schema-length", f"is longer than {node['maxLength']} characters")
    if "minimum" in node:
        yield from emit(pc.less(values, node["minimum"]), "schema-range", f"is less than {node['minimum']}")
    if "maximum" in node:
        yield from emit(pc.greater(values, node["maximum"]), "schema-range", f"is greater than {node['maximum']}")


# --- JSON records (imports): jsonschema, with the same check ids -------------------------------------

def _json_path(parts) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def record_findings(validator, table: str, record, record_id: str | None, file: str | None = None) -> list[Finding]:
    """Findings for one JSON record, with the check ids the columnar engine uses."""
    from jsonschema.exceptions import best_match

    out = []
    for err in sorted(validator.iter_errors(record), key=lambda e: list(map(str, e.absolute_path))):
        if err.validator == "anyOf" and err.instance is not None and err.context:
            # anyOf [X, null] with a non-null value: report what is wrong with it as an X
            err = best_match([e for e in err.context if not (e.validator == "type" and e.validator_value == "null")]) or err
        keyword = err.validator
        check = _KEYWORD_CHECK.get(keyword, "schema-other")
        if keyword in ("type", "enum", "anyOf") and err.instance is None:
            check = "schema-null"
        elif keyword == "anyOf":
            check = "schema-structure"
        message = err.message if len(err.message) <= 200 else err.message[:200] + "..."
        out.append(Finding(check, table, record_id, _json_path(err.absolute_path) or None, message, file))
    return out


def describe_fallback(compiled: dict) -> dict:
    """table -> sorted keywords checked per record (for `newscorpus checks`)."""
    return {t: sorted(c.fallback_keywords) for t, c in compiled.items()}


__all__ = ["compile_table", "record_findings", "describe_fallback", "equal_runs", "shape_table", "shapes", "mismatches_by_shape",
           "CompiledTable", "json"]
