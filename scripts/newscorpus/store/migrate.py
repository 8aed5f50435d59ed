"""`newscorpus migrate`: bring tables written under an older schema version to the corpus' current one.

Never done silently on read: storage refuses a table of an older schema version and names this command.
A migration is explicit, backed up, validated and atomic, under the corpus lock:

1. every table file is read as it is stored, with the schema version of its metadata;
2. a file of an older version goes through the registered steps (MIGRATIONS), in order, from its version
   towards the current one. Where no step is registered (a version bump that changed labels or
   definitions, not the columns), the rows must already fit the current schema; otherwise it is refused;
3. the migrated corpus is validated; a migration that would leave an error writes nothing;
4. the files to be replaced are copied to .newscorpus-backup/migrate-<time>/ (same relative paths, with a
   SHA256SUMS) and fsynced, then the migrated tables replace them as any write does.

A file of a newer version than the corpus' schema is refused, naming the release to install.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pyarrow as pa

from . import storage
from ..contract import SCHEMA_VERSION_KEY, TABLES, check_data_version, load_contract, parse_semver
from ..errors import Refused, StorageError
from ..check.levels import check_tables

BACKUP_DIR = ".newscorpus-backup"


@dataclass(frozen=True)
class Migration:
    """One step between two schema versions: `apply(table name, stored rows)` returns the rows in the shape of
    `to_version` (columns added, renamed or converted); it must not drop information silently."""

    from_version: str
    to_version: str
    description: str
    apply: Callable[[str, pa.Table], pa.Table]
    tables: tuple = ()  # the tables the step changes (empty: all of them); the others are only restamped


def _add_entity_event_ids(table: str, data: pa.Table) -> pa.Table:
    """1.1.0 -> 1.2.0: entities get event_ids (the events an EVENT entity names), empty for every row, after mentions."""
    if table != "entities" or "event_ids" in data.column_names:
        return data
    return data.add_column(data.column_names.index("mentions") + 1, pa.field("event_ids", pa.list_(pa.string()), nullable=False),
                           storage.empty_lists(data.num_rows, pa.string()))


# The steps between released schema versions, oldest first. 1.0.0 -> 1.1.0 widened the time grammar and added
# labels, with no column change (every 1.0.0 row is a 1.1.0 row): a restamp, no step.
MIGRATIONS: list[Migration] = [
    Migration("1.1.0", "1.2.0", "entities.event_ids added, empty (link EVENT entities to their events by import)",
              _add_entity_event_ids, ("entities",)),
]


@dataclass
class TablePlan:
    table: str
    path: Path
    from_version: str
    steps: list = field(default_factory=list)  # descriptions of the steps applied


@dataclass
class MigrateResult:
    version: str
    plans: list = field(default_factory=list)
    backup: Path | None = None
    written: bool = False
    dry_run: bool = False

    def summary(self) -> list[str]:
        if not self.plans:
            return [f"nothing to migrate: every table is at schema version {self.version}"]
        lines = []
        for p in self.plans:
            how = "; ".join(p.steps) if p.steps else "no column changes"
            lines.append(f"{p.table}: schema {p.from_version} -> {self.version} ({how})")
        if self.dry_run:
            lines.append("dry run: nothing written")
        elif self.backup:
            lines.append(f"old files backed up in {self.backup}")
        return lines


def steps_between(found: str, current: str, migrations: list[Migration]) -> list[Migration]:
    """The registered steps from `found` towards `current`, in order (possibly none)."""
    out, version = [], found
    limit = parse_semver(current)
    while version != current:
        step = next((m for m in migrations if m.from_version == version and parse_semver(m.to_version) <= limit), None)
        if step is None:
            later = [m for m in migrations if parse_semver(version) < parse_semver(m.from_version) < limit]
            if not later:
                break
            step_from = min(later, key=lambda m: parse_semver(m.from_version))
            version = step_from.from_version  # a gap without a registered step, then the next step
            continue
        out.append(step)
        version = step.to_version
    return out


def migrate_corpus(root: Path, dry_run: bool = False, migrations: list[Migration] | None = None,
                   now: dt.datetime | None = None) -> MigrateResult:
    """Migrate every table of an older schema version (see the module doc). Raises StorageError for a file
    that cannot be read, is of a newer version or cannot be migrated; Refused if the result does not validate."""
    root = Path(root)
    migrations = MIGRATIONS if migrations is None else migrations
    contract = load_contract(root)
    current = contract.version
    result = MigrateResult(current, dry_run=dry_run)
    with storage.corpus_lock(root):
        tables, migrated = {}, {}
        for table in TABLES:
            files = storage.table_files(root, table)
            schema = contract.arrow_schema(table)
            stored = [(p, storage.read_file(p)) for p in files]  # page checksums verified, any version
            old = []
            for path, data in stored:
                meta = data.schema.metadata or {}
                found = meta.get(SCHEMA_VERSION_KEY, b"").decode("utf-8", "replace") or current
                if found == current:
                    continue
                try:
                    newer = parse_semver(found) > parse_semver(current)
                except ValueError:
                    newer = True
                if newer:
                    check_data_version(meta, current, str(path))  # raises, naming the release to install
                old.append((path, found))
            if not old:
                parts = [storage.conform(d, schema, str(p)) for p, d in stored]
                tables[table] = pa.concat_tables(parts) if len(parts) > 1 else (parts[0] if parts else storage.relaxed(schema).empty_table())
                continue
            if len(files) > 1:
                raise StorageError(f"{files[0].parent}: table {table} is sharded; migrating sharded tables is not supported yet")
            path, found = old[0]
            data = stored[0][1]
            steps = [s for s in steps_between(found, current, migrations) if not s.tables or table in s.tables]
            for step in steps:
                try:
                    data = step.apply(table, data)
                except (pa.ArrowException, KeyError, ValueError, TypeError) as exc:
                    raise StorageError(f"{path}: the migration {step.from_version} -> {step.to_version} failed: "
                                       f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}") from None
            try:
                tables[table] = storage.conform(data, schema, str(path))
            except StorageError as exc:
                if steps and steps[0].from_version == found:
                    why = "after the registered steps"
                else:  # a gap at the start: nothing registered takes these rows from their own version
                    why = f"no migration from {found} is registered{f' (only from {steps[0].from_version} on)' if steps else ''}, and"
                raise StorageError(f"{path}: schema {found} -> {current}: {why} the rows do not fit the current schema "
                                   f"({str(exc).split(': ', 1)[-1]}); install the newscorpus release that can migrate them") from None
            migrated[table] = path
            result.plans.append(TablePlan(table, path, found, [s.description for s in steps]))
        if not migrated:
            return result
        report = check_tables(contract, tables)
        if report.errors:
            raise Refused(f"refused: the migrated corpus would have {len(report.errors)} validation error(s); nothing was written",
                          report.errors)
        if dry_run:
            return result
        result.backup = _backup(root, list(migrated.values()), now)
        storage.write_tables(root, {t: tables[t] for t in migrated}, contract)
        result.written = True
    return result


def _backup(root: Path, paths: list[Path], now: dt.datetime | None) -> Path:
    """Copy `paths` to .newscorpus-backup/migrate-<UTC time>/ with their relative paths and a SHA256SUMS, fsynced."""
    stamp = (now or dt.datetime.now(dt.timezone.utc)).strftime("%Y%m%dT%H%M%SZ")
    folder = root / BACKUP_DIR / f"migrate-{stamp}"
    n = 1
    while folder.exists():
        n += 1
        folder = root / BACKUP_DIR / f"migrate-{stamp}-{n}"
    lines = []
    try:
        for path in paths:
            rel = path.relative_to(root)
            target = folder / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
            with open(target, "rb") as fh:
                os.fsync(fh.fileno())
                digest = hashlib.sha256(target.read_bytes()).hexdigest()
            lines.append(f"{digest}  {rel.as_posix()}\n")
        (folder / "SHA256SUMS").write_text("".join(lines), encoding="utf-8")
        for d in {folder, *(folder / p.relative_to(root) for p in paths)}:
            fd = os.open(d if d.is_dir() else d.parent, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    except OSError as exc:
        raise StorageError(f"{folder}: cannot write the backup ({exc.strerror or exc}); nothing was migrated") from None
    return folder
