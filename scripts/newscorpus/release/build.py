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

import hashlib
import json
import math
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from .. import storage
from ..contract import load_contract
from ..errors import InputError, Refused
from ..validate import validate_corpus
from .features import CONFIGS, release_schema

SEMVER = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")
MAX_SHARD_BYTES = 500 * 1000 * 1000  # uncompressed Arrow bytes a shard, as push_to_hub cuts them
MAX_ROW_GROUP_BYTES = 100 * 1000 * 1000
PARQUET_OPTIONS = dict(compression="zstd", compression_level=3, use_dictionary=True, write_statistics=True,
                       write_page_index=True, data_page_size=1 << 20)
CHECKSUMS = "SHA256SUMS"
HF_METADATA_KEY = b"huggingface"


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


def _hf_metadata(features) -> bytes:
    """The Features JSON as datasets writes it under the `huggingface` schema metadata key."""
    return json.dumps({"info": {"features": features.to_dict()}}, sort_keys=False).encode()


def write_split(table: pa.Table, features, folder: Path, split: str, max_shard_bytes: int = MAX_SHARD_BYTES,
                max_row_group_bytes: int = MAX_ROW_GROUP_BYTES) -> list[Path]:
    """Write one split as `<split>-NNNNN-of-NNNNN.parquet` shards of at most about max_shard_bytes of
    Arrow data, row groups of at most about max_row_group_bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    table = table.replace_schema_metadata({HF_METADATA_KEY: _hf_metadata(features)})
    rows = table.num_rows
    row_bytes = table.nbytes / rows if rows else 1
    n_shards = max(1, math.ceil(table.nbytes / max_shard_bytes)) if rows else 1
    n_shards = min(n_shards, max(rows, 1))
    per_shard = math.ceil(rows / n_shards) if rows else 0
    group_rows = max(1, int(max_row_group_bytes // max(row_bytes, 1)))
    paths = []
    for i in range(n_shards):
        part = table.slice(i * per_shard, per_shard) if rows else table
        path = folder / f"{split}-{i:05d}-of-{n_shards:05d}.parquet"
        pq.write_table(part, path, row_group_size=min(group_rows, max(part.num_rows, 1)), **PARQUET_OPTIONS)
        paths.append(path)
    return paths


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


def write_checksums(folder: Path) -> Path:
    lines = [f"{sha256_file(folder / rel)}  {rel}\n" for rel in release_files(folder)]
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
                  max_row_group_bytes: int = MAX_ROW_GROUP_BYTES, progress=None) -> BuildResult:
    """Validate the corpus, then write the release of `version` to `out` (default root/release/<version>).
    Raises Refused (nothing written) on a validation error or an undeclared removal or split move."""
    say = progress or (lambda msg: None)
    root = Path(root)
    parse_version(version)
    out = Path(out) if out else root / "release" / version
    contract = load_contract(root)
    # the whole build holds the corpus lock: the tables cannot change under it, and two builds of one folder
    # cannot interleave
    with storage.corpus_lock(root):
        recover_output(out)
        if out.exists() and any(out.iterdir()) and not overwrite:
            raise InputError(f"{out}: exists and is not empty; choose another --out or pass --overwrite")
        if previous is None:
            previous = latest_release(root, version)
        elif not (Path(previous) / "croissant.json").is_file():
            raise InputError(f"{previous}: not a release folder (no croissant.json)")
        say("validating the corpus")
        report = validate_corpus(root, contract)
        if not report.ok:
            raise Refused(f"refused: the corpus has {len(report.errors)} validation error(s); nothing was built", report.errors)
        return _build(root, version, out, previous, contract, report, max_shard_bytes, max_row_group_bytes, say)


def _build(root, version, out, previous, contract, report, max_shard_bytes, max_row_group_bytes, say) -> BuildResult:
    from . import card, croissant, diff
    from .tables import config_tables

    schema = release_schema(contract)
    say("deriving the configs")
    tables = storage.all_tables(root, contract)
    ctables = config_tables(tables, contract, schema)
    stats = card.release_stats(ctables, schema, tables)
    del tables  # the corpus is not needed past this point; the diff needs the room
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = out.parent / f".{out.name}.stage.{os.getpid()}.tmp"
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir()
    try:
        result = BuildResult(out=out, version=version, previous=Path(previous) if previous else None, warnings=report.warnings)
        for config in CONFIGS:
            say(f"writing data/{config}")
            feats = schema.features(config)
            result.rows[config] = {}
            for split, table in ctables[config].items():
                write_split(table, feats, stage / "data" / config, split, max_shard_bytes, max_row_group_bytes)
                result.rows[config][split] = table.num_rows
        say("diffing against the previous release")
        new_snap = diff.snapshot_built(ctables, schema)  # the rows just written, without reading them back
        old_snap = diff.snapshot_release(previous) if previous else None
        declared = diff.load_declared(root)
        changes = diff.diff_snapshots(old_snap, new_snap)
        problems = diff.undeclared(changes, declared)
        if problems:
            raise diff.UndeclaredChanges(
                f"refused: {len(problems)} undeclared removal(s) or split move(s) against {previous}; "
                f"declare them in {diff.DECLARED_FILE} (nothing was built)", problems)
        result.diff = changes
        say("writing the card, datasheet, changelog and Croissant metadata")
        (stage / "README.md").write_text(card.render_card(version, schema, ctables, stats, contract), encoding="utf-8")
        (stage / "DATASHEET.md").write_text(card.render_datasheet(root, stats, version), encoding="utf-8")
        old_log = (Path(previous) / "CHANGELOG.md").read_text(encoding="utf-8") if previous else None
        prev_version = release_version(previous) if previous else None
        (stage / "CHANGELOG.md").write_text(diff.render_changelog(version, prev_version, changes, declared, old_log), encoding="utf-8")
        doc = croissant.build_croissant(stage, version, schema, ctables, stats, contract)
        (stage / "croissant.json").write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        write_checksums(stage)
        result.files = {rel: (stage / rel).stat().st_size for rel in [*release_files(stage), CHECKSUMS]}
        _fsync_tree(stage)
        swap_into_place(stage, out)
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
