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

Both models also get the stability-plasticity-energy trade-off (``tradeoff``
table and figure): per value of the curve parameter, acquisition (success on
the newest pattern), retention (success on the oldest cued one), the patterns
still recallable, energy per stored pattern (plastic updates at Loihi's 120 pJ,
Davies et al. 2018) and per recall (the accountant,
:mod:`hopfield_brian.accountant`, on the recall trials' spike table).
"""

from __future__ import annotations

import sys

import numpy as np

from hopfield_brian import energy, reference, sweep
from hopfield_brian.errors import ConfigError
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
        forgetting = forgetting_table(results)
        return {"forgetting": forgetting, "tradeoff": tradeoff_table(results, forgetting)}

    def figures(self, results) -> dict:
        from hopfield_brian import plotting

        return {"forgetting": plotting.forgetting_figure(results.tables["forgetting"], self.config),
                "tradeoff": plotting.tradeoff_figure(results.tables["tradeoff"])}

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


def recall_energy(results, points: list, table: str = "loihi") -> tuple[float, float]:
    """(synaptic events, energy in pJ) per recall trial of ``points``' trials, counted by the accountant
    from the run's spike table (cue and free phase, memory traffic as ``table`` prices it)."""
    from hopfield_brian import accountant

    spikes, trials = results.spike_table(), results.trials
    events = energy_pj = 0.0
    for pt in points:
        net, c = pt.model.accounting(), pt.config
        mine = trials.loc[trials["point"] == pt.index, "trial"]
        acc = accountant.account(spikes[spikes["trial"].isin(mine)], net["fanout"], neurons=net["neurons"],
                                 dt=c.dt, duration=c.t_cue + c.t_free, trials=len(mine),
                                 per_step=net["per_step"], table=table)
        rows = acc.rows
        events += len(mine) * float(rows.loc[rows["kind"] == "synaptic", "count"].sum())
        energy_pj += len(mine) * acc.total_pj()
    n = int(trials["point"].isin([pt.index for pt in points]).sum())
    return events / n, energy_pj / n


def recallable(ages: np.ndarray, success: np.ndarray, n_patterns: int) -> float:
    """Expected number of the stored patterns recalled at the end: success linearly interpolated between the
    cued ages (held flat beyond them) and summed over the ages 0 ... M - 1."""
    order = np.argsort(ages)
    return float(np.interp(np.arange(n_patterns), ages[order], success[order]).sum())


def tradeoff_table(results, forgetting: pd.DataFrame) -> pd.DataFrame:
    """Stability, plasticity and energy per value of the curve parameter(s).

    ``acquisition``: success on the newest cued pattern (age 0 by default); ``retention``: on the oldest
    cued one; ``span``: the last age of the run of cued ages, from the newest, recalled with success
    >= 0.9 (-1: none); ``recallable``: see :func:`recallable`. Storage energy: the storage run's plastic
    updates at Loihi's 120 pJ each, per stored pattern and per recallable pattern; recall energy: Loihi
    (:mod:`hopfield_brian.accountant`) per recall trial and per successful recall, over all cued ages.
    """
    curve = list(forgetting.columns[:list(forgetting.columns).index("age")])  # the curve parameter(s) lead
    plastic = energy.TABLES["loihi"].cost("plastic_update")
    m = results.points[0].config.n_patterns
    rows = []
    for value, g in forgetting.groupby(curve, sort=True) if curve else [((), forgetting)]:
        g = g.sort_values("age")
        newest, oldest = g.iloc[0], g.iloc[-1]
        ages, good = g["age"].to_numpy(), g["success_rate"].to_numpy() >= 0.9
        first_failure = len(good) if good.all() else int(np.argmin(good))
        span = int(ages[first_failure - 1]) if first_failure else -1
        key = dict(zip(curve, np.atleast_1d(value)))
        mask = np.ones(len(results.summary), dtype=bool)
        for col, v in key.items():
            column = results.summary[col]
            mask &= (np.isclose(column.to_numpy(dtype=float), float(v)) if pd.api.types.is_numeric_dtype(column)
                     else (column == v).to_numpy())
        chosen = set(results.summary.loc[mask, "point"])
        points = [pt for pt in results.points if pt.index in chosen]
        events, recall_pj = recall_energy(results, points)
        n_recall = int(g["trials"].sum())
        successes = float((g["success_rate"] * g["trials"]).sum())
        kept = recallable(g["age"].to_numpy(), g["success_rate"].to_numpy(), m)
        storage_pj = float(newest["plastic_updates"]) * plastic
        c = points[0].config
        bound = {"weight_bound": c.weight_bound} if c.model == "classical" else {}
        rows.append({"model": c.model, "parameter": curve[0] if curve else "",
                     "value": float(key[curve[0]]) if curve else float("nan"), **bound, **key, "n_patterns": m,
                     "newest_age": int(newest["age"]), "oldest_age": int(oldest["age"]),
                     "acquisition": newest["success_rate"], "acquisition_ci_low": newest["success_ci_low"],
                     "acquisition_ci_high": newest["success_ci_high"], "retention": oldest["success_rate"],
                     "retention_ci_low": oldest["success_ci_low"], "retention_ci_high": oldest["success_ci_high"],
                     "span": span, "recallable": kept, "plastic_updates": int(newest["plastic_updates"]),
                     "storage_uJ_per_stored": storage_pj / m / 1e6,
                     "storage_uJ_per_recallable": storage_pj / kept / 1e6 if kept > 0 else float("inf"),
                     "recall_trials": n_recall, "recall_synaptic_events": events,
                     "recall_uJ_per_trial": recall_pj / 1e6,
                     "recall_uJ_per_success": recall_pj * n_recall / successes / 1e6 if successes else float("inf")})
    return pd.DataFrame(rows)


def save_tradeoff(folder: str = "results/tradeoff", figure: str = "docs/tradeoff.png") -> pd.DataFrame:
    """The trade-off tables of the runs in ``folder``'s ``runs/<model>`` folders as one table
    (``folder``/tradeoff.csv) and one figure (``figure``), both written atomically; the table."""
    from pathlib import Path

    from hopfield_brian import plotting
    from hopfield_brian.results import staged_files
    from hopfield_brian.sweep import write_atomic

    runs = sorted((Path(folder) / "runs").glob("*/tradeoff.csv"))
    if not runs:
        raise ConfigError(f"no runs/<model>/tradeoff.csv under {folder} (run make tradeoff)")
    table = pd.concat([pd.read_csv(f) for f in runs], ignore_index=True)
    write_atomic(Path(folder) / "tradeoff.csv", table.to_csv(index=False, float_format="%.6g"))
    with staged_files(Path(figure).parent) as stage:
        plotting.tradeoff_figure(table).savefig(stage / Path(figure).name)
    return table


if __name__ == "__main__":
    from hopfield_brian.cli import main as cli_main

    sys.exit(cli_main(["run", "storage", *sys.argv[1:]]))
