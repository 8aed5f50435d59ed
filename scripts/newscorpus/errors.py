"""The exceptions the library raises. The CLI maps each to an exit code and a one-line message."""


class NewsCorpusError(Exception):
    """Base of every error the library raises on purpose. Its message is one line for a person."""

    exit_code = 2


class CorpusNotFound(NewsCorpusError):
    """No corpus root (a folder with schema/ontology.json) where one was expected: point PATH at one."""


class SchemaError(NewsCorpusError):
    """The contract in schema/ itself is broken: fix the schema before anything else."""


class InputError(NewsCorpusError):
    """The input given to a command is malformed (bad JSONL, unknown table, bad option): fix the input.
    Refused input exits 1, as README says; 2 is kept for what could not run (no corpus, unreadable storage)."""

    exit_code = 1


class SetupError(InputError):
    """What the command needs from this machine is missing (an extra not installed, a token or an account not
    set in the environment): it could not run, exit 2. Fix the set-up, not the input."""

    exit_code = 2


class StorageError(NewsCorpusError):
    """A stored table cannot be read or written (corrupt Parquet, wrong schema, locked): see the message."""


class Refused(NewsCorpusError):
    """The operation was refused because it would store invalid data; `findings` says why. Nothing changed."""

    exit_code = 1

    def __init__(self, message, findings=()):
        super().__init__(message)
        self.findings = list(findings)


class RemoteError(NewsCorpusError):
    """A remote service (Label Studio, the Hub) refused or failed: see the message."""


def first_line(exc: BaseException) -> str:
    """What a one-line error says of its cause: the first line of `exc`'s message, or its type's name if it
    has none."""
    text = str(exc)
    return text.splitlines()[0] if text.strip() else type(exc).__name__
