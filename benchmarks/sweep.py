"""Sweep engine against the naive loop, and one large trial, side by side in one run.

1. The naive way, as a user would first write it: a Python loop that builds the
   default recall network in runtime mode and runs it, once per trial. Timed on
   ``--naive-trials`` trials (warm Cython cache) and scaled to ``--trials``.
2. The sweep engine on cpp_standalone for the same ``--trials``-trial sweep of the
   default recall (N = 200, M = 50), measured two ways so that each is compared
   like with like:
   - in this process, as the naive loop is (``recall.main``: build with a warm
     build folder, trials, result files and figure; brian2 already imported);
   - as a user runs it (``hopfield-brian run recall --trials 200``), cold and
     warm build folder, against the naive loop plus the start-up a naive script
     pays too (interpreter, importing brian2 and the package).
   Each also with ``--batch 1`` (one trial per binary run) to show what batching
   trials in one binary run buys.
3. A large trial (N = 1000 features, M = 1000 memories, 4e6 synapses), ``--large-trials``
   trials: build time, per-trial overhead (wall time minus the binary's own
   simulation time), synaptic events per second of simulation time, peak memory;
   batched and one trial per binary run.
4. Spike storage: bytes per spike in memory and on disk.

Usage: .venv/bin/python benchmarks/sweep.py [--trials 200] [--naive-trials 20] [--large-trials 96]
"""

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import brian2 as b2
import numpy as np
import pandas as pd

import hopfield_brian as hb
from hopfield_brian import paradigm, readout
from hopfield_brian.brian2_compat import select_device
from hopfield_brian.units import to_brian2


def naive(trials: int) -> float:
    """Seconds per trial of the build-and-run-per-trial loop (runtime device)."""
    exp = hb.Recall(device="runtime")
    config = exp.config
    point = exp.prepare(config, exp.params, exp.grid)[0]
    select_device("runtime")
    b2.defaultclock.dt = to_brian2(config.dt)
    t0 = time.perf_counter()
    for r in range(trials):
        rng = paradigm.trial_rng(config.seed, r)
        target = int(rng.integers(config.n_patterns))
        cue = paradigm.make_cue(point.stored, point.kind, target, config.cue_noise, 0.0, rng)
        built = point.model.build()
        feature, var = built.cue
        setattr(feature, var, point.model.encode_cue(cue))
        for name, value in (point.model.runtime_values() | {"t_cue": config.t_cue}).items():
            for g, v in built.tunables[name]:
                setattr(g, v, to_brian2(value))
        setattr(*built.seed, paradigm.trial_seed(config.seed, r))
        built.initialise_trial()  # the regular coders' initial phases, drawn from the seed
        built.network.run(to_brian2(config.t_cue + config.t_free), namespace=built.namespace)
        spikes = {pop: (np.asarray(m.i[:]), np.asarray(m.t_[:])) for pop, m in built.monitors.items()}
        readout.spike_table(r, spikes)
    return (time.perf_counter() - t0) / trials


def startup() -> float:
    """Seconds a fresh interpreter needs to import brian2 and the package (paid by any script)."""
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import hopfield_brian as hb; hb.Recall"], check=True)
    return time.perf_counter() - t0


def engine(trials: int, build_root: Path, out: Path, batch: int | None = None) -> dict:
    """The sweep engine as a user runs it: one command line, Python start-up included."""
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "hopfield_brian", "run", "recall", "--trials", str(trials), "--quiet",
                    "--out", str(out), *(["--batch", str(batch)] if batch else [])],
                   check=True, env={**os.environ, "HOPFIELD_BRIAN_BUILD": str(build_root)})
    wall = time.perf_counter() - t0
    config = json.loads((out / "config.json").read_text())
    return {"wall": wall, "compilations": config["compilations"], "build": config["build_time_s"],
            "spikes": pd.read_parquet(out / "spikes.parquet")}


def engine_in_process(trials: int, build_root: Path, out: Path, batch: int | None = None) -> dict:
    """The engine in this process (like the naive loop): ``Recall.run`` with a warm build folder."""
    os.environ["HOPFIELD_BRIAN_BUILD"] = str(build_root)
    t0 = time.perf_counter()
    res = hb.Recall(trials=trials).run(out=out, batch=batch)
    return {"wall": time.perf_counter() - t0, "compilations": res.info["compilations"],
            "build": res.info["build_time_s"]}


def large(build_root: Path, trials: int, batch: int | None = None) -> dict:
    os.environ["HOPFIELD_BRIAN_BUILD"] = str(build_root)
    exp = hb.Recall(n_features=1000, n_patterns=1000, trials=trials, cue_noise=0.2)
    t0 = time.perf_counter()
    res = exp.run(workers=1, batch=batch)
    wall = time.perf_counter() - t0
    t, info = res.trials, res.info
    return {"build": info["build_time_s"], "wall_per_trial": (wall - info["build_time_s"]) / trials,
            "sim_per_trial": info["run_seconds"] / trials,
            "events_per_s": t["synaptic_events"].sum() / info["run_seconds"],
            "success": t["success"].mean(), "compilations": info["compilations"]}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trials", type=int, default=200)
    ap.add_argument("--naive-trials", type=int, default=20)
    ap.add_argument("--large-trials", type=int, default=96)
    a = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="hb-bench-"))
    try:
        naive(1)  # warm the Cython cache, as the target asks
        per_naive = naive(a.naive_trials)
        start = startup()
        cold = engine(a.trials, root / "build", root / "cold")
        warm = engine(a.trials, root / "build", root / "warm")
        warm1 = engine(a.trials, root / "build1", root / "warm1-cold", batch=1)  # compiles the batch-1 build
        warm1 = engine(a.trials, root / "build1", root / "warm1", batch=1)
        inproc = engine_in_process(a.trials, root / "build", root / "inproc")
        inproc1 = engine_in_process(a.trials, root / "build1", root / "inproc1", batch=1)
        big = large(root / "large", a.large_trials)
        big1 = large(root / "large1", a.large_trials, batch=1)
        spikes = cold["spikes"]
        spikes.to_parquet(root / "s.parquet", index=False)
        mem_bytes = spikes.memory_usage(index=False, deep=True).sum() / len(spikes)
        disk_bytes = (root / "s.parquet").stat().st_size / len(spikes)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    naive_total = per_naive * a.trials
    print(f"{a.trials}-trial sweep of the default recall (N=200, M=50), {os.cpu_count()} cores:")
    print(f"  naive runtime loop   {per_naive * 1e3:8.1f} ms/trial  -> {naive_total:7.1f} s "
          f"(timed on {a.naive_trials} trials, warm Cython cache)")
    print(f"  in process (both without start-up):")
    for label, r in (("engine, batched", inproc), ("engine, --batch 1", inproc1)):
        print(f"    {label:<20} {r['wall'] / a.trials * 1e3:8.1f} ms/trial  -> {r['wall']:7.1f} s "
              f"(build {r['build']:.1f} s, {r['compilations']} compilation)  speed-up x{naive_total / r['wall']:.1f}")
    print(f"  as commands (both with start-up: a naive script pays {start:.1f} s to import brian2 and the package):")
    for label, r in (("engine, cold build", cold), ("engine, warm build", warm), ("warm, --batch 1", warm1)):
        print(f"    {label:<20} {r['wall'] / a.trials * 1e3:8.1f} ms/trial  -> {r['wall']:7.1f} s "
              f"(build {r['build']:.1f} s, {r['compilations']} compilation)  "
              f"speed-up x{(naive_total + start) / r['wall']:.1f}")
    print(f"large trial (N=1000, M=1000, 4e6 synapses, 300 ms simulated), cpp_standalone, 1 worker, "
          f"{a.large_trials} trials:")
    for label, b in (("batched", big), ("--batch 1", big1)):
        print(f"  {label:<10} build {b['build']:.1f} s; {b['wall_per_trial'] * 1e3:.0f} ms/trial of which simulation "
              f"{b['sim_per_trial'] * 1e3:.0f} ms: overhead {(b['wall_per_trial'] - b['sim_per_trial']) * 1e3:.0f} ms;"
              f" {b['events_per_s']:.3g} synaptic events/s; success {b['success']:.0%}; "
              f"{b['compilations']} compilation")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peak_child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"  peak memory: {peak:.0f} MiB (Python), {peak_child:.0f} MiB (largest child: compiler or binary)")
    print(f"spike storage: {mem_bytes:.2f} bytes/spike in memory, {disk_bytes:.2f} bytes/spike in parquet")


if __name__ == "__main__":
    main()
