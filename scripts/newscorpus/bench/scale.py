"""`newscorpus bench`: one machine, one run, figures side by side (a script, not a timed test).

Generates a synthetic corpus of N articles (synth.py), then measures on the same files:
- the tool: `validate_corpus` in a child process (wall time, CPU time, and peak memory: the sum of the PSS of
  it and its worker processes, sampled every 0.2 s);
- a plain Parquet scan of every file (all columns, pyarrow's threads; the best of two);
- jsonschema and jsonschema-rs on a sample of the same records of each table (the best of three runs),
  including the cost both need of turning Parquet rows into Python objects. A corpus is mostly entities and events, which are slower to
  check than articles, so the rate of each is the corpus's row count over the time it would take them,
  table by table at the sampled rate (not a plain average of the sample);
- the JSON Schema check alone (level 1) by the tool's columnar engine, reading every file and checking every
  row, with the tool's two worker processes: the schema-validation throughputs compare like with like; the
  full validation (levels 1 to 4) is reported beside it;
- `newscorpus release build` as a subprocess, if that command exists and succeeds.
"""

from __future__ import annotations

import functools
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ..contract import TABLES, load_contract
from ..store.storage import table_files

_CHILD = """
import hashlib, json, resource, sys, time
from pathlib import Path
from newscorpus.check.validate import validate_corpus
from newscorpus.findings import to_json
def cpu():
    a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime
opts = dict(zip(sys.argv[2::2], sys.argv[3::2]))
runner = None
if "--scheduler" in opts:
    from newscorpus.check.runner import DaskRunner
    runner = DaskRunner(opts["--scheduler"])
t, c = time.perf_counter(), cpu()
report = validate_corpus(Path(sys.argv[1]), runner=runner, cache=Path(opts["--cache"]) if "--cache" in opts else None)
seconds, cpu_seconds = time.perf_counter() - t, cpu() - c
def own_peak_kb():  # VmHWM: ru_maxrss of a process keeps the high-water mark of the process it was exec'd from
    try:
        return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
rss = max(own_peak_kb(), resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print(json.dumps({"seconds": seconds, "cpu_seconds": cpu_seconds, "findings": len(report.findings), "counts": report.counts,
                  "max_rss_kb": rss, "method": report.method, "digest": hashlib.sha256(to_json(report.findings).encode()).hexdigest()}))
"""


def _cpu() -> float:
    a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime


def _scan(root: Path) -> float:
    t = time.perf_counter()
    for table in TABLES:
        for path in table_files(root, table):
            pq.read_table(path)
    return time.perf_counter() - t


def _tree(pid: int) -> list[int]:
    """pid and all its descendants, from /proc."""
    children: dict = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                ppid = int(Path(f"/proc/{entry.name}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += children.get(p, [])
    return out


def _pss_kb(pids: list[int]) -> int:
    """The proportional set size of the processes together: pages shared by forked workers count once."""
    total = 0
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
                    break
        except OSError:
            continue
    return total


def _validate_child(root: Path, sample_memory: bool = True, args: tuple = (), workers: tuple = ()) -> dict:
    """Validation in a child process. With sample_memory, its peak memory is the largest sum, sampled every
    0.2 s, of the PSS of the child and its worker processes (on Linux; else the largest single process's
    RSS), and `worker_peak_kb` the largest PSS of one of the processes `workers` (a Dask cluster's). The
    sampling is not free (it walks /proc and the page tables of the processes, on the cores they run on),
    so the time is measured in a run without it. `args`: --scheduler ADDRESS, --cache DIR."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2]) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen([sys.executable, "-c", _CHILD, str(root), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    peak = worker_peak = 0
    sampled = sample_memory and Path("/proc/self/smaps_rollup").exists()
    while proc.poll() is None:
        if sampled:
            peak = max(peak, _pss_kb(_tree(proc.pid)))
            worker_peak = max([worker_peak] + [_pss_kb([w]) for w in workers])
        time.sleep(0.2)
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"validation failed: {(err or out).strip().splitlines()[-1:]}")
    result = json.loads(out.strip().splitlines()[-1])
    result["peak_kb"] = peak if sampled else result["max_rss_kb"]
    result["peak_sampled"] = sampled
    result["worker_peak_kb"] = worker_peak
    return result


def _distributed(root: Path, scheduler: str | None) -> dict:
    """Validation through Dask, in a child process as the local one: on the cluster at `scheduler` if one is
    given, else on a LocalCluster of this machine (127.0.0.1) with 1 and then 2 worker processes (their start
    not timed), each timed once and once more with the workers' memory sampled."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        return {"measured": False, "reason": "Dask is not installed (pip install 'newscorpus[distributed]')"}

    def measure(address: str, label: str) -> dict:
        with Client(address, set_as_default=False) as client:
            pids = tuple(client.run(os.getpid).values())
        timed = _validate_child(root, sample_memory=False, args=("--scheduler", address))
        memory = _validate_child(root, sample_memory=True, args=("--scheduler", address), workers=pids)
        return {"label": label, "workers": len(pids), "seconds": round(timed["seconds"], 2), "findings": timed["findings"],
                "digest": timed["digest"], "method": timed["method"], "worker_peak_mb": round(memory["worker_peak_kb"] / 1024, 1)}

    runs = []
    if scheduler:
        runs.append(measure(scheduler, scheduler))
    else:
        for n in (1, 2):
            with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None) as cluster:
                runs.append(measure(cluster.scheduler_address, f"LocalCluster, {n} worker(s)"))
    return {"measured": True, "runs": runs}


def _touch_articles(root: Path, n: int) -> set:
    """Break one mention of each of the first `n` articles of the middle entities shard (a span-text-mismatch
    each): the "10 articles changed" of an incremental run. The bench's own synthetic corpus only."""
    files = table_files(root, "entities")
    path = files[len(files) // 2]
    table = pq.read_table(path)
    rows = table.to_pylist()
    touched: dict = {}
    for row in rows:
        if row["article_id"] not in touched and row["mentions"] and len(touched) < n:
            row["mentions"][0]["text"] = "X" + row["mentions"][0]["text"][1:]
            touched[row["article_id"]] = row["id"]
    pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), path)
    return set(touched.values())


def _incremental(root: Path, base: Path, articles: int = 10, release: bool = True) -> dict:
    """validate --cache: a cold run, then `release build --cache` after it (as CI would release), then
    `articles` articles changed and a warm run, whose findings must be those of a full run of the changed
    corpus (compared by a digest of every finding)."""
    cache = base / "validate-cache"
    cold = _validate_child(root, sample_memory=False, args=("--cache", str(cache)))
    # CI's path: validate --cache, then release build --cache, which validates nothing a second time
    release = _release_build(root, args=("--cache", str(cache))) if release else {"measured": False, "reason": "--no-release"}
    touched = _touch_articles(root, articles)
    warm = _validate_child(root, sample_memory=False, args=("--cache", str(cache)))
    full = _validate_child(root, sample_memory=False)
    return {"articles_changed": articles, "cold_seconds": round(cold["seconds"], 2), "warm_seconds": round(warm["seconds"], 2),
            "full_seconds": round(full["seconds"], 2), "findings": warm["findings"], "faults_injected": len(touched),
            "same_as_full": warm["digest"] == full["digest"], "method": warm["method"], "release_build_after": release}


def _sample(root: Path, per_table: int) -> dict:
    """Rows of each table, taken evenly from the first row group of every shard (as Arrow: the timed
    part turns them into Python objects)."""
    out = {}
    for t in TABLES:
        files = table_files(root, t)
        take = max(1, per_table // len(files))
        parts = [pq.ParquetFile(f).read_row_group(0).slice(0, take) for f in files]
        out[t] = pa.concat_tables(parts).slice(0, per_table)
    return out


def _per_record(sample: dict, validators: dict, errors, repeat: int = 3) -> dict:
    """table -> records per second, Parquet->Python conversion included; the best of `repeat` runs (the
    baselines get the benefit of the doubt on a noisy machine)."""
    rates = {}
    for table, data in sample.items():
        v = validators[table]
        best = float("inf")
        for _ in range(repeat):
            t = time.perf_counter()
            records = data.to_pylist()  # Parquet rows -> Python objects: both validators need them
            for rec in records:
                errors(v, rec)
            best = min(best, time.perf_counter() - t)
        rates[table] = data.num_rows / best
    return rates


def _mix_rate(rates: dict, records: dict) -> float:
    """Records per second over the corpus's mix of tables: all its rows over the time they would take."""
    return sum(records.values()) / sum(records[t] / rates[t] for t in TABLES)


@functools.lru_cache(maxsize=None)
def _engine(root: str, table: str):
    """(Arrow schema, compiled JSON Schema) of a table: loaded once per worker, not once per file."""
    from ..check.schema import compile_table

    contract = load_contract(Path(root))
    return contract.arrow_schema(table), compile_table(table, contract.schemas[table])


def _schema_file(root: str, table: str, path: str) -> tuple[int, int]:
    from ..check.pieces import read_rows

    schema, engine = _engine(root, table)
    data = pa.concat_tables(list(read_rows(Path(path), schema, dictionary=True, threads=False)))  # read as the validator reads
    findings, _ = engine.check(data)
    return data.num_rows, len(findings)


def _schema_columnar(root: Path, workers: int = 2) -> dict:
    """Level 1 alone, as the tool runs it: every file of every table read and every row checked against
    its JSON Schema by the columnar engine, in the tool's two worker processes."""
    jobs = [(str(root), t, str(p)) for t in TABLES for p in table_files(root, t)]
    t, c = time.perf_counter(), _cpu()
    with ProcessPoolExecutor(workers) as pool:
        results = list(pool.map(_schema_file, *zip(*jobs)))
    seconds, cpu = time.perf_counter() - t, _cpu() - c
    rows = sum(n for n, _ in results)
    return {"records_per_second": rows / seconds, "records_per_cpu_second": rows / cpu, "findings": sum(f for _, f in results),
            "seconds": seconds, "cpu_seconds": cpu}


def _release_build(root: Path, args: tuple = ()) -> dict:
    """`newscorpus release build` as a subprocess, timed with its memory sampled as validation's is (the
    PSS of it and its worker processes every 0.2 s, in the same run: the time includes the sampling's cost)."""
    exe = shutil.which("newscorpus") or str(Path(sys.executable).with_name("newscorpus"))
    sampled = Path("/proc/self/smaps_rollup").exists()
    with tempfile.TemporaryDirectory() as out:
        t = time.perf_counter()
        peak = largest = 0
        try:
            proc = subprocess.Popen([exe, "release", "build", "--version", "0.0.0", "--out", out, *args], cwd=root,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            while proc.poll() is None and time.perf_counter() - t < 3600:
                if sampled:
                    each = [_pss_kb([p]) for p in _tree(proc.pid)]  # (each process's smaps read once a sample)
                    peak, largest = max(peak, sum(each)), max([largest, *each])
                time.sleep(0.2)
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
                return {"measured": False, "reason": "took more than an hour"}
            stdout, stderr = proc.communicate()
        except OSError as exc:
            return {"measured": False, "reason": str(exc)}
        seconds = time.perf_counter() - t
    if proc.returncode != 0:
        lines = (stderr or stdout).strip().splitlines()
        return {"measured": False, "reason": f"exit {proc.returncode}: {lines[-1] if lines else ''}"}
    validated = [line.split("validated: ", 1)[1] for line in stdout.splitlines() if line.strip().startswith("validated: ")]
    return {"measured": True, "seconds": round(seconds, 2), "peak_mb": round(peak / 1024, 1) if sampled else None,
            "largest_process_mb": round(largest / 1024, 1) if sampled else None, "validation": validated[0] if validated else None}


def run(articles: int, workdir: Path | None = None, sample: int = 2000, seed: int = 0, release: bool = True, progress=None,
        scheduler: str | None = None) -> dict:
    from jsonschema import Draft202012Validator
    import jsonschema_rs

    from .synth import generate

    if workdir is not None:
        Path(workdir).mkdir(parents=True, exist_ok=True)
    base = Path(tempfile.mkdtemp(prefix="newscorpus-bench-", dir=workdir))
    try:
        root = base / "corpus"
        gen = generate(root, articles=articles, seed=seed, progress=progress)
        records = sum(gen.records.values())
        size = sum(p.stat().st_size for t in TABLES for p in table_files(root, t))
        scan = min(_scan(root) for _ in range(2))
        tool = _validate_child(root, sample_memory=False)  # timed
        memory = _validate_child(root, sample_memory=True)  # peak memory
        contract = load_contract(root)
        rows = _sample(root, sample)
        js = _per_record(rows, {t: Draft202012Validator(s) for t, s in contract.schemas.items()}, lambda v, r: list(v.iter_errors(r)))
        jsrs = _per_record(rows, {t: jsonschema_rs.validator_for(s) for t, s in contract.schemas.items()}, lambda v, r: list(v.iter_errors(r)))
        js_rate, jsrs_rate = _mix_rate(js, gen.records), _mix_rate(jsrs, gen.records)
        tool_rate = records / tool["seconds"]
        tool_cpu_rate = records / tool["cpu_seconds"]
        schema = _schema_columnar(root)
        result = {
            "articles": articles, "records": gen.records, "annotation_records": records - gen.records["articles"],
            "parquet_bytes": size, "generate_seconds": round(gen.seconds, 2),
            "validate_seconds": round(tool["seconds"], 2), "validate_cpu_seconds": round(tool["cpu_seconds"], 2),
            "validate_findings": tool["findings"], "validate_method": tool["method"], "validate_digest": tool["digest"],
            "validate_peak_mb": round(memory["peak_kb"] / 1024, 1), "validate_peak_sampled": memory["peak_sampled"],
            "validate_largest_process_rss_mb": round(max(tool["max_rss_kb"], memory["max_rss_kb"]) / 1024, 1),
            "validate_seconds_while_sampled": round(memory["seconds"], 2),
            "scan_seconds": round(scan, 2), "validate_over_scan": round(tool["seconds"] / scan, 2),
            "records_per_second": {"tool": round(tool_rate), "tool_per_cpu_second": round(tool_cpu_rate),
                                   "jsonschema": round(js_rate), "jsonschema_rs": round(jsrs_rate)},
            "records_per_second_by_table": {"jsonschema": {t: round(r) for t, r in js.items()},
                                            "jsonschema_rs": {t: round(r) for t, r in jsrs.items()}},
            "sample_records": sum(r.num_rows for r in rows.values()),
            "speedup": {"vs_jsonschema": round(tool_rate / js_rate, 1), "vs_jsonschema_rs": round(tool_rate / jsrs_rate, 1),
                        "per_cpu_second_vs_jsonschema": round(tool_cpu_rate / js_rate, 1),
                        "per_cpu_second_vs_jsonschema_rs": round(tool_cpu_rate / jsrs_rate, 1)},
            "schema_check": {"records_per_second": round(schema["records_per_second"]),
                             "records_per_cpu_second": round(schema["records_per_cpu_second"]),
                             "seconds": round(schema["seconds"], 2), "findings": schema["findings"],
                             "vs_jsonschema": round(schema["records_per_second"] / js_rate, 1),
                             "vs_jsonschema_rs": round(schema["records_per_second"] / jsrs_rate, 1),
                             "per_cpu_second_vs_jsonschema": round(schema["records_per_cpu_second"] / js_rate, 1),
                             "per_cpu_second_vs_jsonschema_rs": round(schema["records_per_cpu_second"] / jsrs_rate, 1)},
            "release_build": _release_build(root) if release else {"measured": False, "reason": "--no-release"},
            "distributed": _distributed(root, scheduler),
            "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        }
        result["incremental"] = _incremental(root, base, release=release)  # last: it changes the corpus
        return result
    finally:
        shutil.rmtree(base, ignore_errors=True)


def format_result(r: dict) -> list[str]:
    rps = r["records_per_second"]
    rel = r["release_build"]
    sp, sc = r["speedup"], r["schema_check"]
    return [
        f"corpus      {r['articles']:,} articles, {r['annotation_records']:,} annotation records, {r['parquet_bytes'] / 2**20:,.0f} MiB Parquet (generated in {r['generate_seconds']} s)",
        f"validate    {r['validate_seconds']} s ({r['validate_cpu_seconds']} s of CPU), {r['validate_findings']} finding(s)",
        f"memory      peak {r['validate_peak_mb']:,} MiB " + ("(PSS of all its processes, sampled every 0.2 s in a second run, " if r.get("validate_peak_sampled", True) else "(largest process RSS; no PSS here; ")
        + f"which took {r.get('validate_seconds_while_sampled', '-')} s); largest process RSS {r['validate_largest_process_rss_mb']:,} MiB",
        f"            {r['validate_method']}",
        f"scan        {r['scan_seconds']} s plain Parquet scan; validate / scan = {r['validate_over_scan']}x",
        f"records/s   tool {rps['tool']:,} ({rps['tool_per_cpu_second']:,} per CPU second); jsonschema {rps['jsonschema']:,}; jsonschema-rs {rps['jsonschema_rs']:,} "
        f"(sample of {r['sample_records']}, best of 3, Parquet->Python included, weighted by the corpus's tables)",
        f"speed-up    full validation (levels 1-4): {sp['vs_jsonschema']}x jsonschema, {sp['vs_jsonschema_rs']}x jsonschema-rs "
        f"(per CPU second: {sp['per_cpu_second_vs_jsonschema']}x, {sp['per_cpu_second_vs_jsonschema_rs']}x)",
        f"schema      JSON Schema alone (level 1, columnar, every file read, 2 workers): {sc['records_per_second']:,} records/s = "
        f"{sc['vs_jsonschema']}x jsonschema, {sc['vs_jsonschema_rs']}x jsonschema-rs (per CPU second: {sc['per_cpu_second_vs_jsonschema']}x, "
        f"{sc['per_cpu_second_vs_jsonschema_rs']}x)",
        "release     " + (f"{rel['seconds']} s = {rel['seconds'] / r['validate_seconds']:.1f}x validate" + _release_memory(rel)
                          if rel.get("measured") else f"not measured ({rel.get('reason')})"),
        *_format_distributed(r),
        *_format_incremental(r),
    ]


def _release_memory(rel: dict) -> str:
    if rel.get("peak_mb") is None:
        return ""
    return f"; peak {rel['peak_mb']:,} MiB (PSS of all its processes, sampled every 0.2 s in this run); largest process {rel['largest_process_mb']:,} MiB"


def _format_distributed(r: dict) -> list[str]:
    d = r.get("distributed") or {}
    if not d.get("measured"):
        return [f"dask        not measured ({d.get('reason', 'not run')})"]
    out = []
    for run in d["runs"]:
        same = ("the same findings as local" if run["digest"] == r.get("validate_digest")
                else f"{run['findings']} finding(s), NOT the local run's {r['validate_findings']}")
        out.append(f"dask        {run['label']}: {run['seconds']} s = {run['seconds'] / r['validate_seconds']:.2f}x local validate; {same}; "
                   f"peak PSS of one worker {run['worker_peak_mb']:,} MiB")
    return out


def _format_incremental(r: dict) -> list[str]:
    i = r.get("incremental")
    if not i:
        return []
    return [f"incremental validate --cache: cold {i['cold_seconds']} s; after {i['articles_changed']} articles changed {i['warm_seconds']} s "
            f"(full run {i['full_seconds']} s = {i['full_seconds'] / i['warm_seconds']:.1f}x); {i['findings']} finding(s) for "
            f"{i['faults_injected']} injected, {'the same as' if i['same_as_full'] else 'NOT the same as'} the full run's",
            f"            {i['method']}"] + _format_release_after(r, i.get("release_build_after") or {})


def _format_release_after(r: dict, rel: dict) -> list[str]:
    if not rel.get("measured"):
        return []
    return [f"release     after validate --cache, release build --cache: {rel['seconds']} s = "
            f"{rel['seconds'] / r['validate_seconds']:.1f}x validate (its validation taken from the cache)" + _release_memory(rel)]


_WORDS = ("the government said protesters gathered in the square on Monday while police closed roads and "
          "officials promised talks over fuel prices as the crisis spread to other regions of the country").split()


def add_files(corpus: Path, files: int, workdir: Path | None = None, seed: int = 0) -> dict:
    """`newscorpus add FOLDER` of `files` generated text files into a copy of `corpus`, timed as the one command a
    maintainer runs (a subprocess, start-up included), beside `newscorpus validate` of the grown copy in the same run."""
    import random

    base = Path(tempfile.mkdtemp(prefix="newscorpus-bench-add-", dir=workdir))
    try:
        root = base / "corpus"
        for sub in ("schema", "corpus", "annotations"):
            if (corpus / sub).is_dir():
                shutil.copytree(corpus / sub, root / sub)
        folder = base / "incoming"
        folder.mkdir()
        rng = random.Random(seed)
        for i in range(files):
            words = [rng.choice(_WORDS) for _ in range(rng.randint(300, 900))]
            (folder / f"story-{i:05d}.txt").write_text(f"Story {i}. " + " ".join(words) + ".\n", encoding="utf-8")
        cmd = [sys.executable, "-m", "newscorpus"]

        def timed(*args) -> tuple[float, subprocess.CompletedProcess]:
            t = time.perf_counter()
            where = [str(root)] if args == ("validate",) else ["--path", str(root)]
            proc = subprocess.run([*cmd, *args, *where], capture_output=True, text=True)
            return round(time.perf_counter() - t, 2), proc

        add_s, add = timed("add", str(folder), "--license", "CC-BY-4.0")
        if add.returncode != 0:
            raise RuntimeError(f"add failed: {add.stderr.strip()}")
        validate_s, val = timed("validate")
        help_s, _ = timed("stats")
        return {"files": files, "add_seconds": add_s, "validate_seconds": validate_s, "stats_seconds": help_s,
                "add_over_validate": round(add_s / validate_s, 2) if validate_s else None, "valid": val.returncode == 0}
    finally:
        shutil.rmtree(base, ignore_errors=True)


def format_add(r: dict) -> list[str]:
    return [f"add         {r['files']} text files in one `newscorpus add`: {r['add_seconds']} s (start-up and validation gate included)",
            f"            beside, same run: `newscorpus validate` of the grown corpus {r['validate_seconds']} s, `stats` {r['stats_seconds']} s; "
            f"add / validate = {r['add_over_validate']}x; grown corpus valid: {r['valid']}"]
