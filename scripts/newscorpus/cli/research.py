"""The research commands: `agreement`, `adjudicate`, `convert`, and `show_html` for `show --html FILE`.
Parse options, call the library, format the result; errors are mapped to exit codes by the main group."""

from __future__ import annotations

import json
from pathlib import Path

import click

_PATH = click.option("--path", "path", type=click.Path(file_okay=False), help="Corpus root (default: here or above).")


def _root(path):
    from ..contract import find_root

    return find_root(path)


def _console():
    from rich.console import Console

    return Console(highlight=False, soft_wrap=False)


@click.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@_PATH
def agreement(fmt, path):
    """Inter-annotator agreement on the articles two or more annotators annotated (candidate rows).

    Mention F1 (exact and overlap), coreference MUC / B-cubed / CEAF-e, event trigger, type and argument
    agreement, claim span F1, claimer agreement, and Cohen's kappa (two annotators) or Krippendorff's
    alpha (more) for stance and quote type; pairwise between annotators, averaged over pairs.
    docs/research.md defines each figure.

    \b
    Example:
      newscorpus agreement
      newscorpus agreement --format json > agreement.json
    """
    from ..research.agreement import agreement_figures, render_table

    figs = agreement_figures(_root(path))
    if fmt == "json":
        click.echo(json.dumps(figs, ensure_ascii=False, indent=1))
    else:
        _console().print(render_table(figs))


def _render_disagreements(d):
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    table = Table(title=Text(f"{d.article_id}: {len(d.disagreed)} of {len(d.items)} items differ"), show_lines=True)
    for header in (Text("where"), Text("text"), *(Text(a) for a in d.annotators)):
        table.add_column(header)
    for item in d.disagreed:
        table.add_row(Text(f"{item.kind} {item.start}:{item.end}"), Text(item.text[:60] + ("…" if len(item.text) > 60 else "")),
                      *(Text(item.versions[a] or "—", style=None if item.versions[a] else "dim") for a in d.annotators))
    return Group(table)


@click.command()
@click.argument("article_id")
@click.option("--prefer", metavar="ANNOTATOR", help="Take this annotator's whole version as gold.")
@click.option("--from", "from_file", type=click.Path(dir_okay=False), help='Decisions (JSON): {"default": A, "take": {B: [ids]}, "drop": [ids]}.')
@click.option("--adjudicator", metavar="PSEUDONYM", help="Your pseudonym: the annotator of the gold rows written.")
@click.option("--dry-run", is_flag=True, help="Check and report, write nothing.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True, help="How to show the disagreements.")
@_PATH
def adjudicate(article_id, prefer, from_file, adjudicator, dry_run, fmt, path):
    """Show the candidates' disagreements on ARTICLE_ID side by side; with --prefer or --from, write the
    adjudicated gold rows (replacing the article's gold rows; validated, atomic, all or nothing).

    \b
    Example:
      newscorpus adjudicate kz-csto-putin-2022-01-10
      newscorpus adjudicate kz-csto-putin-2022-01-10 --prefer anna --adjudicator lead-1
      newscorpus adjudicate kz-csto-putin-2022-01-10 --from decisions.json --adjudicator lead-1 --dry-run
    """
    from ..research.adjudicate import adjudicate as run, disagreements, read_decisions

    root = _root(path)
    if prefer and from_file:
        raise click.UsageError("give --prefer or --from, not both")
    d = disagreements(root, article_id)
    if fmt == "json":
        click.echo(json.dumps(d.as_dict(), ensure_ascii=False, indent=1))
    else:
        _console().print(_render_disagreements(d))
    if not (prefer or from_file):
        return
    if not adjudicator:
        raise click.UsageError("--adjudicator PSEUDONYM is required to write gold rows")
    decisions = read_decisions(Path(from_file)) if from_file else None
    result = run(root, article_id, adjudicator, prefer=prefer, decisions=decisions, dry_run=dry_run)
    for f in result.findings:
        click.echo(f.line(), err=True)
    click.echo(result.summary(), err=fmt == "json")


@click.command()
@click.argument("files", nargs=-1, type=click.Path())
@click.option("--to", "to", type=click.Choice(["conll", "brat", "jsonl", "spacy"]), help="Write the annotations in this format.")
@click.option("--from", "from_", type=click.Choice(["brat"]), help="Read FILES (.txt/.ann pairs, or folders of them) into the corpus.")
@click.option("--out", "out", type=click.Path(file_okay=False), help="--to: folder to write to (created if missing).")
@click.option("--status", type=click.Choice(["gold", "candidate"]),
              help="--to: the rows to write [default: gold]; --from: the status of the rows read [default: candidate].")
@click.option("--article", "article_ids", multiple=True, metavar="ARTICLE_ID", help="Only this article (repeat for more).")
@click.option("--annotator", metavar="PSEUDONYM", help="--from: the annotator of the rows read (required).")
@click.option("--origin", help="--from: the origin of the rows read [default: import].")
@click.option("--dry-run", is_flag=True, help="--from: check and report, write nothing.")
@_PATH
def convert(files, to, from_, out, status, article_ids, annotator, origin, dry_run, path):
    """Write the annotations as CoNLL BIO, brat standoff, JSONL or a spaCy DocBin (--to); or read brat
    files back into the corpus (--from brat).

    --to: mentions that BIO tags cannot hold (nested, crossing, not on token boundaries) are reported in
    OUT/dropped.jsonl, never shifted.

    --from brat: each X.ann needs its X.txt, equal to the stored text of the article named by the file
    name up to its first dot (as --to brat names them: ARTICLE.txt, ARTICLE.ANNOTATOR.txt). The rows get
    --annotator, --status, --origin; candidate ids go in ARTICLE/ANNOTATOR/, and no new id is one the
    corpus has. Validated and merged by id as `newscorpus import` does: all or nothing.

    docs/research.md describes each format and the tokenizer.

    \b
    Example:
      newscorpus convert --to conll --out /tmp/conll
      newscorpus convert --to brat --out /tmp/brat --status candidate --article kz-csto-putin-2022-01-10
      newscorpus convert --from brat /tmp/brat --annotator anna --dry-run
      newscorpus convert --from brat /tmp/brat/kz-csto-putin-2022-01-10.ann --annotator anna
    """
    if bool(to) == bool(from_):
        raise click.UsageError("give --to FORMAT (export) or --from brat (import)")
    if to:
        given = [name for name, value in (("FILES", files), ("--annotator", annotator), ("--origin", origin), ("--dry-run", dry_run)) if value]
        if given:
            raise click.UsageError(f"{', '.join(given)}: only with --from brat")
        if not out:
            raise click.UsageError("--to needs --out FOLDER")
        from ..research.convert import convert as run

        result = run(_root(path), to, Path(out), status=status or "gold", article_ids=article_ids or None)
        click.echo(result.summary())
        return
    if out:
        raise click.UsageError("--out: only with --to (--from brat writes into the corpus)")
    if not files:
        raise click.UsageError("--from brat needs FILES: .ann/.txt files or folders of them")
    if not annotator:
        raise click.UsageError("--from brat needs --annotator PSEUDONYM: whose rows these are")
    from ..research.brat import import_brat

    result = import_brat(_root(path), [Path(f) for f in files], annotator, status=status or "candidate", origin=origin or "import",
                         article_ids=article_ids or None, dry_run=dry_run)
    click.echo(result.summary())


def show_html(root: Path, article_id: str, status: str | None, out: str) -> None:
    """For `show ARTICLE_ID --html FILE`: write the page and say where (status None: all rows)."""
    from ..research.show_html import write_html

    written = write_html(root, article_id, Path(out), status)
    click.echo(f"wrote {written}")
