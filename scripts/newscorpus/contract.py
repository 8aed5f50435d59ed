"""The contract in schema/: the JSON Schemas and the ontology, and what is derived from them.

Everything else (Arrow schemas, the release Features, the Label Studio config) is derived from the
objects loaded here, never written a second time by hand.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from . import __version__
from .errors import CorpusNotFound, SchemaError, StorageError

TABLES = ("articles", "entities", "events", "claims")
ANNOTATION_TABLES = ("entities", "events", "claims")
SPLITS = ("train", "validation", "test")  # articles.split, in release order (a test holds it equal to the schema enum)
INT32_MAX = 2**31 - 1
SCHEMA_VERSION_KEY = b"newscorpus.schema_version"  # Parquet metadata: the schema version the rows were written under
WRITER_KEY = b"newscorpus.writer"  # Parquet metadata: the newscorpus version that wrote the file
# Every schema version this newscorpus knows, with the first newscorpus release that reads it. A corpus whose
# schema/ontology.json has a newer major version is refused with the release to install.
KNOWN_SCHEMA_VERSIONS = {"1.0.0": "0.1.0", "1.1.0": "0.2.0", "1.2.0": "0.2.0"}


def parse_semver(version: str) -> tuple[int, int, int]:
    """X.Y.Z as a tuple of ints; ValueError otherwise."""
    parts = version.split(".") if isinstance(version, str) else []
    if len(parts) != 3 or not all(p.isdigit() and p.isascii() for p in parts):
        raise ValueError(f"version {version!r} is not X.Y.Z")
    return tuple(int(p) for p in parts)


def check_data_version(metadata: dict | None, current: str, where: str) -> None:
    """Refuse a stored table written under another schema version than `current` (StorageError, one line
    naming the file and what to do): an older one needs `newscorpus migrate`, never a silent conversion on
    read; a newer one needs the schema and the newscorpus release it was written with. A file without a
    version (written by another tool) is read as the current version and checked by the validator."""
    meta = metadata or {}
    raw = meta.get(SCHEMA_VERSION_KEY)
    if raw is None or raw.decode("utf-8", "replace") == current:
        return
    found = raw.decode("utf-8", "replace")
    try:
        older = parse_semver(found) < parse_semver(current)
    except ValueError:
        raise StorageError(f"{where}: its schema version {found[:40]!r} is not X.Y.Z; restore the file from git") from None
    if older:
        raise StorageError(f"{where}: written under schema version {found}, the corpus schema is {current}: "
                           "run `newscorpus migrate` (it backs the old files up first)")
    writer = meta.get(WRITER_KEY, b"").decode("utf-8", "replace")
    need = writer if writer and _is_semver(writer) else KNOWN_SCHEMA_VERSIONS.get(found)
    install = (f"pip install 'newscorpus>={need}'" if need
               else f"install a newscorpus release that supports schema version {found}")
    raise StorageError(f"{where}: written under schema version {found}{f' by newscorpus {writer}' if writer else ''}, newer than "
                       f"this corpus' schema/ontology.json ({current}): take schema/ from the same commit as the data, and {install}")


def _is_semver(version: str) -> bool:
    try:
        parse_semver(version)
    except ValueError:
        return False
    return True


def check_schema_version(ontology: dict, where: str = "schema/ontology.json") -> None:
    """SchemaError if the ontology's version is not X.Y.Z, or has a major version newer than this newscorpus
    knows (its labels and fields may need code this release does not have)."""
    version = ontology.get("version")
    try:
        major = parse_semver(version)[0]
    except ValueError:
        raise SchemaError(f"{where}: version {version!r} is not X.Y.Z") from None
    known = max(KNOWN_SCHEMA_VERSIONS, key=parse_semver)
    if major > parse_semver(known)[0]:
        need = ontology.get("requires_newscorpus")
        install = f"pip install 'newscorpus>={need}'" if isinstance(need, str) and _is_semver(need) else \
            f"install a newscorpus release that supports schema version {version}"
        raise SchemaError(f"{where}: schema version {version} is newer than this newscorpus {__version__} supports "
                          f"(up to {known}): {install}")


def find_root(start: Path | str | None = None) -> Path:
    """The corpus root: `start` or its nearest parent that holds schema/ontology.json."""
    here = Path(start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "schema" / "ontology.json").is_file():
            return candidate
    raise CorpusNotFound(f"{here}: not inside a corpus (no schema/ontology.json here or above)")


def table_location(root: Path, table: str) -> Path:
    """Where a table lives, without suffix: corpus/articles, annotations/entities, ..."""
    if table not in TABLES:
        raise SchemaError(f"unknown table {table!r}; tables are {', '.join(TABLES)}")
    return root / ("corpus" if table == "articles" else "annotations") / table


def _load_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SchemaError(f"{path}: missing") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SchemaError(f"{path}: not valid JSON: {exc}") from None


def _allows_null(node: dict) -> bool:
    t = node.get("type")
    if t == "null" or (isinstance(t, list) and "null" in t):
        return True
    if "enum" in node and None in node["enum"]:
        return True
    return any(_allows_null(n) for n in node.get("anyOf", ()))


def _non_null(node: dict) -> dict:
    """The schema node without its null alternative (anyOf [X, null] -> X; type [T, null] -> T)."""
    if "anyOf" in node:
        alts = [n for n in node["anyOf"] if n.get("type") != "null"]
        if len(alts) == 1:
            node = {**{k: v for k, v in node.items() if k != "anyOf"}, **alts[0]}
    t = node.get("type")
    if isinstance(t, list):
        rest = [x for x in t if x != "null"]
        node = {**node, "type": rest[0] if len(rest) == 1 else rest}
    if "enum" in node and None in node["enum"]:
        node = {**node, "enum": [v for v in node["enum"] if v is not None]}
    return node


def arrow_type(node: dict) -> pa.DataType:
    """The Arrow type of a resolved JSON Schema node (nullability is the field's business)."""
    node = _non_null(node)
    t = node.get("type")
    if t is None and "enum" in node:
        kinds = {type(v) for v in node["enum"]}
        t = "string" if kinds == {str} else None
    if t == "string":
        return pa.string()
    if t == "boolean":
        return pa.bool_()
    if t == "integer":
        small = node.get("maximum", INT32_MAX + 1) <= INT32_MAX and node.get("minimum", -INT32_MAX - 2) >= -INT32_MAX - 1
        return pa.int32() if small else pa.int64()
    if t == "number":
        return pa.float64()
    if t == "array":
        return pa.list_(arrow_type(node["items"]))
    if t == "object":
        return pa.struct(arrow_fields(node))
    raise SchemaError(f"cannot derive an Arrow type from schema node {json.dumps(node)[:200]}")


def arrow_fields(node: dict) -> list[pa.Field]:
    required = set(node.get("required", ()))
    fields = []
    for name, child in node["properties"].items():
        if name not in required:
            raise SchemaError(f"property {name!r} must be required (nullability is expressed by type null)")
        fields.append(pa.field(name, arrow_type(child), nullable=_allows_null(child)))
    return fields


@dataclass(frozen=True)
class Contract:
    """The loaded contract: resolved table schemas (refs inlined, ontology enums injected) and the ontology."""

    schema_dir: Path
    ontology: dict
    schemas: dict  # table -> resolved JSON Schema (a plain dict, self-contained)
    raw: dict  # file name -> JSON as written

    @property
    def version(self) -> str:
        return self.ontology["version"]

    @property
    def entity_types(self) -> list[str]:
        return list(self.ontology["entity_types"])

    @property
    def event_types(self) -> list[str]:
        return list(self.ontology["event_types"])

    @property
    def roles(self) -> list[str]:
        seen: dict[str, None] = {}
        for spec in self.ontology["event_types"].values():
            seen.update(dict.fromkeys(spec["roles"]))
        return sorted(seen)

    def defaults(self, table: str) -> dict:
        """Top-level field -> its JSON Schema `default`: what a record that leaves the field out gets (fields
        added in a later schema version, such as entities.event_ids in 1.2.0)."""
        return {k: v["default"] for k, v in self.schemas[table]["properties"].items() if isinstance(v, dict) and "default" in v}

    def with_defaults(self, table: str, rec):
        """`rec` (a JSON record) with the defaults of the fields it leaves out filled in; anything else as it is."""
        if not isinstance(rec, dict):
            return rec
        missing = {k: json.loads(json.dumps(v)) for k, v in self.defaults(table).items() if k not in rec}
        return {**rec, **missing} if missing else rec

    @property
    def claimer_types(self) -> list[str]:
        return list(self.ontology["claimer_types"])

    def enum(self, table: str, *path: str) -> list:
        """The enum of a (nested) field: enum('events', 'realis'), enum('entities', 'mentions', 'kind')."""
        node = self.schemas[table]
        for name in path:
            node = _non_null(node)
            if node.get("type") == "array":
                node = _non_null(node["items"])
            node = node["properties"][name]
        return [v for v in _non_null(node)["enum"]]

    def arrow_schema(self, table: str) -> pa.Schema:
        return pa.schema(arrow_fields(self.schemas[table]),
                         metadata={SCHEMA_VERSION_KEY: self.version.encode(), WRITER_KEY: __version__.encode()})

    def __getstate__(self) -> dict:
        """A contract sent to another process goes without its jsonschema validators (built on demand there:
        their classes are made at run time and do not pickle)."""
        state = dict(self.__dict__)
        state.pop("validators", None)
        return state

    @functools.cached_property
    def validators(self) -> dict:
        """jsonschema validators of the tables (for JSON records: imports), whose `pattern` reads `$` as
        ECMA-262 (and RE2, the columnar engine) does: the end of the string, not also before a final newline
        as Python's `re` does. So "kz-csto/E1\\n" is no valid id for either engine."""
        from jsonschema import Draft202012Validator, validators

        ecma = validators.extend(Draft202012Validator, validators={"pattern": _ecma_pattern})
        return {t: ecma(s) for t, s in self.schemas.items()}


def _ecma_pattern(validator, pattern, instance, schema):
    from jsonschema.exceptions import ValidationError

    if validator.is_type(instance, "string") and not _python_regex(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


@functools.lru_cache(maxsize=None)
def _python_regex(pattern: str):
    """`pattern` compiled for Python's `re` with every `$` outside a character class read as `\\Z`."""
    out, in_class, i = [], False, 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            out.append(pattern[i:i + 2])
            i += 2
            continue
        if ch == "[" and not in_class:
            in_class = True
        elif ch == "]" and in_class:
            in_class = False
        out.append("\\Z" if ch == "$" and not in_class else ch)
        i += 1
    return re.compile("".join(out))


def _resolve(node, doc_name: str, docs: dict, ontology: dict, inventories: dict, trail=()):
    if isinstance(node, list):
        return [_resolve(n, doc_name, docs, ontology, inventories, trail) for n in node]
    if not isinstance(node, dict):
        return node
    out = {}
    if "$ref" in node:
        ref = node["$ref"]
        target_doc, _, pointer = ref.partition("#")
        target_doc = target_doc or doc_name
        if ref in trail or target_doc not in docs:
            raise SchemaError(f"schema/{doc_name}: cannot resolve $ref {ref!r}")
        target = docs[target_doc]
        for part in [p for p in pointer.split("/") if p]:
            try:
                target = target[part]
            except (KeyError, TypeError):
                raise SchemaError(f"schema/{doc_name}: $ref {ref!r} points at nothing") from None
        out.update(_resolve(target, target_doc, docs, ontology, inventories, (*trail, ref)))
    for key, value in node.items():
        if key in ("$ref", "$schema", "$id", "$defs"):
            continue
        out[key] = _resolve(value, doc_name, docs, ontology, inventories, trail)
    if "x-ontology" in out:
        inv = out["x-ontology"]
        if inv not in inventories:
            raise SchemaError(f"schema/{doc_name}: x-ontology {inv!r} is not an inventory of ontology.json")
        out["enum"] = inventories[inv]
    return out


def _check_ontology(ontology: dict) -> None:
    where = "schema/ontology.json"
    for key in ("version", "entity_types", "event_types", "claimer_types"):
        if key not in ontology:
            raise SchemaError(f"{where}: missing {key!r}")
    check_schema_version(ontology, where)
    for key, kinds in (("entity_types", dict), ("event_types", dict), ("claimer_types", (list, dict))):
        if not isinstance(ontology[key], kinds) or not ontology[key]:
            raise SchemaError(f"{where}: {key!r} must be a non-empty {'object' if kinds is dict else 'list'}")
    for ev, spec in ontology["event_types"].items():
        if not isinstance(spec, dict) or not isinstance(spec.get("roles"), dict) or \
                not all(isinstance(f, list) and all(isinstance(x, str) for x in f) for f in spec["roles"].values()):
            raise SchemaError(f"{where}: event type {ev!r} needs an object with definition, cameo and roles (role -> list of entity types)")
    etypes = set(ontology["entity_types"])
    for name in ontology["claimer_types"]:
        if name not in etypes:
            raise SchemaError(f"{where}: claimer type {name!r} is not an entity type")
    for ev, spec in ontology["event_types"].items():
        if not spec.get("definition") or "roles" not in spec or "cameo" not in spec:
            raise SchemaError(f"{where}: event type {ev!r} needs definition, cameo and roles")
        for role, fillers in spec["roles"].items():
            bad = [f for f in fillers if f not in etypes]
            if bad or not fillers:
                raise SchemaError(f"{where}: event type {ev!r} role {role!r} has unknown or no filler types {bad}")


@functools.lru_cache(maxsize=8)
def _load(schema_dir: Path) -> Contract:
    ontology = _load_json(schema_dir / "ontology.json")
    if not isinstance(ontology, dict):
        raise SchemaError(f"{schema_dir / 'ontology.json'}: not a JSON object")
    _check_ontology(ontology)
    docs = {p.name: _load_json(p) for p in sorted(schema_dir.glob("*.schema.json"))}
    inventories = {
        "entity_types": list(ontology["entity_types"]),
        "event_types": list(ontology["event_types"]),
        "roles": sorted({r for s in ontology["event_types"].values() for r in s["roles"]}),
    }
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError as JSError

    schemas = {}
    for table in TABLES:
        name = f"{table}.schema.json"
        if name not in docs:
            raise SchemaError(f"{schema_dir / name}: missing")
        try:
            Draft202012Validator.check_schema(docs[name])
        except JSError as exc:
            raise SchemaError(f"{schema_dir / name}: not a valid JSON Schema: {exc.message}") from None
        schemas[table] = _resolve(docs[name], name, docs, ontology, inventories)
        try:
            arrow_fields(schemas[table])  # fail early if the schema cannot be stored
        except (KeyError, TypeError, AttributeError, IndexError) as exc:
            raise SchemaError(f"{schema_dir / name}: not a table schema (an object with properties): {type(exc).__name__} {exc}") from None
    return Contract(schema_dir=schema_dir, ontology=ontology, schemas=schemas, raw={**docs, "ontology.json": ontology})


def load_contract(root: Path | str) -> Contract:
    return _load(Path(root).resolve() / "schema")
