"""Regenerate the README's figures (``docs/*.png``) and the tables kept in ``results/`` from the
commands the README gives for them.

Each figure is one ``hopfield-brian run`` into ``results/figures/<name>/``, copied to ``docs/`` (three are
made otherwise: the classical phase diagram joins four runs' tables, ``make tradeoff`` and
``examples/fixed_point.py`` write their own); a complete run folder is reused, so rerunning
after an interruption continues where it stopped (``--fresh`` starts the chosen figures again, as
after a change of the code). Run from the repository root::

    .venv/bin/python scripts/figures.py                 # every figure (about 1.5 h on 2 cores)
    .venv/bin/python scripts/figures.py recall regimes  # some of them
    .venv/bin/python scripts/figures.py --list
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "hopfield_brian"]
RUNS = ROOT / "results" / "figures"
PHASE_FINITE_SIZE = {  # the finite-size runs joined into the classical phase diagram (README)
    "200_400_800": ["--sweep", "n_features=200,400,800", "--sweep", "load=0.07:0.21:15", "--trials", "16"],
    "1600": ["--sweep", "n_features=1600", "--sweep", "load=0.09:0.18:10", "--trials", "10"],
}
FINITE_SIZE_COMMON = ["--sweep", "rate_max=200Hz,800Hz", "--sweep", "temperature=0.01"]

# name: (arguments of `hopfield-brian`, {file of the run folder: copy in the repository})
FIGURES = {
    "recall": (["run", "recall"], {"recall.png": "docs/recall.png"}),
    "capacity_modern": (["run", "capacity"], {"capacity.png": "docs/capacity_modern.png"}),
    "capacity_classical": (["run", "capacity", "--model", "classical"],
                           {"capacity.png": "docs/capacity_classical.png"}),
    "robustness_modern": (["run", "robustness"], {"robustness.png": "docs/robustness_modern.png"}),
    "robustness_classical": (["run", "robustness", "--model", "classical"],
                             {"robustness.png": "docs/robustness_classical.png"}),
    "forgetting": (["run", "storage"], {"forgetting.png": "docs/forgetting.png"}),
    "forgetting_modern": (["run", "storage", "--model", "modern"], {"forgetting.png": "docs/forgetting_modern.png"}),
    "attention": (["run", "attention"], {"attention.png": "docs/attention.png", "queries.png": "docs/attention_queries.png",
                                         "energy_break_even.png": "docs/energy_break_even.png",
                                         "energy_break_even.csv": "docs/energy_break_even.csv"}),
    "spatiotemporal": (["run", "spatiotemporal"], {"raster.png": "docs/spatiotemporal_raster.png",
                                                   "curves.png": "docs/spatiotemporal_curves.png"}),
    "sequence": (["run", "sequence"], {"raster.png": "docs/sequence_raster.png", "curves.png": "docs/sequence_curves.png"}),
    "regimes": (["run", "regimes"], {"phase.png": "docs/regimes_phase.png", "examples.png": "docs/regimes_examples.png"}),
    "shared": (["run", "shared"], {"capacity.png": "docs/shared_capacity.png", "capacity.csv": "results/shared/capacity.csv",
                                   "curves.csv": "results/shared/curves.csv", "unshared.csv": "results/shared/unshared.csv"}),
    "phase_modern": (["run", "phase"], {"phase.png": "docs/phase_modern.png", **{
        f"{t}.csv": f"results/phase/modern/{t}.csv" for t in ("boundaries", "regimes", "separation")}}),
    "phase_classical": (["run", "phase", "--model", "classical", "--trials", "16"], {
        f"{t}.csv": f"results/phase/classical/{t}.csv" for t in ("boundary", "phase", "theory")}),
    **{f"phase_finite_size_{k}": (["run", "phase", "--model", "classical", *FINITE_SIZE_COMMON, *extra],
                                  {"boundary.csv": f"results/phase/finite_size/boundary_{k}.csv"})
       for k, extra in PHASE_FINITE_SIZE.items()},
}
SCRIPTS = {  # figures drawn by a script of the package from runs of their own
    "phase_classical_figure": "joins the classical phase runs into docs/phase_classical.png",
    "tradeoff": "make tradeoff: docs/tradeoff.png, results/tradeoff/tradeoff.csv",
    "fixed_point": "examples/fixed_point.py: docs/fixed_point.png, results/fixed_point/*.csv",
}


def run_figure(name: str, fresh: bool) -> None:
    args, copies = FIGURES[name]
    out = RUNS / name
    if fresh and out.exists():
        shutil.rmtree(out)
    subprocess.run([*CLI, *args, "--out", str(out), "--quiet"], cwd=ROOT, check=True)
    for source, target in copies.items():
        shutil.copyfile(out / source, ROOT / target)


def phase_classical_figure() -> None:
    """The classical default run's diagram, its finite-size panel joined by the finite-size runs, and the
    extrapolation to N -> infinity of the finite-size runs' boundaries."""
    import pandas as pd

    import hopfield_brian as hb
    from hopfield_brian import plotting
    from hopfield_brian.protocols import phase

    tables = ROOT / "results" / "phase"
    table = {t: pd.read_csv(tables / "classical" / f"{t}.csv") for t in ("boundary", "phase", "theory")}
    finite = [pd.read_csv(tables / "finite_size" / f"boundary_{k}.csv") for k in PHASE_FINITE_SIZE]
    boundary = pd.concat([table["boundary"], *finite], ignore_index=True)
    sizes = phase.finite_size_table(pd.concat(finite, ignore_index=True))  # one boundary per size
    sizes.to_csv(tables / "finite_size" / "finite_size.csv", index=False)
    fig = plotting.phase_classical_figure(table["phase"], boundary, table["theory"],
                                          hb.Phase(model="classical").config)
    fig.savefig(ROOT / "docs" / "phase_classical.png")


def run_script(name: str, fresh: bool) -> None:
    if name == "phase_classical_figure":
        phase_classical_figure()
    elif name == "tradeoff":
        if fresh:
            shutil.rmtree(ROOT / "results" / "tradeoff" / "runs", ignore_errors=True)
        subprocess.run(["make", "tradeoff"], cwd=ROOT, check=True)
    elif name == "fixed_point":
        if fresh:
            shutil.rmtree(ROOT / "results" / "fixed_point" / "runs", ignore_errors=True)
        subprocess.run([sys.executable, "examples/fixed_point.py"], cwd=ROOT, check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help="figures to make (default: all, in the listed order)")
    parser.add_argument("--fresh", action="store_true", help="delete the chosen figures' run folders first")
    parser.add_argument("--list", action="store_true", help="list the figures and exit")
    args = parser.parse_args(argv)
    known = [*FIGURES, *SCRIPTS]
    if args.list:
        for name in FIGURES:
            print(f"{name:26s} hopfield-brian {' '.join(FIGURES[name][0])}")
        for name, what in SCRIPTS.items():
            print(f"{name:26s} {what}")
        return 0
    unknown = [n for n in args.names if n not in known]
    if unknown:
        print(f"unknown figure(s) {', '.join(unknown)}; choose from {', '.join(known)}", file=sys.stderr)
        return 2
    for name in args.names or known:
        t0 = time.perf_counter()
        print(f"[figures] {name} ...", file=sys.stderr, flush=True)
        if name in FIGURES:
            run_figure(name, args.fresh)
        else:
            run_script(name, args.fresh)
        print(f"[figures] {name} done in {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
