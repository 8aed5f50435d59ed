"""`newscorpus release ...`: build, diff, push a release; regenerate datasheet figures.

Parses options, calls the library, formats the result. Library errors reach the main group, which maps
them to one line on stderr and an exit code (1 refused, 2 could not run).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from pathlib import Path

import click


def _root(path):
    from ..contract import find_root

    return find_root(path)


@contextlib.contextmanager
def _progress():
    """A status line on a terminal; nothing in CI or when stderr is not a terminal."""
    if os.environ.get("CI") or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console

    with Console(stderr=True).status("starting") as status:
        yield lambda msg: status.update(msg)


@click.group()
def release():
    """Build, diff and push releases of the corpus to the Hugging Face Hub.

    \b
    Example:
      newscorpus release build --version 1.0.0
      newscorpus release push --repo ORG/newscorpus --version 1.0.0 --yes
    """


@release.command()
@click.option("--version", "version", required=True, help="Release version X.Y.Z (tagged vX.Y.Z on the Hub).")
@click.option("--out", type=click.Path(file_okay=False), help="Output folder [default: release/<version>/ in the corpus root].")
@click.option("--previous", type=click.Path(file_okay=False, exists=True), help="Previous release folder to diff against [default: the latest under release/].")
@click.option("--overwrite", is_flag=True, help="Replace an existing, non-empty output folder.")
@click.option("--include-unlicensed", is_flag=True,
              help="Also release articles whose license is `unknown` (left out by default, with their annotations).")
@click.option("--path", "path", help="Corpus root (default: here or above), or the URL of one on object storage "
                                      "(s3://, gs://, hf://datasets/ORG/NAME@REV), read in place; then --out is needed.")
@click.option("--scheduler", envvar="DASK_SCHEDULER_ADDRESS", metavar="tcp://HOST:PORT",
              help="Validate, derive and write the pieces on this Dask cluster (env DASK_SCHEDULER_ADDRESS); its workers "
                   "must see the corpus and the output's parent folder at the same paths. The files are the same. "
                   "Default: two local processes.")
@click.option("--cache", "cache", envvar="NEWSCORPUS_VALIDATE_CACHE", type=click.Path(file_okay=False), metavar="DIR",
              help="The folder of `validate --cache` (env NEWSCORPUS_VALIDATE_CACHE): pieces validated before and "
                   "unchanged since are not checked again. The verdict is a full validation's.")
def build(version, out, previous, overwrite, include_unlicensed, path, scheduler, cache):
    """Validate the corpus, then write the release folder: data, card, datasheet, Croissant, changelog, checksums.

    Articles whose license is `unknown` are left out with all their annotations (one line says which; the
    card says so too) unless --include-unlicensed is given. Refuses (exit 1, nothing written) on any
    validation error, on a removal of a released record or a split move that changes/declared.yaml does
    not declare, and when every annotated article would be left out.

    \b
    Example:
      newscorpus release build --version 0.1.0
      newscorpus release build --version 0.1.0 --include-unlicensed --out /tmp/newscorpus-internal
      newscorpus release build --version 0.2.0 --previous release/0.1.0 --out /tmp/newscorpus-0.2.0
      newscorpus release build --version 1.0.0 --scheduler tcp://10.0.0.5:8786 --out /shared/newscorpus-1.0.0
      newscorpus release build --version 1.0.0 --path s3://my-bucket/newscorpus --out /tmp/newscorpus-1.0.0
      newscorpus validate --cache .cache/validate && newscorpus release build --version 1.0.0 --cache .cache/validate
    """
    import contextlib

    from ..check.runner import runner_for
    from ..release.build import build_release, left_out_line
    from ..release.diff import UndeclaredChanges, format_diff
    from . import _location

    root = _location(path)
    try:
        with _progress() as say, (runner_for(scheduler) if scheduler else contextlib.nullcontext()) as runner:
            result = build_release(root, version, Path(out) if out else None, Path(previous) if previous else None,
                                   overwrite=overwrite, progress=say, include_unlicensed=include_unlicensed, runner=runner,
                                   cache=Path(cache) if cache else None)
    except UndeclaredChanges as exc:
        for line in exc.problems:
            click.echo(line, err=True)
        raise
    for f in result.warnings:  # personal data, unknown licenses: to look at before publishing
        click.echo(f.line(), err=True)
    if result.left_out:
        click.echo(left_out_line(result.left_out), err=True)
    click.echo(f"built release {version} in {result.out}")
    click.echo(f"  validated: {result.validation}")
    for config, splits in result.rows.items():
        click.echo(f"  {config:10} " + ", ".join(f"{s} {n}" for s, n in splits.items()))
    size = sum(result.files.values())
    click.echo(f"  {len(result.files)} files, {size:,} bytes")
    if result.previous:
        click.echo(f"changes against {result.previous}:")
        for line in format_diff(result.diff):
            click.echo(f"  {line}" if line else "")
    else:
        click.echo("no previous release: CHANGELOG.md lists this one as the first")


@release.command()
@click.argument("old")
@click.argument("new")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text", show_default=True)
@click.option("--include-unlicensed", is_flag=True,
              help="Take a corpus or git side with its articles of `unknown` license, as `release build --include-unlicensed` would.")
@click.option("--path", "path", type=click.Path(file_okay=False), help="Corpus root for git revisions and changes/declared.yaml (default: here or above).")
def diff(old, new, fmt, include_unlicensed, path):
    """Annotation-level diff between two releases, corpus roots or git revisions of the corpus.

    Lists the ids of articles, entities, mentions, events and claims added, removed and changed, and
    articles moved to another split. A corpus or git side is taken as `release build` would release it:
    articles whose license is `unknown` left out unless --include-unlicensed. Exit 1 if a removal or
    split move is not declared in the corpus' changes/declared.yaml.

    \b
    Example:
      newscorpus release diff release/0.1.0 release/0.2.0
      newscorpus release diff v0.1.0 HEAD --format markdown
      newscorpus release diff release/0.1.0 .
    """
    from ..errors import CorpusNotFound
    from ..release.diff import diff_snapshots, format_diff, left_out_declarations, load_declared, undeclared
    from ..release.snapshot import resolve

    try:
        root = _root(path)
    except CorpusNotFound:
        root = None
    _, a = resolve(old, root, include_unlicensed)
    _, b = resolve(new, root, include_unlicensed)
    declared = (load_declared(root) if root else []) + left_out_declarations(b.left_out)
    changes = diff_snapshots(a, b)
    problems = undeclared(changes, declared)
    if fmt == "json":
        click.echo(json.dumps({**changes.as_dict(), "undeclared": problems}, ensure_ascii=False, indent=1))
    else:
        for line in format_diff(changes, declared, markdown=fmt == "markdown"):
            click.echo(line)
        for line in problems:
            click.echo(f"error: {line}", err=True)
    sys.exit(1 if problems else 0)


@release.command()
@click.option("--repo", required=True, help="Dataset repo on the Hub, ORG/NAME.")
@click.option("--version", "version", required=True, help="The version the folder was built as, X.Y.Z.")
@click.option("--dir", "folder", type=click.Path(file_okay=False), help="Release folder [default: release/<version>/ in the corpus root].")
@click.option("--yes", is_flag=True, help="Really push. Without it: a dry run that lists every upload and makes no network call.")
@click.option("--private", is_flag=True, help="Create the repo private if it does not exist.")
@click.option("--include-unlicensed", is_flag=True,
              help="Push a release that holds articles of `unknown` license (built with --include-unlicensed).")
@click.option("--path", "path", type=click.Path(file_okay=False), help="Corpus root (default: here or above).")
def push(repo, version, folder, yes, private, include_unlicensed, path):
    """Upload a built release to the Hub and tag the commit vX.Y.Z; the token comes from HF_TOKEN.

    Refuses a folder whose files no longer match SHA256SUMS, a version whose tag exists already, and a
    release holding articles of `unknown` license unless --include-unlicensed is given here too.

    \b
    Example:
      newscorpus release push --repo ORG/newscorpus --version 1.0.0
      HF_TOKEN=... newscorpus release push --repo ORG/newscorpus --version 1.0.0 --yes
    """
    from ..release.push import push_release

    folder = Path(folder) if folder else _root(path) / "release" / version
    if os.environ.get("CI") or not sys.stderr.isatty():
        from huggingface_hub.utils import disable_progress_bars

        disable_progress_bars()
    result = push_release(folder, repo, version, yes=yes, private=private, include_unlicensed=include_unlicensed)
    for op in result.operations:
        click.echo(op.line())
    total = sum(op.size for op in result.operations)
    if result.dry_run:
        click.echo(f"dry run: {len(result.operations)} file(s), {total:,} bytes to {repo}, tag {result.tag}; "
                   "remote files not in the release would be deleted. Nothing was sent; pass --yes to push.")
    else:
        click.echo(f"pushed {len(result.operations)} file(s) to {repo} as commit {result.commit}, tagged {result.tag}")


@release.command()
@click.argument("file", type=click.Path(dir_okay=False, exists=True))
@click.option("--path", "path", type=click.Path(file_okay=False), help="Corpus root (default: here or above).")
def datasheet(file, path):
    """Regenerate the figures between <!-- figures:start --> and <!-- figures:end --> in FILE, in place.

    \b
    Example:
      newscorpus release datasheet DATASHEET.md
    """
    from ..figures import corpus_stats
    from ..release.card import rewrite_datasheet

    changed = rewrite_datasheet(Path(file), corpus_stats(_root(path)))
    click.echo(f"{file}: figures {'regenerated' if changed else 'already up to date'}")
