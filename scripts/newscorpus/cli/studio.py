"""`newscorpus studio`: the labeling config, a local Label Studio, push and pull. Parses options, calls
studio.config / studio.server / studio.sync, formats the result."""

from __future__ import annotations

import os
import sys

import click

from ..errors import InputError, SetupError
from ..studio import convert  # noqa: F401  (registers the studio-* check ids with the validator's registry)

_PATH = click.option("--path", "path", type=click.Path(file_okay=False), help="Corpus root (default: here or above).")
_TITLE = click.option("--title", default="newscorpus", show_default=True, help="Title of the Label Studio project.")


def _root(path):
    from ..contract import find_root

    return find_root(path)


def _progress():
    """A progress printer on a terminal; None (quiet) otherwise, e.g. in CI."""
    if sys.stderr.isatty():
        return lambda msg: click.echo(f"  {msg}", err=True)
    return None


def _print_findings(findings) -> None:
    for f in findings:
        click.echo(f.line(), err=True)


@click.group()
def studio():
    """Label Studio: generate the config, run a local server, push articles, pull annotations.

    \b
    Example:
      export LABEL_STUDIO_USERNAME=admin@example.org LABEL_STUDIO_PASSWORD=... LABEL_STUDIO_API_KEY=...
      newscorpus studio serve &
      export LABEL_STUDIO_URL=http://127.0.0.1:8080
      newscorpus studio push && newscorpus studio pull --dry-run
    """


@studio.command()
@click.option("--instructions", is_flag=True, help="Print the project instructions (HTML) instead of the config.")
@_PATH
def config(instructions, path):
    """Print the Label Studio labeling config (XML), derived from schema/ontology.json and the schemas.

    \b
    Example:
      newscorpus studio config > /tmp/config.xml
      newscorpus studio config --instructions > /tmp/instructions.html
    """
    from ..contract import load_contract
    from ..studio.config import instructions as make_instructions
    from ..studio.config import label_config

    root = _root(path)
    contract = load_contract(root)
    click.echo(make_instructions(root, contract) if instructions else label_config(contract), nl=False)


@studio.command()
@click.option("--port", type=int, default=8080, show_default=True, help="Port on 127.0.0.1 (refused if busy).")
@_PATH
def serve(port, path):
    """Run a local Label Studio on 127.0.0.1 in the foreground, its data in .studio/ of the corpus; Ctrl-C stops it.

    The admin user comes from LABEL_STUDIO_USERNAME and LABEL_STUDIO_PASSWORD, its API token from
    LABEL_STUDIO_API_KEY (a legacy token, at least 6 characters); they take effect on the first start.

    \b
    Example:
      LABEL_STUDIO_USERNAME=admin@example.org LABEL_STUDIO_PASSWORD=s3cret LABEL_STUDIO_API_KEY=$(openssl rand -hex 20) \\
        newscorpus studio serve --port 8080
    """
    from ..studio.server import serve_until_stopped, start_server

    root = _root(path)
    user, password = os.environ.get("LABEL_STUDIO_USERNAME"), os.environ.get("LABEL_STUDIO_PASSWORD")
    token = os.environ.get("LABEL_STUDIO_API_KEY")
    base = root / ".studio"
    fresh = not (base / "data" / "label_studio.sqlite3").is_file()
    if fresh and not (user and password):
        raise SetupError("set LABEL_STUDIO_USERNAME and LABEL_STUDIO_PASSWORD for the admin user of the first start")
    if token and token.count(".") == 2:
        token = None  # a personal access token is minted by the server, it cannot be set as the user token
    click.echo(f"starting Label Studio (data in {base}/data{'; the first start migrates the database, about 1-2 minutes' if fresh else ''})", err=True)
    server = start_server(base / "data", home=base / "home", port=port, username=user, password=password, token=token,
                          log_path=base / "label-studio.log")
    click.echo(f"Label Studio is running at {server.url} (pid {server.pid}); stop it with Ctrl-C")
    click.echo(f"export LABEL_STUDIO_URL={server.url}")
    code = serve_until_stopped(server)
    click.echo(f"Label Studio stopped (exit code {code})", err=True)


@studio.command()
@_TITLE
@click.option("--dry-run", is_flag=True, help="Report what would be sent, send nothing.")
@click.option("--preannotate", type=click.Choice(["gazetteer", "model", "gazetteer+model", "none"]), default=None,
              help="Suggestions for articles without gold: entity names already annotated in the corpus (gazetteer), "
                   "a spaCy pipeline (model), both, or none. Default: gazetteer, or gazetteer+model with --model.")
@click.option("--model", metavar="PATH_OR_NAME", default=None,
              help="A spaCy pipeline installed or saved locally (never downloaded), for --preannotate model.")
@_PATH
def push(title, dry_run, preannotate, model, path):
    """Create or update the project and import the articles as tasks, their gold as predictions. Idempotent.

    An article without gold gets entity suggestions as its prediction (model_version gazetteer-<hash> or
    spacy-<name>-<version>), so the annotator corrects instead of starting blank.
    Reaches LABEL_STUDIO_URL with LABEL_STUDIO_API_KEY (legacy token or personal access token).

    \b
    Example:
      newscorpus studio push --title newscorpus
      newscorpus studio push --model en_core_web_sm      # gazetteer, then spaCy where it found nothing
      newscorpus studio push --preannotate none
    """
    from ..studio.sync import push as do_push

    mode = preannotate or ("gazetteer+model" if model else "gazetteer")
    result = do_push(_root(path), title=title, dry_run=dry_run, progress=_progress(), preannotate=mode, model=model)
    _print_findings(result.findings)
    click.echo(result.summary())
    if any(f.severity == "error" for f in result.findings):
        sys.exit(1)


@studio.command()
@_TITLE
@click.option("--gold", "gold_rule", default="ground-truth", show_default=True,
              help="Which annotation of a task becomes gold: ground-truth (the Label Studio flag), single (also the "
                   "only annotation of a task), none, or annotator:<pseudonym>.")
@click.option("--dry-run", is_flag=True, help="Report what would change, write nothing.")
@_PATH
def pull(title, gold_rule, dry_run, path):
    """Export the project, convert and validate every submitted annotation, merge the good ones into annotations/.

    Each annotator's latest annotation becomes candidate rows under a pseudonym; the adjudicated one becomes
    the article's gold rows. A refused annotation is listed with its findings; exit 1 if any was refused.

    \b
    Example:
      newscorpus studio pull --dry-run
      newscorpus studio pull && newscorpus validate
    """
    from ..studio.sync import check_gold_rule
    from ..studio.sync import pull as do_pull

    try:
        check_gold_rule(gold_rule)
    except InputError as exc:
        raise click.BadParameter(str(exc), param_hint="--gold") from None
    result = do_pull(_root(path), title=title, gold_rule=gold_rule, dry_run=dry_run, progress=_progress())
    _print_findings(result.findings)
    for line in result.summary():
        click.echo(line)
    if dry_run:
        for table, change in result.changes.items():
            for what in ("added", "updated", "removed"):
                for rid in getattr(change, what):
                    click.echo(f"  {table} {what}: {rid}")
    if any(f.severity == "error" for f in result.findings):
        sys.exit(1)
