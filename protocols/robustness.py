"""Robustness protocol: success and final overlap against the strength of each noise type.

For every noise type of ``hopfield_brian.noise`` (cue flips, partial cue, spike
deletion, background spikes, membrane noise, weight noise, weight
quantisation, ablation, spike-time jitter) the recall trial runs at several strengths, one noise
at a time, the others at the base configuration's values (cue flips at
``cue_noise``). Trial r of every point uses the same targets and cue draws.
All points run on one build per structure (one more each for membrane noise
and jitter > 0: they add terms to the equations).

Writes ``robustness.csv`` (success rate with 95 % Wilson intervals, final
overlap, numpy reference, per noise type and strength) and ``robustness.png``
(one facet per noise type). ``--sweep NAME=...`` replaces the default
strengths of that noise type. One model per run (``--model``); run it once
per model to compare them.
"""

from __future__ import annotations

import sys

import numpy as np

from hopfield_brian import sweep
from hopfield_brian.errors import ConfigError
from hopfield_brian.rate_protocol import RateProtocol
from hopfield_brian.units import Hz, Quantity, ms
from hopfield_brian import lazy

pd = lazy.module("pandas")  # imported on first use (see hopfield_brian.lazy)

STRENGTHS = {
    "cue_noise": [0.0, 0.1, 0.2, 0.3, 0.4],
    "cue_mask": [0.0, 0.2, 0.4, 0.6, 0.8],
    "deletion": [0.0, 0.2, 0.4, 0.6, 0.8],
    "background_rate": [0.0 * Hz, 10 * Hz, 30 * Hz, 100 * Hz, 300 * Hz],
    "membrane_noise": [0.0, 0.5, 1.0, 2.0, 4.0],
    "weight_noise": [0.0, 0.5, 1.0, 2.0, 4.0],
    "weight_bits": [0, 8, 4, 2, 1],
    "ablation": [0.0, 0.1, 0.2, 0.4, 0.6],
    # up to 0.3 / rate_feature: the regular coders' displacements stay independent (equations/modern.py)
    "jitter": [0.0 * ms, 0.5 * ms, 1 * ms, 1.5 * ms, 2 * ms],
}
# the numpy reference runs from the same cue with the exact weights: only the cue's noise reaches it
REFERENCE_SEES = ("cue_noise", "cue_mask")


class Robustness(RateProtocol):
    """Success against the strength of each noise type, one noise at a time."""

    name = "robustness"
    help = "success against the strength of each noise type (cue, spikes, synapses, neurons)"

    @classmethod
    def defaults(cls, model: str) -> dict:
        return {"trials": "20"} if model == "modern" else {"n_patterns": "10", "trials": "20"}

    def default_grid(self, config, grid):
        """One point per (noise type, strength), the user's sweep replacing default strengths."""
        if isinstance(grid, list):  # already one point per noise type and strength
            return grid
        grid = dict(grid or {})
        unknown = set(grid) - set(STRENGTHS)
        if unknown:
            raise ConfigError(f"robustness sweeps noise strengths only; not {', '.join(sorted(unknown))} "
                              f"(noise types: {', '.join(STRENGTHS)})")
        return [{name: value} for name, default in STRENGTHS.items() for value in grid.get(name, default)]

    def tables(self, results) -> dict:
        return {"robustness": robustness_table(results, self.grid)}

    def figures(self, results) -> dict:
        from hopfield_brian import plotting

        return {"robustness": plotting.robustness_figure(results.tables["robustness"], self.config, REFERENCE_SEES)}

    def report(self, results) -> str:
        table = results.tables["robustness"]
        lines = [super().report(results).splitlines()[0],
                 table.to_string(index=False, float_format=lambda v: f"{v:.3g}")]
        bad = monotone_violations(table)
        lines.append("success never improves with noise beyond the 95% bands" if bad.empty else
                     f"success improves with noise beyond the 95% bands at:\n{bad.to_string(index=False)}")
        gap = cue_flip_gap(table)
        lines.append("spiking success is at least the numpy reference's at every cue-flip strength" if gap == 0 else
                     f"spiking success is below the numpy reference's by up to {gap:.2f} over cue-flip strengths")
        return "\n".join(lines)


def noise_of(point: dict) -> tuple[str, object]:
    ((name, value),) = point.items()
    return name, value


def robustness_table(results, grid: list[dict]) -> pd.DataFrame:
    """Summary rows labelled with their noise type and strength (weight_bits 0 shown as 32: full precision)."""
    summary = results.summary.copy()
    labels = [noise_of(p) for p in grid]
    summary["noise"] = [name for name, _ in labels]
    summary["strength"] = [float(sweep.plain(v)) if isinstance(v, Quantity) else  # Hz, ms
                           (32.0 if n == "weight_bits" and v == 0 else float(v)) for n, v in labels]
    ref = results.trials.groupby("point")["reference_final_overlap"].mean()
    summary["reference_final_overlap_mean"] = summary["point"].map(ref)
    keep = ["noise", "strength", "trials", "success_rate", "success_ci_low", "success_ci_high",
            "final_overlap_mean", "final_overlap_sd", "reference_success_rate", "reference_final_overlap_mean",
            "time_to_retrieval_ms_mean", "spikes_per_trial"]
    return summary[keep]


def monotone_violations(table: pd.DataFrame) -> pd.DataFrame:
    """Points where success rises with the noise beyond the confidence bands.

    Strengths are ordered from weak to strong (bits from many to few); a
    violation is a stronger noise whose success interval lies wholly above a
    weaker one's.
    """
    rows = []
    for name, g in table.groupby("noise", sort=False):
        g = g.sort_values("strength", ascending=(name != "weight_bits"))
        lows, highs = g["success_ci_low"].to_numpy(), g["success_ci_high"].to_numpy()
        for k in range(1, len(g)):
            if lows[k] > highs[:k].min():
                rows.append({"noise": name, "strength": g["strength"].iloc[k]})
    return pd.DataFrame(rows, columns=["noise", "strength"])


def cue_flip_gap(table: pd.DataFrame) -> float:
    """Largest shortfall of spiking success below the numpy reference over cue-flip strengths (0 if none)."""
    g = table[table["noise"] == "cue_noise"]
    return float(np.max(np.maximum(g["reference_success_rate"] - g["success_rate"], 0.0))) if len(g) else 0.0


if __name__ == "__main__":
    from hopfield_brian.cli import main as cli_main

    sys.exit(cli_main(["run", "robustness", *sys.argv[1:]]))
