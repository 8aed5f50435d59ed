"""A Dask LocalCluster on 127.0.0.1 in a process of its own, for the tests: `python tests/dask_cluster.py N`
starts N worker processes (one thread each), prints one JSON line (the scheduler address and the worker
process ids) and closes the cluster, workers included, on SIGTERM. The fixture stops it by its process id."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading


def main(workers: int) -> None:
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None)
    with Client(cluster) as client:
        pids = sorted(client.run(os.getpid).values())
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(json.dumps({"address": cluster.scheduler_address, "workers": pids}), flush=True)
    stop.wait()
    cluster.close()


if __name__ == "__main__":
    main(int(sys.argv[1]))
