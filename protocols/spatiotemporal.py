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

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import brian2 as b2
import numpy as np
import pandas as pd
from brian2 import Hz, Quantity, ms

from hopfield_brian import paradigm, results, sweep
from hopfield_brian import spatiotemporal as st
from hopfield_brian.config import describe, qty, show
from hopfield_brian.delay_model import DelayModel
from hopfield_brian.equations.delay_memory import DelayParams
from hopfield_brian.errors import ConfigError
from hopfield_brian.simulator import DEVICES, Simulator, Trial

HELP = "store spike-time patterns in delays, cue part of one, score the timed replay"
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
REPLAY_MEASURE = ("completeness", "completeness of the replay")  # per-trial measure of a --sweep's figure
DISTANCE_TAU = 5 * ms  # van Rossum time constant
VP_Q = 1 / ms  # Victor-Purpura cost per second of shift (1 per ms)

# Fields that change the compiled network (everything else varies at run time).
STRUCTURAL = ("n_features", "cycle", "active_fraction", "spike_patterns", "seed", "dt", "device",
              "tau_memory", "tau_feature", "tau_inhibition", "eta_inhibition", "value_weight",
              "memory_refractory", "feature_refractory", "tolerance")


# The rate models' parameters (--set beta=...) are not used (the rate comparison runs the defaults): refused.
MODEL_PARAMETERS = False


def defaults(model: str) -> dict:
    return {}


@dataclass(frozen=True)
class SpatiotemporalConfig(DelayParams):
    """Everything a spatio-temporal run depends on (the delay model's parameters included)."""

    model: str = "modern"  # rate-coded model of the rate-versus-timing comparison (modern or classical)
    spike_patterns: str = ""  # CSV pattern,neuron,t_ms of the patterns to store (default: random ones)
    n_features: int = 100  # feature neurons N
    n_patterns: int = 0  # stored patterns M (0: 100 random ones, or all of spike_patterns)
    cycle: Quantity = qty(20 * ms)  # cycle length T: latencies lie in [dt, T)
    active_fraction: float = 0.2  # fraction of feature neurons that spike in a random pattern
    cue_keep: float = 0.5  # fraction of the target's spikes kept in the cue
    cue_deletion: float = 0.0  # probability that a kept cue spike is deleted
    cue_jitter: Quantity = qty(1 * ms)  # std of Gaussian jitter on the cue spikes
    background_rate: Quantity = qty(0 * Hz)  # rate of extra background spikes per feature neuron
    tolerance: Quantity = qty(5 * ms)  # a replayed spike matches a stored one within this
    compare_rate: bool = True  # run the rate-coded comparison on matched content
    trials: int = 20  # trials per parameter point
    seed: int = 0  # master seed: patterns, targets, cues and spikes
    dt: Quantity = qty(0.1 * ms)  # simulation time step
    device: str = "cpp_standalone"  # 'runtime', 'cpp_standalone' or 'cuda_standalone'
    out: str = ""  # output folder (default results/spatiotemporal/delay-<time>)

    @property
    def patterns(self) -> str:
        """The command line's ``--patterns`` loads M x N rate patterns; spike patterns come through
        ``spike_patterns`` instead, so this is always empty."""
        return ""


CONFIG = SpatiotemporalConfig


def delay_params(config) -> DelayParams:
    """The model's parameters out of a protocol configuration."""
    return DelayParams(**{f.name: getattr(config, f.name) for f in dataclasses.fields(DelayParams)})


@dataclass
class Point:
    """One point of the grid: its configuration and the build (model) that serves it."""

    index: int
    swept: dict
    config: object
    model: DelayModel | None = None
    n_stored: int = 0  # memories taking part (the first n_stored of the build)
    alive: np.ndarray | None = None  # per-memory 0/1 mask when not all of the build's memories take part

    def structure(self) -> tuple:
        return tuple(repr(getattr(self.config, k)) for k in STRUCTURAL if hasattr(self.config, k))


def full_grid(config, grid):
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


def validate_common(config) -> None:
    """Checks shared by the delay-memory protocols, before anything is built or written."""
    if config.device not in DEVICES:
        raise ConfigError(f"unknown device {config.device!r}; choose from {', '.join(DEVICES)}")
    if config.model not in ("modern", "classical"):
        raise ConfigError(f"unknown model {config.model!r} for the rate comparison; choose modern or classical")
    if config.n_features < 1 or config.trials < 1:
        raise ConfigError("n_features and trials must be >= 1")
    for name in ("cycle", "dt", "tolerance"):
        if not float(getattr(config, name)) > 0:
            raise ConfigError(f"{name} must be positive, got {show(getattr(config, name))}")
    if float(config.dt) > float(config.cycle) / 2:
        raise ConfigError(f"dt ({show(config.dt)}) must be below half the cycle ({show(config.cycle)})")
    if float(config.cue_jitter) < 0 or float(config.background_rate) < 0:
        raise ConfigError("cue_jitter and background_rate must be >= 0")
    for name in ("cue_keep", "cue_deletion"):
        if not 0.0 <= getattr(config, name) <= 1.0:
            raise ConfigError(f"{name} must lie in [0, 1], got {getattr(config, name)}")
    if not 0.0 < config.active_fraction <= 1.0:
        raise ConfigError(f"active_fraction must lie in (0, 1], got {config.active_fraction}")


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


def _points(config, grid) -> list[Point]:
    points = []
    names = {f.name for f in dataclasses.fields(config)}
    for index, swept in enumerate(grid if isinstance(grid, list) else sweep.grid(grid or {})):
        unknown = set(swept) - names
        if unknown:
            raise ConfigError(f"unknown parameter(s) {', '.join(sorted(unknown))}")
        points.append(Point(index, swept, dataclasses.replace(config, **swept)))
    return points


def prepare(config: SpatiotemporalConfig, grid=None) -> list[Point]:
    """Validated points, grouped so that one model (build) holds the largest pattern set of its group."""
    points = _points(config, grid)
    for pt in points:
        c = pt.config
        validate_common(c)
        if c.n_patterns < 0:
            raise ConfigError(f"n_patterns must be >= 1 (or 0 for the default), got {c.n_patterns}")
    groups: dict[tuple, list[Point]] = {}
    for pt in points:
        groups.setdefault(pt.structure(), []).append(pt)
    for pts in groups.values():
        c = pts[0].config
        if c.spike_patterns:
            n_file = st.load_patterns(c.spike_patterns, c.n_features, cycle=float(c.cycle),
                                      dt=float(c.dt)).shape[0]
            for pt in pts:
                pt.n_stored = pt.config.n_patterns or n_file
        else:
            for pt in pts:
                pt.n_stored = pt.config.n_patterns or DEFAULT_LOAD
        m_build = max(pt.n_stored for pt in pts)
        model = DelayModel(delay_params(c), stored_latencies(c, m_build), cycle=c.cycle, dt=c.dt)
        for pt in pts:
            pt.model = model
            if pt.n_stored < m_build:
                pt.alive = (np.arange(m_build) < pt.n_stored).astype(float)
    return points


# --- the engine: one build per structure, trials through run_args, resumable store ---

def duration(point: Point) -> float:
    """Simulated time (s): the cue cycle, one replay cycle and the tolerance."""
    return 2 * point.model.period + float(point.config.tolerance)


def trial_cue(point: Point, repeat: int):
    """Target, cue latencies and random stream of trial ``repeat`` (the same draw at every point)."""
    c, model = point.config, point.model
    rng = paradigm.trial_rng(c.seed, repeat)
    target = int(rng.integers(point.n_stored))
    cue = st.partial_cue(model.keys[target], c.cue_keep, rng)
    cue = st.delete(cue, c.cue_deletion, rng)
    cue = st.jitter(cue, float(c.cue_jitter), rng, float(c.cycle), float(c.dt))
    return target, cue


def run_values(point: Point) -> dict:
    return {"detection_threshold": point.config.detection_threshold, "background_rate": point.config.background_rate}


def run_points(points: list, store, *, jobs, score, duration_of, workers=None, progress=False) -> dict:
    """Run every unfinished trial, one build per model; ``jobs(point, repeats)`` yields
    ``(info, Trial)``; ``score(point, repeat, info, spikes, fanout)`` returns a trials-table row."""
    groups: dict[int, list] = {}
    for pt in points:
        groups.setdefault(id(pt.model), []).append(pt)

    def simulator(base):
        c = base.config
        return Simulator(base.model, c.device, duration_of(base) * b2.second, c.dt, run_values(base), workers=workers)

    def scored(pt, r, info, spikes, sim, wall):
        row = score(pt, r, info, spikes, sim.built.fanout)
        row.update({"trial": sweep.trial_number(pt, r), "point": pt.index, "repeat": r, "wall_s": wall})
        row.update({k: v for k, v in parameter_columns(pt.config).items() if k not in row})
        return row, spikes

    return sweep.run_grouped(list(groups.values()), store, simulator, lambda pt, repeats, base: jobs(pt, repeats),
                             scored, progress)


def build_structures(points: list, duration_of) -> list:
    """Generate and compile the build of every distinct model, run nothing: ``(folder, seconds)`` each."""
    built, seen = [], set()
    for pt in points:
        if id(pt.model) in seen:
            continue
        seen.add(id(pt.model))
        c = pt.config
        sim = Simulator(pt.model, c.device, duration_of(pt) * b2.second, c.dt, run_values(pt))
        sim.close()
        built.append((sim.build_dir, sim.build_time))
    return built


def build_only(config, params=None, grid=None) -> list:
    """``--build-only``: compile every structure of the run, write no results."""
    return build_structures(prepare(config, grid), duration)


def parameter_columns(config) -> dict:
    """Every parameter of a point as flat columns (units in the names)."""
    cols = {}
    for name, v in describe(config).items():
        if name == "out":
            continue
        cols[f"{name}_{v['unit']}" if isinstance(v, dict) else name] = v["value"] if isinstance(v, dict) else v
    return cols


def _jobs(point: Point, repeats):
    c = point.config
    arrays = {"alive_memory": point.alive} if point.alive is not None else None
    for r in repeats:
        target, cue = trial_cue(point, r)
        yield (target, cue), Trial(cue, paradigm.trial_seed(c.seed, r), run_values(point), arrays)


def replay_scores(stored_row, fi, ft, start: float, stop: float, origin: float, tolerance: float) -> dict:
    """Scores of the feature spikes in [start, stop), latencies measured from ``origin``."""
    sel = (ft >= start) & (ft < stop)
    i, lat = fi[sel], ft[sel] - origin
    row = st.recall_scores(stored_row, i, lat, tolerance)
    ti, tt = st.pattern_spikes(stored_row)
    row["van_rossum"] = st.van_rossum_population(ti, tt, i, lat, float(DISTANCE_TAU))
    row["victor_purpura"] = st.victor_purpura_population(ti, tt, i, lat, float(VP_Q))
    return row


def synaptic_events(point: Point, spikes: dict) -> int:
    """Synaptic events of a trial, counting only the synapses of the memories that take part
    (the build may hold more)."""
    model = point.model
    alive = np.ones(model.n_patterns, bool) if point.alive is None else point.alive > 0
    feature_fanout = (~np.isnan(model.keys[alive])).sum(axis=0)
    memory_fanout = (~np.isnan(model.values)).sum(axis=1) + 1
    return int(feature_fanout[spikes["feature"][0]].sum() + memory_fanout[spikes["memory"][0]].sum())


def score(point: Point, repeat: int, info, spikes: dict, fanout: dict) -> dict:
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


def execute(protocol: str, config, points, grid, *, jobs, score, duration_of, summarise_fn, extra_files=None,
            workers=None, quiet=False) -> dict:
    """Run (or resume) ``points`` in the output folder and write trials, summary, config and extras."""
    out = Path(config.out) if config.out else results.default_run_dir(protocol, "delay")
    identity = {"protocol": protocol, "config": describe(dataclasses.replace(config, out="")),
                "sweep": sweep.describe_grid(grid), **results.input_digests(config, [pt.swept for pt in points])}
    run_fn = lambda store: run_points(points, store, jobs=jobs, score=score,  # noqa: E731
                                      duration_of=duration_of, workers=workers, progress=not quiet)
    return sweep.run_in_folder(out, identity, grid, points, run_fn, summarise_fn, extra_files,
                               {"device": config.device, "seed": config.seed})


def run_trials(config: SpatiotemporalConfig, grid=None, workers=None) -> dict:
    """In-memory run (no files): trials table, spikes and build statistics."""
    points = prepare(config, grid)
    store = sweep.MemoryStore(**sweep.store_sizes(points))
    stats = run_points(points, store, jobs=_jobs, score=score, duration_of=duration, workers=workers)
    return {"trials": store.trials(), "spikes": store.spike_table(), "points": points, **stats}


# --- capacity, curves and the rate-versus-timing comparison ---

def capacity(summary: pd.DataFrame, threshold: float = SUCCESS_THRESHOLD) -> float:
    """Largest load whose success rate reaches ``threshold`` among the loads below the first failure
    (one curve: the rows of one N and T)."""
    s = summary.sort_values("n_stored")
    ok = s["success_rate"].to_numpy() >= threshold
    if not ok.any() or not ok[0]:
        return 0.0
    return float(s["n_stored"].to_numpy()[np.argmin(ok) - 1] if not ok.all() else s["n_stored"].max())


def curves(res: dict, base) -> dict:
    """The default curves (see ``CURVES``), each with its points' N, T, M and cue settings; the base
    point joins every cue curve."""
    summary = res["summary"]
    base_index = _base_point(res["points"], base)
    out = {}
    for name, cols in CURVES.items():
        idx = [pt.index for pt in res["points"] if pt.swept and set(pt.swept) <= cols]
        if name != "capacity" and base_index is not None:
            idx.append(base_index)
        out[name] = summary[summary["point"].isin(idx)].copy()
        pts = [res["points"][i] for i in out[name]["point"]]
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
    from hopfield_brian.protocols.recall import RecallConfig
    from hopfield_brian.protocols.recall import run_trials as rate_trials

    n_stored = int(timing["n_stored"].iloc[0])
    rc = RecallConfig(model=config.model, n_features=config.n_features, n_patterns=n_stored,
                      cue_noise=0.0, cue_mask=1.0 - config.cue_keep, trials=config.trials, seed=config.seed,
                      device=config.device)
    params = paradigm.model_params(config.model)
    if config.model == "modern":
        params = dataclasses.replace(params, beta=(5 + np.log(n_stored)) / (config.n_features * config.cue_keep))
    rate = rate_trials(rc, params, workers=workers)["trials"]
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


def main(config: SpatiotemporalConfig, params=None, grid=None, workers=None, quiet=False) -> dict:
    """Run (or resume) the spatio-temporal protocol; ``params`` (the command line's rate-model
    parameters) are not used: the delay model's parameters are fields of ``config``."""
    from hopfield_brian import plotting

    grid = full_grid(config, grid)
    points = prepare(config, grid)
    # the default curves: not for a --sweep (a dict of values), whose points may fit no single curve
    default = not isinstance(grid, dict) and all(
        any(set(pt.swept) <= cols for cols in CURVES.values()) for pt in points)
    base_index = _base_point(points, config)

    def extra(res, stage):
        shown = points[0].index if base_index is None else base_index
        row = res["trials"][res["trials"]["point"] == shown].iloc[0]
        plotting.spatiotemporal_raster(res["points"][shown].model, res["store"].spike_table(trial=int(row["trial"])),
                                       row, stage / "raster.png")
        if default:
            cur = curves(res, config)
            res["curves"] = cur
            for name, table in cur.items():
                table.to_csv(stage / f"{name}.csv", index=False)
            plotting.spatiotemporal_curves(cur, stage / "curves.png")
        else:
            plotting.sweep_figure(res["trials"], res["swept"], stage / "sweep.png",
                                  REPLAY_MEASURE, "delay-memory sweep")
        if config.compare_rate and base_index is not None:  # matched content: the base point's
            base = res["trials"][res["trials"]["point"] == base_index]
            res["comparison"] = rate_comparison(config, base, workers)
            res["comparison"].to_csv(stage / "rate_vs_timing.csv", index=False)

    res = execute("spatiotemporal", config, points, grid, jobs=_jobs, score=score, duration_of=duration,
                  summarise_fn=summarise, extra_files=extra, workers=workers, quiet=quiet)
    if not quiet:
        print(report(res, config))
    return res


def _base_point(points, config) -> int | None:
    """The point with the base configuration (None if the grid does not hold it)."""
    keys = ("n_patterns", "n_features", "cycle", "cue_jitter", "cue_deletion", "cue_keep")
    for pt in points:
        if all(getattr(pt.config, k) == getattr(config, k) for k in keys):
            return pt.index
    return None


def report(res: dict, config) -> str:
    t, summary = res["trials"], res["summary"]
    tail = f"{res['compilations']} compilation(s) ({res['build_time_s']:.0f} s), wall {res['wall_s']:.1f} s"
    if len(summary) == 1:
        lines = [f"spatio-temporal recall: {len(t)} trials, success {t['success'].mean():.0%}, completeness "
                 f"{t['completeness'].mean():.2f}, median timing error {t['median_error_ms'].median():.2f} ms, "
                 + tail]
    else:  # a rate pooled over different parameters would mean nothing
        lines = [f"spatio-temporal recall: {len(summary)} points x {summary['trials'].max()} trials, success by "
                 f"point {sweep.rate_span(summary['success_rate'])}, " + tail]
    if "curves" in res:
        for (n, t), cur in res["curves"]["capacity"].groupby(["n_features", "cycle_ms"]):
            lines.append(f"capacity (success >= {SUCCESS_THRESHOLD:.0%}) at N = {n}, T = {t:g} ms: "
                         f"M = {capacity(cur):g} (largest tested M below the first failing one)")
    lines.append(res["summary"].to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    if "comparison" in res:
        lines.append("rate versus timing (matched N, M, cue fraction):")
        lines.append(res["comparison"].to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    elif config.compare_rate:
        lines.append("rate versus timing: not run (the grid does not hold the base point it compares)")
    lines.append(f"results in {res['out']}")
    return "\n".join(lines)


if __name__ == "__main__":
    import sys

    from hopfield_brian.cli import main as cli_main

    sys.exit(cli_main(["run", "spatiotemporal", *sys.argv[1:]]))
