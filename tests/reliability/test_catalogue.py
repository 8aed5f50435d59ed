"""The catalogue of bad inputs: each one, given to the real command line in its own process, must give its
exact finding or error, as one line naming the file, record or task, with a non-zero exit and no traceback;
and every stored file (tables, salt, schema) must keep its bytes.

JSONL and JSON files go through `newscorpus import`; Label Studio exports through `newscorpus studio pull`
with the HTTP answers read from a stored file (pull_from_file.py: no server); damaged Parquet files and
schema files through `newscorpus validate` and `newscorpus import`.
"""

from __future__ import annotations

import copy
import hashlib
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from newscorpus.contract import KNOWN_SCHEMA_VERSIONS, parse_semver
from newscorpus.studio.convert import records_to_result

from reliability_support import (A, TEXT, TEXT_B, assert_refused, cli, cli_with_export, figure, label_studio_export,
                                 records, small_corpus, snapshot, write_json)
from conftest import article, entity, event, mention, span

CURRENT = max(KNOWN_SCHEMA_VERSIONS, key=parse_semver)  # the schema version this newscorpus writes

CASES = {}


def case(name, *marks):
    def deco(fn):
        CASES[name] = pytest.param(fn, id=name, marks=list(marks))
        return fn
    return deco


def jsonl(tmp_path, *recs, name="bad.jsonl"):
    path = tmp_path / name
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs), encoding="utf-8")
    return path


def almaty(**kw):
    rec = entity(f"{A}/E9", "GPE", "Almaty", [mention(f"{A}/M9", span(TEXT, "Almaty"))], aid=A)
    rec.update(kw)
    return rec


def imp(root, table, path):
    return cli("import", table, path, "--path", root)


# --- JSONL and JSON given to import ------------------------------------------------------------------------

@case("jsonl-malformed-line")
def _(tmp_path, root):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(almaty()) + '\n{"id": "a-rel/E10",\n')
    return imp(root, "entities", path), 1, [f"{path}:2: invalid JSON"]


@case("jsonl-truncated")
def _(tmp_path, root):
    path = tmp_path / "cut.jsonl"
    whole = json.dumps(almaty()) + "\n" + json.dumps(almaty(id=f"{A}/E10"))
    path.write_text(whole[: len(whole) - 17])
    return imp(root, "entities", path), 1, [f"{path}:2: invalid JSON"]


@case("jsonl-not-utf8")
def _(tmp_path, root):
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(json.dumps(almaty(name="Almaty é")).replace("é", "\\u00e9").encode() + b"\n" + '{"name": "Zürich"}\n'.encode("latin-1"))
    return imp(root, "entities", path), 1, [f"{path}:2: not UTF-8"]


@case("jsonl-bom")
def _(tmp_path, root):
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(almaty()).encode() + b"\n")
    return imp(root, "entities", path), 1, [f"{path}:1: starts with a byte order mark"]


@case("jsonl-empty")
def _(tmp_path, root):
    path = tmp_path / "empty.jsonl"
    path.write_text("\n\n")
    return imp(root, "entities", path), 1, [f"{path}: no records"]


@case("json-pretty-printed-instead-of-jsonl")
def _(tmp_path, root):
    path = tmp_path / "entities.json"
    path.write_text(json.dumps([almaty()], indent=2))
    return imp(root, "entities", path), 1, [f"{path}:1: invalid JSON"]


@case("json-array-on-one-line")
def _(tmp_path, root):
    path = tmp_path / "array.jsonl"
    path.write_text(json.dumps([almaty()]) + "\n")
    return imp(root, "entities", path), 1, ["schema-structure", f"{path}:1"]


@case("jsonl-scalar-line")
def _(tmp_path, root):
    path = tmp_path / "scalar.jsonl"
    path.write_text('"a-rel/E9"\n')
    return imp(root, "entities", path), 1, ["schema-structure", f"{path}:1"]


@case("jsonl-missing-file")
def _(tmp_path, root):
    path = tmp_path / "nowhere.jsonl"
    return imp(root, "entities", path), 1, [f"{path}: cannot read"]


@case("label-unknown")
def _(tmp_path, root):
    path = jsonl(tmp_path, almaty(type="PLANET"))
    return imp(root, "entities", path), 1, [f"{path}:1 [{A}/E9] type: error L1 schema-enum"]


@case("event-type-unknown")
def _(tmp_path, root):
    path = jsonl(tmp_path, event(f"{A}/V9", "conflict.explode", span(TEXT, "met"), aid=A))
    return imp(root, "events", path), 1, [f"[{A}/V9] type: error L1 schema-enum"]


@case("offset-past-text")
def _(tmp_path, root):
    path = jsonl(tmp_path, almaty(mentions=[mention(f"{A}/M9", {"start": 60, "end": 200, "text": "x" * 140})]))
    return imp(root, "entities", path), 1, [f"[{A}/E9] mentions[0]: error L2 span-out-of-bounds"]


@case("offset-negative")
def _(tmp_path, root):
    path = jsonl(tmp_path, almaty(mentions=[mention(f"{A}/M9", {"start": -3, "end": 2, "text": "Pu"})]))
    return imp(root, "entities", path), 1, [f"[{A}/E9] mentions[0].start: error L1 schema-range"]


@case("offset-reversed")
def _(tmp_path, root):
    path = jsonl(tmp_path, almaty(mentions=[mention(f"{A}/M9", {"start": 27, "end": 21, "text": "Almaty"})]))
    return imp(root, "entities", path), 1, [f"[{A}/E9] mentions[0]: error L2 span-reversed"]


@case("span-text-wrong")
def _(tmp_path, root):
    path = jsonl(tmp_path, almaty(mentions=[mention(f"{A}/M9", {"start": 21, "end": 27, "text": "Almaly"})]))
    return imp(root, "entities", path), 1, [f"[{A}/E9] mentions[0].text: error L2 span-text-mismatch"]


@case("id-duplicated-in-input")
def _(tmp_path, root):
    path = jsonl(tmp_path, almaty(), almaty())
    return imp(root, "entities", path), 1, [f"{path}:2 [{A}/E9] id: error L2 id-duplicate"]


@case("mention-id-duplicated-across-entities")
def _(tmp_path, root):
    path = jsonl(tmp_path, almaty(mentions=[mention(f"{A}/M1", span(TEXT, "Almaty"))]))
    return imp(root, "entities", path), 1, ["id-duplicate", f"{A}/M1"]


@case("id-colliding-across-tables")
def _(tmp_path, root):
    path = jsonl(tmp_path, event(f"{A}/M1", "contact.meet", span(TEXT, "said"), aid=A))  # the id of a mention
    return imp(root, "events", path), 1, [f"[{A}/M1] id: error L2 id-collision"]


@case("reference-to-missing-entity")
def _(tmp_path, root):
    path = jsonl(tmp_path, event(f"{A}/V9", "contact.meet", span(TEXT, "met"),
                                 [{"role": "participant", "entity_id": f"{A}/E99", "mention_id": f"{A}/M1"}], aid=A))
    return imp(root, "events", path), 1, [f"[{A}/V9] arguments[0].entity_id: error L2 entity-ref-unresolved"]


@case("reference-to-missing-article")
def _(tmp_path, root):
    path = jsonl(tmp_path, almaty(id="zz-none/E1", article_id="zz-none", mentions=[mention("zz-none/M1", span(TEXT, "Almaty"))]))
    return imp(root, "entities", path), 1, ["[zz-none/E1] article_id: error L2 article-ref-unresolved"]


@case("article-text-changed-hash-kept")
def _(tmp_path, root):
    rec = article(A, TEXT.replace("Almaty", "Astana"), text_sha256=hashlib.sha256(TEXT.encode()).hexdigest())
    path = jsonl(tmp_path, rec)
    return imp(root, "articles", path), 1, [f"[{A}] text_sha256: error L2 text-sha256-mismatch"]


@case("article-text-changed-under-annotations")
def _(tmp_path, root):
    path = jsonl(tmp_path, article(A, TEXT.replace("Putin", "Mr Putin")))
    return imp(root, "articles", path), 1, ["span-text-mismatch", f"[{A}/E1] mentions[0].text"]


@case("article-text-control-characters")
def _(tmp_path, root):
    path = jsonl(tmp_path, article("c-ctrl", "A text with a bell\x07 and an escape \x1b[2J sequence."))
    return imp(root, "articles", path), 1, ["[c-ctrl] text: error L2 text-control-characters"]


@case("article-text-bom")
def _(tmp_path, root):
    path = jsonl(tmp_path, article("c-bom", "\ufeffA text pasted from a file with a byte order mark."))
    return imp(root, "articles", path), 1, ["[c-bom] text: error L2 text-bom"]


@case("import-into-unknown-table")
def _(tmp_path, root):
    proc = imp(root, "mentions", jsonl(tmp_path, almaty()))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "Invalid value for '{articles|entities|events|claims}'" in proc.stderr
    return None


# --- Label Studio exports, pulled without a server ------------------------------------------------------------

def _good_result():
    r = records()
    pick = lambda t: [x for x in r[t] if x["article_id"] == A]
    return records_to_result(A, pick("entities"), pick("events"), pick("claims"))


USERS = [{"id": 1, "email": "ann.one@example.org"}, {"id": 2, "email": "bob.two@example.org"}]


def pull(tmp_path, root, export, raw: bytes | None = None):
    path = tmp_path / "export.json"
    if raw is not None:
        path.write_bytes(raw)
    else:
        write_json(path, export)
    return cli_with_export(path, write_json(tmp_path / "users.json", USERS), "studio", "pull", "--path", root)


def export_with(result, sha_override=None, **ann):
    return label_studio_export({A: TEXT, "b-rel": TEXT_B}, {A: [{"id": 11, "completed_by": 1, "result": result, **ann}]}, sha_override)


def region(result, rid):
    return next(x for x in result if x.get("id") == rid and x["type"] == "labels")


@case("ls-export-truncated")
def _(tmp_path, root):
    raw = json.dumps(export_with(_good_result())).encode()
    return pull(tmp_path, root, None, raw[: len(raw) // 2]), 2, ["the snapshot export", "of project 1 is not JSON"]


@case("ls-export-not-a-list")
def _(tmp_path, root):
    return pull(tmp_path, root, {"tasks": export_with(_good_result())}), 2, ["the snapshot export of project 1 is not a list of tasks"]


@case("ls-export-task-without-id")
def _(tmp_path, root):
    ex = export_with(_good_result())
    del ex[0]["id"]
    return pull(tmp_path, root, ex), 2, ["the snapshot export of project 1: item 0 is not a task with an integer id"]


@case("ls-export-annotation-bad-time")
def _(tmp_path, root):
    return pull(tmp_path, root, export_with(_good_result(), updated_at="yesterday")), 2, \
        ["task 1 annotation 11: updated_at 'yesterday' is not an ISO 8601 time"]


@case("ls-export-of-another-project")
def _(tmp_path, root):
    ex = [{"id": 5, "data": {"image": "http://example.org/cat.jpg"}, "annotations": [
        {"id": 50, "completed_by": 1, "result": [{"id": "x1", "from_name": "label", "to_name": "image", "type": "choices",
                                                   "value": {"choices": ["Cat"]}}]}]}]
    return pull(tmp_path, root, ex), 1, ["none of its 1 task(s) has data.article_id", "not a project pushed by newscorpus"]


@case("ls-export-of-another-labeling-config")
def _(tmp_path, root):
    res = [{"id": "s1", "from_name": "sentiment", "to_name": "text", "type": "choices", "value": {"choices": ["Positive"]}},
           {"id": "n1", "from_name": "label", "to_name": "text", "type": "labels",
            "value": {"start": 0, "end": 5, "text": "Putin", "labels": ["PERSON"]}}]
    return pull(tmp_path, root, export_with(res)), 1, \
        ["label-studio [task 1 annotation 11] region s1: error L0 studio-label-unknown: control 'sentiment' is not in the labeling config"]


@case("ls-label-unknown")
def _(tmp_path, root):
    res = _good_result()
    region(res, "M1")["value"]["labels"] = ["PLANET"]
    return pull(tmp_path, root, export_with(res)), 1, ["[task 1 annotation 11] region M1: error L0 studio-label-unknown"]


@case("ls-offset-past-text")
def _(tmp_path, root):
    res = _good_result()
    region(res, "M4")["value"].update(start=60, end=90, text=None)
    return pull(tmp_path, root, export_with(res)), 1, ["[task 1 annotation 11] region M4: error L0 studio-offset-out-of-bounds"]


@case("ls-offset-negative")
def _(tmp_path, root):
    res = _good_result()
    region(res, "M4")["value"].update(start=-4, text=None)
    return pull(tmp_path, root, export_with(res)), 1, ["[task 1 annotation 11] region M4: error L0 studio-offset-out-of-bounds"]


@case("ls-offset-reversed")
def _(tmp_path, root):
    res = _good_result()
    region(res, "M4")["value"].update(start=27, end=21, text=None)
    return pull(tmp_path, root, export_with(res)), 1, ["[task 1 annotation 11] region M4: error L0 studio-offset-out-of-bounds"]


@case("ls-relation-to-missing-region")
def _(tmp_path, root):
    res = _good_result()
    res.append({"from_id": "V1", "to_id": "M404", "type": "relation", "direction": "right", "labels": ["place"]})
    return pull(tmp_path, root, export_with(res)), 1, ["[task 1 annotation 11] relation V1->M404: error L0 studio-relation-dangling"]


@case("ls-region-id-duplicated")
def _(tmp_path, root):
    res = _good_result()
    dup = copy.deepcopy(region(res, "M4"))
    dup["value"].update(start=0, end=5, text="Putin")
    res.append(dup)
    return pull(tmp_path, root, export_with(res)), 1, ["[task 1 annotation 11] region M4: error L0 studio-region-duplicate"]


@case("ls-region-id-with-escape-sequence")
def _(tmp_path, root):
    res = _good_result()
    region(res, "M1")["value"]["labels"] = ["PLANET"]
    for item in res:
        if item.get("id") == "M1":
            item["id"] = "M1\n\x1b[2J\u202e"
    proc = pull(tmp_path, root, export_with(res))
    assert "\x1b" not in proc.stderr and "\u202e" not in proc.stderr
    return proc, 1, ["region 'M1\\n\\x1b[2J\\u202e': error L0 studio-label-unknown"]


@case("ls-article-text-changed-after-push")
def _(tmp_path, root):
    return pull(tmp_path, root, export_with(_good_result(), {A: "0" * 64})), 1, \
        ["[task 1 annotation 11] data.text_sha256: error L0 studio-text-changed"]


# --- damaged Parquet files -------------------------------------------------------------------------------------

def entities_file(root):
    return root / "annotations" / "entities.parquet"


@case("parquet-truncated")
def _(tmp_path, root):
    path = entities_file(root)
    path.write_bytes(path.read_bytes()[:-100])
    proc = cli("validate", root)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr + proc.stdout
    assert f"{path}: error L1 table-unreadable" in proc.stdout, proc.stdout
    return imp(root, "entities", jsonl(tmp_path, almaty())), 2, [f"{path}: unreadable Parquet"]


@case("parquet-zeroed-block")
def _(tmp_path, root):
    path = entities_file(root)
    data = bytearray(path.read_bytes())
    data[len(data) // 3: len(data) // 3 + 256] = bytes(256)
    path.write_bytes(bytes(data))
    proc = cli("validate", root)
    assert proc.returncode == 1 and f"{path}: error L1 table-unreadable" in proc.stdout, proc.stdout + proc.stderr
    return imp(root, "entities", jsonl(tmp_path, almaty())), 2, [f"{path}: "]


@case("parquet-not-parquet")
def _(tmp_path, root):
    path = entities_file(root)
    path.write_text("entities, as CSV by mistake\n")
    return imp(root, "entities", jsonl(tmp_path, almaty())), 2, [f"{path}: unreadable Parquet"]


@case("parquet-columns-of-an-older-schema")
def _(tmp_path, root):
    path = entities_file(root)
    data = pq.read_table(path)
    pq.write_table(data.drop_columns(["wikidata"]), path)
    proc = cli("validate", root)
    assert proc.returncode == 1 and "missing column(s) wikidata" in proc.stdout
    return imp(root, "entities", jsonl(tmp_path, almaty())), 2, [f"{path}: missing column(s) wikidata"]


def _restamp(path, version: bytes, writer: bytes | None = None):
    data = pq.read_table(path)
    meta = {**(data.schema.metadata or {}), b"newscorpus.schema_version": version}
    if writer:
        meta[b"newscorpus.writer"] = writer
    pq.write_table(data.replace_schema_metadata(meta), path)


@case("parquet-of-an-older-schema-version")
def _(tmp_path, root):
    _restamp(entities_file(root), b"0.9.0")
    return imp(root, "entities", jsonl(tmp_path, almaty())), 2, \
        [f"{entities_file(root)}: written under schema version 0.9.0, the corpus schema is {CURRENT}: run `newscorpus migrate`"]


@case("parquet-of-a-newer-schema-version")
def _(tmp_path, root):
    _restamp(entities_file(root), b"1.4.0", b"0.7.2")
    return imp(root, "entities", jsonl(tmp_path, almaty())), 2, \
        [f"{entities_file(root)}: written under schema version 1.4.0 by newscorpus 0.7.2", "pip install 'newscorpus>=0.7.2'"]


@case("parquet-stored-twice")
def _(tmp_path, root):
    (root / "annotations" / "entities").mkdir()
    pq.write_table(pq.read_table(entities_file(root)), root / "annotations" / "entities" / "part-0.parquet")
    return imp(root, "entities", jsonl(tmp_path, almaty())), 2, ["table entities is stored both as a file and as the folder"]


# --- schema files that are themselves invalid -----------------------------------------------------------------

def _schema_edit(root, name, fn):
    path = root / "schema" / name
    path.write_text(fn(path.read_text()))


@case("schema-ontology-not-json")
def _(tmp_path, root):
    _schema_edit(root, "ontology.json", lambda t: t[: len(t) // 2])
    return cli("validate", root), 2, [f"{root / 'schema' / 'ontology.json'}: not valid JSON"]


@case("schema-not-a-json-schema")
def _(tmp_path, root):
    _schema_edit(root, "entities.schema.json", lambda t: json.dumps({**json.loads(t), "type": 5}))
    return cli("validate", root), 2, ["entities.schema.json: not a valid JSON Schema"]


@case("schema-boolean-instead-of-object")
def _(tmp_path, root):
    _schema_edit(root, "claims.schema.json", lambda t: "true")
    return cli("validate", root), 2, ["claims.schema.json: not a table schema"]


@case("schema-ref-unresolvable")
def _(tmp_path, root):
    _schema_edit(root, "entities.schema.json", lambda t: t.replace("defs.schema.json#/$defs/record_id", "defs.schema.json#/$defs/nothing", 1))
    return cli("validate", root), 2, ["entities.schema.json: $ref 'defs.schema.json#/$defs/nothing' points at nothing"]


@case("schema-ontology-key-missing")
def _(tmp_path, root):
    _schema_edit(root, "ontology.json", lambda t: json.dumps({k: v for k, v in json.loads(t).items() if k != "claimer_types"}))
    return cli("validate", root), 2, ["ontology.json: missing 'claimer_types'"]


@case("schema-ontology-event-types-a-list")
def _(tmp_path, root):
    _schema_edit(root, "ontology.json", lambda t: json.dumps({**json.loads(t), "event_types": ["conflict.attack"]}))
    return cli("validate", root), 2, ["ontology.json: 'event_types' must be a non-empty object"]


@case("schema-version-newer-major")
def _(tmp_path, root):
    _schema_edit(root, "ontology.json", lambda t: json.dumps({**json.loads(t), "version": "2.0.0", "requires_newscorpus": "0.4.0"}))
    return cli("validate", root), 2, ["schema version 2.0.0 is newer than this newscorpus", "pip install 'newscorpus>=0.4.0'"]


@case("schema-version-not-semver")
def _(tmp_path, root):
    _schema_edit(root, "ontology.json", lambda t: json.dumps({**json.loads(t), "version": "v1"}))
    return cli("validate", root), 2, ["ontology.json: version 'v1' is not X.Y.Z"]


@pytest.mark.parametrize("make", CASES.values())
def test_catalogue(make, tmp_path, monkeypatch):
    root = small_corpus(tmp_path)
    snaps = []
    import reliability_support as support

    real_cli, real_export = support.cli, support.cli_with_export

    def snapped(real):
        def run(*args, **kw):
            snaps.append(snapshot(root))
            proc = real(*args, **kw)
            snaps.append(snapshot(root))
            return proc
        return run

    monkeypatch.setitem(globals(), "cli", snapped(real_cli))
    monkeypatch.setitem(globals(), "cli_with_export", snapped(real_export))
    outcome = make(tmp_path, root)
    assert snaps, "the case ran no command"
    for before, after in zip(snaps[::2], snaps[1::2]):
        assert after == before, sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    if outcome is not None:
        proc, code, needles = outcome
        assert_refused(proc, code, *needles)


def test_catalogue_size():
    figure("catalogue_bad_inputs", len(CASES))
    assert len(CASES) >= 40
