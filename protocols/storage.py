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
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hopfield_brian import reference
from hopfield_brian.protocols import recall

HELP = "memories learned by plasticity; forgetting curve against learning rate"
DEFAULT_MODEL = "classical"
AGES = (0, 1, 2, 3, 4, 5, 7, 10, 15, 20, 29)  # ages cued by default (recent ones densely)


def defaults(model: str) -> dict:
    return {"storage": "hebbian", "n_features": "200", "n_patterns": "30", "cue_noise": "0.1",
            "weight_bound": "8", "trials": "10"}


def full_grid(config, grid):
    """Targets spread over the ages (unless swept) times learning rates (unless swept)."""
    grid = dict(grid or {})
    if "cued_pattern" not in grid:
        grid["cued_pattern"] = sorted({config.n_patterns - 1 - a for a in AGES if a < config.n_patterns})
    if "learning_rate" not in grid:
        grid["learning_rate"] = [0.5, 1.0, 2.0, 4.0]
    return grid


def forgetting_table(res: dict) -> pd.DataFrame:
    """Success against age per learning rate, with the learned couplings' correlation to the analytic ones."""
    s = res["summary"].copy()
    m = res["points"][0].config.n_patterns
    s["age"] = m - 1 - s["cued_pattern"]
    corr = {}
    for pt in res["points"]:
        rate = pt.config.learning_rate
        if rate not in corr:
            analytic = reference.hebbian_couplings(pt.stored, pt.kind)[0]
            off = ~np.eye(analytic.shape[0], dtype=bool)
            corr[rate] = float(np.corrcoef(pt.model.couplings[off], analytic[off])[0, 1])
    s["weight_correlation"] = s["learning_rate"].map(corr)
    return s[["learning_rate", "age", "cued_pattern", "trials", "success_rate", "success_ci_low", "success_ci_high",
              "final_overlap_mean", "reference_success_rate", "weight_correlation"]].sort_values(
        ["learning_rate", "age"], ignore_index=True)


def main(config, params=None, grid=None, workers=None, quiet=False) -> dict:
    from hopfield_brian import plotting

    res = recall.execute_with_table("storage", "forgetting", forgetting_table, plotting.forgetting_figure,
                                    config, params, grid, workers, quiet)
    if not quiet:
        print(recall.report(res).splitlines()[0])
        print(res["forgetting"].to_string(index=False, float_format=lambda v: f"{v:.3g}"))
        print(f"results in {res['out']}")
    return res
