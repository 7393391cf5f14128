"""Recall protocol: store M patterns, cue a corrupted target, let the network run free.

Each trial picks a target pattern, presents a corrupted cue (a fraction
``cue_noise`` of entries flipped, a fraction ``cue_mask`` masked) for ``t_cue``
with the network clamped to it, then releases the network for ``t_free``. The
final state is read from spike counts in the last ``readout_window`` and scored
by its overlap with the target (success: overlap >= 0.9). The numpy reference
of the same model is run from the same cue for comparison.

With ``--sweep`` the protocol runs every point of a parameter grid, ``trials``
trials each; trial r of every point uses the same target and cue draw
(common random numbers). All trials of a network structure run on one build.
Runnable as ``hopfield-brian run recall`` or ``python protocols/recall.py``.
"""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from brian2 import Hz, Quantity, ms

from hopfield_brian import noise, paradigm, readout, results, sweep
from hopfield_brian import patterns as pat
from hopfield_brian.config import describe, qty, show
from hopfield_brian.errors import ConfigError
from hopfield_brian.simulator import DEVICES, Simulator, Trial

HELP = "store patterns, cue a corrupted one, read out the recalled state"


def defaults(model: str) -> dict:
    """Protocol defaults that differ from RecallConfig's, as --set strings."""
    return {}


def full_grid(config, grid):
    """The grid this protocol runs for the user's --sweep (recall: just that)."""
    return grid


# Parameters that change the compiled network besides the model's own structure (sizes, input
# noise on or off); everything else varies at run time.
STRUCTURAL = ("t_cue", "t_free", "dt", "device", "normalisation", "feature_coding", "tau_key", "tau_value",
              "eta_inhibition", "tau_syn", "tau_inhibition")
# Durations and windows that the simulation time step dt must resolve (dt <= each of them).
RESOLVED = ("t_cue", "t_free", "readout_window", "bin_width", "trace_window")
TIMING_COLUMNS = ("wall_s",)  # differ between otherwise identical runs


@dataclass(frozen=True)
class RecallConfig:
    """Everything a recall run depends on, besides the model parameters."""

    model: str = "modern"  # 'modern' (Bayesian, attention-like) or 'classical' (Hebbian)
    n_features: int = 200  # pattern length N (feature neurons per polarity / classical neurons)
    n_patterns: int = 50  # number M of stored patterns
    pattern_kind: str = "bipolar"  # 'bipolar' {-1,+1} or 'sparse' {0,1} random patterns
    coding_level: float = 0.1  # fraction of ones of sparse patterns
    patterns: str = ""  # .npy or .csv file of user patterns (M x N); overrides the random ones
    storage: str = "analytic"  # 'analytic' couplings or 'hebbian' (learned from spikes by plasticity)
    learning_rate: float = 1.0  # hebbian storage: learning rate eta (1: one Hebbian term per pattern)
    weight_bound: float = 0.0  # hebbian storage: soft bound on |w|, units 2/N (classical) or 1 (modern); 0: none
    forget_rate: Quantity = qty(0 * Hz)  # hebbian storage: passive weight decay
    cued_pattern: int = -1  # index of the pattern to cue (-1: a random one per trial)
    cue_noise: float = 0.2  # fraction of the target's entries flipped in the cue
    cue_mask: float = 0.0  # fraction of the cue's entries masked (set to 'unknown')
    deletion: float = 0.0  # probability that an emitted spike is deleted
    background_rate: Quantity = qty(0 * Hz)  # rate of extra background Poisson spikes per neuron
    membrane_noise: float = 0.0  # std of input noise (field units; x sqrt(N) on memory inputs)
    weight_noise: float = 0.0  # relative std of multiplicative synaptic weight noise
    weight_bits: int = 0  # quantise synaptic weights to this many bits, 1 to 32 (0: full precision)
    ablation: float = 0.0  # fraction of silenced neurons in each population
    jitter: Quantity = qty(0 * ms)  # sd of spike-time jitter of every neuron (0 or >= dt)
    t_cue: Quantity = qty(100 * ms)  # cue phase: the network is clamped to the cue
    t_free: Quantity = qty(200 * ms)  # free phase after the cue
    readout_window: Quantity = qty(50 * ms)  # final state from spike counts in this last window
    bin_width: Quantity = qty(5 * ms)  # time step of the overlap trajectories
    trace_window: Quantity = qty(20 * ms)  # trajectories decode the spikes of this trailing window
    dt: Quantity = qty(0.2 * ms)  # simulation time step
    trials: int = 20  # trials per parameter point (each with its own target, cue and seed)
    seed: int = 0  # master seed: patterns, targets, cues and spikes
    device: str = "cpp_standalone"  # 'runtime', 'cpp_standalone' or 'cuda_standalone'
    out: str = ""  # output folder (default results/recall/<model>-<time>)


@dataclass
class Point:
    """One point of the parameter grid, ready to run."""

    index: int
    swept: dict
    config: RecallConfig
    params: object
    model: object
    stored: np.ndarray
    kind: str
    queries: np.ndarray | None = None  # user queries (Q x N): trial r presents queries[r % Q] as its cue
    columns: dict | None = None  # parameter columns of its trials (point_columns)

    def structure(self) -> tuple:
        values = {**vars(self.config), **vars(self.params)}
        return (self.model.structure(), *(repr(values[k]) for k in STRUCTURAL if k in values))


def load_patterns(config: RecallConfig) -> tuple[np.ndarray, str]:
    """Stored patterns and their kind: from the user's file or random from the seed."""
    if config.patterns:
        stored, kind = pat.load(config.patterns)
        if stored.shape != (config.n_patterns, config.n_features):
            raise ConfigError(f"{config.patterns} holds {stored.shape[0]} x {stored.shape[1]} patterns "
                              f"but n_patterns x n_features = {config.n_patterns} x {config.n_features}")
        if config.model == "classical" and kind == "sparse":
            pat.check_active(stored, config.patterns)
        return stored, kind
    return pat.generate(config.pattern_kind, config.n_patterns, config.n_features, config.coding_level,
                        config.seed), config.pattern_kind


def validate(config: RecallConfig, params) -> None:
    """Check every value before anything is built or written."""
    if config.model not in ("modern", "classical"):
        raise ConfigError(f"unknown model {config.model!r}; choose from modern, classical")
    if config.device not in DEVICES:
        raise ConfigError(f"unknown device {config.device!r}; choose from {', '.join(DEVICES)}")
    if config.pattern_kind not in pat.PATTERN_KINDS:
        raise ConfigError(f"unknown pattern_kind {config.pattern_kind!r}; choose from bipolar, sparse")
    for name, least in (("n_features", 2), ("n_patterns", 1), ("trials", 1)):
        if getattr(config, name) < least:
            raise ConfigError(f"{name} must be >= {least}, got {getattr(config, name)}")
    noise.validate(config)
    if config.jitter != 0 * ms and config.jitter < config.dt:
        raise ConfigError(f"jitter must be 0 or at least dt ({show(config.dt)}), got {show(config.jitter)}")
    if not -1 <= config.cued_pattern < config.n_patterns:
        raise ConfigError(f"cued_pattern must be -1 (a random target per trial) or a pattern index in "
                          f"[0, {config.n_patterns - 1}], got {config.cued_pattern}")
    if config.learning_rate <= 0 or config.weight_bound < 0 or config.forget_rate < 0 * Hz:
        raise ConfigError("learning_rate must be > 0, weight_bound >= 0 and forget_rate >= 0 Hz")
    if not 0.0 < config.coding_level < 1.0:
        raise ConfigError(f"coding_level must be in (0, 1), got {config.coding_level}")
    for name in ("t_cue", "t_free", "readout_window", "bin_width", "trace_window", "dt"):
        if not float(getattr(config, name)) > 0:
            raise ConfigError(f"{name} must be positive, got {show(getattr(config, name))}")
    if config.readout_window > config.t_free:
        raise ConfigError(f"readout_window ({show(config.readout_window)}) must not exceed t_free ({show(config.t_free)})")
    for name in RESOLVED:
        if getattr(config, name) < config.dt:
            raise ConfigError(f"dt ({show(config.dt)}) must not exceed {name} ({show(getattr(config, name))}): "
                              f"a time step longer than the {name} cannot resolve it")
    paradigm.check_model_params(params, config.n_features)


def prepare(config: RecallConfig, params, grid=None) -> list[Point]:
    """Every point of the grid (a dict of swept values, or a list of points), validated,
    with its patterns and model."""
    points = []
    for index, swept in enumerate(grid if isinstance(grid, list) else sweep.grid(grid or {})):
        names = {f.name for f in dataclasses.fields(config)}
        c = dataclasses.replace(config, **{k: v for k, v in swept.items() if k in names})
        p = dataclasses.replace(params, **{k: v for k, v in swept.items() if k not in names})
        validate(c, p)
        stored, kind = load_patterns(c)
        model, stored, kind = paradigm.store(c.model, p, stored, kind, noisy=c.membrane_noise > 0,
                                             jittered=c.jitter > 0 * ms,
                                             storage=c.storage, seed=c.seed, storage_params=storage_params(c))
        points.append(Point(index, swept, c, p, model, stored, kind))
    return points


def storage_params(config: RecallConfig):
    """Plasticity parameters of a run (hebbian storage)."""
    from hopfield_brian.equations.plasticity import StorageParams

    unit = 2.0 / config.n_features if config.model == "classical" else 1.0  # one Hebbian term's size
    return StorageParams(eta=config.learning_rate, forget_rate=config.forget_rate, w_max=config.weight_bound * unit)


def parameter_columns(config: RecallConfig, params) -> dict:
    """Every parameter of the run as flat trials-table columns (units in the names)."""
    cols = {}
    for source in (config, params):
        for name, v in describe(source).items():
            if name in ("out", "model"):
                continue
            cols[f"{name}_{v['unit']}" if isinstance(v, dict) else name] = v["value"] if isinstance(v, dict) else v
    return cols


def point_columns(point: Point) -> dict:
    """:func:`parameter_columns` of a point, computed once."""
    if point.columns is None:
        point.columns = parameter_columns(point.config, point.params)
    return point.columns


def run_values(point: Point) -> dict:
    """Every run-time value of a point: model parameters, cue duration, noise strengths."""
    return point.model.runtime_values() | {"t_cue": point.config.t_cue} | noise.run_values(point.config,
                                                                                         point.model)


def trial_cue(point: Point, repeat: int) -> tuple[int, np.ndarray, np.random.Generator]:
    """Target, cue and random stream of trial ``repeat`` of a point (the same for every point)."""
    c = point.config
    rng = paradigm.trial_rng(c.seed, repeat)
    if point.queries is not None:  # the target is the stored pattern closest to the query
        cue = point.queries[repeat % len(point.queries)]
        return int(np.argmax(point.stored @ cue)), cue, rng
    target = int(rng.integers(point.model.n_patterns))
    target = target if c.cued_pattern < 0 else c.cued_pattern
    return target, paradigm.make_cue(point.stored, point.kind, target, c.cue_noise, c.cue_mask, rng), rng


def _jobs(point: Point, repeats, base: Point):
    """(key, Trial) pairs of one point; pattern arrays travel when they differ from the build's."""
    mine, built = point.model.weight_values(), base.model.weight_values()
    differ = mine is not built and any(np.shape(mine[k]) != np.shape(built[k]) or not np.array_equal(mine[k], built[k])
                                       for k in mine)
    patterns = mine if differ else None
    c, values = point.config, run_values(point)
    for r in repeats:
        target, cue, rng = trial_cue(point, r)
        arrays = noise.trial_arrays(point.model, c, rng, patterns)
        trial = Trial(cue, paradigm.trial_seed(c.seed, r), values, arrays)
        yield (target, cue, rng), trial


def score_trial(point: Point, repeat: int, target: int, cue: np.ndarray, rng, spikes: dict, sizes: dict,
                fanout: dict, wall: float, extra_score=None) -> tuple[dict, dict]:
    """Trials-table row of one finished trial, and its spikes to store; ``extra_score(point, target, cue,
    spikes, fanout, trajectory)`` adds a protocol's own columns (``trajectory``: bin ends and overlaps)."""
    c, model = point.config, point.model
    t_end, t_cue = float(c.t_cue + c.t_free), float(c.t_cue)
    final = model.decode_counts(readout.counts(spikes, sizes, t_end - float(c.readout_window), t_end))
    t_bins, overlaps = readout.overlap_trajectory(model, point.stored, point.kind, spikes, sizes, t_end,
                                                  float(c.bin_width), float(c.trace_window))
    ref = paradigm.score(point.stored, point.kind, target, paradigm.reference_state(model, point.kind, cue, rng))
    n_spikes = {pop: int(i.size) for pop, (i, _) in spikes.items()}
    trial_id = sweep.trial_number(point, repeat)
    row = {
        "trial": trial_id, "point": point.index, "repeat": repeat, "model": c.model, "target": target,
        "cue_overlap": float(pat.overlap(point.stored, cue, point.kind)[target]),
        **paradigm.score(point.stored, point.kind, target, final),
        "time_to_retrieval_ms": readout.time_to_retrieval(t_bins, overlaps[:, target], t_cue),
        "n_spikes": sum(n_spikes.values()), **{f"n_spikes_{pop}": n for pop, n in n_spikes.items()},
        "synaptic_events": sum(int(np.sum(fanout[pop][i])) for pop, (i, _) in spikes.items()),
        "reference_final_overlap": ref["final_overlap"], "reference_success": ref["success"],
        "wall_s": wall,
    }
    if extra_score:
        row.update(extra_score(point, target, cue, spikes, fanout, (t_bins, overlaps)))
    row.update({k: v for k, v in point_columns(point).items() if k not in row})
    return row, spikes


def run(points: list[Point], store, workers: int | None = None, progress: bool = False,
        extra_score=None) -> dict:
    """Run every unfinished trial of every point, one build per structure; return build statistics."""
    def score(pt, r, key, spikes, sim, wall):
        target, cue, rng = key
        return score_trial(pt, r, target, cue, rng, spikes, pt.model.neuron_counts(), sim.built.fanout, wall,
                           extra_score)

    return sweep.run_grouped(list(_by_structure(points).values()), store, lambda base: _simulator(base, workers),
                             _jobs, score, progress)


def build_only(config: RecallConfig, params, grid=None) -> list:
    """Generate and compile every network structure of the run, run nothing, write no results.

    Returns one ``(build folder, seconds)`` per structure (how users check a
    cuda_standalone build on a machine without a GPU).
    """
    points = prepare(config, params, grid)
    built = []
    for pts in _by_structure(points).values():
        base = pts[0]
        sim = _simulator(base)
        sim.close()
        built.append((sim.build_dir, sim.build_time))
    return built


def _simulator(base: Point, workers: int | None = None) -> Simulator:
    """The build serving every point with the structure of ``base``."""
    c = base.config
    return Simulator(base.model, c.device, c.t_cue + c.t_free, c.dt, run_values(base), workers=workers)


def _by_structure(points: list[Point]) -> dict[tuple, list[Point]]:
    groups: dict[tuple, list[Point]] = {}
    for pt in points:
        groups.setdefault(pt.structure(), []).append(pt)
    return groups


def summarise(trials: pd.DataFrame, swept: list[str]) -> pd.DataFrame:
    """One row per parameter point: swept values, success rate, overlaps, timing, spikes."""
    g, out = sweep.point_summary(trials, swept)
    out["final_overlap_mean"] = g["final_overlap"].mean()
    out["final_overlap_sd"] = g["final_overlap"].std()
    out["time_to_retrieval_ms_mean"] = g["time_to_retrieval_ms"].mean()
    out["spikes_per_trial"] = g["n_spikes"].mean()
    out["reference_success_rate"] = g["reference_success"].mean()
    return out.reset_index()


def run_trials(config: RecallConfig, params, grid: dict | None = None, workers: int | None = None) -> dict:
    """In-memory run (no files): trials table, spike table and build statistics."""
    points = prepare(config, params, grid)
    store = sweep.MemoryStore(**sweep.store_sizes(points))
    stats = run(points, store, workers)
    return {"trials": store.trials(), "spikes": store.spike_table(), "points": points, **stats}


def execute(protocol: str, config: RecallConfig, params, grid=None, workers: int | None = None,
            quiet: bool = False, extra_files=None, extra_score=None, points=None) -> dict:
    """Run (or resume) ``grid`` in the output folder and write trials, summary and config.

    ``grid`` is a dict of swept values (their product is run) or a list of
    points (dicts of parameter values). ``extra_files(res, stage)`` writes a
    protocol's own tables and figures into the staging folder; ``extra_score``
    adds columns to each trial (see :func:`score_trial`); ``points`` replaces
    the prepared grid points (a protocol that builds its own models).
    """
    params = paradigm.model_params(config.model) if params is None else params
    points = prepare(config, params, grid) if points is None else points
    out = Path(config.out) if config.out else results.default_run_dir(protocol, config.model)
    identity = {"protocol": protocol, "config": describe(dataclasses.replace(config, out="")),
                "model_params": describe(params), "sweep": sweep.describe_grid(grid),
                **results.input_digests(config, [pt.swept for pt in points])}
    res = sweep.run_in_folder(
        out, identity, grid, points, lambda store: run(points, store, workers, not quiet, extra_score), summarise,
        lambda res, stage: _write_inputs(res, stage, extra_files),
        {"pattern_kind": points[0].kind, "device": config.device, "seed": config.seed})
    res["protocol"] = protocol
    return res


def _write_inputs(res: dict, stage: Path, extra_files=None) -> None:
    """``patterns.npz``: the stored patterns (keys) and values of every point, ``point_<k>`` and
    ``values_<k>`` (values only where they differ from the keys), so that the spikes can be analysed
    without regenerating them; then the protocol's own files."""
    arrays = {}
    for pt in res["points"]:
        arrays[f"point_{pt.index}"] = pt.stored.astype(np.int8)
        values = getattr(pt.model, "values", None)
        if values is not None and values is not getattr(pt.model, "keys", None):
            arrays[f"values_{pt.index}"] = values.astype(np.int8)
    np.savez_compressed(stage / "patterns.npz", **arrays)
    if extra_files:
        extra_files(res, stage)


def execute_with_table(protocol: str, name: str, make_table, figure, config, params=None, grid=None,
                       workers=None, quiet=False) -> dict:
    """:func:`execute`, then ``make_table(res)`` written as ``<name>.csv`` and ``figure(table, config, path)``
    as ``<name>.png``; the table is also returned as ``res[name]``."""

    def extra(res, stage):
        res[name] = make_table(res)
        res[name].to_csv(stage / f"{name}.csv", index=False)
        figure(res[name], config, stage / f"{name}.png")

    return execute(protocol, config, params, grid, workers, quiet, extra)


def _figures(res: dict, stage: Path) -> None:
    from hopfield_brian import plotting

    if len(res["points"]) == 1:
        plotting.recall_figure(res["points"][0], res["store"].spike_table(trial=0), res["trials"],
                               stage / "recall.png")
    else:
        plotting.sweep_figure(res["trials"], res["swept"], stage / "sweep.png")


def main(config: RecallConfig, params=None, grid=None, workers: int | None = None, quiet: bool = False) -> dict:
    """Run (or resume) the recall protocol in its output folder and write its results."""
    res = execute("recall", config, params, grid, workers, quiet, _figures)
    if not quiet:
        print(report(res))
    return res


def report(res: dict) -> str:
    """What a run printed: one line for a single point; for a grid, the range over its points and the
    summary table (a rate pooled over different parameters would mean nothing)."""
    t, summary = res["trials"], res["summary"]
    head = f"{t['model'].iloc[0]} {res.get('protocol', 'recall')}: "
    tail = f"{res['compilations']} compilation(s), wall {res['wall_s']:.1f} s"
    if len(summary) == 1:
        lines = [head + f"{len(t)} trials, success {t['success'].mean():.0%} "
                 f"(numpy reference {t['reference_success'].mean():.0%}), mean final overlap "
                 f"{t['final_overlap'].mean():.3f} (cue {t['cue_overlap'].mean():.3f}), "
                 f"{t['n_spikes'].mean():.0f} spikes/trial, " + tail]
    else:
        lines = [head + f"{len(summary)} points x {summary['trials'].max()} trials, success by point "
                 f"{sweep.rate_span(summary['success_rate'])} (numpy reference "
                 f"{sweep.rate_span(summary['reference_success_rate'])}), "
                 + tail,
                 summary.to_string(index=False, float_format=lambda v: f"{v:.3g}")]
    lines.append(f"results in {res['out']}")
    return "\n".join(lines)



if __name__ == "__main__":
    from hopfield_brian.cli import main as cli_main

    sys.exit(cli_main(["run", "recall", *sys.argv[1:]]))
