"""`newscorpus release build`: a folder laid out like a Hub dataset repo, built only from a corpus that
validates.

    README.md                 dataset card: YAML (configs, dataset_info with ClassLabels) + generated prose
    DATASHEET.md              the repo's datasheet with its figures block regenerated from the release
    CHANGELOG.md              annotation-level changes against the previous release (newest first)
    croissant.json            Croissant 1.0 metadata
    SHA256SUMS                sha256 of every other file of the release (sha256sum -c format)
    data/<config>/<split>-NNNNN-of-NNNNN.parquet

Everything is written to a temporary folder beside the target and renamed into place at the end, so a
refused or failed build leaves nothing behind. The same corpus and version give byte-identical data
files: rows are sorted by id, writer options are fixed, and no time stamp is written into them.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from ..store import storage
from ..store.remote import RemoteCorpus, is_url, local_path
from ..contract import load_contract
from ..errors import InputError, Refused
from ..check.validate import validate_corpus
from .features import CONFIGS, release_schema
from .shards import MAX_ROW_GROUP_BYTES, MAX_SHARD_BYTES

SEMVER = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")
CHECKSUMS = "SHA256SUMS"


def parse_version(version: str) -> tuple[int, int, int]:
    m = SEMVER.match(version or "")
    if not m:
        raise InputError(f"version {version!r} is not X.Y.Z (semantic versioning, no leading v)")
    return tuple(int(x) for x in m.groups())


@dataclass
class BuildResult:
    out: Path
    version: str
    files: dict = field(default_factory=dict)  # relative path -> size
    rows: dict = field(default_factory=dict)  # config -> split -> rows
    previous: Path | None = None
    diff: object = None
    warnings: list = field(default_factory=list)  # the validator's warnings (personal data, unknown licenses, ...)
    validation: str = ""  # how the corpus was validated (pieces, processes, pieces taken from the cache)
    left_out: list = field(default_factory=list)  # annotated articles left out because their license is unknown
    included_unlicensed: list = field(default_factory=list)  # ... released anyway (include_unlicensed)


def left_out_line(ids: list, limit: int = 10) -> str:
    """One line saying which annotated articles a build left out for their unknown license."""
    n = len(ids)
    shown = ", ".join(ids[:limit]) + (f" and {n - limit} more" if n > limit else "")
    return (f"left out {n} article{'s' * (n != 1)} whose license is unknown, with all {'their' if n != 1 else 'its'} "
            f"annotations: {shown} (clear the license, or pass --include-unlicensed)")


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def release_files(folder: Path) -> list[str]:
    """Every file of a release folder (relative, sorted), SHA256SUMS and hidden files aside."""
    out = []
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder).as_posix()
        if p.is_file() and rel != CHECKSUMS and not any(part.startswith(".") for part in rel.split("/")):
            out.append(rel)
    return out


def write_checksums(folder: Path, known: dict | None = None) -> Path:
    """SHA256SUMS of every file of the folder; `known` (relative path -> sha256) are the sums of files
    hashed as they were written (the data files: not read again)."""
    known = known or {}
    lines = [f"{known.get(rel) or sha256_file(folder / rel)}  {rel}\n" for rel in release_files(folder)]
    path = folder / CHECKSUMS
    path.write_text("".join(lines), encoding="utf-8")
    return path


def release_version(folder: Path) -> str | None:
    """The version a release folder was built as (from its croissant.json), or None."""
    try:
        return json.loads((Path(folder) / "croissant.json").read_text(encoding="utf-8")).get("version")
    except (OSError, ValueError):
        return None


def latest_release(root: Path, below: str) -> Path | None:
    """The release under root/release/ with the highest version below `below`, or None."""
    base = Path(root) / "release"
    limit = parse_version(below)
    best = None
    for d in base.iterdir() if base.is_dir() else ():
        v = release_version(d) if d.is_dir() and not d.name.startswith(".") else None  # not a build's staging folder
        if v and SEMVER.match(v) and parse_version(v) < limit and (best is None or parse_version(v) > best[0]):
            best = (parse_version(v), d)
    return best[1] if best else None


def build_release(root: Path, version: str, out: Path | None = None, previous: Path | None = None,
                  overwrite: bool = False, max_shard_bytes: int = MAX_SHARD_BYTES,
                  max_row_group_bytes: int = MAX_ROW_GROUP_BYTES, progress=None, piece_articles: int | None = None,
                  include_unlicensed: bool = False, runner=None, cache: Path | None = None) -> BuildResult:
    """Validate the corpus, then write the release of `version` to `out` (default root/release/<version>).
    `root` may be the URL of a corpus on object storage (s3://..., store/remote.py), read in place; its
    release is written to the local `out`, which must be given, against the `previous` given (if any).
    Articles whose license is `unknown` are left out with all their annotations (BuildResult.left_out, and
    a line of the card) unless `include_unlicensed`.
    Raises Refused (nothing written) on a validation error, an undeclared removal or split move, or when
    every annotated article would be left out.
    The configs are derived `piece_articles` annotated articles at a time (default tables.PIECE_ARTICLES)
    and written by `runner` (check/runner.py; default: two local processes, or this one for a corpus of
    one piece), as the validation is: the files are the same, byte for byte, whoever runs the jobs.
    `cache` is the folder of `validate --cache`: the pieces validated before, unchanged since (keyed by
    their content), are not checked again; the verdict is a full validation's."""
    say = progress or (lambda msg: None)
    parse_version(version)
    if is_url(root):
        root = local_path(root) or RemoteCorpus.open(root)
    remote = isinstance(root, RemoteCorpus)
    if remote and out is None:
        raise InputError(f"{root.url}: a corpus on object storage is released to a local folder: give --out")
    root = root if remote else Path(root)
    out = Path(out) if out else root / "release" / version
    contract = root.contract() if remote else load_contract(root)
    # the whole build holds the corpus lock: the tables cannot change under it, and two builds of one folder
    # cannot interleave (object storage has no lock: its snapshot is read, as validate reads it)
    with contextlib.nullcontext() if remote else storage.corpus_lock(root):
        recover_output(out)
        if out.exists() and any(out.iterdir()) and not overwrite:
            raise InputError(f"{out}: exists and is not empty; choose another --out or pass --overwrite")
        if previous is None:  # (the releases of a corpus on object storage are not looked for: give --previous)
            previous = None if remote else latest_release(root, version)
        elif not (Path(previous) / "croissant.json").is_file():
            raise InputError(f"{previous}: not a release folder (no croissant.json)")
        say("validating the corpus")
        report = validate_corpus(root, contract, runner=runner, cache=cache)
        if not report.ok:
            raise Refused(f"refused: the corpus has {len(report.errors)} validation error(s); nothing was built", report.errors)
        return _build(root, version, out, previous, contract, report, (max_shard_bytes, max_row_group_bytes), say,
                      piece_articles, include_unlicensed, runner)


def _build(root, version, out, previous, contract, report, limits, say, piece_articles=None, include_unlicensed=False,
           runner=None) -> BuildResult:
    from ..check.runner import LocalRunner
    from ..figures import process_figures
    from . import card, croissant, diff, snapshot
    from .shards import write_data
    from .tables import PIECE_ARTICLES, piece_ranges, scan_annotations, unlicensed_articles

    schema = release_schema(contract)
    scan = scan_annotations(root, contract)
    unlicensed = unlicensed_articles(root, scan.annotated)
    exclude = [] if include_unlicensed else unlicensed
    if exclude and len(exclude) == len(scan.annotated):
        raise Refused(f"refused: every annotated article ({len(exclude)}) has license `unknown`, so the release would be "
                      "empty; clear their licenses (articles.license) or pass --include-unlicensed (nothing was built)")
    gone = set(exclude)
    annotated = [a for a in scan.annotated if a not in gone] if exclude else scan.annotated
    # the corpus is derived in pieces of articles, so that memory does not grow with the corpus
    ranges = piece_ranges(annotated, piece_articles or PIECE_ARTICLES)
    runner = runner or LocalRunner(None if len(ranges) > 1 else 1)
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = out.parent / f".{out.name}.stage.{os.getpid()}.tmp"
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir()
    try:
        say(f"deriving and writing data/{', data/'.join(CONFIGS)} ({len(ranges)} piece(s), {runner.description})")
        written = write_data(root, contract, schema, ranges, exclude, stage, runner, *limits)
        if written is None:  # annotation ids that do not sort with their articles: the corpus in one piece
            written = write_data(root, contract, schema, [(None, None)], exclude, stage, runner, *limits)
        sizes, figures, rows, data_sums = written
        stats = figures.result()
        stats["left_out_unlicensed"] = list(exclude)
        stats.update(process_figures(scan.rows, scan.gold, scan.annotators, scan.candidates))
        left = set(exclude)  # their license-unknown warnings are said by the one left-out line instead
        warnings = [f for f in report.warnings if not (f.check == "license-unknown" and f.record in left)]
        result = BuildResult(out=out, version=version, previous=Path(previous) if previous else None, warnings=warnings,
                             validation=report.method,
                             left_out=list(exclude), included_unlicensed=[] if exclude else list(unlicensed), rows=rows)
        say("diffing against the previous release")
        # the rows just written, read back a config at a time as the diff asks for them; a first release's ids
        # are counted from the rows written (the corpus validates, so they are unique) and read only if listed
        snapshot_of = snapshot.snapshot_release if previous else functools.partial(
            snapshot.snapshot_release_ids, counts={kind: sum(rows[kind].values()) for kind in snapshot.KINDS})
        new_snap = snapshot_of(stage)
        old_snap = snapshot.snapshot_release(previous) if previous else None
        # an article left out for its license is a removal the build itself declares (the card says so too)
        declared = diff.load_declared(root) + diff.left_out_declarations(exclude)
        changes = diff.diff_snapshots(old_snap, new_snap)
        problems = diff.undeclared(changes, declared)
        if problems:
            raise diff.UndeclaredChanges(
                f"refused: {len(problems)} undeclared removal(s) or split move(s) against {previous}; "
                f"declare them in {diff.DECLARED_FILE} (nothing was built)", problems)
        result.diff = changes
        say("writing the card, datasheet, changelog and Croissant metadata")
        (stage / "README.md").write_text(card.render_card(version, schema, sizes, stats, contract), encoding="utf-8")
        (stage / "DATASHEET.md").write_text(card.render_datasheet(root, stats, version), encoding="utf-8")
        old_log = (Path(previous) / "CHANGELOG.md").read_text(encoding="utf-8") if previous else None
        prev_version = release_version(previous) if previous else None
        (stage / "CHANGELOG.md").write_text(diff.render_changelog(version, prev_version, changes, declared, old_log), encoding="utf-8")
        doc = croissant.build_croissant(stage, version, schema, sizes, stats, contract)
        (stage / "croissant.json").write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        write_checksums(stage, data_sums)
        result.files = {rel: (stage / rel).stat().st_size for rel in [*release_files(stage), CHECKSUMS]}
        _fsync_tree(stage)
        swap_into_place(stage, out)
        changes.new = snapshot_of(out)  # not the stage's
        if changes.initial:  # the ids added are listed from the release in place too
            changes.kinds = diff.diff_snapshots(None, changes.new).kinds
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return result


# --- putting a release folder in place, crash-safely -------------------------------------------------------

def _fsync_tree(folder: Path) -> None:
    """fsync every file and folder under `folder` (a rename is only as durable as what it points at)."""
    for p in sorted(folder.rglob("*"), reverse=True) + [folder]:
        fd = os.open(p, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2 RENAME_EXCHANGE); False where the system cannot."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    at_fdcwd, rename_exchange = -100, 2
    return fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


def swap_into_place(stage: Path, out: Path) -> None:
    """Make the finished `stage` folder the release at `out`, so that a reader (or a kill) sees the old release
    or the new one, whole. With an atomic exchange the old one ends up in `stage` and is deleted; without one,
    the old one is first renamed aside (.<name>.old.<pid>.tmp), which recover_output() puts back if a kill
    falls between the two renames."""
    if out.exists() and not any(out.iterdir()):
        out.rmdir()
    if not out.exists():
        os.replace(stage, out)
    elif _exchange(stage, out):
        shutil.rmtree(stage, ignore_errors=True)
    else:
        aside = out.parent / f".{out.name}.old.{os.getpid()}.tmp"
        os.replace(out, aside)
        os.replace(stage, out)
        shutil.rmtree(aside, ignore_errors=True)
    _fsync_dir(out.parent)


def recover_output(out: Path) -> None:
    """Clean up what a build killed half-way left beside `out` (the caller holds the corpus lock): staging
    folders are deleted; a previous release renamed aside is put back if `out` is missing, deleted otherwise."""
    if not out.parent.is_dir():
        return
    for aside in sorted(out.parent.glob(f".{glob_escape(out.name)}.old.*.tmp")):
        if not out.exists() and (aside / CHECKSUMS).is_file():
            os.replace(aside, out)
        else:
            shutil.rmtree(aside, ignore_errors=True)
    for stage in out.parent.glob(f".{glob_escape(out.name)}.stage.*.tmp"):
        shutil.rmtree(stage, ignore_errors=True)


def glob_escape(name: str) -> str:
    import glob

    return glob.escape(name)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
