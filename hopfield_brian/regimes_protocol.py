"""The dynamical-regimes trial of the spiking modern Hopfield network, as a protocol family.

A trial is the cued recall of :mod:`hopfield_brian.rate_protocol`, on
clustered patterns when ``clusters`` > 0, scored by its regime: over the free
phase after ``settle``, :func:`hopfield_brian.measures.summarise_run` measures
the feature and memory layers and :func:`hopfield_brian.measures.classify`
names the regime. The numpy reference's fixed point from the same cue is named
after Ramsauer et al. 2020 (arXiv 2008.02217, the three kinds of fixed
points): single-pattern retrieval, a metastable average over a subset, or the
global average. A point with ``kick_fraction`` > 0 starts on a stored pattern,
flips part of the features after the release and scores the return; the basin
is the largest kicked fraction returned from in >= 90 % of the trials.

:class:`RegimesProtocol` implements these pieces for the engine
(:mod:`hopfield_brian.engine`) with the regime, boundary and stability tables;
the regimes and phase protocols subclass it and add their grids, figures and
reports.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import measures, readout, reference, sweep
from .config import param, show
from .errors import ConfigError
from .models import ModernModel
from .rate_protocol import Point, RateProtocol, RecallConfig, trial_cue
from .units import Quantity, ms
from . import lazy

pd = lazy.module("pandas")  # imported on first use (see hopfield_brian.lazy)

REFERENCE_LABELS = ("global_average", "metastable", "retrieval")
RETURN_RATE = 0.9  # share of trials that must return for a kicked fraction to lie in the basin
MEASURES = ("rate_hz", "cv", "fano", "chi", "peak_hz", "osc_index", "n_switches", "mean_dwell_s",
            "retrieved_fraction", "max_overlap", "n_mixed", "attention_entropy")


@dataclass(frozen=True)
class RegimesConfig(RecallConfig):
    """A recall configuration plus the regime measures, the reference's fixed points and the kick."""

    clusters: int = param(4, "stored patterns form this many clusters (0: independent random patterns)", low=0)
    cluster_flip: float = param(0.1, "share of a prototype's entries flipped in each member of its cluster", low=0.0, high=0.5)
    settle: Quantity = param(50 * ms, "measures skip this part of the free phase (the release transient)")
    reference_steps: int = param(100, "updates of the numpy reference before its fixed point is named", low=1)
    single_weight: float = param(0.9, "reference: largest attention weight of a single-pattern fixed point", low=0.0, high=1.0)
    global_entropy: float = param(0.85, "reference: normalised attention entropy of a global average", low=0.0, high=1.0)
    kick_fraction: float = param(0.0, "share of features flipped by the kick (0: no kick)", low=0.0, high=1.0)
    kick_at: Quantity = param(150 * ms, "kick onset after the cue is released")
    kick_duration: Quantity = param(30 * ms, "length of the kick")


class KickedModel(ModernModel):
    """The modern network with the kick's timing among its run-time values (same build)."""

    def __init__(self, model: ModernModel, t_kick, kick_duration, kick_fraction: float):
        super().__init__(model.params, model.keys, model.values, **model.options())
        self.kick = {"t_kick": t_kick, "kick_duration": kick_duration, "kick_fraction": kick_fraction}

    def runtime_values(self) -> dict:
        return super().runtime_values() | self.kick


class RegimesProtocol(RateProtocol):
    """Regime measures, the reference's fixed points and kicks on top of cued recall (see the module's
    docstring); subclasses give their name, grid, figures and report."""

    config_class = RegimesConfig

    def validate(self, config: RegimesConfig, params) -> None:
        """Checks across the regime-specific settings (one line each)."""
        super().validate(config, params)
        if config.model != "modern":
            raise ConfigError("the regimes protocol runs the modern model: use --model modern")
        if config.settle < 0 * ms or config.settle >= config.t_free:
            raise ConfigError(f"settle must be >= 0 ms and < t_free ({show(config.t_free)}), got {show(config.settle)}")
        given = isinstance(config.patterns, np.ndarray) or bool(config.patterns)
        if config.clusters and (given or config.n_patterns % config.clusters):
            raise ConfigError(f"clusters needs random patterns (no patterns file) and n_patterns divisible by it, "
                              f"got n_patterns {config.n_patterns}, clusters {config.clusters}")
        if config.kick_fraction > 0:
            if config.kick_at < 0 * ms or not config.kick_duration > 0 * ms:
                raise ConfigError(f"kick_at must be >= 0 ms and kick_duration > 0 ms, got {show(config.kick_at)}, "
                                  f"{show(config.kick_duration)}")
            if config.kick_duration < config.dt:
                raise ConfigError(f"dt ({show(config.dt)}) must not exceed kick_duration ({show(config.kick_duration)})")
            if config.kick_at + config.kick_duration + config.readout_window > config.t_free:
                total = config.kick_at + config.kick_duration + config.readout_window
                raise ConfigError(f"kick_at + kick_duration + readout_window ({show(total)}) must not exceed "
                                  f"t_free ({show(config.t_free)})")

    def load_patterns(self, config, saved=None, index: int = 0):
        """Clustered patterns (``clusters`` > 0) instead of independent random ones."""
        if saved is None and config.clusters:
            return clustered_patterns(config.n_patterns, config.n_features, config.clusters, config.cluster_flip,
                                      config.seed), "bipolar"
        return super().load_patterns(config, saved, index)

    def prepare(self, config, params, grid, saved=None) -> list[Point]:
        """Grid points (stored as ``storage`` says), each with a model that carries its kick (none:
        kick_fraction 0)."""
        points = super().prepare(config, params, grid, saved)
        for pt in points:
            c, model = pt.config, pt.model
            kicking = c.kick_fraction > 0
            pt.model = KickedModel(model, c.t_cue + c.kick_at if kicking else 0 * ms,
                                   c.kick_duration if kicking else 0 * ms, c.kick_fraction)
        return points

    def extra_columns(self, point, target, cue, spikes, fanout, trajectory) -> dict:
        return score(point, target, cue, spikes, fanout, trajectory)

    def tables(self, results) -> dict:
        regimes = regimes_table(results)
        out = {"regimes": regimes, "boundaries": boundaries_table(results, regimes)}
        stability = stability_table(results)
        if not stability.empty:
            out["stability"] = stability
        return out


def clustered_patterns(n_patterns: int, n_features: int, clusters: int, flip: float, seed: int) -> np.ndarray:
    """``clusters`` random +-1 prototypes, each with n_patterns / clusters members that differ from it
    in a random share ``flip`` of entries (member correlation (1 - 2 flip)^2). Similar patterns make
    the metastable states of Ramsauer et al. 2020 (averages over a subset) fixed points between the
    global average (small beta) and single patterns (large beta)."""
    rng = np.random.default_rng([seed, 7])
    prototypes = rng.choice([-1.0, 1.0], size=(clusters, n_features))
    x = np.repeat(prototypes, n_patterns // clusters, axis=0)
    return x * np.where(rng.random(x.shape) < flip, -1.0, 1.0)


def thresholds(stored: np.ndarray) -> measures.RegimeThresholds:
    """Classifier thresholds for these patterns: ``mixture_overlap`` is raised above the overlaps of
    the global-average state sign(mean_mu x_mu) (0.3 by default; correlated patterns give the global
    average overlaps of 0.3 - 0.4 with every pattern, which would otherwise count as a mixture)."""
    average = np.sign(stored.mean(axis=0))
    floor = float(np.max(stored @ average) / stored.shape[1]) + 0.1
    return measures.RegimeThresholds(mixture_overlap=max(measures.DEFAULT_THRESHOLDS.mixture_overlap, floor))


# ----------------------------------------------------------------- reference

def reference_fixed_point(keys: np.ndarray, cue: np.ndarray, beta: float, steps: int = 100,
                          single_weight: float = 0.9, global_entropy: float = 0.85) -> dict:
    """Fixed-point type of the modern Hopfield update from ``cue`` (Ramsauer et al. 2020).

    ``steps`` updates xi <- X softmax(beta X^T xi) (``reference.modern_recall``),
    then the attention p = softmax(beta X^T xi) of the final state:
    'retrieval' when max p >= ``single_weight``, 'global_average' when
    H(p) / log M >= ``global_entropy``, 'metastable' otherwise.
    """
    xi = reference.modern_recall(keys, cue, beta, n_steps=steps)
    p = reference.attention_weights(keys, xi, beta)
    h = float(measures.attention_entropy(p))
    top = float(p.max())
    label = "retrieval" if top >= single_weight else "global_average" if h >= global_entropy else "metastable"
    return {"label": label, "max_weight": top, "entropy": h, "state": xi}


def reference_returns(keys: np.ndarray, target: int, fraction: float, beta: float, steps: int = 100) -> bool:
    """Whether the reference returns to pattern ``target`` (overlap >= 0.9) after the kick:
    from the pattern with its first ``fraction`` of features flipped."""
    start = keys[target].copy()
    start[: int(np.ceil(fraction * keys.shape[1] - 1e-9))] *= -1
    xi = np.sign(reference.modern_recall(keys, start, beta, n_steps=steps))
    return bool(np.mean(xi * keys[target]) >= readout.SUCCESS_OVERLAP)


# ------------------------------------------------------------------- scoring

def score(point: Point, target: int, cue: np.ndarray, spikes: dict, fanout: dict, traj) -> dict:
    """Regime measures and label of one trial (``traj``: the recall read-out's overlap trajectory),
    the reference's fixed point from the same cue, and (kick points) the return after the kick."""
    c, model = point.config, point.model
    sizes = model.neuron_counts()
    t_cue, t_end = float(c.t_cue), float(c.t_cue + c.t_free)
    beta = model.params.beta
    row = {}
    if c.kick_fraction > 0:
        kick_end = t_cue + float(c.kick_at + c.kick_duration)
        before = traj[0] <= t_cue + float(c.kick_at) + 1e-12
        row["overlap_before_kick"] = float(traj[1][before, target][-1])
        row["min_overlap_after_kick"] = float(np.min(traj[1][~before, target]))
        row["return_time_ms"] = readout.time_to_retrieval(traj[0], traj[1][:, target], kick_end)
        row["reference_returns"] = reference_returns(model.keys, target, c.kick_fraction, beta, c.reference_steps)
        return row
    th = thresholds(point.stored)
    m = measures.summarise_run(spikes, sizes, t_end, population="feature", memory="memory", trajectory=traj,
                               start=t_cue + float(c.settle), max_rate=float(model.params.rate_feature),
                               thresholds=th)
    row.update({k: m.get(k, np.nan) for k in MEASURES})
    row["rate_max_frac"] = m["rate_max_frac"]
    row["label"] = measures.classify(m, th)
    ref = reference_fixed_point(model.keys, cue, beta, c.reference_steps, c.single_weight, c.global_entropy)
    row.update({"reference_label": ref["label"], "reference_max_weight": ref["max_weight"],
                "reference_entropy": ref["entropy"]})
    return row


# -------------------------------------------------------------------- tables

def swept_controls(results) -> list[str]:
    """Swept columns of the summary that are not kick settings."""
    return [col for col in sweep.parameter_columns(results.summary.columns, results.swept)
            if not col.startswith("kick_") and col != "cue_noise"]


def regimes_table(results) -> pd.DataFrame:
    """One row per regime point: controls, majority label, label fractions, mean measures,
    reference label and fractions."""
    t = results.trials
    if "label" not in t:
        return pd.DataFrame()
    t = t[t["label"].notna()]
    controls = swept_controls(results)
    summary = results.summary.set_index("point")
    rows = []
    for point, g in t.groupby("point"):
        row = {col: summary.loc[point, col] for col in controls}
        row.update({"point": point, "trials": len(g), "label": g["label"].mode().sort_values().iloc[0],
                    "reference_label": g["reference_label"].mode().sort_values().iloc[0]})
        for lab in measures.LABELS[:-1]:
            row[f"frac_{lab}"] = float((g["label"] == lab).mean())
        for lab in REFERENCE_LABELS:
            row[f"reference_frac_{lab}"] = float((g["reference_label"] == lab).mean())
        for k in (*MEASURES, "final_overlap", "reference_max_weight", "reference_entropy"):
            row[k] = measures.finite_mean(g[k])
        rows.append(row)
    return pd.DataFrame(rows)


def crossing(beta: np.ndarray, fraction: np.ndarray, rising: bool) -> float:
    """Beta where ``fraction`` first crosses 0.5 (rising or falling), log-interpolated; NaN when it
    never does inside the grid (including when it is already past 0.5 at the smallest beta)."""
    beta, fraction = np.asarray(beta, dtype=float), np.asarray(fraction, dtype=float)
    order = np.argsort(beta)
    beta, f = beta[order], fraction[order] if rising else 1.0 - fraction[order]
    hit = np.nonzero(f >= 0.5)[0]
    if hit.size == 0 or hit[0] == 0:  # never crossed, or crossed below the grid
        return float("nan")
    k = hit[0]
    lo, hi = np.log(beta[k - 1]), np.log(beta[k])
    w = (0.5 - f[k - 1]) / (f[k] - f[k - 1])
    return float(np.exp(lo + w * (hi - lo)))


def reference_fractions(point: Point, betas: np.ndarray) -> dict:
    """Fractions of the reference labels over the point's trial cues, for each of ``betas``."""
    c = point.config
    cues = [trial_cue(point, r)[1] for r in range(c.trials)]
    out = {lab: np.zeros(len(betas)) for lab in REFERENCE_LABELS}
    for k, beta in enumerate(betas):
        for cue in cues:
            lab = reference_fixed_point(point.model.keys, cue, beta, c.reference_steps, c.single_weight,
                                        c.global_entropy)["label"]
            out[lab][k] += 1.0 / len(cues)
    return out


def boundaries_table(results, table: pd.DataFrame, n_fine: int = 60) -> pd.DataFrame:
    """Per value of the other controls: beta of the global-average -> metastable boundary (global
    fraction falls below 1/2) and of the metastable -> retrieval boundary (retrieval fraction rises
    above 1/2), spiking against the reference (on a fine beta grid from the same cues), and ratios."""
    if table.empty or "beta" not in table:
        return pd.DataFrame()
    others = [col for col in swept_controls(results) if col != "beta"]
    points = {pt.index: pt for pt in results.points}
    rows = []
    for key, g in (table.groupby(others) if others else [((), table)]):
        key = key if isinstance(key, tuple) else (key,)
        b = g["beta"].to_numpy(dtype=float)
        if np.unique(b).size < 2:
            continue
        fine = np.geomspace(b.min(), b.max(), n_fine)
        ref = reference_fractions(points[int(g["point"].iloc[0])], fine)
        row = dict(zip(others, key))
        for name, lab, rising in (("global_to_metastable", "global_average", False),
                                  ("metastable_to_retrieval", "retrieval", True)):
            spiking = crossing(b, g[f"frac_{lab}"], rising)
            refb = crossing(fine, ref[lab], rising)
            row.update({f"{name}_spiking": spiking, f"{name}_reference": refb,
                        f"{name}_ratio": spiking / refb if refb > 0 else float("nan")})
        rows.append(row)
    return pd.DataFrame(rows)


def stability_table(results) -> pd.DataFrame:
    """Per kick point: return rate, time to return and the reference's return rate; then per beta
    the basin (largest kicked fraction returned from in >= 90 % of trials), spiking and reference."""
    t = results.trials
    if "reference_returns" not in t:
        return pd.DataFrame()
    t = t[t["reference_returns"].notna()]
    summary = results.summary.set_index("point")
    beta_col = "beta"
    rows = []
    for point, g in t.groupby("point"):
        beta = float(summary.loc[point, beta_col]) if beta_col in summary else float(results.points[0].params.beta)
        rows.append({"beta": beta, "kick_fraction": float(g["kick_fraction"].iloc[0]), "trials": len(g),
                     "overlap_before_kick": g["overlap_before_kick"].mean(),
                     "min_overlap_after_kick": g["min_overlap_after_kick"].mean(),
                     "return_rate": g["success"].mean(), "return_time_ms": measures.finite_mean(g["return_time_ms"]),
                     "reference_return_rate": g["reference_returns"].astype(float).mean()})
    out = pd.DataFrame(rows).sort_values(["beta", "kick_fraction"])
    basins = []
    for beta, g in out.groupby("beta"):
        basins.append({"beta": beta, "kick_fraction": np.nan, "basin_spiking": basin(g, "return_rate"),
                       "basin_reference": basin(g, "reference_return_rate")})
    return pd.concat([out, pd.DataFrame(basins)], ignore_index=True)


def basin(g: pd.DataFrame, column: str) -> float:
    """Largest kicked fraction such that it and every smaller one return in >= 90 % of trials (0: none)."""
    best = 0.0
    for _, r in g.sort_values("kick_fraction").iterrows():
        if r[column] < RETURN_RATE:
            break
        best = float(r["kick_fraction"])
    return best
