"""The `newscorpus` command: parses options, calls the library, formats results, maps errors to exit codes.

Exit codes: 0 success (validate: no error), 1 errors found or input refused, 2 could not run.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from .. import __version__
from ..store import anchor  # noqa: F401  (registers the import's level-0 check ids, listed by `checks`)
from ..store import retext as _retext  # noqa: F401  (registers span-edit-unresolved, listed by `checks`)
from ..store import remove as _remove
from ..contract import SPLITS
from ..errors import NewsCorpusError, Refused
from ..findings import checks_markdown, listed, resolve_ids, to_json


def _root(path: str | None) -> Path:
    from ..contract import find_root

    return find_root(path)


def _print_findings(findings, err: bool = False) -> None:
    for f in findings:
        click.echo(f.line(), err=err)


class CorpusGroup(click.Group):
    """Maps library errors to one line on stderr and an exit code; a traceback only with NEWSCORPUS_DEBUG=1."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except Refused as exc:
            _print_findings(exc.findings, err=True)
            click.echo(f"newscorpus: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except NewsCorpusError as exc:
            click.echo(f"newscorpus: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except KeyboardInterrupt:
            click.echo("newscorpus: interrupted; nothing half-written was kept", err=True)
            ctx.exit(130)
        except BrokenPipeError:  # the reader went away (`newscorpus export ... | head`): stop quietly, as cat does
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            ctx.exit(141)
        except Exception as exc:  # a bug: say so in one line, keep the traceback for whoever debugs it
            if os.environ.get("NEWSCORPUS_DEBUG"):
                raise
            click.echo(f"newscorpus: internal error ({type(exc).__name__}: {exc}); rerun with NEWSCORPUS_DEBUG=1 and report it", err=True)
            ctx.exit(2)


@click.group(cls=CorpusGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="newscorpus")
def main():
    """newscorpus: validate, import, inspect, sync and release the annotated news corpus.

    \b
    Example:
      newscorpus validate && newscorpus stats
    """


def _location(path: str | None):
    """The corpus a read-only command reads: the URL of one on object storage as it is (s3://, gs://,
    hf://..., read where it lies), else the local root (a file:// URL is a local path)."""
    from ..store.remote import is_url, local_path

    if is_url(path):
        local = local_path(path)
        return path if local is None else _root(str(local))
    return _root(path)


@main.command()
@click.argument("path", required=False, type=click.Path(file_okay=False))
@click.option("--path", "path_opt", type=click.Path(file_okay=False), help="Corpus root (default: here or above), as for every command.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--select", multiple=True, help="Only these check ids (comma-separated or repeated).")
@click.option("--ignore", multiple=True, help="Leave out these check ids (comma-separated or repeated).")
@click.option("--scheduler", envvar="DASK_SCHEDULER_ADDRESS", metavar="tcp://HOST:PORT",
              help="Check the pieces on this Dask cluster (env DASK_SCHEDULER_ADDRESS); its workers must see the corpus, "
                   "the temp dir and the --cache dir at the same paths. Default: two local processes.")
@click.option("--cache", "cache", envvar="NEWSCORPUS_VALIDATE_CACHE", type=click.Path(file_okay=False), metavar="DIR",
              help="Keep each checked piece's summary here, and each of its partitions', keyed by their content, and "
                   "check again only the partitions that changed (incremental CI; env NEWSCORPUS_VALIDATE_CACHE). "
                   "The verdict is a full run's.")
def validate(path, path_opt, fmt, select, ignore, scheduler, cache):
    """Check the corpus: schema, integrity, consistency, corpus level. Exit 0 valid, 1 errors, 2 could not run.

    PATH is a corpus folder or the URL of one on object storage (s3://, gs://, hf://datasets/ORG/NAME@REV,
    file://), read in place with the protocol's usual credentials and endpoint variables.

    \b
    Example:
      newscorpus validate
      newscorpus validate --format json --select span-text-mismatch,id-duplicate
      newscorpus validate --path /data/newscorpus
      newscorpus validate s3://my-bucket/newscorpus
      newscorpus validate --scheduler tcp://10.0.0.5:8786
      newscorpus validate --cache .cache/validate
    """
    from ..check.runner import runner_for
    from ..check.validate import validate_corpus

    if path and path_opt and Path(path).resolve() != Path(path_opt).resolve():
        raise click.UsageError(f"two corpus roots given: {path} and --path {path_opt}")
    path = path or path_opt

    try:
        sel, ign = resolve_ids(select), resolve_ids(ignore)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    root = _location(path)
    cache = Path(cache) if cache else None
    if scheduler:
        with runner_for(scheduler) as runner:
            report = validate_corpus(root, select=sel, ignore=ign, runner=runner, cache=cache)
    else:
        report = validate_corpus(root, select=sel, ignore=ign, cache=cache)
    summary = {"errors": len(report.errors), "warnings": len(report.warnings), "records": report.counts, "valid": report.ok,
               "method": report.method}
    if fmt == "json":
        click.echo(json.dumps({"summary": summary, "findings": json.loads(to_json(report.findings))}, ensure_ascii=False, indent=1))
    else:
        _print_findings(report.findings)
        rows = ", ".join(f"{t} {n}" for t, n in report.counts.items())
        verdict = "valid" if report.ok else "INVALID"
        click.echo(f"{verdict}: {summary['errors']} error(s), {summary['warnings']} warning(s); records read: {rows}")
    sys.exit(0 if report.ok else 1)


@main.command(name="import")
@click.argument("table", type=click.Choice(["articles", "entities", "events", "claims"]))
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--path", "path", type=click.Path(file_okay=False), help="Corpus root (default: here or above).")
@click.option("--dry-run", is_flag=True, help="Check and report, write nothing.")
@click.option("--annotator", help="Pseudonym for records that give none (annotations only).")
def import_(table, file, path, dry_run, annotator):
    """Validate JSONL records and merge them by id into TABLE, atomically: all or nothing.

    Annotation records may give a span by its text instead of offsets: "Almaty", {"text": "Almaty",
    "occurrence": 2} or {"text": "country", "context": "the country's"}; an argument or a claimer by its
    mention's span, {"role": "place", "mention": "Almaty"}; local ids (E1) or none (assigned). See
    docs/adding-articles.md.

    \b
    Example:
      newscorpus import articles imports/kz-csto-putin-2022-01-10/articles.jsonl
      newscorpus import entities imports/kz-csto-putin-2022-01-10/entities.jsonl
    """
    from ..store.importer import import_file

    result = import_file(_root(path), table, Path(file), dry_run=dry_run, annotator=annotator)
    click.echo(result.summary() + (" (dry run: nothing written)" if dry_run else ""))


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("--id", "id_", help="Article id (one article only; default: a slug of the title or file name).")
@click.option("--title", help="Headline (one article only).")
@click.option("--url", help="Source URL.")
@click.option("--published", help="Publication date, YYYY-MM-DD.")
@click.option("--publisher", help="Publisher.")
@click.option("--author", help="Author(s).")
@click.option("--license", "license_", help="SPDX license id of the text (default: unknown, left out of releases).")
@click.option("--language", help="BCP-47 tag of the text (default: en).")
@click.option("--original-language", help="BCP-47 tag of the language it was translated from.")
@click.option("--translation", type=click.Choice(["machine", "human"]), help="How it was translated.")
@click.option("--split", type=click.Choice(SPLITS), help="Split (default: by a hash of the id, see --split-ratios).")
@click.option("--split-ratios", help="Shares for the hashed split, train=0.8,validation=0.1,test=0.1 (the default) or 80/10/10.")
@click.option("--path", "path", type=click.Path(file_okay=False), help="Corpus root (default: here or above).")
@click.option("--dry-run", is_flag=True, help="Check and report, write nothing.")
def add(files, id_, title, url, published, publisher, author, license_, language, original_language, translation, split,
        split_ratios, path, dry_run):
    """Add articles from plain text: .txt files, folders of .txt files, or JSONL with only the fields you know.

    The tool derives text_sha256, updated_at, source_ref (the file), the id (a slug of the title or the file
    name; a collision is refused), null for metadata not given, and the split from a hash of the id. Text is
    normalised to NFC and \\n line breaks, and each change is reported. All or nothing, through the validator.
    JSONL fields: text, and optionally id, title, url, published, publisher, author, license, language,
    original_language, translation, split (options give defaults for what a record leaves out).

    \b
    Example:
      newscorpus add story.txt --title "Protests in Almaty" --license CC-BY-4.0 --published 2022-01-05
      newscorpus add incoming/ --license CC-BY-4.0 --publisher "Example News"
      newscorpus add batch.jsonl --language en
    """
    from ..store.add import add_articles, parse_ratios

    defaults = dict(id=id_, title=title, url=url, published=published, publisher=publisher, author=author, license=license_,
                    language=language, original_language=original_language, translation=translation, split=split)
    result = add_articles(_root(path), [Path(f) for f in files], defaults, parse_ratios(split_ratios), dry_run=dry_run)
    for a in result.added:
        click.echo(a.line())
    click.echo(result.summary() + (" (dry run: nothing written)" if dry_run else ""))


@main.command()
@click.argument("article_id")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--resolve", help="How to resolve spans the edit touches: nearest (the occurrence of the span's text nearest to "
                                "where it was), drop (remove what the span carries), or nearest,drop. Default: refuse.")
@click.option("--path", "path", type=click.Path(file_okay=False), help="Corpus root (default: here or above).")
@click.option("--dry-run", is_flag=True, help="Check and report, write nothing.")
def retext(article_id, file, resolve, path, dry_run):
    """Change an article's text after annotation; every span of its records is re-anchored by a diff of the texts.

    A span the edit leaves untouched moves with the text around it. A span whose characters the edit changes
    is reported (span-edit-unresolved) and the change refused, unless --resolve says what to do with it. The
    new text is normalised like `add` does; gold and candidate rows alike; all or nothing, through the validator.

    \b
    Example:
      newscorpus retext kz-csto-putin-2022-01-10 fixed.txt --dry-run
      newscorpus retext kz-csto-putin-2022-01-10 fixed.txt --resolve nearest,drop
    """
    modes = tuple(x.strip() for x in resolve.split(",") if x.strip()) if resolve else ()
    result = _retext.retext(_root(path), article_id, Path(file), resolve=modes, dry_run=dry_run)
    for line in result.lines():
        click.echo(line)
    if dry_run and result.changed:
        click.echo("(dry run: nothing written)")


@main.command()
@click.argument("table", type=click.Choice(["articles", "entities", "events", "claims"]))
@click.argument("ids", nargs=-1, required=True)
@click.option("--path", "path", type=click.Path(file_okay=False), help="Corpus root (default: here or above).")
@click.option("--dry-run", is_flag=True, help="Check and report, write nothing.")
def remove(table, ids, path, dry_run):
    """Remove records by id, through the validator: refused if anything still refers to them.

    An article goes with all its annotations. A record that another still cites (an entity an event argument
    names, an event a claim links) is refused with the finding naming the citing record: remove or re-import
    that one first. Nothing is written on refusal.

    \b
    Example:
      newscorpus remove claims kz-csto-putin-2022-01-10/C39 --dry-run
      newscorpus remove articles fuel-protests-spread-to-almaty
    """
    result = _remove.remove(_root(path), table, list(ids), dry_run=dry_run)
    for line in result.lines():
        click.echo(line)
    if dry_run:
        click.echo("(dry run: nothing written)")


@main.command()
@click.argument("table", required=False, type=click.Choice(["articles", "entities", "events", "claims"]))
@click.option("--file", "file", type=click.Path(dir_okay=False, exists=True), help="Export this Parquet file instead (git textconv).")
@click.option("--article", help="Only the records of this article.")
@click.option("--path", "path", type=click.Path(file_okay=False), help="Corpus root (default: here or above).")
def export(table, file, article, path):
    """Write a table as JSONL to stdout, sorted by id.

    \b
    Example:
      newscorpus export entities --article kz-csto-putin-2022-01-10 > entities.jsonl
      git config diff.parquet.textconv "newscorpus export --file"
    """
    from ..store.export import export_file, export_table

    if file:
        lines = export_file(Path(file))
    elif table:
        where = {("id" if table == "articles" else "article_id"): article} if article else None
        lines = export_table(_root(path), table, where=where)
    else:
        raise click.UsageError("give a TABLE or --file")
    for line in lines:
        click.echo(line)


@main.command()
@click.argument("article_id")
@click.option("--status", type=click.Choice(["gold", "candidate", "all"]), default="gold", show_default=True)
@click.option("--html", "html_file", type=click.Path(dir_okay=False), help="Write a self-contained HTML page to FILE instead.")
@click.option("--path", "path", type=click.Path(file_okay=False), help="Corpus root (default: here or above).")
def show(article_id, status, html_file, path):
    """Show an article with its entities, events and claims highlighted.

    \b
    Example:
      newscorpus show kz-csto-putin-2022-01-10
      newscorpus show kz-csto-putin-2022-01-10 --html /tmp/kz.html
    """
    if html_file:
        from .research import show_html

        show_html(_root(path), article_id, None if status == "all" else status, html_file)
        return
    from rich.console import Console

    from ..research.show import load_article, render

    doc = load_article(_root(path), article_id, None if status == "all" else status)
    Console(highlight=False, soft_wrap=False).print(render(doc))


@main.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--status", type=click.Choice(["gold", "candidate"]), default="gold", show_default=True)
@click.option("--path", "path", type=click.Path(file_okay=False), help="Corpus root (default: here or above).")
def stats(fmt, status, path):
    """The corpus in figures: articles, entities, mentions, events, claims, by label.

    \b
    Example:
      newscorpus stats --format json
      newscorpus stats --path s3://my-bucket/newscorpus
    """
    from ..figures import corpus_stats, format_stats

    s = corpus_stats(_location(path), status=status)
    if fmt == "json":
        click.echo(json.dumps(s, ensure_ascii=False, indent=1))
    else:
        for line in format_stats(s):
            click.echo(line)


@main.command()
@click.option("--markdown", is_flag=True, help="Print the docs/checks.md table.")
def checks(markdown):
    """List the validator's check ids with level, severity and meaning.

    \b
    Example:
      newscorpus checks --markdown > docs/checks.md
    """
    if markdown:
        click.echo(checks_markdown(), nl=False)
        return
    for c in listed():
        click.echo(f"{c.id:32} L{c.level} {c.severity:7} {c.meaning}")


@main.command()
@click.option("--dry-run", is_flag=True, help="Check and report what would be migrated, write nothing.")
@click.option("--path", "path", type=click.Path(file_okay=False), help="Corpus root (default: here or above).")
def migrate(dry_run, path):
    """Migrate tables written under an older schema version to the corpus' current one, after a backup.

    Tables are never converted silently on read: a table of an older schema version is refused until this
    runs. The old files are copied to .newscorpus-backup/migrate-<time>/ first; the migrated corpus must
    validate, or nothing is written.

    \b
    Example:
      newscorpus migrate --dry-run
      newscorpus migrate && newscorpus validate
    """
    from ..store.migrate import migrate_corpus

    result = migrate_corpus(_root(path), dry_run=dry_run)
    for line in result.summary():
        click.echo(line)


@main.command()
@click.option("--articles", type=click.IntRange(1), required=True, help="Number of articles.")
@click.option("--out", "out", type=click.Path(file_okay=False), required=True, help="New corpus root to write.")
@click.option("--faults", type=click.FloatRange(0, 0.5), default=0.0, show_default=True, help="Share of articles given one fault, check ids in turn.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--shard-rows", type=click.IntRange(1), default=25000, show_default=True, help="Articles per shard.")
@click.option("--unreadable", is_flag=True, help="Truncate one shard instead (table-unreadable).")
def synth(articles, out, faults, seed, shard_rows, unreadable):
    """Write a synthetic corpus (realistic sizes and labels; faults listed in manifest.json) for scale tests.

    \b
    Example:
      newscorpus synth --articles 100000 --out /tmp/syn --faults 0.001 --seed 1
    """
    from ..bench.synth import generate

    try:
        r = generate(Path(out), articles=articles, faults=faults, seed=seed, shard_rows=shard_rows, unreadable=unreadable)
    except FileExistsError as exc:
        raise click.UsageError(str(exc)) from None
    rows = ", ".join(f"{t} {n:,}" for t, n in r.records.items())
    click.echo(f"wrote {r.root} in {r.seconds:.1f} s: {rows}; {len(r.faults)} fault(s) in manifest.json")


@main.command()
@click.option("--articles", type=click.IntRange(1), default=100000, show_default=True)
@click.option("--out", "out", type=click.Path(dir_okay=False), help="Write the figures as JSON here.")
@click.option("--sample", type=click.IntRange(1), default=2000, show_default=True, help="Records per table for jsonschema and jsonschema-rs.")
@click.option("--workdir", type=click.Path(file_okay=False), help="Where to generate the corpus (default: the temp dir).")
@click.option("--no-release", is_flag=True, help="Do not time `newscorpus release build`.")
@click.option("--add-files", type=click.IntRange(1), help="Instead: time `newscorpus add` of N text files into a copy of this corpus.")
@click.option("--path", "path", type=click.Path(file_okay=False), help="Corpus root for --add-files (default: here or above).")
@click.option("--scheduler", metavar="tcp://HOST:PORT", help="Time Dask validation on this cluster (default: a LocalCluster here, 1 then 2 workers).")
def bench(articles, out, sample, workdir, no_release, add_files, path, scheduler):
    """Generate N articles and measure validation against jsonschema, jsonschema-rs and a plain scan.

    \b
    Example:
      newscorpus bench --articles 1000000 --out bench.json
      newscorpus bench --articles 100000 --scheduler tcp://10.0.0.5:8786
      newscorpus bench --add-files 50
    """
    if add_files:
        from ..bench.scale import add_files as add_bench, format_add

        result = add_bench(_root(path), add_files, Path(workdir) if workdir else None)
        for line in format_add(result):
            click.echo(line)
        if out:
            Path(out).write_text(json.dumps(result, indent=1) + "\n")
        return
    from ..bench.scale import format_result, run

    result = run(articles, Path(workdir) if workdir else None, sample=sample, release=not no_release, scheduler=scheduler)
    for line in format_result(result):
        click.echo(line)
    if out:
        Path(out).write_text(json.dumps(result, indent=1) + "\n")


def _register_groups() -> None:
    from .release import release
    from .research import adjudicate, agreement, convert
    from .studio import studio

    for command in (studio, release, agreement, adjudicate, convert):
        main.add_command(command)


_register_groups()

