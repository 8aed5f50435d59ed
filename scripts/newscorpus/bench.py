"""`newscorpus bench`: one machine, one run, figures side by side (a script, not a timed test).

Generates a synthetic corpus of N articles (synth.py), then measures on the same files:
- the tool: `validate_corpus` in a child process (wall time, peak RSS of it and its workers);
- a plain Parquet scan of every file (all columns);
- jsonschema and jsonschema-rs on a fixed sample of the same records, including the cost both need of
  turning Parquet rows into Python objects;
- the same JSON Schema check done by the tool's columnar engine alone (level 1: reading every file and
  checking every row), so that the schema-validation throughputs compare like with like; the full
  validation (levels 1 to 4) is reported beside it;
- `newscorpus release build` as a subprocess, if that command exists and succeeds.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

from .contract import TABLES, load_contract
from .storage import table_files

_CHILD = """
import json, resource, sys, time
from pathlib import Path
from newscorpus.validate import validate_corpus
t = time.perf_counter()
report = validate_corpus(Path(sys.argv[1]))
seconds = time.perf_counter() - t
rss = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print(json.dumps({"seconds": seconds, "findings": len(report.findings), "counts": report.counts, "max_rss_kb": rss}))
"""


def _scan(root: Path) -> float:
    t = time.perf_counter()
    for table in TABLES:
        for path in table_files(root, table):
            pq.read_table(path)
    return time.perf_counter() - t


def _validate_child(root: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1]) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    out = subprocess.run([sys.executable, "-c", _CHILD, str(root)], capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _sample(root: Path, per_table: int) -> dict:
    """The first rows of the first shard of each table, as Arrow (converted to Python by the timed part)."""
    return {t: pq.ParquetFile(table_files(root, t)[0]).read_row_group(0).slice(0, per_table) for t in TABLES}


def _per_record(sample: dict, validators: dict, errors) -> float:
    n = 0
    t = time.perf_counter()
    for table, data in sample.items():
        records = data.to_pylist()  # Parquet rows -> Python objects: both validators need them
        v = validators[table]
        for rec in records:
            errors(v, rec)
        n += len(records)
    return n / (time.perf_counter() - t)


def _schema_columnar(root: Path, contract) -> tuple[float, int]:
    """Level 1 alone, as the tool runs it: read every file of every table and check every row against its
    JSON Schema with the columnar engine. Returns (records per second, findings)."""
    from .schemacheck import compile_table
    from .storage import read_file

    n = found = 0
    t = time.perf_counter()
    for table in TABLES:
        engine = compile_table(table, contract.schemas[table])
        schema = contract.arrow_schema(table)
        for path in table_files(root, table):
            data = read_file(path, schema)
            findings, _ = engine.check(data)
            n += data.num_rows
            found += len(findings)
    return n / (time.perf_counter() - t), found


def _release_build(root: Path) -> dict:
    exe = shutil.which("newscorpus") or str(Path(sys.executable).with_name("newscorpus"))
    with tempfile.TemporaryDirectory() as out:
        t = time.perf_counter()
        try:
            proc = subprocess.run([exe, "release", "build", "--version", "0.0.0", "--out", out], cwd=root,
                                  capture_output=True, text=True, timeout=3600)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return {"measured": False, "reason": str(exc)}
        seconds = time.perf_counter() - t
    if proc.returncode != 0:
        lines = (proc.stderr or proc.stdout).strip().splitlines()
        return {"measured": False, "reason": f"exit {proc.returncode}: {lines[-1] if lines else ''}"}
    return {"measured": True, "seconds": round(seconds, 2)}


def run(articles: int, workdir: Path | None = None, sample: int = 1000, seed: int = 0, release: bool = True, progress=None) -> dict:
    from jsonschema import Draft202012Validator
    import jsonschema_rs

    from .synth import generate

    base = Path(tempfile.mkdtemp(prefix="newscorpus-bench-", dir=workdir))
    try:
        root = base / "corpus"
        gen = generate(root, articles=articles, seed=seed, progress=progress)
        records = sum(gen.records.values())
        size = sum(p.stat().st_size for t in TABLES for p in table_files(root, t))
        scan = min(_scan(root) for _ in range(2))
        tool = _validate_child(root)
        contract = load_contract(root)
        rows = _sample(root, sample)
        js = _per_record(rows, {t: Draft202012Validator(s) for t, s in contract.schemas.items()}, lambda v, r: list(v.iter_errors(r)))
        jsrs = _per_record(rows, {t: jsonschema_rs.validator_for(s) for t, s in contract.schemas.items()}, lambda v, r: list(v.iter_errors(r)))
        tool_rate = records / tool["seconds"]
        schema_rate, schema_findings = _schema_columnar(root, contract)
        result = {
            "articles": articles, "records": gen.records, "annotation_records": records - gen.records["articles"],
            "parquet_bytes": size, "generate_seconds": round(gen.seconds, 2),
            "validate_seconds": round(tool["seconds"], 2), "validate_findings": tool["findings"],
            "validate_peak_rss_mb": round(tool["max_rss_kb"] / 1024, 1),
            "scan_seconds": round(scan, 2), "validate_over_scan": round(tool["seconds"] / scan, 2),
            "records_per_second": {"tool": round(tool_rate), "jsonschema": round(js), "jsonschema_rs": round(jsrs)},
            "sample_records": sum(r.num_rows for r in rows.values()),
            "speedup": {"vs_jsonschema": round(tool_rate / js, 1), "vs_jsonschema_rs": round(tool_rate / jsrs, 1)},
            "schema_check": {"records_per_second": round(schema_rate), "findings": schema_findings,
                             "vs_jsonschema": round(schema_rate / js, 1), "vs_jsonschema_rs": round(schema_rate / jsrs, 1)},
            "release_build": _release_build(root) if release else {"measured": False, "reason": "--no-release"},
            "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        }
        return result
    finally:
        shutil.rmtree(base, ignore_errors=True)


def format_result(r: dict) -> list[str]:
    rps = r["records_per_second"]
    rel = r["release_build"]
    return [
        f"corpus      {r['articles']:,} articles, {r['annotation_records']:,} annotation records, {r['parquet_bytes'] / 2**20:,.0f} MiB Parquet (generated in {r['generate_seconds']} s)",
        f"validate    {r['validate_seconds']} s, {r['validate_findings']} finding(s), peak RSS {r['validate_peak_rss_mb']:,} MiB",
        f"scan        {r['scan_seconds']} s plain Parquet scan; validate / scan = {r['validate_over_scan']}x",
        f"records/s   tool {rps['tool']:,}; jsonschema {rps['jsonschema']:,}; jsonschema-rs {rps['jsonschema_rs']:,} (sample of {r['sample_records']}, Parquet->Python included)",
        f"speed-up    full validation (levels 1-4): {r['speedup']['vs_jsonschema']}x jsonschema, {r['speedup']['vs_jsonschema_rs']}x jsonschema-rs",
        f"schema      JSON Schema alone (level 1, columnar, every file read): {r['schema_check']['records_per_second']:,} records/s = "
        f"{r['schema_check']['vs_jsonschema']}x jsonschema, {r['schema_check']['vs_jsonschema_rs']}x jsonschema-rs",
        f"release     " + (f"{rel['seconds']} s" if rel.get("measured") else f"not measured ({rel.get('reason')})"),
    ]
