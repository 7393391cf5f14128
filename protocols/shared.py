"""Shared-memory protocol: spike-time patterns stored in one pool of detectors, capacity against theory.

M random patterns (each feature neuron spikes at most once per cycle T, a
fraction ``active_fraction`` of them at latencies on the dt grid, see
:mod:`hopfield_brian.spatiotemporal`) are stored in the binary delay contacts
of H detector neurons shared by all patterns (:mod:`hopfield_brian.equations.shared_delay`):
each pattern is assigned to ``copies`` random detectors and sets, by the
clipped Hebbian (Willshaw) rule, the contact of delay T - t_i from each of its
active features to them. A trial cues one stored pattern (``cue_keep`` of its
spikes, each deleted with ``cue_deletion``), or with ``lure`` an unstored
random one, in cycle 0, and reads the detectors:

* success: every detector of the cued pattern fires at T + dt (its spikes
  coincide); for a lure, no detector fires;
* false alarm: a detector the cued pattern is not stored in fires at any
  time of the trial (a false coincidence, at T or shifted);
* the numpy reference (:func:`hopfield_brian.shared_memory.detector_spikes`)
  is computed for every trial: ``reference_agrees`` says whether the network
  fired exactly its spikes.

Capacity is the largest M with success >= 0.9 and false-alarm rate <= 0.05
(read from monotone fits of the two rates over the loads, so that sampling
noise at one load does not decide; the raw rule, below the first failing
load, is reported too), compared with the
false-coincidence estimate of :mod:`hopfield_brian.coincidence_theory`
(derived in docs/shared_memory.md). Without ``--sweep`` the default run
measures it at three sizes (N = H = 50, 100, 200; theta = 0.7 of the cue's
kept spikes: 7, 14, 28 with the defaults) over loads
from M_max / 8 to 2 M_max of the estimate, on one build per size: the weights
are a run-time array, so a load is another array, not another compilation.
With ``compare_unshared`` the one-neuron-per-pattern delay memory
(:mod:`hopfield_brian.protocols.spatiotemporal`) runs at the same sizes, cue
and threshold as the upper reference. Runnable as ``hopfield-brian run shared``.
"""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass

import numpy as np

from hopfield_brian import coincidence_theory as theory
from hopfield_brian import paradigm, sweep
from hopfield_brian import shared_memory as sm
from hopfield_brian import spatiotemporal as st
from hopfield_brian.config import param
from hopfield_brian.delay_protocol import DelayProtocol, Point
from hopfield_brian.engine import builds_text
from hopfield_brian.equations.shared_delay import READOUT_STEPS, SharedParams
from hopfield_brian.errors import ConfigError
from hopfield_brian.rate_protocol import check_size
from hopfield_brian.shared_model import SharedDelayModel
from hopfield_brian.simulator import DEVICES, Simulator, Trial
from hopfield_brian.units import Quantity, ms
from hopfield_brian import lazy

pd = lazy.module("pandas")  # imported on first use (see hopfield_brian.lazy)

SUCCESS_MIN, FALSE_ALARM_MAX = 0.9, 0.05  # the capacity's criteria
SIZES = (50, 100, 200)  # N of the default curves, with H = N detectors
THETA_FRACTION = 0.7  # theta of the default curves: this fraction of the cue's kept spikes (7, 14, 28 by default)
# loads of the default curves, in units of the estimated capacity: steps of 4 % where the false alarms cross 0.05
LOAD_FACTORS = (1 / 8, 1 / 4, 1 / 2, *(2 ** (k / 16) for k in range(-8, 9)), 2.0)
UNSHARED_FACTORS = (1 / 8, 1 / 2, 1.0, 2.0)  # loads of the one-neuron-per-pattern reference
UNSHARED_TRIALS = 50


@dataclass(frozen=True)
class SharedConfig(SharedParams):
    """Everything a shared-memory run depends on (the detectors' threshold theta included)."""

    model: str = param("modern", "no rate model runs here: only the default, modern, is accepted", sweepable=False)
    n_features: int = param(100, "feature neurons N", low=1, structural=True)
    n_detectors: int = param(100, "detector neurons H, shared by every stored pattern", low=1, structural=True)
    n_patterns: int = param(3000, "stored patterns M", low=1)
    copies: int = param(1, "detectors each pattern is stored in (c)", low=1)
    cycle: Quantity = param(20 * ms, "cycle length T: latencies lie in [dt, T)", low=0 * ms, strict=True, structural=True)
    dt: Quantity = param(1 * ms, "time step: the latency and delay slot, and the detectors' coincidence window", low=0 * ms, strict=True, structural=True)
    active_fraction: float = param(0.2, "fraction K / N of feature neurons that spike in a pattern", low=0.0, high=1.0)
    cue_keep: float = param(1.0, "fraction of the target's spikes kept in the cue", low=0.0, high=1.0)
    cue_deletion: float = param(0.1, "probability that a kept cue spike is deleted", low=0.0, high=1.0)
    lure: bool = param(False, "cue an unstored random pattern: any detector spike is a false alarm")
    compare_unshared: bool = param(True, "also run the one-neuron-per-pattern delay memory (the upper reference)")
    trials: int = param(200, "trials per parameter point", low=1, sweepable=False)
    seed: int = param(0, "master seed: patterns, detector assignment, targets and cues")
    device: str = param("cpp_standalone", "'runtime', 'cpp_standalone' or 'cuda_standalone'", choices=DEVICES, structural=True, sweepable=False)
    out: str = param("", "output folder (default results/shared/shared-<time>)", sweepable=False)

    @property
    def patterns(self) -> str:
        """The command line's ``--patterns`` (rate patterns) does not apply: always empty."""
        return ""


def n_active(config) -> int:
    """K, the active features of a pattern."""
    return int(round(config.active_fraction * config.n_features))


def memory_of(config) -> theory.SharedMemory:
    """What the false-coincidence estimate needs of a configuration."""
    k = n_active(config)
    return theory.SharedMemory(config.n_features, k, config.n_detectors, sm.slot_count(float(config.cycle),
                               float(config.dt)), config.copies, config.theta,
                               int(round(config.cue_keep * k)), config.cue_deletion)


class Shared(DelayProtocol):
    """Store spike-time patterns in one shared pool of delay detectors; measure capacity against theory."""

    name = "shared"
    help = "store spike-time patterns in shared delay detectors; capacity against the false-coincidence estimate"
    config_class = SharedConfig
    results_label = "shared"

    def default_grid(self, config, grid):
        """The user's grid, or capacity curves at the three default sizes around their estimated capacity."""
        if grid:
            return grid
        points = []
        for n in SIZES:
            sized = dataclasses.replace(config, n_features=n, n_detectors=n)
            kept = round(config.cue_keep * n_active(sized))
            sized = dataclasses.replace(sized, theta=max(1, round(THETA_FRACTION * kept)))
            self.validate(sized)
            for m in default_loads(sized):
                points.append({"n_features": n, "n_detectors": n, "theta": sized.theta, "n_patterns": m})
        return points

    def validate(self, config, params=None) -> None:
        if config.model != "modern":
            raise ConfigError(f"--model {config.model}: the shared protocol runs the delay detectors only, no rate "
                              "model")
        super().validate(config, params)
        slots = sm.slot_count(float(config.cycle), float(config.dt))
        check_size(config.n_features * config.n_detectors * slots, "contacts (n_features x n_detectors x slots)")
        check_size(config.n_patterns * config.n_features, "n_patterns x n_features latencies")
        k = n_active(config)
        if k < 1:
            raise ConfigError(f"active_fraction {config.active_fraction:g} of {config.n_features} features rounds "
                              "to no active feature")
        if config.copies > config.n_detectors:
            raise ConfigError(f"copies ({config.copies}) exceeds n_detectors ({config.n_detectors})")
        cue = int(round(config.cue_keep * k))
        if config.theta > cue:
            raise ConfigError(f"theta ({config.theta}) exceeds the cue's {cue} spikes (cue_keep x K, K = {k}): no "
                              "stored pattern could be recalled")

    def models(self, points: list[Point]) -> None:
        """One pattern set per (seed, active fraction, copies), the largest load's; smaller loads hold its first
        M patterns (views), each point its own weights."""
        sets: dict[tuple, list[Point]] = {}
        for pt in points:
            sets.setdefault((pt.config.seed, pt.config.active_fraction, pt.config.copies), []).append(pt)
        for pts in sets.values():
            c = pts[0].config
            m_max = max(pt.config.n_patterns for pt in pts)
            latencies = st.random_patterns(m_max, c.n_features, float(c.cycle), c.active_fraction, c.seed,
                                           dt=float(c.dt), min_latency=float(c.dt))
            detectors = sm.assign_detectors(m_max, c.n_detectors, c.copies, c.seed)
            for pt in pts:
                m = pt.n_stored = pt.config.n_patterns
                pt.model = SharedDelayModel(SharedParams(theta=pt.config.theta), latencies[:m], detectors[:m],
                                            c.n_detectors, cycle=c.cycle, dt=c.dt)

    def simulator(self, base: Point, workers=None, batch=None, compile: bool = True) -> Simulator:
        c = base.config
        return Simulator(base.model, c.device, self.duration_of(base), c.dt, {"theta": c.theta},
                         workers=workers, batch=batch, compile=compile)

    def duration_of(self, point: Point) -> float:
        """Two cycles: the last input a cue can cause arrives at 2 T - 2 dt."""
        return 2 * float(point.config.cycle)

    def jobs(self, point: Point, repeats, base=None):
        arrays, values = point.model.weight_values(), {"theta": point.config.theta}
        for r in repeats:
            target, cue = self.trial_cue(point, r)
            yield (target, cue), Trial(cue, paradigm.trial_seed(point.config.seed, r), values, arrays)

    def trial_cue(self, point: Point, repeat: int):
        """``(target, cue)``: a stored pattern (or -1 and an unstored one for a lure), kept and deleted."""
        c = point.config
        rng = paradigm.trial_rng(c.seed, repeat)
        if c.lure:
            target, row = -1, st.random_patterns(1, c.n_features, float(c.cycle), c.active_fraction, rng,
                                                 dt=float(c.dt), min_latency=float(c.dt))[0]
        else:
            target = int(rng.integers(point.n_stored))
            row = point.model.latencies[target]
        return target, st.delete(st.partial_cue(row, c.cue_keep, rng), c.cue_deletion, rng)

    def score_trial(self, point: Point, repeat: int, key, spikes: dict) -> dict:
        return score(point, key, spikes)

    def summarise(self, trials: pd.DataFrame, swept: list[str]) -> pd.DataFrame:
        return summarise(trials, swept)

    def tables(self, results) -> dict:
        curves = curve_table(results)
        out = {"curves": curves}
        if "n_patterns" in results.swept:
            out["capacity"] = capacity_table(curves, results.swept)
            if self.config.compare_unshared and not self.config.lure:
                out["unshared"] = unshared_reference(results.points, out["capacity"], results.info.get("workers"))
        return out

    def figures(self, results) -> dict:
        from hopfield_brian import plotting

        if "capacity" in results.tables:
            return {"capacity": plotting.shared_capacity_figure(results.tables["curves"], results.tables["capacity"],
                                                                results.tables.get("unshared"))}
        return {"sweep": plotting.sweep_figure(results.trials, results.swept, ("false_alarm", "false-alarm rate"),
                                               "shared delay memory sweep")}

    def report(self, results) -> str:
        return report(results)


def default_loads(config) -> list[int]:
    """Loads of a default capacity curve: ``LOAD_FACTORS`` times the estimated false-alarm capacity."""
    m_max = theory.false_alarm_capacity(memory_of(config), FALSE_ALARM_MAX)
    check_size(int(max(LOAD_FACTORS) * m_max) * config.n_features, "n_patterns x n_features latencies")
    return sorted({max(1, int(round(f * m_max))) for f in LOAD_FACTORS})


def score(point: Point, key, spikes: dict) -> dict:
    """Trials-table row: success (the cued pattern's detectors fire at T + dt), false alarms (any other detector
    fires), agreement with the numpy reference, spikes and synaptic events."""
    target, cue = key
    model, c = point.model, point.config
    dt = float(c.dt)
    h, t = spikes["detector"]
    own = model.detectors[target] if target >= 0 else np.zeros(0, dtype=np.int64)
    on_time = np.abs(t - (float(c.cycle) + READOUT_STEPS * dt)) < dt / 2
    hits = np.isin(own, h[on_time])
    false = ~np.isin(h, own)
    ref_h, ref_t = sm.detector_spikes(model.contacts(), cue, c.theta, dt)
    feature_spikes = int(spikes["feature"][0].size)
    success = hits.all() if target >= 0 else not false.any()  # a lure is recalled right when nothing fires
    return {"target": target, "lure": target < 0, "n_stored": point.n_stored, "cue_spikes": int(np.sum(~np.isnan(cue))),
            "detectors_hit": int(hits.sum()), "success": bool(success), "false_alarm": bool(false.any()),
            "false_detectors": int(np.unique(h[false]).size),
            "first_false_ms": float(t[false].min() * 1e3) if false.any() else float("nan"),
            "n_detector_spikes": int(h.size),
            "reference_agrees": bool(np.array_equal(h, ref_h) and np.allclose(t, ref_t, atol=dt / 2)),
            "n_spikes": feature_spikes + int(h.size),
            "synaptic_events": feature_spikes * model.n_detectors * model.slots,
            "simulated_ms": 2 * float(c.cycle) * 1e3}


def summarise(trials: pd.DataFrame, swept: list[str]) -> pd.DataFrame:
    """One row per point: swept values, success and false-alarm rates (95 % Wilson intervals), agreement with
    the numpy reference, spikes and synaptic events."""
    g, out = sweep.point_summary(trials, swept)
    out["n_stored"] = g["n_stored"].first()
    out["false_alarm_rate"] = g["false_alarm"].mean()
    out["false_alarm_ci_low"], out["false_alarm_ci_high"] = sweep.wilson(g["false_alarm"].sum(), g.size())
    out["false_detectors_mean"] = g["false_detectors"].mean()
    out["reference_agreement"] = g["reference_agrees"].mean()
    out["spikes_per_trial"] = g["n_spikes"].mean()
    out["synaptic_events_per_trial"] = g["synaptic_events"].mean()
    return out.reset_index()


def curve_table(results) -> pd.DataFrame:
    """The summary with each point's sizes, measured and estimated set fraction, and estimated success and
    false-alarm rates (:mod:`hopfield_brian.coincidence_theory`)."""
    out = results.summary.copy()
    rows = []
    for pt in (results.points[i] for i in out["point"]):
        c, memory = pt.config, memory_of(pt.config)
        rows.append({"n_features": c.n_features, "n_detectors": c.n_detectors, "theta": c.theta,
                     "copies": c.copies, "n_active": memory.n_active, "slots": memory.slots, "lure": c.lure,
                     "cue_spikes_kept": memory.cue_spikes, "cue_deletion": c.cue_deletion,
                     "n_patterns": pt.n_stored, "set_fraction": float(pt.model.contacts().mean()),
                     "set_fraction_theory": float(theory.set_fraction(memory, pt.n_stored)),
                     "success_theory": (1.0 - theory.false_alarm_rate(memory, pt.n_stored, lure=True)) if c.lure
                     else theory.success_rate(memory),
                     "false_alarm_theory": theory.false_alarm_rate(memory, pt.n_stored, lure=c.lure)})
    extra = pd.DataFrame(rows, index=out.index)
    return pd.concat([out.drop(columns=[k for k in extra if k in out]), extra], axis=1)


def capacity_table(curves: pd.DataFrame, swept: list[str]) -> pd.DataFrame:
    """Per curve (the points that differ only in their load): the measured capacity, the largest load at which
    the monotone fits of the success rate (non-increasing in M) and of the false-alarm rate (non-decreasing)
    meet both criteria (the rates' maximum-likelihood estimates under that order, so that one noisy load near
    the limit does not decide); the first load where they fail; ``capacity_first_failure``, the largest load
    below the first whose raw rates fail; whether the capacity is reached inside the curve; the estimate."""
    keys = list(dict.fromkeys(k for k in ("n_features", "n_detectors", "theta", "copies", "lure", *swept)
                              if k in curves and k not in ("n_patterns", "n_stored")))
    rows = []
    for values, cur in curves.groupby(keys, sort=True):
        cur = cur.sort_values("n_patterns")
        loads, n = cur["n_patterns"].to_numpy(), cur["trials"].to_numpy()
        raw = ((cur["success_rate"] >= SUCCESS_MIN) & (cur["false_alarm_rate"] <= FALSE_ALARM_MAX)).to_numpy()
        fitted = ((monotone(cur["success_rate"].to_numpy(), n, increasing=False) >= SUCCESS_MIN)
                  & (monotone(cur["false_alarm_rate"].to_numpy(), n, increasing=True) <= FALSE_ALARM_MAX))
        fail, raw_fail = _first_false(fitted), _first_false(raw)
        first = cur.iloc[0]
        memory = theory.SharedMemory(int(first["n_features"]), int(first["n_active"]), int(first["n_detectors"]),
                                     int(first["slots"]), int(first["copies"]), int(first["theta"]),
                                     int(first["cue_spikes_kept"]), float(first["cue_deletion"]))
        estimate = theory.capacity(memory, SUCCESS_MIN, FALSE_ALARM_MAX)
        measured = int(loads[fail - 1]) if fail > 0 else 0
        row = dict(zip(keys, values if isinstance(values, tuple) else (values,)))
        row.update({"capacity": measured, "first_failing_load": int(loads[fail]) if fail < len(loads) else None,
                    "reached": 0 < fail < len(loads),
                    "capacity_first_failure": int(loads[raw_fail - 1]) if raw_fail > 0 else 0,
                    "capacity_theory": estimate, "ratio": measured / estimate if estimate else float("nan"),
                    "set_fraction_at_capacity": float(cur["set_fraction"].to_numpy()[fail - 1])
                    if fail > 0 else float("nan"), "largest_load": int(loads[-1])})
        rows.append(row)
    return pd.DataFrame(rows)


def _first_false(ok: np.ndarray) -> int:
    return int(np.argmin(ok)) if not ok.all() else len(ok)


def monotone(rates: np.ndarray, weights: np.ndarray, increasing: bool = True) -> np.ndarray:
    """The weighted least-squares fit of ``rates`` that is monotone in their order (pool adjacent violators,
    Ayer et al. 1955, Ann Math Stat 26:641; for binomial rates weighted by their trials, the maximum-likelihood
    estimate under that order)."""
    sign = 1.0 if increasing else -1.0
    blocks = []  # [weighted mean, weight, count]
    for r, w in zip(sign * np.asarray(rates, dtype=float), np.asarray(weights, dtype=float)):
        blocks.append([r, w, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            (r2, w2, c2), (r1, w1, c1) = blocks.pop(), blocks.pop()
            blocks.append([(r1 * w1 + r2 * w2) / (w1 + w2), w1 + w2, c1 + c2])
    return sign * np.concatenate([np.full(c, r) for r, _, c in blocks])


def unshared_reference(points: list[Point], capacity: pd.DataFrame, workers=None) -> pd.DataFrame:
    """The one-neuron-per-pattern delay memory (the spatiotemporal protocol, through the public API)
    at each curve's N, T, dt, pattern statistics, cue and threshold, at ``UNSHARED_FACTORS`` times the shared
    capacity estimate: detection (the target's memory fires first, the shared memory's criterion), false alarms
    (another memory fires) and the replay success the spatiotemporal protocol scores.

    Its memories are leaky (``tau_memory``) and read their input one step after it arrives, decayed by
    exp(-dt / tau_memory): the detection threshold (theta - 1/2) / K times that factor fires a memory on
    theta coincident spikes of its K, as theta fires a shared detector.
    """
    import hopfield_brian as hb
    from hopfield_brian.equations.delay_memory import DelayParams

    c = points[0].config
    decay = float(np.exp(-float(c.dt) / float(DelayParams().tau_memory)))
    grid = []
    for _, cur in capacity.iterrows():
        k = int(round(c.active_fraction * int(cur["n_features"])))
        for f in UNSHARED_FACTORS:
            grid.append({"n_features": int(cur["n_features"]),
                         "n_patterns": max(1, int(round(f * cur["capacity_theory"]))),
                         "detection_threshold": (int(cur["theta"]) - 0.5) / k * decay})
    grid = [dict(point) for point in dict.fromkeys(tuple(sorted(g.items())) for g in grid)]  # each point once
    run = hb.protocol("spatiotemporal", sweep=grid, cycle=c.cycle, dt=c.dt, active_fraction=c.active_fraction,
                      cue_keep=c.cue_keep, cue_deletion=c.cue_deletion, cue_jitter=0 * ms, compare_rate=False,
                      trials=UNSHARED_TRIALS, seed=c.seed, device=c.device).run(workers=workers)
    t = run.trials
    fired = t["winner"] >= 0
    t = t.assign(detected=t["winner_correct"].astype(bool),
                 false_alarm=fired & (~t["winner_correct"].astype(bool) | (t["n_memory_spikes"] > 1)))
    g = t.groupby("point")
    out = pd.DataFrame({"n_features": g["n_features"].first(), "n_patterns": g["n_stored"].first(),
                        "memory_neurons": g["n_stored"].first(), "trials": g.size(),
                        "detection_rate": g["detected"].mean(), "false_alarm_rate": g["false_alarm"].mean(),
                        "replay_success_rate": g["success"].mean()})
    out["detection_ci_low"], out["detection_ci_high"] = sweep.wilson(g["detected"].sum(), g.size())
    out["false_alarm_ci_low"], out["false_alarm_ci_high"] = sweep.wilson(g["false_alarm"].sum(), g.size())
    return out.reset_index(drop=True)


def report(results) -> str:
    summary = results.summary
    lines = [f"shared delay memory: {len(summary)} points x {summary['trials'].max()} trials, success by point "
             f"{sweep.rate_span(summary['success_rate'])}, false alarms "
             f"{sweep.rate_span(summary['false_alarm_rate'])}, "
             f"network = numpy reference in {summary['reference_agreement'].mean():.1%} of trials; "
             f"{builds_text(results.info)} ({results.info.get('build_time_s', 0):.0f} s), wall {results.wall_s:.1f} s"]
    for _, row in results.tables.get("capacity", pd.DataFrame()).iterrows():
        where = (f"M = {row['capacity']:,} (first failing load {row['first_failing_load']:,}; raw rates below the "
                 f"first failure: {row['capacity_first_failure']:,})" if row["reached"]
                 else f"not reached inside the loads tested (up to M = {row['largest_load']:,})")
        lines.append(f"capacity (success >= {SUCCESS_MIN:.0%}, false alarms <= {FALSE_ALARM_MAX:.0%}) at N = "
                     f"{row['n_features']}, H = {row['n_detectors']}, theta = {row['theta']}: {where}; estimate "
                     f"{row['capacity_theory']:,} (measured / estimate {row['ratio']:.2f})")
    table = results.tables.get("curves", summary)
    cols = list(dict.fromkeys(k for k in ("n_features", "n_detectors", "theta", *results.swept, "n_patterns",
                                          "success_rate", "false_alarm_rate", "false_alarm_theory", "set_fraction")
                              if k in table))
    lines.append(table[cols].to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    if "unshared" in results.tables:
        lines.append("one neuron per pattern (delay memory, the upper reference):")
        lines.append(results.tables["unshared"].to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    return "\n".join(lines)


if __name__ == "__main__":
    from hopfield_brian.cli import main as cli_main

    sys.exit(cli_main(["run", "shared", *sys.argv[1:]]))
