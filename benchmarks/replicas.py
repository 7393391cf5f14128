"""Replicas against the batch loop, side by side in one run (issue #19).

A batch of trials runs in one binary either as today's loop over one network
(each pass restores the network and runs one trial: "loop") or as K replicas
of the network in one Brian2 network, K trials per pass ("replicas K"). For
the default recall (N = 200, M = 50) and the large trial (N = M = 1000), on
cpp_standalone with one binary and with one per core, it prints: trials,
replicas, build s, ms per trial (wall time of the runs, build excluded), the
binaries' own simulation ms per trial, synaptic events per second of wall
time, success, and the ratio of the loop's ms per trial to each row's.

With ``--gpu`` (a machine with an NVIDIA GPU): cuda_standalone with replicas
(``--gpu-replicas``, and the largest K that half the GPU's memory holds,
``--max-replicas`` at most) against cpp_standalone on all cores, and the
spikes of the two devices compared trial by trial (equal, or the time of the
first spike where they split: brian2cuda's device log and cos may differ from
the CPU's in the last bit of a normal draw).

    .venv/bin/python benchmarks/replicas.py [--trials 64] [--large-trials 16] [--replicas 16] [--gpu]
"""

import argparse
import time

import numpy as np

import hopfield_brian as hb
from hopfield_brian.rate_protocol import run_values
from hopfield_brian.readout import first_split
from hopfield_brian.resources import cores, gpu_replicas
from hopfield_brian.simulator import Simulator

SIZES = {"default": (200, 50), "large": (1000, 1000)}


def recall(n: int, m: int, trials: int):
    """The default recall protocol at N = n, M = m, and its one point."""
    exp = hb.Recall(n_features=n, n_patterns=m, trials=trials)
    return exp, exp.prepare(exp.config, exp.params, exp.grid)[0]


def measure(size: str, device: str, trials: int, replicas: int | None, batch: int | None, workers: int) -> dict:
    """One configuration: build (warm or cold), then ``trials`` trials of the default recall at ``size``."""
    exp, point = recall(*SIZES[size], trials)
    c = point.config
    t0 = time.perf_counter()
    sim = Simulator(point.model, device, c.t_cue + c.t_free, c.dt, run_values(point), workers=workers, batch=batch,
                    replicas=replicas)
    build = time.perf_counter() - t0
    jobs = list(exp.jobs(point, list(range(trials)), point))
    t0 = time.perf_counter()
    try:
        spikes = [s for finished in sim.run_batches(iter(jobs), total=trials) for _, s in finished]
        wall = time.perf_counter() - t0
        rows = [exp.score(point, r, key, s, sim.fanout, 0.0) for r, ((key, _), s) in enumerate(zip(jobs, spikes))]
    finally:
        sim.close()
    mode = "loop" if sim.replicas == 1 and device == "cpp_standalone" else f"replicas {sim.replicas}"
    return {"size": size, "device": device, "mode": mode, "workers": sim.workers, "trials": trials,
            "batch": sim.batch, "build_s": build, "ms": 1e3 * wall / trials, "sim_ms": 1e3 * sim.run_seconds / trials,
            "events_per_s": sum(r["synaptic_events"] for r in rows) / wall,
            "success": np.mean([r["success"] for r in rows]), "spikes": spikes, "dt": float(c.dt)}


def split_rate(a: list, b: list, dt: float) -> str:
    """How many trials' spikes differ between two runs, and where the first differences lie (ms)."""
    splits = sorted(t for t in (first_split(x, y, dt) for x, y in zip(a, b)) if t is not None)
    return f"{len(splits)} of {len(a)} trials split" + (f" (first at {[round(t * 1e3, 1) for t in splits[:5]]} ms)"
                                                        if splits else "")


def show(rows: list) -> None:
    loop = {(r["size"], r["workers"]): r["ms"] for r in rows if r["mode"] == "loop"}
    print(f"{'size':<8}{'device':<16}{'mode':<14}{'workers':>8}{'trials':>7}{'batch':>6}{'build s':>9}{'ms/trial':>10}"
          f"{'sim ms':>8}{'events/s':>11}{'success':>9}{'loop / this':>12}")
    for r in rows:
        base = loop.get((r["size"], r["workers"])) or min((v for (s, _), v in loop.items() if s == r["size"]),
                                                         default=float("nan"))
        print(f"{r['size']:<8}{r['device']:<16}{r['mode']:<14}{r['workers']:>8}{r['trials']:>7}{r['batch']:>6}"
              f"{r['build_s']:>9.1f}{r['ms']:>10.2f}{r['sim_ms']:>8.2f}{r['events_per_s']:>11.3g}{r['success']:>9.0%}"
              f"{base / r['ms']:>12.2f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trials", type=int, default=64, help="trials of the default recall per configuration")
    ap.add_argument("--large-trials", type=int, default=16, help="trials of the large one (0: skip it)")
    ap.add_argument("--replicas", type=int, nargs="+", default=[16], help="replicas per pass on cpp_standalone")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, cores()], help="binaries at once (cpp_standalone)")
    ap.add_argument("--gpu", action="store_true", help="also cuda_standalone with replicas (needs a GPU)")
    ap.add_argument("--gpu-replicas", type=int, nargs="+", default=[256, 16],
                    help="replicas per cuda_standalone run: one value per size (default, large)")
    ap.add_argument("--max-replicas", type=int, nargs="+", default=[4096, 256],
                    help="the largest K tried, at most: one value per size (default, large)")
    a = ap.parse_args()
    sizes = {"default": a.trials, "large": a.large_trials}
    rows = []
    for size, trials in sizes.items():
        if not trials:
            continue
        for workers in a.workers:
            rows.append(measure(size, "cpp_standalone", trials, None, None, workers))
            rows.extend(measure(size, "cpp_standalone", trials, k, k, workers) for k in a.replicas)
        if a.gpu:
            k = a.gpu_replicas[list(sizes).index(size) % len(a.gpu_replicas)]
            cuda = measure(size, "cuda_standalone", max(trials, k), None, k, 1)
            cpp = measure(size, "cpp_standalone", max(trials, k), None, None, cores())
            rows += [cpp, cuda]
            print(f"{size}: cuda_standalone against cpp_standalone, "
                  f"{split_rate(cpp['spikes'], cuda['spikes'], cpp['dt'])}", flush=True)
            cap = a.max_replicas[list(sizes).index(size) % len(a.max_replicas)]
            largest = gpu_replicas(recall(*SIZES[size], 1)[1].model, cap)
            print(f"{size}: the largest K half the GPU's memory holds, at most {cap}: {largest}", flush=True)
            try:
                rows.append(measure(size, "cuda_standalone", largest, None, largest, 1))
            except Exception as exc:  # e.g. out of device memory: reported, the other rows still shown
                print(f"{size}: K = {largest} failed: {exc}", flush=True)
    show(rows)


if __name__ == "__main__":
    main()
