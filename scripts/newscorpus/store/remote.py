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

import re
import sys
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


# the exceptions a file system's HTTP client raises for a network failure or an HTTP error (hf:// goes
# through httpx2, gs:// through aiohttp, ...), looked up among the modules already imported
_TRANSPORT_ERRORS = (("httpx2", "HTTPError"), ("httpx", "HTTPError"), ("aiohttp", "ClientError"),
                     ("requests", "RequestException"), ("botocore.exceptions", "BotoCoreError"))


def remote_errors() -> tuple:
    """OSError and the transport errors of the HTTP clients loaded: what reading object storage raises when
    the store cannot be reached or answers with an error (a message, never a traceback)."""
    found = [OSError]
    for module, name in _TRANSPORT_ERRORS:
        cls = getattr(sys.modules.get(module), name, None)
        if isinstance(cls, type) and issubclass(cls, BaseException):
            found.append(cls)
    return tuple(found)


def _as_os_error(name: str, call, *args):
    """call(*args), a transport error raised as an OSError naming `name`."""
    try:
        return call(*args)
    except OSError:
        raise
    except remote_errors() as exc:
        raise OSError(f"{name}: {first_line(exc)}") from None


class _RemoteReader:
    """A file opened on object storage whose transport errors are OSErrors naming it, as a local file's
    errors are (the readers of Parquet catch OSError)."""

    def __init__(self, handle, name: str):
        self._handle, self._name = handle, name

    def read(self, *args):
        return _as_os_error(self._name, self._handle.read, *args)

    def readinto(self, *args):
        return _as_os_error(self._name, self._handle.readinto, *args)

    def seek(self, *args):
        return _as_os_error(self._name, self._handle.seek, *args)

    def tell(self):
        return _as_os_error(self._name, self._handle.tell)

    def close(self):
        return self._handle.close()

    def __getattr__(self, name):
        return getattr(self._handle, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


@dataclass(frozen=True, order=True)
class RemoteFile:
    """A Parquet file of a remote corpus: what the validator needs of a path (its size, a way to open it,
    a name for messages)."""

    path: str
    size: int = field(compare=False)
    fs: object = field(compare=False, repr=False)

    def open(self):
        return _RemoteReader(_as_os_error(str(self), self.fs.open, self.path, "rb"), str(self))

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
        ontology = f"{corpus.root}/schema/ontology.json"
        try:
            if not fs.isfile(ontology):
                raise CorpusNotFound(f"{url}: no schema/ontology.json there{corpus._why_missing(ontology)}; not a corpus root")
        except remote_errors() as exc:
            raise StorageError(f"{url}: cannot be read: {first_line(exc)}") from None
        return corpus

    def _why_missing(self, path: str) -> str:
        """What the file system says of a missing file where it says why (the Hub: "repository not found",
        "revision not found"), else nothing."""
        try:
            self.fs.info(path)
        except FileNotFoundError as exc:
            why = re.search(r"\(([^()]* not found)\)", first_line(exc))
            return f" ({why.group(1)})" if why else ""
        except (*remote_errors(), ValueError, NotImplementedError):  # (only the wording: the file is missing either way)
            return ""
        return ""

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
            except remote_errors() as exc:
                raise StorageError(f"{self.url}/schema: cannot be read: {first_line(exc)}") from None
            return load_contract(local)

    def read_text(self, relative: str) -> str | None:
        """A text file of the corpus (None if there is none)."""
        path = f"{self.root}/{relative}"
        try:
            return self.fs.cat_file(path).decode("utf-8") if self.fs.isfile(path) else None
        except (*remote_errors(), UnicodeDecodeError) as exc:
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
        except remote_errors() as exc:
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
