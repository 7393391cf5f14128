"""What a user pays per command: fixed cost, marginal cost per trial, and the naive loop, in one run.

All timings are whole processes (``hopfield-brian ...``), warm build folder,
each the median of ``--repeats`` runs:

1. ``--help`` and a bad-input error (exit 2);
2. ``run recall --trials 1`` with and without figures: the fixed cost;
3. ``run recall --trials K`` (default 200) with and without figures; the
   marginal cost per trial is (t(K) - t(1)) / (K - 1);
4. the naive loop (benchmarks/sweep.py: build and run the default recall in
   runtime mode once per trial) as a whole process: start-up plus
   ``--naive-trials`` trials, scaled to K; the ratio to the K-trial command.

Each row also gives the process's CPU time (user + system, its children
included): on a busy machine the wall time grows with the load, the CPU time
much less, so the two together tell the command's own cost.

Usage: .venv/bin/python benchmarks/command.py [--trials 200] [--naive-trials 20] [--repeats 3]
"""

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent
CLI = [sys.executable, "-m", "hopfield_brian"]


def _cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def timed(args: list[str], expect: int = 0, env=None) -> tuple[float, float]:
    """(wall, CPU) seconds of one whole process."""
    t0, c0 = time.perf_counter(), _cpu()
    done = subprocess.run(args, capture_output=True, text=True, env=env)
    seconds, cpu = time.perf_counter() - t0, _cpu() - c0
    if done.returncode != expect:
        raise SystemExit(f"{' '.join(args)} exited {done.returncode}: {done.stderr[-500:]}")
    return seconds, cpu


def median(repeats: int, make_args, **kw) -> tuple[float, float]:
    runs = [timed(make_args(k), **kw) for k in range(repeats)]
    return statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trials", type=int, default=200)
    ap.add_argument("--naive-trials", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    out = Path(tempfile.mkdtemp(prefix="hb-command-"))
    run = [*CLI, "run", "recall", "--quiet"]

    def runs(trials: int, *extra):
        return lambda k: [*run, "--trials", str(trials), "--out", str(out / f"t{trials}{''.join(extra)}-{k}"), *extra]

    timed(runs(1)(-1))  # warms the build folder (and the file caches)
    rows = {
        "--help": median(a.repeats, lambda k: [*CLI, "--help"]),
        "bad input (exit 2)": median(a.repeats, lambda k: [*run, "--set", "beta=-1"], expect=2),
        "run recall --trials 1": median(a.repeats, runs(1)),
        "run recall --trials 1 --no-figures": median(a.repeats, runs(1, "--no-figures")),
        f"run recall --trials {a.trials}": median(a.repeats, runs(a.trials)),
        f"run recall --trials {a.trials} --no-figures": median(a.repeats, runs(a.trials, "--no-figures")),
    }
    env = {**os.environ, "PYTHONPATH": str(HERE)}
    naive_code = ("import time; t0 = time.perf_counter(); import sweep; "
                  f"per = sweep.naive({a.naive_trials}); print(time.perf_counter() - t0 - per * {a.naive_trials}, per)")
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", naive_code], capture_output=True, text=True, env=env, check=True)
    start, per_trial = map(float, done.stdout.split())
    naive_total = start + per_trial * a.trials
    print(f"measured {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, medians of {a.repeats} runs "
          f"(naive: one process, {a.naive_trials} trials in {time.perf_counter() - t0:.1f} s, scaled)")
    print(f"{'':<48} {'wall':>9} {'CPU':>9}")
    for name, (seconds, cpu) in rows.items():
        print(f"{name:<48} {seconds:7.2f} s {cpu:7.2f} s")
    for figures in ("", " --no-figures"):
        one, many = rows[f"run recall --trials 1{figures}"][0], rows[f"run recall --trials {a.trials}{figures}"][0]
        print(f"marginal cost per trial{figures:<25} {1e3 * (many - one) / (a.trials - 1):7.1f} ms")
    print(f"naive loop, {a.trials} trials as one process           {naive_total:7.1f} s "
          f"(start-up {start:.1f} s + {1e3 * per_trial:.0f} ms / trial)")
    for figures in ("", " --no-figures"):
        print(f"naive / command{figures:<33} x{naive_total / rows[f'run recall --trials {a.trials}{figures}'][0]:6.1f}")


if __name__ == "__main__":
    main()
