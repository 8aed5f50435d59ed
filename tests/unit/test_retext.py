"""`newscorpus retext`: an article's text changes after annotation; every span moves with the diff or the change
is refused (span-edit-unresolved) unless --resolve says how; nothing is shifted silently."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from conftest import entity, fixture_records, mention, span
from newscorpus.store import storage
from newscorpus.cli import main
from newscorpus.contract import load_contract
from newscorpus.store.importer import import_file

A = "fx-meet"
T1 = fixture_records()["articles"][0]["text"]


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def snapshot(root):
    return {p: p.read_bytes() for p in root.rglob("*.parquet")}


def rows(root, table, article=A):
    return {r["id"]: r for r in storage.read_table(root, table, load_contract(root)).to_pylist() if r["article_id"] == article}


def spans_of(root, article=A):
    """(record id, field, span) of every span of the article's records, gold and candidate."""
    out = []
    for e in rows(root, "entities", article).values():
        out += [(e["id"], m["id"], m) for m in e["mentions"]]
    for v in rows(root, "events", article).values():
        out.append((v["id"], "trigger", v["trigger"]))
    for c in rows(root, "claims", article).values():
        out += [(c["id"], "span", c["span"])] + ([(c["id"], "cue", c["cue"])] if c["cue"] else [])
    return out


def text_of(root, article=A):
    """The article's row."""
    return next(r for r in storage.read_table(root, "articles", load_contract(root)).to_pylist() if r["id"] == article)


def write(tmp_path, text, name="new.txt"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def assert_exact(root, article=A):
    text = text_of(root, article)["text"]
    for rid, fld, sp in spans_of(root, article):
        assert text[sp["start"]:sp["end"]] == sp["text"], (rid, fld, sp)


def validates(root):
    result = run("validate", root)
    assert result.exit_code == 0, result.output


@pytest.fixture
def root(fixture_root, tmp_path):
    """The fixture corpus plus one candidate entity of a second annotator on fx-meet (retext moves candidates too)."""
    cand = entity(f"{A}/E9", "GPE", "Almaty", [mention(f"{A}/M9", span(T1, "Almaty"))], aid=A, annotator="ann2", status="candidate")
    batch = tmp_path / "cand.jsonl"
    batch.write_text(json.dumps(cand) + "\n", encoding="utf-8")
    import_file(fixture_root, "entities", batch)
    return fixture_root


def test_prefix_moves_every_span_and_the_rest_is_untouched(root, tmp_path):
    prefix = "ALMATY, Jan 10 (Reuters) - "
    old_spans = {(r, f): s for r, f, s in spans_of(root)}
    other = {t: rows(root, t, "fx-protest") for t in ("entities", "events", "claims")}
    result = run("retext", A, write(tmp_path, prefix + T1), "--path", root)
    assert result.exit_code == 0, result.output
    assert f"{len(old_spans)} span(s) moved" in result.output
    new_spans = {(r, f): s for r, f, s in spans_of(root)}
    assert new_spans.keys() == old_spans.keys()
    for key, sp in new_spans.items():
        assert (sp["start"], sp["end"], sp["text"]) == (old_spans[key]["start"] + len(prefix), old_spans[key]["end"] + len(prefix),
                                                       old_spans[key]["text"])
    assert rows(root, "entities")[f"{A}/E9"]["status"] == "candidate"  # the candidate moved, and stayed a candidate
    art = text_of(root)
    assert art["text"] == prefix + T1 and art["source_ref"].endswith("new.txt")
    assert art["text_sha256"] == __import__("hashlib").sha256(art["text"].encode()).hexdigest()
    assert {t: rows(root, t, "fx-protest") for t in other} == other
    assert_exact(root)
    validates(root)


def test_edit_between_spans_moves_only_what_follows(root, tmp_path):
    new = T1.replace("on Monday.", "on Monday, 10 January.")
    before = {(r, f): s for r, f, s in spans_of(root)}
    stamps = {r["id"]: r["updated_at"] for r in rows(root, "entities").values()}
    result = run("retext", A, write(tmp_path, new), "--path", root)
    assert result.exit_code == 0, result.output
    after = {(r, f): s for r, f, s in spans_of(root)}
    cut = T1.index("on Monday.") + len("on Monday")
    for key, sp in after.items():
        shift = len(", 10 January") if before[key]["start"] >= cut else 0
        assert sp["start"] == before[key]["start"] + shift
    entities = rows(root, "entities")
    assert entities[f"{A}/E1"]["updated_at"] != stamps[f"{A}/E1"]  # M2 "The Russian president" moved
    assert entities[f"{A}/E3"]["updated_at"] == stamps[f"{A}/E3"]  # Almaty did not move: its record is untouched
    assert_exact(root)
    validates(root)


def test_edit_inside_a_span_is_refused_and_nothing_changes(root, tmp_path):
    before = snapshot(root)
    result = run("retext", A, write(tmp_path, T1.replace("Tokayev", "Tokaev")), "--path", root)
    assert result.exit_code == 1
    found = sorted(line.split("]")[0].split("[")[1] + " " + line.split("] ")[1].split(":")[0]
                   for line in result.output.splitlines() if " span-edit-unresolved:" in line)
    assert found == [f"{A}/C1 span", f"{A}/E2 mentions[0]"], result.output
    assert "new.txt" in result.output and "nothing was written" in result.output
    assert snapshot(root) == before


def test_resolve_drop_removes_what_the_spans_carry(root, tmp_path):
    result = run("retext", A, write(tmp_path, T1.replace("Tokayev", "Tokaev")), "--path", root, "--resolve", "drop")
    assert result.exit_code == 0, result.output
    assert f"{A}/E2" not in rows(root, "entities")  # its only mention was dropped
    assert f"{A}/C1" not in rows(root, "claims")  # its span was touched
    meet = rows(root, "events")[f"{A}/V1"]
    assert f"{A}/M3" not in [a["mention_id"] for a in meet["arguments"]] and len(meet["arguments"]) == 3
    assert_exact(root)
    validates(root)


def test_resolve_drop_cleans_claimers_and_event_links(root, tmp_path):
    # "The Russian president" (M2, claimer of C2, speaker of V2) is changed; so is "said" (V2's trigger, C2's cue)
    new = T1.replace("The Russian president said", "The Russian leader stated")
    result = run("retext", A, write(tmp_path, new), "--path", root, "--resolve", "drop")
    assert result.exit_code == 0, result.output
    claims, events = rows(root, "claims"), rows(root, "events")
    assert f"{A}/V2" not in events
    assert claims[f"{A}/C2"]["claimer"] is None and claims[f"{A}/C2"]["cue"] is None
    assert f"{A}/M2" not in [m["id"] for m in rows(root, "entities")[f"{A}/E1"]["mentions"]]
    assert_exact(root)


def test_resolve_nearest_follows_a_moved_sentence(root, tmp_path):
    first, second = T1.split(". ", 1)
    swapped = f"{second[:-1]}. {first}."  # the two sentences change places: the diff keeps one, the other's spans move
    before = {(r, f): s["text"] for r, f, s in spans_of(root)}
    refused = run("retext", A, write(tmp_path, swapped), "--path", root)
    assert refused.exit_code == 1 and "span-edit-unresolved" in refused.output
    result = run("retext", A, write(tmp_path, swapped), "--path", root, "--resolve", "nearest")
    assert result.exit_code == 0, result.output
    assert "re-anchored" in result.output
    assert {(r, f): s["text"] for r, f, s in spans_of(root)} == before  # every span kept, with its text
    assert_exact(root)
    validates(root)


def test_resolve_nearest_drop_drops_only_what_is_gone(root, tmp_path):
    first, second = T1.split(". ", 1)
    swapped = f"{second[:-1]}. {first}.".replace("Tokayev", "Tokaev")
    assert run("retext", A, write(tmp_path, swapped), "--path", root, "--resolve", "nearest").exit_code == 1
    result = run("retext", A, write(tmp_path, swapped), "--path", root, "--resolve", "nearest,drop")
    assert result.exit_code == 0, result.output
    assert f"{A}/E2" not in rows(root, "entities") and f"{A}/E1" in rows(root, "entities")
    assert_exact(root)
    validates(root)


def test_offsets_are_code_points_across_astral_characters(root, tmp_path):
    t2 = fixture_records()["articles"][1]["text"]
    new = "\U0001F525\U0001F1FA\U0001F1E6 " + t2.replace("Sunday.", "Sunday \U0001F4F7.")
    result = run("retext", "fx-protest", write(tmp_path, new), "--path", root)
    assert result.exit_code == 0, result.output
    kyiv = next(s for r, f, s in spans_of(root, "fx-protest") if s["text"] == "Kyiv")
    assert kyiv["start"] == new.index("Kyiv") == t2.index("Kyiv") + 4  # four code points, not UTF-16 units or bytes
    assert_exact(root, "fx-protest")
    validates(root)


def test_dry_run_and_unchanged_text_write_nothing(root, tmp_path):
    before = snapshot(root)
    result = run("retext", A, write(tmp_path, "Breaking: " + T1), "--path", root, "--dry-run")
    assert result.exit_code == 0 and "dry run" in result.output
    result = run("retext", A, write(tmp_path, T1 + "\n", "same.txt"), "--path", root)  # a final line break is normalised away
    assert result.exit_code == 0 and "unchanged" in result.output
    assert snapshot(root) == before


def test_crlf_is_normalised_and_reported(root, tmp_path):
    path = tmp_path / "crlf.txt"
    path.write_bytes(("Update:\r\n" + T1).encode())
    result = run("retext", A, path, "--path", root)
    assert result.exit_code == 0, result.output
    assert text_of(root)["text"] == "Update:\n" + T1
    assert_exact(root)


@pytest.mark.parametrize("args, says", [
    (["no-such-article", "{file}"], "no-such-article"),
    ([A, "{missing}"], "missing.txt"),
    ([A, "{file}", "--resolve", "guess"], "--resolve"),
    ([A, "{empty}"], "empty"),
])
def test_bad_input_is_one_line_and_exit_1(root, tmp_path, args, says):
    files = {"file": write(tmp_path, "x " + T1), "missing": tmp_path / "missing.txt", "empty": write(tmp_path, " \n", "empty.txt")}
    before = snapshot(root)
    result = run("retext", *[a.format(**files) for a in args], "--path", root)
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and says in lines[0] and "Traceback" not in result.output
    assert snapshot(root) == before
