"""Recall in fixed point (Loihi-style): success against weight, state and decay bits, both models.

Three sweeps per model through the engine (each one build, 10 trials per point,
the same targets and cues at every point): weight bits W (weights as signed
W-bit integers, max|w| -> 2^(W-1)-1) with float state; state bits S with float
weights; decay bits D at Loihi's W = 8, S = 24 (Davies et al. 2018, IEEE
Micro 38(1):82-99). W = 0 is the float network. Then the classical network's
capacity (the capacity protocol, N = 200, M from 4 to 60) against W and S (the
modern network's +-1 keys and values are exact at every W >= 2, its capacity
is the float one there). Writes ``results/fixed_point/fixed_point.csv``,
``results/fixed_point/capacity.csv`` and ``docs/fixed_point.png``; the run
folders go under ``--out`` and are reused when complete (about 10 minutes on
two cores from scratch).

    python examples/fixed_point.py [--out results/fixed_point/runs]
"""

import argparse
from pathlib import Path

import pandas as pd

import hopfield_brian as hb
from hopfield_brian import plotting
from hopfield_brian.sweep import write_atomic

SIZES = {"modern": dict(n_features=100, n_patterns=20), "classical": dict(n_features=200, n_patterns=10)}
SWEEPS = {  # name: (swept quantity, its values, fixed settings)
    "weight": ("weight_bits", [0, 1, 2, 3, 4, 6, 8, 12, 16], dict(weight_scale="max")),
    "state": ("state_bits", [2, 4, 6, 8, 10, 12, 16, 24], {}),
    "loihi": ("decay_bits", [2, 4, 6, 8, 12], dict(weight_scale="max", weight_bits=8, state_bits=24)),
}
CAPACITY = {"weight": ("weight_bits", [0, 3, 4, 6, 8], dict(weight_scale="max")),
            "state": ("state_bits", [8, 10, 12, 16, 24], {})}
KEEP = ["trials", "success_rate", "success_ci_low", "success_ci_high", "final_overlap_mean",
        "reference_success_rate"]


def measure(root: Path) -> pd.DataFrame:
    """One row per model, quantity and bit width (complete run folders under ``root`` are reused)."""
    rows = []
    for model, size in SIZES.items():
        for name, (quantity, bits, fixed) in SWEEPS.items():
            folder = root / f"{model}-{name}"
            if not (folder / "complete.json").is_file():
                hb.Recall(model=model, trials=10, **size, **fixed, sweep={quantity: bits}).run(out=folder)
            s = pd.read_csv(folder / "summary.csv")
            settings = {"weight_bits": 0, "state_bits": 0, "decay_bits": 0} | {
                k: v for k, v in fixed.items() if k.endswith("_bits")}
            rows.append(s.assign(model=model, quantity=quantity, bits=s[quantity], **size,
                                 **{k: v for k, v in settings.items() if k != quantity})[
                ["model", "quantity", "bits", "n_features", "n_patterns",
                 *(k for k in settings if k != quantity), *KEEP]])
    table = pd.concat(rows, ignore_index=True)
    float_rate = table[(table["quantity"] == "weight_bits") & (table["bits"] == 0)].set_index("model")["success_rate"]
    table["float_success_rate"] = table["model"].map(float_rate)
    table = table[~((table["quantity"] == "weight_bits") & (table["bits"] == 0))]  # the float column holds it
    for k in ("weight_bits", "state_bits", "decay_bits"):
        table[k] = table[k].fillna(table["bits"]).astype(int)
    return table[["model", "quantity", "bits", "weight_bits", "state_bits", "decay_bits", "n_features", "n_patterns",
                  *KEEP, "float_success_rate"]].reset_index(drop=True)


def capacity(root: Path) -> pd.DataFrame:
    """The classical network's capacity (largest M recalled in >= 90 % of trials at every M up to it)
    against weight and state bits."""
    rows = []
    for name, (quantity, bits, fixed) in CAPACITY.items():
        folder = root / f"classical-capacity-{name}"
        if not (folder / "complete.json").is_file():
            hb.Capacity(model="classical", n_features=200, cue_noise=0.08, trials=10, **fixed,
                        sweep={quantity: bits}).run(out=folder)
        c = pd.read_csv(folder / "capacity.csv")
        rows.append(c.assign(model="classical", quantity=quantity, bits=c[quantity])[
            ["model", "quantity", "bits", "n_features", "capacity_spiking", "capacity_reference", "theory"]])
    return pd.concat(rows, ignore_index=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="results/fixed_point/runs", help="folder of the run folders")
    args = parser.parse_args()
    table = measure(Path(args.out))
    Path("results/fixed_point").mkdir(parents=True, exist_ok=True)
    write_atomic(Path("results/fixed_point/fixed_point.csv"), table.to_csv(index=False, float_format="%.4g"))
    plotting.fixed_point_figure(table).savefig("docs/fixed_point.png")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    capacities = capacity(Path(args.out))
    write_atomic(Path("results/fixed_point/capacity.csv"), capacities.to_csv(index=False, float_format="%.4g"))
    print(capacities.to_string(index=False, float_format=lambda v: f"{v:.3g}"))


if __name__ == "__main__":
    main()
