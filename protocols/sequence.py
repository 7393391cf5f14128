"""Sequence protocol: store sequences of spatio-temporal patterns, cue the first element, score the order.

S sequences of L patterns each (random latencies, see
:mod:`hopfield_brian.spatiotemporal`) are stored hetero-associatively in the
delay memory (:mod:`hopfield_brian.equations.delay_memory`): memory (s, k)
detects element k of sequence s through key delays T - t_i and replays element
k + 1 through value delays t_i, an asymmetric memory-to-memory transition
with a delay of one period P = T + 2 dt (Sompolinsky & Kanter 1986; Kleinfeld
1986). A trial cues element 0 of one sequence in cycle 0 (``cue_keep`` of its
spikes, jitter ``cue_jitter``); element k is then replayed in cycle k.

Scoring: the memory spikes, in time order, must be (s, 0), (s, 1), ...,
(s, L-2); replay k is the feature spikes between the k-th memory spike and the
next (or one period plus ``tolerance``), latencies measured from k P, scored
against element k with :func:`hopfield_brian.spatiotemporal.recall_scores`.
A trial recalls the sequence in order when the memory order is right and every
replayed element succeeds (completeness >= 0.9, median timing error <= 2 ms,
false spikes <= 10 %). Order accuracy = the fraction of such trials.

The default run sweeps the number of stored sequences S (capacity in
sequences at fixed N, T, L) and the sequence length L, on ONE build holding
the largest set: a point with fewer or shorter sequences silences the other
memories (a run-time array). Runnable as ``hopfield-brian run sequence``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from brian2 import Hz, Quantity, ms

from hopfield_brian import paradigm, sweep
from hopfield_brian import spatiotemporal as st
from hopfield_brian.config import qty
from hopfield_brian.delay_model import DelayModel
from hopfield_brian.equations.delay_memory import DelayParams
from hopfield_brian.errors import ConfigError
from hopfield_brian.protocols import spatiotemporal as spt
from hopfield_brian.simulator import Trial

HELP = "store sequences of spike-time patterns, cue the first element, score order and timing"
SUCCESS_THRESHOLD = 0.9
SEQUENCE_COUNTS = (1, 3, 10, 30, 100, 300)
SEQUENCE_LENGTHS = (2, 5, 10, 20)

STRUCTURAL = ("n_features", "cycle", "active_fraction", "seed", "dt", "device", "tau_memory", "tau_feature",
              "tau_inhibition", "eta_inhibition", "value_weight", "memory_refractory", "feature_refractory",
              "tolerance")


# No rate model runs here: its parameters (--set beta=...) and --model classical are refused.
MODEL_PARAMETERS = False


def defaults(model: str) -> dict:
    return {}


@dataclass(frozen=True)
class SequenceConfig(DelayParams):
    """Everything a sequence run depends on (the delay model's parameters included)."""

    model: str = "modern"  # no rate model runs here: only the default, modern, is accepted
    n_features: int = 100  # feature neurons N
    n_sequences: int = 10  # stored sequences S
    sequence_length: int = 5  # patterns per sequence L (>= 2)
    cycle: Quantity = qty(20 * ms)  # cycle length T: latencies lie in [dt, T)
    active_fraction: float = 0.2  # fraction of feature neurons that spike in a pattern
    cue_keep: float = 1.0  # fraction of the first element's spikes in the cue
    cue_deletion: float = 0.0  # probability that a cue spike is deleted
    cue_jitter: Quantity = qty(1 * ms)  # std of Gaussian jitter on the cue spikes
    background_rate: Quantity = qty(0 * Hz)  # rate of extra background spikes per feature neuron
    tolerance: Quantity = qty(5 * ms)  # a replayed spike matches a stored one within this
    trials: int = 20  # trials per parameter point
    seed: int = 0  # master seed: patterns, cued sequences, cues and spikes
    dt: Quantity = qty(0.1 * ms)  # simulation time step
    device: str = "cpp_standalone"  # 'runtime', 'cpp_standalone' or 'cuda_standalone'
    out: str = ""  # output folder (default results/sequence/delay-<time>)

    @property
    def patterns(self) -> str:
        """The command line's ``--patterns`` (rate patterns) does not apply: always empty."""
        return ""


CONFIG = SequenceConfig


def full_grid(config, grid):
    """The user's grid, or the default: S sequences at the base L, and L at the base S."""
    if grid:
        return grid
    return ([{"n_sequences": s} for s in SEQUENCE_COUNTS]
            + [{"sequence_length": n} for n in SEQUENCE_LENGTHS if n != config.sequence_length])


@dataclass
class Point(spt.Point):
    length: int = 0  # sequence length L of this point
    build_length: int = 0  # L of the build


def sequence_latencies(config, n_sequences: int, length: int) -> np.ndarray:
    """(S, L, N) latencies; sequence s, element k is row s * L + k of one random draw."""
    lat = st.random_patterns(n_sequences * length, config.n_features, float(config.cycle), config.active_fraction,
                             config.seed, dt=float(config.dt), min_latency=float(config.dt))
    return lat.reshape(n_sequences, length, config.n_features)


def prepare(config: SequenceConfig, grid=None) -> list[Point]:
    points = [Point(**vars(p)) for p in spt._points(config, grid)]
    groups: dict[tuple, list[Point]] = {}
    for pt in points:
        c = pt.config
        if c.model != "modern":
            raise ConfigError(f"--model {c.model}: the sequence protocol runs the delay memory only, no rate model")
        spt.validate_common(c)
        if c.n_sequences < 1 or c.sequence_length < 2:
            raise ConfigError(f"n_sequences must be >= 1 and sequence_length >= 2, got {c.n_sequences} "
                              f"and {c.sequence_length}")
        groups.setdefault(tuple(repr(getattr(c, k)) for k in STRUCTURAL), []).append(pt)
    for pts in groups.values():
        c = pts[0].config
        s_max = max(pt.config.n_sequences for pt in pts)
        l_max = max(pt.config.sequence_length for pt in pts)
        seq = sequence_latencies(c, s_max, l_max)
        keys = seq.reshape(s_max * l_max, -1)
        values = np.concatenate([seq[:, 1:], np.full((s_max, 1, c.n_features), np.nan)], axis=1)
        model = DelayModel(spt.delay_params(c), keys, values.reshape(s_max * l_max, -1), cycle=c.cycle, dt=c.dt)
        s_idx, k_idx = np.divmod(np.arange(s_max * l_max), l_max)
        for pt in pts:
            pt.model, pt.length, pt.build_length = model, pt.config.sequence_length, l_max
            pt.n_stored = pt.config.n_sequences
            alive = (s_idx < pt.config.n_sequences) & (k_idx < pt.length - 1)
            pt.alive = None if alive.all() else alive.astype(float)
    return points


def duration(point: Point) -> float:
    """The cue cycle, L_build - 1 replay cycles and the tolerance (s)."""
    return point.build_length * point.model.period + float(point.config.tolerance)


def _jobs(point: Point, repeats):
    c = point.config
    arrays = {"alive_memory": point.alive} if point.alive is not None else None
    for r in repeats:
        rng = paradigm.trial_rng(c.seed, r)
        s = int(rng.integers(c.n_sequences))
        first = point.model.keys[s * point.build_length]
        cue = st.partial_cue(first, c.cue_keep, rng)
        cue = st.delete(cue, c.cue_deletion, rng)
        cue = st.jitter(cue, float(c.cue_jitter), rng, float(c.cycle), float(c.dt))
        yield (s, cue), Trial(cue, paradigm.trial_seed(c.seed, r), spt.run_values(point), arrays)


def score(point: Point, repeat: int, info, spikes: dict, fanout: dict) -> dict:
    """Order of the memory spikes, and the replay of every element after the first."""
    s, cue = info
    model, c, L, lb = point.model, point.config, point.length, point.build_length
    P, tol = model.period, float(c.tolerance)
    fi, ft = spikes["feature"]
    mi, mt = spikes["memory"]
    order = np.argsort(mt, kind="stable")
    mi, mt = mi[order], mt[order]
    expected = s * lb + np.arange(L - 1)
    order_ok = bool(mi.size >= L - 1 and np.array_equal(mi[: L - 1], expected))
    elements = []
    for k in range(1, L):
        if k - 1 < mt.size:
            start = mt[k - 1]
            stop = mt[k] if k < mt.size else start + P + tol
        else:
            start = stop = np.inf
        elements.append(spt.replay_scores(model.keys[s * lb + k], fi, ft, start, stop, k * P, tol))
    ok = [e["success"] for e in elements]
    errs = [e["median_error"] for e in elements if not np.isnan(e["median_error"])]
    recalled = 0
    for k in range(L - 1):  # elements recalled in order before the first miss
        if k < mi.size and mi[k] == expected[k] and ok[k]:
            recalled += 1
        else:
            break
    return {"sequence": s, "n_stored": c.n_sequences, "length": L, "order_correct": order_ok,
            "elements_correct": int(np.sum(ok)), "elements_in_order": recalled,
            "success": bool(order_ok and all(ok)),
            "completeness": float(np.mean([e["completeness"] for e in elements])),
            "median_error_ms": float(np.median(errs) * 1e3) if errs else float("nan"),
            "false_fraction": float(np.mean([e["false_fraction"] for e in elements])),
            "van_rossum": float(np.mean([e["van_rossum"] for e in elements])),
            "n_memory_spikes": int(mt.size), "n_spikes": int(fi.size + mi.size),
            "synaptic_events": spt.synaptic_events(point, spikes),
            "time_to_last_element_ms": float(L * P * 1e3)}


def summarise(trials: pd.DataFrame, swept: list[str]) -> pd.DataFrame:
    g, out = sweep.point_summary(trials, swept)
    out = out.rename(columns={"success_rate": "order_accuracy"})
    out["n_sequences"] = g["n_stored"].first()
    out["sequence_length"] = g["length"].first()
    out["memory_order_correct"] = g["order_correct"].mean()
    out["elements_in_order_mean"] = g["elements_in_order"].mean()
    out["completeness_mean"] = g["completeness"].mean()
    out["median_error_ms"] = g["median_error_ms"].median()
    out["false_fraction_mean"] = g["false_fraction"].mean()
    out["spikes_per_trial"] = g["n_spikes"].mean()
    out["synaptic_events_per_trial"] = g["synaptic_events"].mean()
    return out.reset_index()


def build_only(config, params=None, grid=None) -> list:
    """``--build-only``: compile every structure of the run, write no results."""
    return spt.build_structures(prepare(config, grid), duration)


def run_trials(config: SequenceConfig, grid=None, workers=None) -> dict:
    """In-memory run (no files)."""
    from hopfield_brian.sweep import MemoryStore, store_sizes

    points = prepare(config, grid)
    store = MemoryStore(**store_sizes(points))
    stats = spt.run_points(points, store, jobs=_jobs, score=score, duration_of=duration, workers=workers)
    return {"trials": store.trials(), "spikes": store.spike_table(), "points": points, **stats}


def main(config: SequenceConfig, params=None, grid=None, workers=None, quiet=False) -> dict:
    """Run (or resume) the sequence protocol; ``params`` (rate-model parameters of the command line)
    are not used."""
    from hopfield_brian import plotting

    grid = full_grid(config, grid)
    points = prepare(config, grid)

    def extra(res, stage):
        first = res["points"][0]
        row = res["trials"].iloc[0]
        plotting.sequence_raster(first.model, int(row["sequence"]), first.length, first.build_length,
                                 res["store"].spike_table(trial=int(row["trial"])), stage / "raster.png")
        if set(res["swept"]) <= {"n_sequences", "sequence_length"}:  # the default curves
            plotting.sequence_curves(res["summary"], res["swept"], stage / "curves.png")
        else:
            plotting.sweep_figure(res["trials"], res["swept"], stage / "sweep.png",
                                  spt.REPLAY_MEASURE, "sequence sweep")

    res = spt.execute("sequence", config, points, grid, jobs=_jobs, score=score, duration_of=duration,
                      summarise_fn=summarise, extra_files=extra, workers=workers, quiet=quiet)
    if not quiet:
        t = res["trials"]
        print(f"sequence recall: {len(t)} trials, in order {t['success'].mean():.0%}, median timing error "
              f"{t['median_error_ms'].median():.2f} ms, {res['compilations']} compilation(s) "
              f"({res['build_time_s']:.0f} s), wall {res['wall_s']:.1f} s")
        print(res["summary"].to_string(index=False, float_format=lambda v: f"{v:.3g}"))
        print(f"results in {res['out']}")
    return res


if __name__ == "__main__":
    import sys

    from hopfield_brian.cli import main as cli_main

    sys.exit(cli_main(["run", "sequence", *sys.argv[1:]]))
