"""A corpus on object storage, read through fsspec: `s3://BUCKET/PREFIX`, `gs://...`, `hf://datasets/ORG/NAME@REV`,
any URL fsspec knows (its protocol's package installed: s3fs, gcsfs, huggingface_hub). `file://` URLs are
plain local paths.

The validator reads such a corpus without copying it: the schema files are fetched once (small), the
Parquet footers are read to plan the pieces, and each piece job opens its own files (a RemoteFile carries
its file system, which pickles with its options: a worker of a cluster opens the file itself). Nothing is
written there; credentials and endpoints come from the protocol's usual environment (AWS_ACCESS_KEY_ID,
AWS_ENDPOINT_URL, FSSPEC_S3_ENDPOINT_URL, HF_TOKEN, ...), never from a file of the repo.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

import pyarrow as pa
import pyarrow.parquet as pq

from ..contract import SCHEMA_VERSION_KEY, TABLES, Contract, check_data_version, load_contract
from ..errors import CorpusNotFound, SetupError, StorageError, first_line


def is_url(location) -> bool:
    return isinstance(location, str) and "://" in location


def local_path(location: str) -> Path | None:
    """The local path of a file:// URL (None for any other URL)."""
    parsed = urlparse(location)
    return Path(unquote(parsed.path)) if parsed.scheme == "file" else None


@dataclass(frozen=True, order=True)
class RemoteFile:
    """A Parquet file of a remote corpus: what the validator needs of a path (its size, a way to open it,
    a name for messages)."""

    path: str
    size: int = field(compare=False)
    fs: object = field(compare=False, repr=False)

    def open(self):
        return self.fs.open(self.path, "rb")

    def __str__(self) -> str:
        return self.fs.unstrip_protocol(self.path)


@dataclass
class RemoteCorpus:
    """The corpus at `url`: its file system and the path of its root there."""

    url: str
    fs: object
    root: str

    @classmethod
    def open(cls, url: str) -> "RemoteCorpus":
        try:
            import fsspec

            fs, root = fsspec.core.url_to_fs(url)
        except ImportError as exc:
            raise SetupError(f"{url}: reading it needs {exc.name} (pip install 'newscorpus[remote]' for s3://)") from None
        except (ValueError, OSError) as exc:
            raise CorpusNotFound(f"{url}: not a corpus location fsspec can open: {first_line(exc)}") from None
        corpus = cls(url, fs, root.rstrip("/"))
        try:
            if not fs.isfile(f"{corpus.root}/schema/ontology.json"):
                raise CorpusNotFound(f"{url}: no schema/ontology.json there (or it cannot be reached); not a corpus root")
        except OSError as exc:
            raise StorageError(f"{url}: cannot be read: {first_line(exc)}") from None
        return corpus

    def __str__(self) -> str:
        return self.url

    def contract(self) -> Contract:
        """The corpus's own contract: its schema folder fetched into a temporary folder and loaded."""
        with tempfile.TemporaryDirectory(prefix="newscorpus-remote-schema-") as tmp:  # (the contract is read whole)
            local = Path(tmp)
            try:
                for path in self.fs.glob(f"{self.root}/schema/*"):
                    name = path.rsplit("/", 1)[-1]
                    if name.endswith(".json"):
                        (local / "schema").mkdir(exist_ok=True)
                        (local / "schema" / name).write_bytes(self.fs.cat_file(path))
            except OSError as exc:
                raise StorageError(f"{self.url}/schema: cannot be read: {first_line(exc)}") from None
            return load_contract(local)

    def read_text(self, relative: str) -> str | None:
        """A text file of the corpus (None if there is none)."""
        path = f"{self.root}/{relative}"
        try:
            return self.fs.cat_file(path).decode("utf-8") if self.fs.isfile(path) else None
        except (OSError, UnicodeDecodeError) as exc:
            raise StorageError(f"{self.fs.unstrip_protocol(path)}: cannot be read: {first_line(exc)}") from None

    def all_tables(self, contract: Contract) -> dict:
        """Every table read whole, as storage.all_tables reads a local corpus (the contract's Arrow schemas;
        a file of another schema version, or one that is not the contract's Parquet, is a StorageError)."""
        from . import storage

        out = {}
        for table in TABLES:
            schema, parts = contract.arrow_schema(table), []
            for f in self.table_files(table):
                try:
                    with f.open() as source:
                        data = pq.read_table(source)
                except (OSError, pa.ArrowException) as exc:
                    raise StorageError(f"{f}: unreadable Parquet: {first_line(exc)}") from None
                check_data_version(data.schema.metadata, (schema.metadata or {}).get(SCHEMA_VERSION_KEY, b"").decode(), str(f))
                parts.append(storage.conform(data, schema, str(f)))
            out[table] = pa.concat_tables(parts) if parts else schema.empty_table()
        return out

    def table_files(self, table: str) -> list[RemoteFile]:
        """As storage.table_files: the single file of the table, or the shards of its folder, sorted."""
        if table not in TABLES:
            raise StorageError(f"unknown table {table!r}")
        base = f"{self.root}/{'corpus' if table == 'articles' else 'annotations'}/{table}"
        try:
            single = self.fs.info(f"{base}.parquet") if self.fs.isfile(f"{base}.parquet") else None
            shards = [i for i in self.fs.ls(base, detail=True) if i["name"].endswith(".parquet") and i.get("type") == "file"] \
                if self.fs.isdir(base) else []
        except OSError as exc:
            raise StorageError(f"{self.fs.unstrip_protocol(base)}: cannot be listed: {first_line(exc)}") from None
        if single and shards:
            raise StorageError(f"{self.fs.unstrip_protocol(base)}.parquet: table {table} is stored both as a file and as a folder; keep one")
        infos = [single] if single else sorted(shards, key=lambda i: i["name"])
        return [RemoteFile(i["name"], int(i["size"]), self.fs) for i in infos]


def corpus_text(root, relative: str) -> str | None:
    """A text file of a corpus, local (a Path) or on object storage (a RemoteCorpus); None if there is none."""
    if isinstance(root, RemoteCorpus):
        return root.read_text(relative)
    path = Path(root) / relative
    return path.read_text(encoding="utf-8") if path.is_file() else None


def corpus_name(root, relative: str) -> str:
    """How messages name a file of a corpus, local or on object storage."""
    return f"{root.url.rstrip('/')}/{relative}" if isinstance(root, RemoteCorpus) else str(Path(root) / relative)
