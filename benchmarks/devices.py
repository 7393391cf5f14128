"""Default recall on several devices, side by side in one run.

Prints, per device and network size: build time, wall time per trial, the
binary's own simulation time per trial (standalone devices), synaptic events
(spikes x fan-out) per second of wall time, compilations and success rate.

    .venv/bin/python benchmarks/devices.py [--devices runtime cpp_standalone] [--trials 20] [--large]
"""

import argparse
import time

import hopfield_brian as hb


def measure(device: str, trials: int, n: int, m: int, workers: int | None) -> dict:
    t0 = time.perf_counter()
    res = hb.Recall(device=device, trials=trials, n_features=n, n_patterns=m).run(workers=workers)
    info = res.info
    wall = time.perf_counter() - t0 - info["build_time_s"]
    t = res.trials
    return {"device": device, "workers": info.get("workers", workers), "size": f"{n}x{m}", "trials": trials,
            "build_s": info["build_time_s"], "ms_per_trial": 1e3 * wall / trials,
            "sim_ms": 1e3 * info["run_seconds"] / trials, "events_per_s": t["synaptic_events"].sum() / wall,
            "compilations": info["compilations"], "success": t["success"].mean()}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--devices", nargs="+", default=["runtime", "cpp_standalone"])
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--workers", type=int, nargs="+", default=[0],
                    help="binaries run at once (0: the device's default); several values are measured in turn")
    ap.add_argument("--large", action="store_true", help="also N = 1000 features, M = 1000 memories")
    a = ap.parse_args()
    sizes = [(200, 50)] + ([(1000, 1000)] if a.large else [])
    rows = [measure(d, a.trials, n, m, w or None) for n, m in sizes for d in a.devices for w in a.workers]
    print(f"{'device':<16}{'workers':>8}{'N x M':>10}{'trials':>7}{'build s':>9}{'ms/trial':>10}{'sim ms':>8}"
          f"{'events/s':>11}{'compiles':>9}{'success':>9}")
    for r in rows:
        print(f"{r['device']:<16}{r['workers']:>8}{r['size']:>10}{r['trials']:>7}{r['build_s']:>9.1f}{r['ms_per_trial']:>10.1f}"
              f"{r['sim_ms']:>8.1f}{r['events_per_s']:>11.3g}{r['compilations']:>9}{r['success']:>9.0%}")


if __name__ == "__main__":
    main()
