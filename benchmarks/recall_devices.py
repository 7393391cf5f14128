"""Default recall on runtime and cpp_standalone, side by side in one run.

Prints build time, per-trial wall time, synaptic events per second (spikes x
fan-out, delivered) and the number of compilations. Usage:

    .venv/bin/python benchmarks/recall_devices.py [--trials-cpp 100] [--trials-runtime 10]
"""

import argparse
import time

from hopfield_brian import paradigm
from hopfield_brian.protocols.recall import RecallConfig, run_trials


def measure(device: str, trials: int) -> dict:
    t0 = time.perf_counter()
    res = run_trials(RecallConfig(device=device, trials=trials), paradigm.model_params("modern"))
    total = time.perf_counter() - t0
    t = res["trials"]
    return {"device": device, "trials": trials, "build_s": res["build_time_s"],
            "per_trial_ms": 1e3 * t["wall_s"].mean(), "events_per_s": t["synaptic_events"].sum() / t["wall_s"].sum(),
            "compilations": res["compilations"], "total_s": total, "success": t["success"].mean()}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trials-cpp", type=int, default=100)
    ap.add_argument("--trials-runtime", type=int, default=10)
    a = ap.parse_args()
    rows = [measure("runtime", a.trials_runtime), measure("cpp_standalone", a.trials_cpp)]
    print(f"{'device':<16}{'trials':>7}{'build s':>9}{'ms/trial':>10}{'events/s':>11}{'compiles':>9}{'success':>9}")
    for r in rows:
        print(f"{r['device']:<16}{r['trials']:>7}{r['build_s']:>9.1f}{r['per_trial_ms']:>10.1f}"
              f"{r['events_per_s']:>11.3g}{r['compilations']:>9}{r['success']:>9.0%}")
    rt, cpp = rows
    print(f"cpp_standalone / runtime: {rt['per_trial_ms'] / cpp['per_trial_ms']:.1f}x faster per trial, "
          f"{cpp['events_per_s'] / rt['events_per_s']:.1f}x the event rate")


if __name__ == "__main__":
    main()
