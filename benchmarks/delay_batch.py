"""Batched against one-trial-per-binary runs of the delay-line spatio-temporal memory, side by side.

Default: N = 100 feature neurons, M = 2000 stored spike patterns (4e4 delayed
synapses per direction at 20 % activity), 64 trials, cpp_standalone, warm
build folders. Prints wall time and the binary's simulation time per trial.

Usage: .venv/bin/python benchmarks/delay_batch.py [--trials 64] [--patterns 2000]
"""

import argparse
import os
import shutil
import tempfile
import time

import hopfield_brian as hb
from hopfield_brian.simulator import AUTO_BATCH


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trials", type=int, default=64)
    ap.add_argument("--patterns", type=int, default=2000)
    a = ap.parse_args()
    root = tempfile.mkdtemp(prefix="hb-delay-")
    os.environ["HOPFIELD_BRIAN_BUILD"] = root
    exp = hb.Spatiotemporal(trials=a.trials, n_features=100, n_patterns=a.patterns, compare_rate=False, sweep=[{}])
    try:
        for batch in (1, None):
            exp.run(batch=batch)  # compiles this batch size's build
            t0 = time.perf_counter()
            res = exp.run(batch=batch)
            wall = time.perf_counter() - t0 - res.info["build_time_s"]
            label = "--batch 1" if batch else f"batched ({AUTO_BATCH})"
            print(f"{label:<14} {1e3 * wall / a.trials:6.1f} ms/trial wall, "
                  f"{1e3 * res.info['run_seconds'] / a.trials:5.1f} ms simulation, "
                  f"success {res.trials['success'].mean():.0%}")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
