"""Who runs the piece jobs of a partitioned check: the seam a distributed engine plugs into.

A runner has `workers` (how many jobs it runs at once, which decides how finely the pieces are shared
out) and `map(job, args)`: the results of job(*a) for every tuple a of args, in order. A job is a
top-level function of picklable arguments whose result is small (partitioned.check_piece: findings,
links between articles, projections), so a runner may send it to another process or another machine.
A StorageError raised by a job reaches the caller of map, as if the job had run in its process.

LocalRunner runs them in processes of this machine. A Dask runner, for instance, is
`client.gather(client.map(job, *zip(*args)))` with the cluster's worker count.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Protocol


class Runner(Protocol):
    workers: int

    def map(self, job: Callable, args: list[tuple]) -> list: ...


class LocalRunner:
    """The jobs in `workers` processes of this machine (default: two, or one a core if fewer); a single
    worker runs them in this process, one after the other."""

    def __init__(self, workers: int | None = None):
        self.workers = max(1, workers or min(2, os.cpu_count() or 1))

    def map(self, job: Callable, args: list[tuple]) -> list:
        workers = min(self.workers, len(args))
        if workers > 1:
            with ProcessPoolExecutor(workers) as pool:
                return list(pool.map(job, *zip(*args)))
        return [job(*a) for a in args]
