"""Spatio-temporal protocol: store precise spike-time patterns in delays, cue, score the replay.

M patterns over N feature neurons and a cycle T (each neuron fires at most
once per cycle, at a pattern-specific latency, or stays silent; random, or a
user CSV ``pattern,neuron,t_ms`` through ``--set spike_patterns=FILE``) are
stored in the delay memory of :mod:`hopfield_brian.equations.delay_memory`.
Each trial picks a target, presents a cue in cycle 0 (a fraction
``cue_keep`` of its spikes, each deleted with probability ``cue_deletion``,
Gaussian jitter ``cue_jitter``), and scores the replay in the next cycle
(starting at P = T + 2 dt, see the equations' module) against the stored
pattern: completeness, median timing error, false spikes, van Rossum and
Victor-Purpura distances, and success (completeness >= 0.9, median timing
error <= 2 ms and false spikes <= 10 % of the pattern's spikes; see
:func:`hopfield_brian.spatiotemporal.trial_success`). Replayed spikes are
those after the first memory spike (the detection) and before one period
plus ``tolerance`` later; they are matched one-to-one within ``tolerance``.

Without ``--sweep`` the default run is a capacity curve (success against M at
fixed N, T, from ``CAPACITY_LOADS``) and a jitter curve (success against
``cue_jitter`` at the base M), all on ONE build: the delays of the largest
pattern set are compiled once, and a point with M patterns silences every
memory but the first M (a run-time array). Every structural change (N, T,
dt, the pattern set, time constants) is one more build; everything else
(cue, jitter, deletion, threshold, noise, load) varies through ``run_args``.

A rate-versus-timing comparison on matched content (same N, M and cue
fraction; the ``--model``'s rate-coded network run by the recall protocol)
reports spikes, synaptic events and time to retrieval per memory; switch it
off with ``--set compare_rate=false``.
Runnable as ``hopfield-brian run spatiotemporal``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np

from hopfield_brian import paradigm, sweep
from hopfield_brian import spatiotemporal as st
from hopfield_brian.config import param
from hopfield_brian.delay_model import DelayModel
from hopfield_brian.delay_protocol import (REPLAY_MEASURE, DelayProtocol, Point, cue_spikes, delay_params,
                                           replay_scores, synaptic_events)
from hopfield_brian.equations.delay_memory import DelayParams
from hopfield_brian.engine import builds_text
from hopfield_brian.errors import ConfigError
from hopfield_brian.rate_protocol import RateProtocol, check_size
from hopfield_brian.simulator import DEVICES
from hopfield_brian.units import Hz, Quantity, ms
from hopfield_brian import lazy

pd = lazy.module("pandas")  # imported on first use (see hopfield_brian.lazy)

SUCCESS_THRESHOLD = 0.9
DEFAULT_LOAD = 100  # random patterns stored when n_patterns is 0
CAPACITY_SIZES = (25, 100)  # N of the default capacity curves (one build each)
CAPACITY_LOADS = (3, 10, 30, 100, 300, 1000, 3000, 10000)
JITTERS_MS = (0.0, 0.5, 1.0, 2.0, 3.0, 5.0)
CYCLES_MS = (10, 40)  # further cycle lengths T of the N = 25 capacity curve (one build each; 20 ms above)
DELETIONS = (0.2, 0.4, 0.6, 0.8)  # cue spike deletion probabilities of the default deletion curve
KEEPS = (0.1, 0.2, 0.3, 0.75, 1.0)  # cue fractions of the default partial-cue curve (0.5: the base)
# The default curves: the swept names that make a point belong to each.
CURVES = {"capacity": {"n_patterns", "n_features", "cycle"}, "jitter": {"cue_jitter"},
          "deletion": {"cue_deletion"}, "partial": {"cue_keep"}}


@dataclass(frozen=True)
class SpatiotemporalConfig(DelayParams):
    """Everything a spatio-temporal run depends on (the delay model's parameters included)."""

    model: str = param("modern", "rate-coded model of the rate-versus-timing comparison (modern or classical)", choices=("modern", "classical"), sweepable=False)
    spike_patterns: str = param("", "CSV pattern,neuron,t_ms of the patterns to store (default: random ones)", file=True, structural=True)
    n_features: int = param(100, "feature neurons N", low=1, structural=True)
    n_patterns: int = param(0, "stored patterns M (0: 100 random ones, or all of spike_patterns)", low=0)
    cycle: Quantity = param(20 * ms, "cycle length T: latencies lie in [dt, T)", low=0 * ms, strict=True, structural=True)
    active_fraction: float = param(0.2, "fraction of feature neurons that spike in a random pattern", low=0.0, high=1.0, structural=True)
    cue_keep: float = param(0.5, "fraction of the target's spikes kept in the cue", low=0.0, high=1.0)
    cue_deletion: float = param(0.0, "probability that a kept cue spike is deleted", low=0.0, high=1.0)
    cue_jitter: Quantity = param(1 * ms, "std of Gaussian jitter on the cue spikes", low=0 * ms)
    background_rate: Quantity = param(0 * Hz, "rate of extra background spikes per feature neuron", low=0 * Hz)
    tolerance: Quantity = param(5 * ms, "a replayed spike matches a stored one within this", low=0 * ms, strict=True, structural=True)
    compare_rate: bool = param(True, "run the rate-coded comparison on matched content")
    trials: int = param(20, "trials per parameter point", low=1, sweepable=False)
    seed: int = param(0, "master seed: patterns, targets, cues and spikes", structural=True)
    dt: Quantity = param(0.1 * ms, "simulation time step", low=0 * ms, strict=True, structural=True)
    device: str = param("cpp_standalone", "'runtime', 'cpp_standalone' or 'cuda_standalone'", choices=DEVICES, structural=True, sweepable=False)
    out: str = param("", "output folder (default results/spatiotemporal/delay-<time>)", sweepable=False)

    @property
    def patterns(self) -> str:
        """The command line's ``--patterns`` loads M x N rate patterns; spike patterns come through
        ``spike_patterns`` instead, so this is always empty."""
        return ""


class Spatiotemporal(DelayProtocol):
    """Store spike-time patterns in delays, cue part of one, score the timed replay."""

    name = "spatiotemporal"
    help = "store spike-time patterns in delays, cue part of one, score the timed replay"
    config_class = SpatiotemporalConfig

    def default_grid(self, config, grid):
        """The user's grid, or the default curves: capacity against M for two N (and two more cycle
        lengths T at the smaller N), and cue jitter, cue spike deletion and partial cues at the base."""
        if grid:
            return grid
        cues = ([{"cue_jitter": j * ms} for j in JITTERS_MS] + [{"cue_deletion": p} for p in DELETIONS]
                + [{"cue_keep": k} for k in KEEPS])
        if config.spike_patterns:  # the user's patterns: the cue curves only
            return cues
        loads = [{"n_features": n, "n_patterns": m} for n in CAPACITY_SIZES for m in CAPACITY_LOADS]
        cycles = [{"n_features": CAPACITY_SIZES[0], "n_patterns": m, "cycle": t * ms}
                  for t in CYCLES_MS for m in CAPACITY_LOADS if m <= 1000]
        return loads + cycles + cues

    def validate(self, config, params=None) -> None:
        super().validate(config, params)
        check_size((config.n_patterns or DEFAULT_LOAD) * config.n_features, "n_patterns x n_features latencies")

    def models(self, points: list[Point]) -> None:
        """One model holding the largest pattern set of the group; smaller loads silence the rest."""
        c = points[0].config
        if c.spike_patterns:
            n_file = st.load_patterns(c.spike_patterns, c.n_features, cycle=float(c.cycle),
                                      dt=float(c.dt)).shape[0]
            for pt in points:
                pt.n_stored = pt.config.n_patterns or n_file
        else:
            for pt in points:
                pt.n_stored = pt.config.n_patterns or DEFAULT_LOAD
        m_build = max(pt.n_stored for pt in points)
        model = DelayModel(delay_params(c), stored_latencies(c, m_build), cycle=c.cycle, dt=c.dt)
        for pt in points:
            pt.model = model
            if pt.n_stored < m_build:
                pt.alive = (np.arange(m_build) < pt.n_stored).astype(float)

    def duration_of(self, point: Point) -> float:
        """Simulated time (s): the cue cycle, one replay cycle and the tolerance."""
        return duration(point)

    def trial_cue(self, point: Point, repeat: int):
        return trial_cue(point, repeat)

    def score_trial(self, point: Point, repeat: int, key, spikes: dict) -> dict:
        return score(point, key, spikes)

    def summarise(self, trials: pd.DataFrame, swept: list[str]) -> pd.DataFrame:
        return summarise(trials, swept)

    def is_default(self, points) -> bool:
        """Whether the grid is the default curves (not a user's sweep, whose points may fit no curve)."""
        return isinstance(self.grid, list) and all(any(set(pt.swept) <= cols for cols in CURVES.values())
                                                   for pt in points)

    def tables(self, results) -> dict:
        out = dict(curves(results, self.config)) if self.is_default(results.points) else {}
        base_index = _base_point(results.points, self.config)
        if self.config.compare_rate and base_index is not None:  # matched content: the base point's
            base = results.trials[results.trials["point"] == base_index]
            out["rate_vs_timing"] = rate_comparison(self.config, base, results.info.get("workers"))
        return out

    def figures(self, results) -> dict:
        from hopfield_brian import plotting

        base_index = _base_point(results.points, self.config)
        shown = results.points[0].index if base_index is None else base_index
        row = results.trials[results.trials["point"] == shown].iloc[0]
        figs = {"raster": plotting.spatiotemporal_raster(results.points[shown].model,
                                                         results.spike_table(trial=int(row["trial"])), row)}
        if self.is_default(results.points):
            figs["curves"] = plotting.spatiotemporal_curves({name: results.tables[name] for name in CURVES})
        else:
            figs["sweep"] = plotting.sweep_figure(results.trials, results.swept, REPLAY_MEASURE,
                                                  "delay-memory sweep")
        return figs

    def report(self, results) -> str:
        return report(results, self.config)


def stored_latencies(config, count: int) -> np.ndarray:
    """The first ``count`` patterns: from the user's file or random (nested in the seed)."""
    T, dt = float(config.cycle), float(config.dt)
    if config.spike_patterns:
        lat = st.load_patterns(config.spike_patterns, config.n_features, cycle=T, dt=dt)
        if count > lat.shape[0]:
            raise ConfigError(f"{config.spike_patterns} holds {lat.shape[0]} patterns, {count} requested")
        return lat[:count]
    return st.random_patterns(count, config.n_features, T, config.active_fraction, config.seed, dt=dt,
                              min_latency=dt)


def duration(point: Point) -> float:
    """Simulated time (s): the cue cycle, one replay cycle and the tolerance."""
    return 2 * point.model.period + float(point.config.tolerance)


def trial_cue(point: Point, repeat: int):
    """Target, cue latencies and random stream of trial ``repeat`` (the same draw at every point)."""
    rng = paradigm.trial_rng(point.config.seed, repeat)
    target = int(rng.integers(point.n_stored))
    return target, cue_spikes(point.model.keys[target], point.config, rng)


def score(point: Point, info, spikes: dict) -> dict:
    """Trials-table row: detection (winner, time), replay scores, spikes and synaptic events."""
    target, cue = info
    model, c = point.model, point.config
    P, tol = model.period, float(c.tolerance)
    fi, ft = spikes["feature"]
    mi, mt = spikes["memory"]
    first = int(np.argmin(mt)) if mt.size else None
    winner = int(mi[first]) if first is not None else -1
    detected = float(mt[first]) if first is not None else float("nan")
    start = detected if first is not None else P
    rep = replay_scores(model.keys[target], fi, ft, start, start + P + tol, P, tol)
    end = duration(point)
    row = {"target": target, "n_stored": point.n_stored, "cue_spikes": int(np.sum(~np.isnan(cue))),
           "winner": winner, "winner_correct": winner == target,
           "n_memory_spikes": int(mt.size), "time_to_detection_ms": detected * 1e3,
           **{k: (v * 1e3 if k in ("median_error", "mean_error") else v) for k, v in rep.items()}}
    row["median_error_ms"] = row.pop("median_error")
    row["mean_error_ms"] = row.pop("mean_error")
    replayed = ft[ft >= start]
    row["time_to_replay_ms"] = float(replayed.max() * 1e3) if replayed.size else float("nan")
    row["n_spikes"] = int(fi.size + mi.size)
    row["synaptic_events"] = synaptic_events(point, spikes)
    row["simulated_ms"] = end * 1e3
    return row


def summarise(trials: pd.DataFrame, swept: list[str]) -> pd.DataFrame:
    """One row per point: swept values, success rate (Wilson interval), timing error, completeness."""
    g, out = sweep.point_summary(trials, swept)
    out["n_stored"] = g["n_stored"].first()
    out["winner_correct_rate"] = g["winner_correct"].mean()
    out["completeness_mean"] = g["completeness"].mean()
    out["median_error_ms"] = g["median_error_ms"].median()
    out["false_fraction_mean"] = g["false_fraction"].mean()
    out["van_rossum_mean"] = g["van_rossum"].mean()
    out["time_to_detection_ms_mean"] = g["time_to_detection_ms"].mean()
    out["spikes_per_trial"] = g["n_spikes"].mean()
    out["synaptic_events_per_trial"] = g["synaptic_events"].mean()
    return out.reset_index()


def capacity(summary: pd.DataFrame, threshold: float = SUCCESS_THRESHOLD) -> float:
    """Largest load whose success rate reaches ``threshold`` among the loads below the first failure
    (one curve: the rows of one N and T)."""
    s = summary.sort_values("n_stored")
    ok = s["success_rate"].to_numpy() >= threshold
    if not ok.any() or not ok[0]:
        return 0.0
    return float(s["n_stored"].to_numpy()[np.argmin(ok) - 1] if not ok.all() else s["n_stored"].max())


def curves(results, base) -> dict:
    """The default curves (see ``CURVES``), each with its points' N, T, M and cue settings; the base
    point joins every cue curve."""
    summary = results.summary
    base_index = _base_point(results.points, base)
    out = {}
    for name, cols in CURVES.items():
        idx = [pt.index for pt in results.points if pt.swept and set(pt.swept) <= cols]
        if name != "capacity" and base_index is not None:
            idx.append(base_index)
        out[name] = summary[summary["point"].isin(idx)].copy()
        pts = [results.points[i] for i in out[name]["point"]]
        out[name]["n_features"] = [p.config.n_features for p in pts]
        out[name]["cycle_ms"] = [float(p.config.cycle / ms) for p in pts]
        out[name]["n_patterns"] = [p.n_stored for p in pts]
        out[name]["cue_jitter_ms"] = [float(p.config.cue_jitter / ms) for p in pts]
        out[name]["cue_deletion"] = [p.config.cue_deletion for p in pts]
        out[name]["cue_keep"] = [p.config.cue_keep for p in pts]
    return out


def rate_comparison(config: SpatiotemporalConfig, timing: pd.DataFrame, workers=None) -> pd.DataFrame:
    """Timing code versus rate code on matched content: the same N features, M memories and cue
    fraction, run by the recall protocol's ``config.model`` (spikes, synaptic events and time to
    retrieval per retrieved memory, both from cue onset).

    The modern rate model gets the beta at which the cued memory's evidence beats the other M - 1
    by a factor e^5, beta = (5 + ln M) / (N x cue fraction), so that both codes are compared where
    their references retrieve.
    """
    n_stored = int(timing["n_stored"].iloc[0])
    model = {"beta": (5 + np.log(n_stored)) / (config.n_features * config.cue_keep)} if config.model == "modern" else {}
    rc = RateProtocol(model=config.model, n_features=config.n_features, n_patterns=n_stored, cue_noise=0.0,
                      cue_mask=1.0 - config.cue_keep, trials=config.trials, seed=config.seed, device=config.device,
                      **model)
    rate = rc.run(workers=workers).trials
    rc = rc.config
    rows = []
    for system, t, ttr, success in (
            ("timing (delay memory)", timing, timing["time_to_replay_ms"], timing["success"]),
            (f"rate ({config.model})", rate, rate["time_to_retrieval_ms"] + float(rc.t_cue / ms), rate["success"])):
        rows.append({"system": system, "n_features": config.n_features, "n_patterns": n_stored,
                     "cue_fraction": config.cue_keep, "success_rate": float(np.mean(success)),
                     "spikes_per_retrieval": float(t["n_spikes"].mean()),
                     "synaptic_events_per_retrieval": float(t["synaptic_events"].mean()),
                     "time_to_retrieval_ms": float(np.nanmean(ttr))})
    rows[0]["time_to_detection_ms"] = float(timing["time_to_detection_ms"].mean())
    return pd.DataFrame(rows)


def _base_point(points, config) -> int | None:
    """The point with the base configuration (None if the grid does not hold it)."""
    keys = ("n_patterns", "n_features", "cycle", "cue_jitter", "cue_deletion", "cue_keep")
    for pt in points:
        if all(getattr(pt.config, k) == getattr(config, k) for k in keys):
            return pt.index
    return None


def report(results, config) -> str:
    t, summary = results.trials, results.summary
    tail = (f"{builds_text(results.info)} ({results.info['build_time_s']:.0f} s), "
            f"wall {results.wall_s:.1f} s")
    if len(summary) == 1:
        lines = [f"spatio-temporal recall: {len(t)} trials, success {t['success'].mean():.0%}, completeness "
                 f"{t['completeness'].mean():.2f}, median timing error {t['median_error_ms'].median():.2f} ms, "
                 + tail]
    else:  # a rate pooled over different parameters would mean nothing
        lines = [f"spatio-temporal recall: {len(summary)} points x {summary['trials'].max()} trials, success by "
                 f"point {sweep.rate_span(summary['success_rate'])}, " + tail]
    if "capacity" in results.tables:
        for (n, t), cur in results.tables["capacity"].groupby(["n_features", "cycle_ms"]):
            lines.append(f"capacity (success >= {SUCCESS_THRESHOLD:.0%}) at N = {n}, T = {t:g} ms: "
                         f"M = {capacity(cur):g} (largest tested M below the first failing one)")
    lines.append(summary.to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    if "rate_vs_timing" in results.tables:
        lines.append("rate versus timing (matched N, M, cue fraction):")
        lines.append(results.tables["rate_vs_timing"].to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    elif config.compare_rate:
        lines.append("rate versus timing: not run (the grid does not hold the base point it compares)")
    return "\n".join(lines)


if __name__ == "__main__":
    from hopfield_brian.cli import main as cli_main

    sys.exit(cli_main(["run", "spatiotemporal", *sys.argv[1:]]))
