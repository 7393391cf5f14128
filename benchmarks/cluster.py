"""The local engine against Dask distributed, side by side in one run.

The default recall (N = 200, M = 50), ``--trials`` trials, warm build folder,
run (1) by the local engine with 1 and with 2 binaries at once, (2) on a
``LocalCluster`` of 1 and of 2 worker processes. Prints trials per second,
the scheduling overhead per batch (Dask with 1 worker against the local engine
with 1 binary, over the number of batches) and the efficiency of W Dask
workers (their trials/s over the local engine's with W binaries at once: the
same number of cores simulating, the client scoring as the local engine
does), and checks that every run gives the same tables.

Usage: .venv/bin/python benchmarks/cluster.py [--trials 400] [--batch 16]
"""

import argparse
import math
import time

import pandas as pd

import hopfield_brian as hb
from hopfield_brian import cluster


def timed_run(exp, batch, **kw):
    t0 = time.perf_counter()
    res = exp.run(batch=batch, **kw)
    return time.perf_counter() - t0, res


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trials", type=int, default=400)
    ap.add_argument("--batch", type=int, default=16)
    a = ap.parse_args()
    exp = hb.Recall(trials=a.trials)
    exp.run(batch=a.batch)  # warms the build folder
    rows, tables = [], []
    for workers in (1, 2):
        wall, res = timed_run(exp, a.batch, workers=workers)
        rows.append(("local engine", workers, wall, 0.0))
        tables.append(res.trials.drop(columns="wall_s"))
    for workers in (1, 2):
        t0 = time.perf_counter()
        with cluster.connect(cluster=f"local:{workers}") as client:
            start = time.perf_counter() - t0
            timed_run(exp, a.batch, client=client)  # each worker builds (warm: loads) its simulator once
            wall, res = timed_run(exp, a.batch, client=client)
        rows.append(("Dask LocalCluster", workers, wall, start))
        tables.append(res.trials.drop(columns="wall_s"))
    for t in tables[1:]:
        pd.testing.assert_frame_equal(t, tables[0])
    batches = math.ceil(a.trials / a.batch)
    print(f"{a.trials} trials of the default recall, batch {a.batch} ({batches} batches), "
          f"measured {time.strftime('%Y-%m-%d %H:%M')}; every run gave the same trials table")
    print(f"{'engine':<20}{'workers':>8}{'wall s':>9}{'trials/s':>10}{'cluster start s':>17}")
    for name, workers, wall, start in rows:
        print(f"{name:<20}{workers:>8}{wall:>9.2f}{a.trials / wall:>10.1f}{start:>17.1f}")
    local1, local2, dask1, dask2 = (r[2] for r in rows)
    print(f"scheduling overhead per batch (Dask 1 worker - local 1 binary): {1e3 * (dask1 - local1) / batches:.1f} ms")
    for w, local, dask in ((1, local1, dask1), (2, local2, dask2)):
        print(f"efficiency at {w} Dask worker{'s' * (w > 1)}: {local / dask:.2f} of the local engine's throughput "
              f"with {w} binar{'ies' if w > 1 else 'y'} at once (the same cores simulating)")


if __name__ == "__main__":
    main()
