"""The validator's entry: validate_corpus reads a corpus and checks every level, in memory for a small
corpus, piece by piece for a large one (partitioned.py), with the same findings.

Checks yield findings; they never print and never raise on bad data. Every check works on whole Arrow
columns (pyarrow compute and numpy); no check loops in Python over annotation records. Levels gate each
other: a record that fails level 1 is left out of levels 2 to 4, and if a table cannot be read at all,
levels 2 to 4 do not run.
"""

from __future__ import annotations

from pathlib import Path

from ..contract import TABLES, Contract, load_contract
from ..errors import StorageError
from ..findings import Finding, sort_findings
from ..store import storage
from ..store.remote import RemoteCorpus, is_url, local_path
from .cache import PieceCache
from .levels import Report, check_tables
from .partitioned import validate_partitioned
from .pieces import partitions_for
from .runner import LocalRunner, Runner


def validate_corpus(root: Path | str, contract: Contract | None = None, select=None, ignore=None, *, partitions: int | None = None,
                    spill: bool = False, runner: Runner | None = None, cache: Path | None = None) -> Report:
    """Read every table under `root` (a folder, or a URL of a corpus on object storage: store/remote.py) and
    check it.

    A small corpus is read and checked in memory. A large one (more than SMALL_CORPUS_BYTES of Parquet)
    is checked partition by partition, so that peak memory does not grow with the corpus
    (validate_partitioned); the findings are the same. `partitions` forces the number of partitions
    (1: in memory); `spill` forces the spill to temporary files even where the shards are aligned;
    `runner` runs the pieces (runner.py; default: two local processes); `cache` is a folder of the
    summaries of pieces checked before, reused where a piece's content is unchanged (cache.py)."""
    if is_url(root):
        root = local_path(root) or RemoteCorpus.open(root)
    if isinstance(root, RemoteCorpus):
        return _validate_remote(root, contract, select, ignore, partitions, spill, runner, cache)
    contract = contract or load_contract(root)
    if partitions is None:
        partitions = partitions_for(root)
        if cache is not None or runner is not None and not isinstance(runner, LocalRunner):
            partitions = max(2, partitions)  # asked for a cluster or the cache: the corpus goes in pieces, however small
    if partitions > 1:
        pieces = PieceCache(cache, contract) if cache is not None else None
        report = validate_partitioned(root, contract, partitions, spill=spill, runner=runner, cache=pieces)
        report.findings = _select(report.findings, select, ignore)
        return report
    tables, findings = {}, []
    with storage.read_lock(root):  # one version of the corpus, and a write cut short is finished first
        for table in TABLES:
            try:
                tables[table] = storage.read_table(root, table, contract)
            except StorageError as exc:
                path, _, message = str(exc).partition(": ")
                findings.append(Finding("table-unreadable", table, None, None, message or str(exc), path))
    report = check_tables(contract, tables) if len(tables) == len(TABLES) else Report([], skipped_levels=True)
    report.findings = _select(findings + report.findings, select, ignore)
    report.counts = {t: tables[t].num_rows for t in tables}
    return report


def _validate_remote(corpus: RemoteCorpus, contract, select, ignore, partitions, spill, runner, cache) -> Report:
    """A corpus on object storage, always in pieces (each job opens its own files there); no cache, as its
    files would have to be read twice to be hashed."""
    contract = contract or corpus.contract()
    partitions = max(2, partitions or partitions_for(corpus))
    report = validate_partitioned(corpus, contract, partitions, spill=spill, runner=runner)
    report.findings = _select(report.findings, select, ignore)
    report.method += f"; read from {corpus.url}" + ("; the cache is not used for a corpus on object storage" if cache is not None else "")
    return report


def _select(findings, select, ignore):
    if select:
        findings = [f for f in findings if f.check in select]
    if ignore:
        findings = [f for f in findings if f.check not in ignore]
    return sort_findings(findings)
