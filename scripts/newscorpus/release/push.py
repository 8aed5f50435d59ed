"""`newscorpus release push`: upload a built release folder to the Hub and tag the commit vX.Y.Z.

Before anything else the folder is checked: every file listed in SHA256SUMS still has its checksum, no
file is there that SHA256SUMS does not list, and the folder was built as the version asked for. A dry
run (the default) stops there and returns the file operations, each with its size and sha256, computed
locally by huggingface_hub's CommitOperationAdd: no network call. A real push creates the dataset repo
if needed, refuses a version whose tag exists already, uploads the folder (deleting remote files the
release does not have, so no stale shard is left for a data_files glob to pick up) and tags the commit.
The token comes from HF_TOKEN and is never printed or logged. A release that holds articles whose
license is `unknown` (built with --include-unlicensed) is refused, dry run or not, unless the push is
given include_unlicensed too: publishing texts nobody cleared is a decision made twice, not by accident.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError, SetupError, Refused, RemoteError
from .build import CHECKSUMS, parse_version, release_files, release_version, sha256_file

REPO_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass(frozen=True)
class FileOp:
    path: str
    size: int
    sha256: str

    def line(self) -> str:
        return f"upload {self.path}  {self.size} bytes  sha256 {self.sha256}"


@dataclass
class PushResult:
    repo: str
    tag: str
    operations: list = field(default_factory=list)
    dry_run: bool = True
    commit: str | None = None
    url: str | None = None


def verify_release(folder: Path, version: str | None = None) -> list[str]:
    """The files of the release, after checking SHA256SUMS and the version; Refused if anything is off."""
    folder = Path(folder)
    sums = folder / CHECKSUMS
    if not sums.is_file():
        raise InputError(f"{folder}: not a built release (no {CHECKSUMS})")
    listed = {}
    for n, line in enumerate(sums.read_text(encoding="utf-8").splitlines(), 1):
        digest, sep, rel = line.partition("  ")
        if not sep or not re.fullmatch(r"[0-9a-f]{64}", digest):
            raise Refused(f"{sums}:{n}: not a sha256sum line; refusing to push")
        listed[rel] = digest
    present = release_files(folder)
    problems = [f"{rel}: not in {CHECKSUMS}" for rel in present if rel not in listed]
    for rel, digest in listed.items():
        path = folder / rel
        if not path.is_file():
            problems.append(f"{rel}: listed in {CHECKSUMS} but missing")
        elif sha256_file(path) != digest:
            problems.append(f"{rel}: checksum does not match {CHECKSUMS}")
    if problems:
        raise Refused(f"refused: {folder} changed since it was built ({'; '.join(problems[:5])}"
                      f"{'; ...' if len(problems) > 5 else ''}); rebuild it")
    built = release_version(folder)
    if version is not None and built != version:
        raise Refused(f"refused: {folder} was built as version {built}, not {version}")
    return sorted(listed)


def unlicensed_in_release(folder: Path) -> list[str]:
    """The ids (sorted) of the release's articles whose license is `unknown`, from data/articles/."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    out = []
    for path in sorted((Path(folder) / "data" / "articles").glob("*.parquet")):
        t = pq.read_table(path, columns=["id", "license"])
        out += pc.filter(t["id"], pc.fill_null(pc.equal(t["license"], "unknown"), False)).to_pylist()
    return sorted(out)


def plan(folder: Path, files: list[str]) -> list[FileOp]:
    """The upload operations, size and sha256 computed locally (the same objects upload_folder sends)."""
    from huggingface_hub import CommitOperationAdd

    ops = []
    for rel in [*files, CHECKSUMS]:
        op = CommitOperationAdd(path_in_repo=rel, path_or_fileobj=str(Path(folder) / rel))
        ops.append(FileOp(rel, op.upload_info.size, op.upload_info.sha256.hex()))
    return ops


def push_release(folder: Path, repo: str, version: str, yes: bool = False, private: bool = False,
                 include_unlicensed: bool = False) -> PushResult:
    """Check the folder, then (with yes) upload it to the dataset repo `repo` and tag it v<version>.
    Refused if the release holds articles of unknown license, unless include_unlicensed."""
    parse_version(version)
    if not REPO_ID.match(repo or ""):
        raise InputError(f"repo {repo!r} is not ORG/NAME")
    folder = Path(folder)
    files = verify_release(folder, version)
    unlicensed = unlicensed_in_release(folder)
    if unlicensed and not include_unlicensed:
        shown = ", ".join(unlicensed[:5]) + (f" and {len(unlicensed) - 5} more" if len(unlicensed) > 5 else "")
        raise Refused(f"refused: {folder} holds {len(unlicensed)} article(s) whose license is unknown ({shown}); "
                      "rebuild without --include-unlicensed, or pass --include-unlicensed to push them anyway")
    tag = f"v{version}"
    result = PushResult(repo=repo, tag=tag, operations=plan(folder, files), dry_run=not yes)
    if not yes:
        return result
    token = os.environ.get("HF_TOKEN")
    if not token:
        raise SetupError("HF_TOKEN is not set: export a Hub token with write access to push")
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    api = HfApi(token=token)
    try:
        api.create_repo(repo, repo_type="dataset", exist_ok=True, private=private)
        refs = api.list_repo_refs(repo, repo_type="dataset")
        if any(t.name == tag for t in refs.tags):
            raise Refused(f"refused: {repo} already has the tag {tag}; a released version is never replaced, build a new version")
        commit = api.upload_folder(repo_id=repo, folder_path=str(folder), repo_type="dataset",
                                   commit_message=f"Release {tag}", allow_patterns=[*files, CHECKSUMS], delete_patterns="*")
        api.create_tag(repo, tag=tag, revision=commit.oid, repo_type="dataset", tag_message=f"newscorpus {version}")
    except HfHubHTTPError as exc:
        raise RemoteError(f"the Hub refused the push of {repo} {tag}: {_one_line(exc, token)}") from None
    result.commit, result.url = commit.oid, getattr(commit, "commit_url", None)
    return result


def _one_line(exc: Exception, token: str) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text.replace(token, "***")
