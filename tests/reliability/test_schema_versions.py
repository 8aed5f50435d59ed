"""Schema versions: tables carry the version they were written under; an older one is migrated by an
explicit `newscorpus migrate`, with a backup, never silently on read; a newer one is refused, naming the
release to install."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from newscorpus import __version__

from newscorpus.store import storage
from newscorpus.contract import KNOWN_SCHEMA_VERSIONS, SCHEMA_VERSION_KEY, WRITER_KEY, check_data_version, load_contract, parse_semver
from newscorpus.errors import Refused, StorageError
from newscorpus.store.migrate import BACKUP_DIR, Migration, migrate_corpus, steps_between
from newscorpus.check.validate import validate_corpus

from reliability_support import assert_refused, cli, small_corpus, snapshot

CURRENT = max(KNOWN_SCHEMA_VERSIONS, key=parse_semver)  # the version this newscorpus writes


def as_old(path, version=b"0.9.0", rename=True):
    """Make a table file look written under an older schema: version stamp, and `name` called `label` then."""
    data = pq.read_table(path)
    if rename:
        data = data.rename_columns(["label" if n == "name" else n for n in data.column_names])
    meta = {**(data.schema.metadata or {}), SCHEMA_VERSION_KEY: version}
    pq.write_table(data.replace_schema_metadata(meta), path)


RENAME = Migration("0.9.0", CURRENT, "entities.label renamed name",
                   lambda table, t: t.rename_columns(["name" if n == "label" else n for n in t.column_names]) if table == "entities" else t)


def test_storage_stamps_schema_and_writer_versions(tmp_path):
    root = small_corpus(tmp_path)
    meta = pq.read_schema(root / "annotations" / "entities.parquet").metadata
    assert meta[SCHEMA_VERSION_KEY] == CURRENT.encode() and meta[WRITER_KEY] == __version__.encode()


def test_version_check_messages():
    check_data_version({SCHEMA_VERSION_KEY: b"1.0.0"}, "1.0.0", "f")
    check_data_version({}, "1.0.0", "f")  # unstamped: read as current, checked by the validator
    with pytest.raises(StorageError, match=r"^f: written under schema version 0\.9\.0, .* run `newscorpus migrate`"):
        check_data_version({SCHEMA_VERSION_KEY: b"0.9.0"}, "1.0.0", "f")
    with pytest.raises(StorageError, match=r"by newscorpus 0\.3\.0.*pip install 'newscorpus>=0\.3\.0'"):
        check_data_version({SCHEMA_VERSION_KEY: b"1.2.0", WRITER_KEY: b"0.3.0"}, "1.0.0", "f")
    with pytest.raises(StorageError, match="install a newscorpus release that supports schema version 3.0.0"):
        check_data_version({SCHEMA_VERSION_KEY: b"3.0.0"}, "1.0.0", "f")
    with pytest.raises(StorageError, match="is not X.Y.Z"):
        check_data_version({SCHEMA_VERSION_KEY: b"garbage"}, "1.0.0", "f")


def test_steps_chain_and_gaps():
    a = Migration("0.8.0", "0.9.0", "a", lambda t, d: d)
    b = Migration("0.9.5", "1.0.0", "b", lambda t, d: d)
    assert steps_between("0.8.0", "1.0.0", [a, b]) == [a, b]  # 0.9.0 -> 0.9.5 is a gap: a restamp
    assert steps_between("0.9.5", "1.0.0", [a, b]) == [b]
    assert steps_between("0.9.9", "1.0.0", [a, b]) == []


def test_migrate_backs_up_migrates_and_validates(tmp_path):
    root = small_corpus(tmp_path)
    current = snapshot(root)
    path = root / "annotations" / "entities.parquet"
    as_old(path)
    old_bytes = path.read_bytes()
    dry = migrate_corpus(root, dry_run=True, migrations=[RENAME])
    assert [p.table for p in dry.plans] == ["entities"] and not dry.written and path.read_bytes() == old_bytes
    assert not (root / BACKUP_DIR).exists()
    result = migrate_corpus(root, migrations=[RENAME])
    assert result.written and result.plans[0].steps == ["entities.label renamed name"]
    assert (result.backup / "annotations" / "entities.parquet").read_bytes() == old_bytes
    assert "annotations/entities.parquet" in (result.backup / "SHA256SUMS").read_text()
    assert snapshot(root) == current  # the same rows, stored as the current version writes them
    assert validate_corpus(root).ok
    assert migrate_corpus(root, migrations=[RENAME]).plans == []  # nothing left to do


def test_migrate_refuses_without_a_path_and_changes_nothing(tmp_path):
    root = small_corpus(tmp_path)
    as_old(root / "annotations" / "entities.parquet")
    before = snapshot(root)
    proc = cli("migrate", "--path", root)
    assert_refused(proc, 2, "no migration from 0.9.0 is registered", "missing column(s) name")
    assert snapshot(root) == before and not (root / BACKUP_DIR).exists()


def test_migrate_restamps_a_version_bump_without_column_changes(tmp_path):
    root = small_corpus(tmp_path)
    as_old(root / "corpus" / "articles.parquet", b"0.9.0", rename=False)
    proc = cli("migrate", "--path", root)
    assert proc.returncode == 0 and f"articles: schema 0.9.0 -> {CURRENT} (no column changes)" in proc.stdout, proc.stderr
    assert pq.read_schema(root / "corpus" / "articles.parquet").metadata[SCHEMA_VERSION_KEY] == CURRENT.encode()


def test_migrate_refuses_a_migration_that_breaks_the_corpus(tmp_path):
    root = small_corpus(tmp_path)
    as_old(root / "corpus" / "articles.parquet", rename=False)
    bad = Migration("0.9.0", CURRENT, "upper-cases the text", lambda table, t: t.set_column(
        t.column_names.index("text"), "text", pc.utf8_upper(t["text"])) if table == "articles" else t)
    before = snapshot(root)
    with pytest.raises(Refused) as exc:
        migrate_corpus(root, migrations=[bad])
    assert "text-sha256-mismatch" in {f.check for f in exc.value.findings}
    assert snapshot(root) == before and not (root / BACKUP_DIR).exists()


def test_newer_data_is_refused_by_migrate(tmp_path):
    root = small_corpus(tmp_path)
    as_old(root / "annotations" / "events.parquet", b"1.3.0", rename=False)
    before = snapshot(root)
    assert_refused(cli("migrate", "--path", root), 2, "written under schema version 1.3.0", f"pip install 'newscorpus>={__version__}'")
    assert snapshot(root) == before


def test_older_data_is_never_read_silently(tmp_path):
    root = small_corpus(tmp_path)
    as_old(root / "annotations" / "entities.parquet", rename=False)  # the columns fit: only the stamp says it is old
    out = json.loads(cli("validate", root, "--format", "json").stdout)
    assert [(f["check"], f["table"]) for f in out["findings"]] == [("table-unreadable", "entities")]
    assert "run `newscorpus migrate`" in out["findings"][0]["message"]
    with pytest.raises(StorageError, match="newscorpus migrate"):
        storage.read_table(root, "entities", load_contract(root))
