"""Who runs the piece jobs of a partitioned check: the seam a distributed engine plugs into.

A runner has `workers` (how many jobs it runs at once, which decides how finely the pieces are shared
out) and `map(job, args)`: the results of job(*a) for every tuple a of args, in order. A job is a
top-level function of picklable arguments whose result is small (partitioned.check_piece: findings,
links between articles, projections), so a runner may send it to another process or another machine.
A StorageError raised by a job reaches the caller of map, as if the job had run in its process.

LocalRunner runs them in processes of this machine; DaskRunner on a Dask cluster (`--scheduler`). The
local processes stay the default: on this 2-core machine a Dask LocalCluster of 2 workers validates 100,000
articles in about the same time (8.41 s against 8.89 s in one bench run, within the run-to-run noise), so
it buys nothing here and would make Dask a dependency of every install.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Protocol

from ..errors import SetupError, first_line


class Runner(Protocol):
    workers: int
    description: str  # where the jobs ran, for Report.method

    def map(self, job: Callable, args: list[tuple]) -> list: ...


class _Closing:
    """A runner used in a with block lets go of what it holds (a cluster connection) at the end."""

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class LocalRunner(_Closing):
    """The jobs in `workers` processes of this machine (default: two, or one a core if fewer); a single
    worker runs them in this process, one after the other."""

    def __init__(self, workers: int | None = None):
        self.workers = max(1, workers or min(2, os.cpu_count() or 1))
        self.description = f"in {self.workers} local process(es)" if self.workers > 1 else "in this process"

    def map(self, job: Callable, args: list[tuple]) -> list:
        workers = min(self.workers, len(args))
        if workers > 1:
            with ProcessPoolExecutor(workers) as pool:
                return list(pool.map(job, *zip(*args)))
        return [job(*a) for a in args]


class DaskRunner(_Closing):
    """The jobs on a Dask cluster (dask.distributed), its scheduler at `address` (tcp://HOST:PORT), one job a
    worker thread at a time. What every job gets the same of (the contract, the work folder) is sent to the
    workers once. The workers run the same newscorpus and must see the work folder, and a local corpus, at
    the paths the client gives (a shared file system); a corpus on object storage they open themselves."""

    def __init__(self, address: str, timeout: float = 10.0):
        try:
            from distributed import Client
        except ImportError:
            raise SetupError("--scheduler needs Dask: pip install 'newscorpus[distributed]'") from None
        try:
            self.client = Client(address, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise SetupError(f"cannot reach the Dask scheduler at {address}: {first_line(exc)}") from None
        self.address = address
        workers = self.client.scheduler_info()["workers"].values()
        self.workers = sum(w.get("nthreads", 1) for w in workers)
        if not self.workers:
            self.client.close()
            raise SetupError(f"the Dask scheduler at {address} has no workers")
        self.description = f"on the Dask cluster at {address} ({len(workers)} worker(s), {self.workers} thread(s))"

    def map(self, job: Callable, args: list[tuple]) -> list:
        if not args:
            return []
        columns = [list(c) for c in zip(*args)]
        for i, col in enumerate(columns):
            first = col[0]
            if not isinstance(first, (int, float, str, tuple)) and all(v is first for v in col):
                # (in a list of one: scatter would send a list's or a dict's items one by one; under a key of its
                # own: a key by content is shared with the previous map's, which the scheduler may be letting go)
                columns[i] = [self.client.scatter([first], broadcast=True, hash=False)[0]] * len(col)
        return self.client.gather(self.submit(job, columns))

    def submit(self, job: Callable, columns: list[list]) -> list:
        """The futures of the jobs, one a row of `columns`; which worker runs which is the scheduler's choice."""
        return self.client.map(job, *columns, pure=False)

    def close(self) -> None:
        self.client.close()


def runner_for(scheduler: str | None = None, workers: int | None = None):
    """A DaskRunner if a scheduler is named (here or in DASK_SCHEDULER_ADDRESS), else a LocalRunner."""
    scheduler = scheduler or os.environ.get("DASK_SCHEDULER_ADDRESS")
    return DaskRunner(scheduler) if scheduler else LocalRunner(workers)
