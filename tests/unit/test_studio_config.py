"""The labeling config is derived from the contract: the label sets read back from the XML are the ontology's."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from click.testing import CliRunner

from newscorpus.cli import main
from newscorpus.contract import load_contract
from newscorpus.studio.config import instructions, label_config

from conftest import REPO, make_root


def test_label_sets_agree_with_the_ontology():
    c = load_contract(REPO)
    root = ET.fromstring(label_config(c))
    labels = {el.get("name"): [l.get("value") for l in el.iter("Label")] for el in root.iter("Labels")}
    assert labels == {"entity": c.entity_types, "event": c.event_types, "claim": ["CLAIM", "CUE"]}
    assert all(el.get("toName") == "text" for el in root.iter("Labels"))
    texts = list(root.iter("Text"))
    assert [(t.get("name"), t.get("value")) for t in texts] == [("text", "$text")] and not list(root.iter("HyperText"))
    assert [r.get("value") for r in root.iter("Relation")] == sorted(c.roles) + ["claimer", "cue", "about", "names"]
    choices = {el.get("name"): [ch.get("value") for ch in el.iter("Choice")] for el in root.iter("Choices")}
    assert choices == {"kind": c.enum("entities", "mentions", "kind"), "realis": c.enum("events", "realis"),
                       "polarity": c.enum("events", "polarity"), "stance": c.enum("claims", "stance"),
                       "quote": c.enum("claims", "quote"), "by_author": ["yes", "no"], "checkworthy": ["yes", "no"]}
    assert all(el.get("perRegion") == "true" for el in [*root.iter("Choices"), *root.iter("TextArea")])
    assert sorted(el.get("name") for el in root.iter("TextArea")) == ["cluster", "name", "time", "topic", "wikidata"]
    hints = {l.get("value"): l.get("hint") for l in root.iter("Label")}
    assert hints["PER"] == c.ontology["entity_types"]["PER"]["definition"]


def test_config_follows_an_ontology_change(tmp_path):
    import json

    root = make_root(tmp_path)
    path = root / "schema" / "ontology.json"
    onto = json.loads(path.read_text())
    onto["entity_types"]["WEAPON"] = {"ontonotes": "PRODUCT", "definition": "A weapon."}
    path.write_text(json.dumps(onto))
    xml = ET.fromstring(label_config(load_contract(root)))
    assert "WEAPON" in [l.get("value") for l in xml.find("Labels[@name='entity']")]


def test_instructions_carry_the_guidelines(tmp_path):
    root = make_root(tmp_path)
    (root / "schema" / "GUIDELINES.md").write_text("# Guidelines\n\nMark <b>names</b> only.\n")
    html = instructions(root, load_contract(root))
    assert "Mark &lt;b&gt;names&lt;/b&gt; only." in html and "conflict.attack" in html


def test_config_command():
    out = CliRunner().invoke(main, ["studio", "config", "--path", str(REPO)])
    assert out.exit_code == 0 and out.output.startswith("<View>")
    assert ET.fromstring(out.output).tag == "View"
