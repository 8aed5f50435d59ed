"""The Label Studio round trip against a real server on 127.0.0.1: config, push (twice), annotations made
through the API as annotators make them, pull, validate, a second pull that changes no byte, bad annotations
refused while good ones go in, conflicts, both kinds of token, and `newscorpus studio serve` itself."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from newscorpus.store import storage
from newscorpus.cli import main
from newscorpus.contract import load_contract
from newscorpus.errors import RemoteError
from newscorpus.store.importer import records_to_table
from newscorpus.studio.server import copy_data_dir, free_port, healthy
from newscorpus.studio.client import Client
from newscorpus.studio.sync import pull, push
from newscorpus.check.validate import validate_corpus

from conftest import REPO, article, claim, entity, event, make_root, mention, span
from studio_server import ADMIN, studio, studio_template  # noqa: F401  (fixtures)

pytestmark = pytest.mark.integration

LINES = "Putin met Tokayev in Almaty.\nTokayev said the CSTO\nwould help."
EMOJI = unicodedata.normalize("NFC", "🇰🇿 Astana 👍🏽: Ме\u0301дведев said 😀 that Acme Corp attacked Zoe\u0308 in Almaty.")
PLAIN = "Nothing happened in Oslo today."


def _corpus(tmp_path: Path) -> Path:
    root = make_root(tmp_path)
    c = load_contract(root)
    t, a = LINES, "a-lines"
    ents = [entity(f"{a}/E1", "PER", "Vladimir Putin", [mention(f"{a}/M1", span(t, "Putin"))], aid=a, wikidata="Q7747"),
            entity(f"{a}/E2", "PER", "Kassym-Jomart Tokayev", [mention(f"{a}/M2", span(t, "Tokayev")), mention(f"{a}/M3", span(t, "Tokayev", 1))], aid=a),
            entity(f"{a}/E3", "GPE", "Almaty", [mention(f"{a}/M4", span(t, "Almaty"))], aid=a)]
    evs = [event(f"{a}/V1", "contact.meet", span(t, "met"), [{"role": "participant", "entity_id": f"{a}/E1", "mention_id": f"{a}/M1"},
                                                             {"role": "place", "entity_id": f"{a}/E3", "mention_id": f"{a}/M4"}], aid=a)]
    cls = [claim(f"{a}/C1", span(t, "the CSTO\nwould help"), aid=a, claimer={"entity_id": f"{a}/E2", "mention_id": f"{a}/M3"},
                 by_author=False, cue=span(t, "said"), quote="indirect", event_ids=[f"{a}/V1"])]
    arts = [article(a, t), article("b-emoji", EMOJI), article("c-plain", PLAIN)]
    with storage.corpus_lock(root):
        storage.write_tables(root, {"articles": records_to_table(arts, "articles", c), "entities": records_to_table(ents, "entities", c),
                                    "events": records_to_table(evs, "events", c), "claims": records_to_table(cls, "claims", c)}, c)
    assert validate_corpus(root).ok
    return root


def _labels(rid, control, label, text, needle, nth=0, stored=None):
    s = span(text, needle, nth)
    return {"id": rid, "from_name": control, "to_name": "text", "type": "labels",
            "value": {"start": s["start"], "end": s["end"], "text": stored if stored is not None else s["text"], "labels": [label]}}


def _value(region, control, kind, value):
    v = {"start": region["value"]["start"], "end": region["value"]["end"], ("choices" if kind == "choices" else "text"): [value]}
    return {"id": region["id"], "from_name": control, "to_name": "text", "type": kind, "value": v}


def _rel(a, b, label):
    return {"from_id": a, "to_id": b, "type": "relation", "direction": "right", "labels": [label]}


def _user(client, email):
    return client.request("POST", "api/users/", json={"email": email, "username": email.split("@")[0]})["id"]


def _tasks(client, title):
    project = client.find_project(title)
    return project, {t["data"]["article_id"]: t["id"] for t in client.list_tasks(project["id"])}


def _annotate(client, task_id, result, user, ground_truth=False, cancelled=False):
    body = {"result": result, "ground_truth": ground_truth, "was_cancelled": cancelled}
    if user is not None:
        body["completed_by"] = user
    return client.request("POST", f"api/tasks/{task_id}/annotations/", json=body)["id"]


def _parquet_bytes(root):
    return {p.relative_to(root): p.read_bytes() for p in sorted((root / "annotations").glob("*.parquet"))}


def _emoji_result():
    t = EMOJI
    m1 = _labels("m1", "entity", "PER", t, "Ме\u0301дведев")
    m2 = _labels("m2", "entity", "ORG", t, "Acme Corp")
    m3 = _labels("m3", "entity", "PER", t, "Zoë")
    m4 = _labels("m4", "entity", "GPE", t, "Almaty")
    ev = _labels("v1", "event", "conflict.attack", t, "attacked")
    cl = _labels("c1", "claim", "CLAIM", t, "Acme Corp attacked Zoë in Almaty")
    cue = _labels("q1", "claim", "CUE", t, "said")
    return [m1, _value(m1, "cluster", "textarea", "medvedev"), _value(m1, "wikidata", "textarea", "Q23530"), m2, m3, m4, ev,
            _value(ev, "realis", "choices", "actual"), cl, _value(cl, "stance", "choices", "affirm"), _value(cl, "quote", "choices", "indirect"),
            _value(cl, "topic", "textarea", "Acme attack"), cue,
            _rel("v1", "m2", "attacker"), _rel("v1", "m3", "target"), _rel("v1", "m4", "place"),
            _rel("c1", "m1", "claimer"), _rel("c1", "q1", "cue"), _rel("c1", "v1", "about")]


def test_round_trip(studio, tmp_path):
    root = _corpus(tmp_path)
    client = Client(studio.url, studio.pat)
    title = "round-trip"
    first = push(root, title=title, client=client)
    assert (first.project_created, first.created, first.findings) == (True, 3, [])
    second = push(root, title=title, client=client)
    assert (second.project_created, second.config_updated, second.created, second.predictions_updated, second.unchanged) == (False, False, 0, 0, 3)
    project, tasks = _tasks(client, title)
    assert len(tasks) == 3
    assert project["label_config"].count("<Text ") == 1 and "HyperText" not in project["label_config"]

    ann1, ann2, bad = (_user(client, f"{n}@example.org") for n in ("ann1", "ann2", "bad"))
    # ann1 accepts the gold prediction of a-lines as it is; ann2 redraws the claim in the browser (text with \n as
    # backslash-n) and is marked ground truth
    pred = client.request("GET", "api/predictions/", params={"task": tasks["a-lines"]})
    pred = pred if isinstance(pred, list) else pred["results"]
    assert [p["model_version"] for p in pred] == [f"gold-{load_contract(root).version}"]  # the gold of the schema it was made under
    _annotate(client, tasks["a-lines"], pred[0]["result"], ann1)
    redrawn = []
    for item in pred[0]["result"]:
        if item.get("id") == "C1" and item["type"] == "labels":
            item = {**item, "value": {**item["value"], "text": item["value"]["text"].replace("\n", "\\n")}}
            assert "\\n" in item["value"]["text"]
        if item.get("id") == "C1" and item.get("from_name") == "stance":
            item = {**item, "value": {**item["value"], "choices": ["unclear"]}}
        redrawn.append(item)
    _annotate(client, tasks["a-lines"], redrawn, ann2, ground_truth=True)
    # the emoji article: offsets in code points after a flag, a skin-toned thumb and combining marks
    good_emoji = _annotate(client, tasks["b-emoji"], _emoji_result(), ann1, ground_truth=True)
    _annotate(client, tasks["b-emoji"], [], ann2, cancelled=True)  # skipped: ignored
    # bad annotations of c-plain, each by its own annotator; one good one goes in
    oslo = _labels("o1", "entity", "GPE", PLAIN, "Oslo")
    bad_unknown = _annotate(client, tasks["c-plain"], [_labels("x1", "entity", "ALIEN", PLAIN, "Oslo")], bad)
    bad_users = [_user(client, f"bad{i}@example.org") for i in range(2)]
    bad_offset = _annotate(client, tasks["c-plain"], [{**oslo, "value": {**oslo["value"], "start": 20, "end": 99}}], bad_users[0])
    bad_rel = _annotate(client, tasks["c-plain"], [oslo, _rel("o1", "nowhere", "place")], bad_users[1])
    good_plain = _annotate(client, tasks["c-plain"], [oslo], ann2)

    result = pull(root, title=title, client=client)
    got = {(f.check, f.record, f.field) for f in result.findings}
    assert ("studio-label-unknown", f"task {tasks['c-plain']} annotation {bad_unknown}", "region x1") in got
    assert ("studio-offset-out-of-bounds", f"task {tasks['c-plain']} annotation {bad_offset}", "region o1") in got
    assert ("studio-relation-dangling", f"task {tasks['c-plain']} annotation {bad_rel}", "relation o1->nowhere") in got
    assert result.refused == 3 and result.accepted == 4 and result.written  # annotations, a ground truth counted once
    assert result.gold_articles == ["a-lines", "b-emoji"]
    report = validate_corpus(root)
    assert report.ok, [f.line() for f in report.errors]

    c = load_contract(root)
    ents = storage.read_table(root, "entities", c).to_pylist()
    claims = storage.read_table(root, "claims", c).to_pylist()
    assert all("@" not in r["annotator"] and r["annotator"].startswith("ls-") for r in ents + claims)
    gold_claim = next(r for r in claims if r["id"] == "a-lines/C1")
    assert gold_claim["span"]["text"] == "the CSTO\nwould help" and gold_claim["stance"] == "unclear"
    assert gold_claim["origin"] == "label-studio" and gold_claim["source_ref"].startswith(f"label-studio:project/{project['id']}/task/")
    assert gold_claim["claimer"] == {"entity_id": "a-lines/E2", "mention_id": "a-lines/M3"} and gold_claim["event_ids"] == ["a-lines/V1"]
    emoji_claim = next(r for r in claims if r["id"] == "b-emoji/c1")
    assert EMOJI[emoji_claim["span"]["start"]:emoji_claim["span"]["end"]] == "Acme Corp attacked Zoë in Almaty"
    medvedev = next(r for r in ents if r["id"] == "b-emoji/medvedev")
    assert medvedev["wikidata"] == "Q23530" and medvedev["mentions"][0]["text"] == "Ме\u0301дведев"
    plain = [r for r in ents if r["article_id"] == "c-plain"]
    assert len(plain) == 1 and plain[0]["status"] == "candidate"
    assert good_emoji and good_plain

    before = _parquet_bytes(root)
    again = pull(root, title=title, client=client)
    assert not again.written and not again.changed
    assert _parquet_bytes(root) == before

    # the article text changes locally: push reports it, pull refuses its annotations
    c = load_contract(root)
    arts = storage.read_table(root, "articles", c).to_pylist()
    for a in arts:
        if a["id"] == "c-plain":
            a.update(article("c-plain", PLAIN.replace("Oslo", "Oslo city")))
    with storage.corpus_lock(root):
        storage.write_tables(root, {"articles": records_to_table(arts, "articles", c)}, c)
    pushed = push(root, title=title, client=client)
    assert [f.check for f in pushed.findings] == ["studio-text-changed"]
    refused = pull(root, title=title, client=client)
    assert {f.check for f in refused.findings if f.record.startswith(f"task {tasks['c-plain']} ")} == {"studio-text-changed"}
    assert _parquet_bytes(root) == before


def test_local_gold_edit_is_not_overwritten(studio, tmp_path):
    root = _corpus(tmp_path)
    client = Client(studio.url, studio.pat)
    title = "gold-conflict"
    push(root, title=title, client=client)
    _, tasks = _tasks(client, title)
    pred = client.request("GET", "api/predictions/", params={"task": tasks["a-lines"]})
    pred = pred if isinstance(pred, list) else pred["results"]
    ann = _annotate(client, tasks["a-lines"], pred[0]["result"], None, ground_truth=True)
    c = load_contract(root)
    ents = storage.read_table(root, "entities", c).to_pylist()
    for e in ents:
        if e["id"] == "a-lines/E3":
            e.update(name="Almaty city", origin="manual", updated_at="2026-12-01T00:00:00Z")
    with storage.corpus_lock(root):
        storage.write_tables(root, {"entities": records_to_table(ents, "entities", c)}, c)
    result = pull(root, title=title, client=client)
    assert [(f.check, f.record) for f in result.findings] == [("studio-gold-conflict", f"task {tasks['a-lines']} annotation {ann}")]
    kept = {e["id"]: e for e in storage.read_table(root, "entities", c).to_pylist()}
    assert kept["a-lines/E3"]["name"] == "Almaty city" and kept["a-lines/E3"]["status"] == "gold"
    assert any(e["status"] == "candidate" for e in kept.values())  # the annotator's version still went in
    # push refreshes the prediction from the local gold: then the next adjudication may replace it
    assert push(root, title=title, client=client).predictions_updated == 1


def test_legacy_token_and_secret_hygiene(studio, tmp_path, monkeypatch):
    root = _corpus(tmp_path)
    monkeypatch.setenv("LABEL_STUDIO_URL", studio.url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", studio.legacy_token)
    runner = CliRunner()
    out = runner.invoke(main, ["studio", "push", "--title", "legacy-token", "--path", str(root)])
    assert out.exit_code == 0, out.output
    assert "created 3 task(s)" in out.output
    out = runner.invoke(main, ["studio", "pull", "--title", "legacy-token", "--path", str(root), "--dry-run"])
    assert out.exit_code == 0 and "dry run" in out.output, out.output
    # a wrong token: one line, exit 2, the token nowhere
    wrong = "wrongtoken-" + studio.legacy_token
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", wrong)
    out = runner.invoke(main, ["studio", "push", "--title", "legacy-token", "--path", str(root)])
    assert out.exit_code == 2 and "HTTP 401" in out.output and wrong not in out.output and studio.legacy_token not in out.output
    assert len(out.output.strip().splitlines()) == 1
    with pytest.raises(RemoteError) as exc:
        Client(studio.url, studio.pat + "x").find_project("x")
    assert studio.pat not in str(exc.value)
    assert studio.legacy_token not in studio.server.log_tail(10_000) and studio.pat not in studio.server.log_tail(10_000)


def test_serve_command(studio_template, tmp_path):
    root = make_root(tmp_path)
    copy_data_dir(studio_template.data_dir, root / ".studio" / "data")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LABEL_STUDIO_")}
    env["PYTHONPATH"] = str(REPO / "scripts")
    proc = subprocess.Popen([sys.executable, "-m", "newscorpus", "studio", "serve", "--port", str(port), "--path", str(root)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        line = proc.stdout.readline()
        url = f"http://127.0.0.1:{port}"
        assert url in line, line + proc.stderr.read() if proc.poll() is not None else line
        assert healthy(url)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
        deadline = time.monotonic() + 10
        while healthy(url) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not healthy(url)
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"{url}/health/", timeout=2)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert (root / ".studio" / "label-studio.log").is_file()
