"""Storage protocol: memories written by plasticity, and forgotten by it.

The classical network's couplings are learned from spikes: the M patterns are
presented one after the other and the recurrent synapses follow a bounded
covariance rule (``hopfield_brian.equations.plasticity``). Each trial then
cues one stored pattern, chosen by its age (how many patterns were stored
after it), and scores recall as in ``recall``.

With a soft weight bound, new memories overwrite old ones (a palimpsest,
Parisi 1986; Amit & Fusi 1994): the protocol reports the forgetting curve,
success on a pattern against its age, for several learning rates, and the
correlation of the learned couplings with the analytic Hebbian ones.
Defaults: N = 200, M = 30 (load 0.15, beyond the unbounded network's 0.138),
weight bound 8 x 2/N, learning rates 0.5, 1, 2, 4, eleven ages, 10 trials each.

The modern network (``--model modern``) learns its keys and values by
recruiting one memory neuron per pattern; a memory's synapses change only
while it is recruited, so new patterns do not overwrite old ones and only a
passive decay makes them fade: its default curve parameter is
``forget_rate`` (0, 0.5, 1, 2 Hz), the weight correlation that of the learned
keys with the patterns.
"""

from __future__ import annotations

import sys

import numpy as np

from hopfield_brian import energy, reference, sweep
from hopfield_brian.rate_protocol import RateProtocol, storage_params
from hopfield_brian.units import Hz
from hopfield_brian import lazy

pd = lazy.module("pandas")  # imported on first use (see hopfield_brian.lazy)

AGES = (0, 1, 2, 3, 4, 5, 7, 10, 15, 20, 29)  # ages cued by default (recent ones densely)


class Storage(RateProtocol):
    """Memories learned by plasticity; forgetting curves."""

    name = "storage"
    help = "memories learned by plasticity; forgetting curves (learning rate: classical, decay: modern)"
    default_model = "classical"

    @classmethod
    def defaults(cls, model: str) -> dict:
        common = {"storage": "hebbian", "n_features": "200", "n_patterns": "30", "cue_noise": "0.1", "trials": "10"}
        return common | ({"weight_bound": "8"} if model == "classical" else {})

    def default_grid(self, config, grid):
        """Targets spread over the ages (unless swept) times the curve parameter (unless swept): learning
        rates for the classical network, forgetting rates for the modern one."""
        grid = dict(grid or {})
        if "cued_pattern" not in grid:
            grid["cued_pattern"] = sorted({config.n_patterns - 1 - a for a in AGES if a < config.n_patterns})
        if config.model == "classical" and "learning_rate" not in grid:
            grid["learning_rate"] = [0.5, 1.0, 2.0, 4.0]
        if config.model == "modern" and "forget_rate" not in grid:
            grid["forget_rate"] = [0.0 * Hz, 0.5 * Hz, 1.0 * Hz, 2.0 * Hz]
        return grid

    def tables(self, results) -> dict:
        return {"forgetting": forgetting_table(results)}

    def figures(self, results) -> dict:
        from hopfield_brian import plotting

        return {"forgetting": plotting.forgetting_figure(results.tables["forgetting"], self.config)}

    def report(self, results) -> str:
        return "\n".join([super().report(results).splitlines()[0],
                          results.tables["forgetting"].to_string(index=False, float_format=lambda v: f"{v:.3g}")])


def weight_correlation(point) -> float:
    """Correlation of the learned weights with the analytic ones (classical couplings, modern keys)."""
    if point.config.model == "modern":
        return float(np.corrcoef(point.model.keys.ravel(), point.stored.ravel())[0, 1])
    analytic = reference.hebbian_couplings(point.stored, point.kind)[0]
    off = ~np.eye(analytic.shape[0], dtype=bool)
    return float(np.corrcoef(point.model.couplings[off], analytic[off])[0, 1])


def forgetting_table(results) -> pd.DataFrame:
    """Success against age per value of the curve parameter, with the learned weights' correlation."""
    from hopfield_brian.storage import plastic_updates  # imports Brian2

    s = results.summary.copy()
    m = results.points[0].config.n_patterns
    s["age"] = m - 1 - s["cued_pattern"]
    s["weight_correlation"] = [weight_correlation(pt) for pt in results.points]
    # storage cost: every learning synapse updated every step (Loihi: 120 pJ per plastic update)
    s["plastic_updates"] = [plastic_updates(pt.config.model, pt.config.n_patterns, pt.config.n_features,
                                            storage_params(pt.config)) for pt in results.points]
    s["storage_energy_loihi_uJ"] = s["plastic_updates"] * energy.TABLES["loihi"].cost("plastic_update") * 1e-6
    curve = [c for c in sweep.parameter_columns(s.columns, results.swept) if c != "cued_pattern"]
    return s[[*curve, "age", "cued_pattern", "trials", "success_rate", "success_ci_low", "success_ci_high",
              "final_overlap_mean", "reference_success_rate", "weight_correlation", "plastic_updates",
              "storage_energy_loihi_uJ"]].sort_values([*curve, "age"], ignore_index=True)


if __name__ == "__main__":
    from hopfield_brian.cli import main as cli_main

    sys.exit(cli_main(["run", "storage", *sys.argv[1:]]))
