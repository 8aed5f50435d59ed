"""Event times: the TIMEX3-style grammar of schema 1.1.0 (points, ranges, open ranges, durations, approximate
and relative values), the same in the JSON Schema and in the level-2 check, on a fixture corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from click.testing import CliRunner

from newscorpus.check import timex
from newscorpus.cli import main

REPO = Path(__file__).resolve().parents[2]

VALID = ["2022", "2022-01", "2022-01-10", "2022-W02", "2020-W53", "2022-01-10T14:30", "201X", "XXXX-01-10",
         "2022-01-03/2022-01-09", "2019/..", "../2021", "2022-01-06/P2D", "P2D/2022-01-08", "P2D", "PT3H", "P1Y6M",
         "PXY", "2022-01~", "2022?", "2022-01-10%", "P2D~", "PAST_REF", "PRESENT_REF", "FUTURE_REF", "2022-01/2022-01"]
SYNTAX = ["2022-13", "22-01-10", "2022/01/10", "January 2022", "P2X", "2022-01-10/", "/2022", "PAST_REF/2022", "P2D/P3D",
          "2022-01-1", " 2022", "2022-01-32"]
SEMANTICS = {"2022-02-30": "has no day 30", "2021-02-29": "has no day 29", "2021-W53": "no ISO week 53",
             "2022-01-10/2022-01-03": "ends before it starts", "2022-02/2022-01-31": "ends before it starts",
             "P": "no quantity", "PT": "no quantity", "P1DT": "no quantity"}


def test_the_schema_pattern_is_the_grammar():
    schema = json.loads((REPO / "schema" / "events.schema.json").read_text(encoding="utf-8"))
    assert schema["properties"]["time"]["pattern"] == timex.PATTERN


@pytest.mark.parametrize("value", VALID)
def test_valid_values(value):
    assert timex.problem(value) is None
    assert pc.match_substring_regex(pa.array([value]), timex.PATTERN).to_pylist() == [True]  # the level-1 engine agrees


@pytest.mark.parametrize("value", SYNTAX)
def test_syntax_errors_are_the_patterns(value):
    assert "is not a normalised time" in timex.problem(value)
    assert pc.match_substring_regex(pa.array([value]), timex.PATTERN).to_pylist() == [False]


@pytest.mark.parametrize("value, why", SEMANTICS.items())
def test_what_the_pattern_cannot_say(value, why):
    assert pc.match_substring_regex(pa.array([value]), timex.PATTERN).to_pylist() == [True]
    assert why in timex.problem(value)


def test_kind_is_the_timex3_type():
    assert [timex.kind(v) for v in ("P2D", "PXY", "2022-01", "2019/..", "FUTURE_REF", "2022-01-06/P2D")] == \
        ["DURATION", "DURATION", "DATE", "DATE", "DATE", "DATE"]


def test_the_validator_reports_each_bad_time_once_per_event(fixture_root, tmp_path):
    """time-invalid at level 2, on rows read from Parquet (a dictionary column), next to valid new-style times."""
    from conftest import fixture_records

    events = fixture_records()["events"]
    times = ["2022-02-30", "P2D", "2019/..", "2022-02-30"]
    batch = tmp_path / "ev.jsonl"
    batch.write_text("".join(json.dumps({**e, "time": t}) + "\n" for e, t in zip(events, times)), encoding="utf-8")
    result = CliRunner().invoke(main, ["import", "events", str(batch), "--path", str(fixture_root)])
    assert result.exit_code == 1  # refused by the import gate, one finding a bad event, naming the line
    bad = [line for line in result.output.splitlines() if " time-invalid:" in line]
    assert [line.split(" ")[0] for line in bad] == [f"{batch}:1", f"{batch}:4"], result.output
    assert all("has no day 30" in line for line in bad)
    good = tmp_path / "good.jsonl"
    good.write_text("".join(json.dumps({**e, "time": t}) + "\n" for e, t in zip(events, ["P2D", "2019/..", "FUTURE_REF", "2022-01~"])),
                    encoding="utf-8")
    result = CliRunner().invoke(main, ["import", "events", str(good), "--path", str(fixture_root)])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(main, ["validate", "--path", str(fixture_root), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert not [f for f in json.loads(result.output)["findings"] if f["check"] == "time-invalid"]
