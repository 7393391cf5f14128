"""The cued-recall trial of the rate-coded networks (modern and classical), as a protocol family.

A trial picks a target, presents a corrupted cue (a fraction ``cue_noise`` of
entries flipped, a fraction ``cue_mask`` masked) for ``t_cue`` with the
network clamped to it, then releases the network for ``t_free``. The final
state is read from spike counts in the last ``readout_window`` and scored by
its overlap with the target (success: overlap >= 0.9). The numpy reference of
the same model is run from the same cue. Trial r of every grid point uses the
same target and cue draw (common random numbers).

:class:`RateProtocol` implements these pieces for the engine
(:mod:`hopfield_brian.engine`); the recall, capacity, robustness, storage
and attention protocols subclass it, the regimes and phase protocols through
:class:`hopfield_brian.regimes_protocol.RegimesProtocol`, and add their
tables, figures and reports.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from . import config as cfg
from . import fixed_point, models, noise, paradigm, readout, sweep
from . import patterns as pat
from .config import param, show
from .engine import Protocol, builds_text
from .errors import ConfigError
from .simulator import DEVICES, Simulator, Trial
from .units import Hz, Quantity, ms
from . import lazy

pd = lazy.module("pandas")  # imported on first use (see hopfield_brian.lazy)

TIMING_COLUMNS = ("wall_s",)  # differ between otherwise identical runs


@dataclass(frozen=True)
class RecallConfig:
    """Everything a recall run depends on, besides the model parameters."""

    model: str = param("modern", "'modern' (Bayesian, attention-like) or 'classical' (Hebbian)", choices=models.MODELS,
                       sweepable=False)
    n_features: int = param(200, "pattern length N (feature neurons per polarity / classical neurons)", low=2)
    n_patterns: int = param(50, "number M of stored patterns", low=1)
    pattern_kind: str = param("bipolar", "'bipolar' {-1,+1} or 'sparse' {0,1} random patterns",
                              choices=pat.PATTERN_KINDS)
    coding_level: float = param(0.1, "fraction of ones of sparse patterns", low=0.0, high=1.0, strict=True)
    patterns: str = param("", ".npy or .csv file of user patterns (M x N), or an array; overrides the random ones",
                          file=True)
    storage: str = param("analytic", "'analytic' couplings or 'hebbian' (learned from spikes by plasticity)",
                         choices=paradigm.STORAGES)
    learning_rate: float = param(1.0, "hebbian storage: learning rate eta (1: one Hebbian term per pattern)",
                                 low=0.0, strict=True)
    weight_bound: float = param(0.0, "hebbian storage: soft bound on |w|, units 2/N (classical) or 1 (modern); 0: none",
                                low=0.0)
    forget_rate: Quantity = param(0 * Hz, "hebbian storage: passive weight decay", low=0 * Hz)
    cued_pattern: int = param(-1, "index of the pattern to cue (-1: a random one per trial)")
    cue_noise: float = param(0.2, "fraction of the target's entries flipped in the cue", low=0.0, high=1.0)
    cue_mask: float = param(0.0, "fraction of the cue's entries masked (set to 'unknown')", low=0.0, high=1.0)
    deletion: float = param(0.0, "probability that an emitted spike is deleted", low=0.0, high=1.0)
    background_rate: Quantity = param(0 * Hz, "rate of extra background Poisson spikes per neuron", low=0 * Hz)
    membrane_noise: float = param(0.0, "std of input noise (field units; x sqrt(N) on memory inputs)", low=0.0)
    weight_noise: float = param(0.0, "relative std of multiplicative synaptic weight noise", low=0.0)
    weight_bits: int = param(0, "quantise synaptic weights to this many bits, 1 to 32 (0: full precision)")
    weight_scale: str = param("spread", "levels of weight_bits: 'spread' (2^bits levels over min(max|w|, 3 std)) "
                              "or 'max' (Loihi fixed point: signed integers, max|w| -> 2^(bits-1)-1)",
                              choices=noise.WEIGHT_SCALES)
    state_bits: int = param(0, "fixed point: synaptic state (h; u, y) as signed integers of this many bits, "
                               "rounded every step (0: float; Loihi 24)")
    decay_bits: int = param(0, "fixed point: per-step decay factors exp(-dt/tau) rounded to this many bits "
                               "(0: float; Loihi 12)")
    ablation: float = param(0.0, "fraction of silenced neurons in each population", low=0.0, high=1.0)
    jitter: Quantity = param(0 * ms, "sd of spike-time jitter of every neuron (0 or >= dt)")
    t_cue: Quantity = param(100 * ms, "cue phase: the network is clamped to the cue", low=0 * ms, strict=True,
                            structural=True, resolved=True)
    t_free: Quantity = param(200 * ms, "free phase after the cue", low=0 * ms, strict=True, structural=True,
                             resolved=True)
    readout_window: Quantity = param(50 * ms, "final state from spike counts in this last window", low=0 * ms,
                                     strict=True, resolved=True)
    bin_width: Quantity = param(5 * ms, "time step of the overlap trajectories", low=0 * ms, strict=True,
                                resolved=True)
    trace_window: Quantity = param(20 * ms, "trajectories decode the spikes of this trailing window", low=0 * ms,
                                   strict=True, resolved=True)
    dt: Quantity = param(0.2 * ms, "simulation time step", low=0 * ms, strict=True, structural=True)
    trials: int = param(20, "trials per parameter point (each with its own target, cue and seed)", low=1,
                        sweepable=False)
    seed: int = param(0, "master seed: patterns, targets, cues and spikes")
    device: str = param("cpp_standalone", "'runtime', 'cpp_standalone' or 'cuda_standalone'", choices=DEVICES,
                        structural=True, sweepable=False)
    out: str = param("", "output folder (default results/<protocol>/<model>-<time>)", sweepable=False)


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
    extra: dict = dataclasses.field(default_factory=dict)  # what a protocol computes once per point

    def structure(self) -> tuple:
        """What the compiled network depends on: the model's structure and every structural parameter."""
        values = {**vars(self.config), **vars(self.params)}
        names = cfg.names_where(type(self.config), "structural") + cfg.names_where(type(self.params), "structural")
        return (self.model.structure(), *(repr(values[k]) for k in names))


class RateProtocol(Protocol):
    """Cued recall in the modern or classical spiking network (see the module's docstring).

    Subclasses add tables, figures and reports; a subclass may also extend
    :meth:`score` (more columns per trial) or :meth:`prepare` (other models).
    """

    name = "recall"
    config_class = RecallConfig

    # ------------------------------------------------------------------ checks
    def validate(self, config: RecallConfig, params) -> None:
        """Checks across parameters, before anything is built or written."""
        noise.validate(config)
        fixed_point.validate(config)
        if config.jitter != 0 * ms and config.jitter < config.dt:
            raise ConfigError(f"jitter must be 0 or at least dt ({show(config.dt)}), got {show(config.jitter)}")
        if not -1 <= config.cued_pattern < config.n_patterns:
            raise ConfigError(f"cued_pattern must be -1 (a random target per trial) or a pattern index in "
                              f"[0, {config.n_patterns - 1}], got {config.cued_pattern}")
        if config.readout_window > config.t_free:
            raise ConfigError(f"readout_window ({show(config.readout_window)}) must not exceed t_free "
                              f"({show(config.t_free)})")
        for name in cfg.names_where(type(config), "resolved"):
            if getattr(config, name) < config.dt:
                raise ConfigError(f"dt ({show(config.dt)}) must not exceed {name} ({show(getattr(config, name))}): "
                                  f"a time step longer than the {name} cannot resolve it")
        paradigm.check_model_params(params, config.n_features)
        check_size(config.n_patterns * config.n_features, "n_patterns x n_features patterns entries")
        if config.model == "classical":
            check_size(config.n_features ** 2, "n_features^2 couplings of the classical network")
        if config.patterns is not None and (isinstance(config.patterns, np.ndarray) or config.patterns):
            self.load_patterns(config)

    # ------------------------------------------------------------ preparation
    def load_patterns(self, config: RecallConfig, saved=None, index: int = 0) -> tuple[np.ndarray, str]:
        """Stored patterns and their kind: saved ones (a finished run's), the user's file or array, or
        random from the seed."""
        if saved is not None and f"point_{index}" in saved:
            stored = saved[f"point_{index}"].astype(float)
            return stored, pat.validate(stored)
        source = config.patterns
        if isinstance(source, np.ndarray) or source:
            stored, kind = pat.load(source)
            shown = pat.source_name(source)
            if stored.shape != (config.n_patterns, config.n_features):
                raise ConfigError(f"{shown} holds {stored.shape[0]} x {stored.shape[1]} patterns "
                                  f"but n_patterns x n_features = {config.n_patterns} x {config.n_features}")
            if config.model == "classical" and kind == "sparse":
                pat.check_active(stored, shown)
            return stored, kind
        return pat.generate(config.pattern_kind, config.n_patterns, config.n_features, config.coding_level,
                            config.seed), config.pattern_kind

    def prepare(self, config, params, grid, saved=None) -> list[Point]:
        """Every point of the grid with its patterns and model (learned by plasticity for hebbian
        storage, unless ``saved`` patterns only rebuild points for figures)."""
        from .configure import points_of, split_point

        learner = None  # one storage build for the run's points (made when a point learns: it imports Brian2)
        points = []
        for index, swept in enumerate(points_of(grid)):
            c, p = split_point(config, params, swept)
            if saved is None:  # a finished run's points were checked when it ran; its files may be gone
                self.validate(c, p)
            stored, kind = self.load_patterns(c, saved, index)
            storage = c.storage if saved is None else "analytic"
            if storage == "hebbian" and learner is None:
                from .storage import Learner

                learner = Learner()
            model, stored, kind = paradigm.store(c.model, p, stored, kind, noisy=c.membrane_noise > 0,
                                                 jittered=c.jitter > 0 * ms, storage=storage, seed=c.seed,
                                                 storage_params=storage_params(c), learner=learner,
                                                 fixed=fixed_point.modes(c))
            points.append(Point(index, swept, c, p, model, stored, kind))
        return points

    def groups(self, points: list[Point]) -> list[list[Point]]:
        groups: dict[tuple, list[Point]] = {}
        for pt in points:
            groups.setdefault(pt.structure(), []).append(pt)
        return list(groups.values())

    def duration_of(self, point: Point) -> float:
        return float(point.config.t_cue + point.config.t_free)

    def simulator(self, base: Point, workers=None, batch=None, compile: bool = True) -> Simulator:
        c = base.config
        return Simulator(base.model, c.device, c.t_cue + c.t_free, c.dt, run_values(base), workers=workers,
                         batch=batch, compile=compile)

    def jobs(self, point: Point, repeats, base: Point):
        """(key, Trial) pairs of one point; pattern arrays travel when they differ from the build's."""
        mine, built = point.model.weight_values(), base.model.weight_values()
        differ = mine is not built and any(np.shape(mine[k]) != np.shape(built[k])
                                           or not np.array_equal(mine[k], built[k]) for k in mine)
        patterns = mine if differ else None
        c, values = point.config, run_values(point)
        for r in repeats:
            target, cue, rng = trial_cue(point, r)
            arrays = noise.trial_arrays(point.model, c, rng, patterns)
            trial = Trial(cue, paradigm.trial_seed(c.seed, r), values, arrays)
            yield (target, cue, rng), trial

    # ---------------------------------------------------------------- scoring
    def score(self, point: Point, repeat: int, key, spikes: dict, fanout: dict, wall: float) -> dict:
        """Trials-table row of one finished trial: recall columns, :meth:`extra_columns`, parameters."""
        target, cue, rng = key
        c, model = point.config, point.model
        sizes = model.neuron_counts()
        t_end, t_cue = float(c.t_cue + c.t_free), float(c.t_cue)
        final = model.decode_counts(readout.counts(spikes, sizes, t_end - float(c.readout_window), t_end))
        t_bins, overlaps = readout.overlap_trajectory(model, point.stored, point.kind, spikes, sizes, t_end,
                                                      float(c.bin_width), float(c.trace_window))
        ref = paradigm.score(point.stored, point.kind, target,
                             paradigm.reference_state(model, point.kind, cue, rng))
        n_spikes = {pop: int(i.size) for pop, (i, _) in spikes.items()}
        row = {
            "trial": sweep.trial_number(point, repeat), "point": point.index, "repeat": repeat, "model": c.model,
            "target": target, "cue_overlap": float(pat.overlap(point.stored, cue, point.kind)[target]),
            **paradigm.score(point.stored, point.kind, target, final),
            "time_to_retrieval_ms": readout.time_to_retrieval(t_bins, overlaps[:, target], t_cue),
            "n_spikes": sum(n_spikes.values()), **{f"n_spikes_{pop}": n for pop, n in n_spikes.items()},
            "synaptic_events": sum(int(np.sum(fanout[pop][i])) for pop, (i, _) in spikes.items()),
            "reference_final_overlap": ref["final_overlap"], "reference_success": ref["success"],
            "wall_s": wall,
        }
        row.update(self.extra_columns(point, target, cue, spikes, fanout, (t_bins, overlaps)))
        row.update({k: v for k, v in point_columns(point).items() if k not in row})
        return row

    def extra_columns(self, point: Point, target: int, cue: np.ndarray, spikes: dict, fanout: dict,
                      trajectory) -> dict:
        """A subclass's own columns of a trial (``trajectory``: bin ends and overlaps with every pattern)."""
        return {}

    def summarise(self, trials: pd.DataFrame, swept: list[str]) -> pd.DataFrame:
        """One row per parameter point: swept values, success rate, overlaps, timing, spikes."""
        g, out = sweep.point_summary(trials, swept)
        out["final_overlap_mean"] = g["final_overlap"].mean()
        out["final_overlap_sd"] = g["final_overlap"].std()
        out["time_to_retrieval_ms_mean"] = g["time_to_retrieval_ms"].mean()
        out["spikes_per_trial"] = g["n_spikes"].mean()
        out["reference_success_rate"] = g["reference_success"].mean()
        return out.reset_index()

    def info(self, points: list[Point]) -> dict:
        return {"pattern_kind": points[0].kind, "device": self.config.device, "seed": self.config.seed}

    def inputs(self, points: list[Point]) -> dict:
        """``point_<k>``: the stored patterns (keys) of every point; ``values_<k>`` where values differ."""
        arrays = {}
        for pt in points:
            arrays[f"point_{pt.index}"] = pt.stored.astype(np.int8)
            values = getattr(pt.model, "values", None)
            if values is not None and values is not getattr(pt.model, "keys", None):
                arrays[f"values_{pt.index}"] = values.astype(np.int8)
        return arrays

    def report(self, results) -> str:
        """One line for a single point; for a grid, the range over its points and the summary table (a rate
        pooled over different parameters would mean nothing)."""
        t, summary = results.trials, results.summary
        head = f"{t['model'].iloc[0]} {self.name}: "
        tail = f"{builds_text(results.info)}, wall {results.wall_s:.1f} s"
        if len(summary) == 1:
            lines = [head + f"{len(t)} trials, success {t['success'].mean():.0%} "
                     f"(numpy reference {t['reference_success'].mean():.0%}), mean final overlap "
                     f"{t['final_overlap'].mean():.3f} (cue {t['cue_overlap'].mean():.3f}), "
                     f"{t['n_spikes'].mean():.0f} spikes/trial, " + tail]
        else:
            lines = [head + f"{len(summary)} points x {summary['trials'].max()} trials, success by point "
                     f"{sweep.rate_span(summary['success_rate'])} (numpy reference "
                     f"{sweep.rate_span(summary['reference_success_rate'])}), " + tail,
                     summary.to_string(index=False, float_format=lambda v: f"{v:.3g}")]
        return "\n".join(lines)


MAX_ENTRIES = 100_000_000  # entries of one pattern or weight matrix (800 MB as float64)


def check_size(entries: int, what: str) -> None:
    """Refuse a matrix too large to hold (before it is generated)."""
    if entries > MAX_ENTRIES:
        raise ConfigError(f"{entries:,} {what}: at most {MAX_ENTRIES:,} (a smaller network)")


def storage_params(config: RecallConfig):
    """Plasticity parameters of a run (hebbian storage)."""
    from .equations.plasticity import StorageParams

    unit = 2.0 / config.n_features if config.model == "classical" else 1.0  # one Hebbian term's size
    return StorageParams(eta=config.learning_rate, forget_rate=config.forget_rate, w_max=config.weight_bound * unit)


def point_columns(point: Point) -> dict:
    """:func:`parameter_columns` of a point, computed once."""
    if point.columns is None:
        point.columns = cfg.columns(point.config, point.params, skip=("out", "model"))
    return point.columns


def run_values(point: Point) -> dict:
    """Every run-time value of a point: model parameters, cue duration, noise strengths, fixed-point
    constants."""
    c = point.config
    return (point.model.runtime_values() | {"t_cue": c.t_cue} | noise.run_values(c, point.model)
            | fixed_point.run_values(c, point.model))


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
