"""Capacity protocol: success rate against the number of stored patterns M.

Runs the recall trial over a grid of M (unless ``--sweep n_patterns=...``
gives one), next to the numpy reference of the same model on the same
patterns and cues. Capacity = the largest M up to which the success rate
reaches ``success_threshold`` (default 0.9) at every M tested (a pass after a
failure is sampling luck, not capacity), for the spiking network and for the
reference, for every value of the other swept parameters (e.g. beta).

Defaults: classical, N = 400, cue noise 8 % (a cue at 5 % would already
have the success overlap 0.9, so a network that did nothing would pass),
loads M/N from 0.02 to 0.3 (one build for all: M only changes the
couplings); modern, N = 64, cue noise 10 %,
M from N/4 to 16 N, beta in {0.1, 0.2, 0.4} (one build per M).
Theory lines: 0.138 N for bipolar patterns (Amit, Gutfreund & Sompolinsky
1985), N / (2 a |ln a|) for sparse ones (Tsodyks & Feigel'man 1988).
"""

from __future__ import annotations

import sys

import numpy as np

from hopfield_brian import sweep
from hopfield_brian.rate_protocol import RateProtocol
from hopfield_brian import lazy

pd = lazy.module("pandas")  # imported on first use (see hopfield_brian.lazy)

SUCCESS_THRESHOLD = 0.9
CLASSICAL_LOADS = (0.02, 0.05, 0.08, 0.1, 0.12, 0.14, 0.17, 0.2, 0.25, 0.3)
MODERN_LOADS = (0.25, 1, 4, 10, 16)


class Capacity(RateProtocol):
    """Success rate against the number of stored patterns; capacity of both models."""

    name = "capacity"
    help = "success rate against the number of stored patterns; capacity of both models"

    @classmethod
    def defaults(cls, model: str) -> dict:
        if model == "classical":
            return {"n_features": "400", "cue_noise": "0.08"}
        return {"n_features": "64", "cue_noise": "0.1"}

    def default_grid(self, config, grid):
        """Add the default M grid (and betas for the modern model) unless the user swept them."""
        grid = dict(grid or {})
        if "n_patterns" not in grid:
            loads = CLASSICAL_LOADS if config.model == "classical" else MODERN_LOADS
            grid = {"n_patterns": sorted({max(1, int(round(a * config.n_features))) for a in loads}), **grid}
        if config.model == "modern" and "beta" not in grid:
            grid["beta"] = [0.1, 0.2, 0.4]
        return grid

    def tables(self, results) -> dict:
        first = results.points[0]
        table = capacity_table(results.summary, results.swept)
        table["theory"] = theory(self.config, first.kind, float(first.stored.mean()))
        table["n_features"] = self.config.n_features
        return {"capacity": table}

    def figures(self, results) -> dict:
        from hopfield_brian import plotting

        return {"capacity": plotting.capacity_figure(results.summary, results.swept, results.tables["capacity"],
                                                     self.config)}

    def report(self, results) -> str:
        return "\n".join([super().report(results),
                          results.tables["capacity"].to_string(index=False, float_format=lambda v: f"{v:.3g}")])


def theory(config, kind: str, coding_level: float) -> float:
    """Theoretical capacity M_c of the classical network (nan for the modern one)."""
    if config.model != "classical":
        return float("nan")
    if kind == "bipolar":
        return 0.138 * config.n_features
    return config.n_features / (2 * coding_level * abs(np.log(coding_level)))


def capacity_table(summary: pd.DataFrame, swept: list[str], threshold: float = SUCCESS_THRESHOLD) -> pd.DataFrame:
    """Largest M up to which success >= threshold at every M (0 if the smallest fails), spiking and
    reference, per value of the other swept parameters."""
    others = [c for c in sweep.parameter_columns(summary.columns, swept) if c != "n_patterns"]
    rows = []
    for key, g in (summary.groupby(others) if others else [((), summary)]):
        key = key if isinstance(key, tuple) else (key,)
        row = dict(zip(others, key))
        g = g.sort_values("n_patterns")
        for label, col in (("spiking", "success_rate"), ("reference", "reference_success_rate")):
            passed = np.logical_and.accumulate(g[col].to_numpy() >= threshold)  # up to the first failure
            row[f"capacity_{label}"] = int(g["n_patterns"].to_numpy()[passed].max()) if passed.any() else 0
        row["ratio_spiking_to_reference"] = (row["capacity_spiking"] / row["capacity_reference"]
                                             if row["capacity_reference"] else float("nan"))
        rows.append(row)
    return pd.DataFrame(rows)


if __name__ == "__main__":
    from hopfield_brian.cli import main as cli_main

    sys.exit(cli_main(["run", "capacity", *sys.argv[1:]]))
