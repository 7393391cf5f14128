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
from hopfield_brian.rate_protocol import check_size
from hopfield_brian.simulator import DEVICES
from hopfield_brian.units import Hz, Quantity, ms
from hopfield_brian import lazy

pd = lazy.module("pandas")  # imported on first use (see hopfield_brian.lazy)

SUCCESS_THRESHOLD = 0.9
SEQUENCE_COUNTS = (1, 3, 10, 30, 100, 300)
SEQUENCE_LENGTHS = (2, 5, 10, 20)


@dataclass(frozen=True)
class SequenceConfig(DelayParams):
    """Everything a sequence run depends on (the delay model's parameters included)."""

    model: str = param("modern", "no rate model runs here: only the default, modern, is accepted", sweepable=False)
    n_features: int = param(100, "feature neurons N", low=1, structural=True)
    n_sequences: int = param(10, "stored sequences S", low=1)
    sequence_length: int = param(5, "patterns per sequence L (>= 2)", low=2)
    cycle: Quantity = param(20 * ms, "cycle length T: latencies lie in [dt, T)", low=0 * ms, strict=True, structural=True)
    active_fraction: float = param(0.2, "fraction of feature neurons that spike in a pattern", low=0.0, high=1.0, structural=True)
    cue_keep: float = param(1.0, "fraction of the first element's spikes in the cue", low=0.0, high=1.0)
    cue_deletion: float = param(0.0, "probability that a cue spike is deleted", low=0.0, high=1.0)
    cue_jitter: Quantity = param(1 * ms, "std of Gaussian jitter on the cue spikes", low=0 * ms)
    background_rate: Quantity = param(0 * Hz, "rate of extra background spikes per feature neuron", low=0 * Hz)
    tolerance: Quantity = param(5 * ms, "a replayed spike matches a stored one within this", low=0 * ms, strict=True, structural=True)
    trials: int = param(20, "trials per parameter point", low=1, sweepable=False)
    seed: int = param(0, "master seed: patterns, cued sequences, cues and spikes", structural=True)
    dt: Quantity = param(0.1 * ms, "simulation time step", low=0 * ms, strict=True, structural=True)
    device: str = param("cpp_standalone", "'runtime', 'cpp_standalone' or 'cuda_standalone'", choices=DEVICES, structural=True, sweepable=False)
    out: str = param("", "output folder (default results/sequence/delay-<time>)", sweepable=False)

    @property
    def patterns(self) -> str:
        """The command line's ``--patterns`` (rate patterns) does not apply: always empty."""
        return ""


class Sequence(DelayProtocol):
    """Store sequences of spike-time patterns, cue the first element, score order and timing."""

    name = "sequence"
    help = "store sequences of spike-time patterns, cue the first element, score order and timing"
    config_class = SequenceConfig

    def default_grid(self, config, grid):
        """The user's grid, or the default: S sequences at the base L, and L at the base S."""
        if grid:
            return grid
        return ([{"n_sequences": s} for s in SEQUENCE_COUNTS]
                + [{"sequence_length": n} for n in SEQUENCE_LENGTHS if n != config.sequence_length])

    def validate(self, config, params=None) -> None:
        if config.model != "modern":
            raise ConfigError(f"--model {config.model}: the sequence protocol runs the delay memory only, no rate model")
        super().validate(config, params)
        check_size(config.n_sequences * config.sequence_length * config.n_features,
                   "n_sequences x sequence_length x n_features latencies")

    def models(self, points: list[Point]) -> None:
        """One model holding the largest set (S_max sequences of L_max); smaller points silence the rest."""
        c = points[0].config
        s_max = max(pt.config.n_sequences for pt in points)
        l_max = max(pt.config.sequence_length for pt in points)
        seq = sequence_latencies(c, s_max, l_max)
        keys = seq.reshape(s_max * l_max, -1)
        values = np.concatenate([seq[:, 1:], np.full((s_max, 1, c.n_features), np.nan)], axis=1)
        model = DelayModel(delay_params(c), keys, values.reshape(s_max * l_max, -1), cycle=c.cycle, dt=c.dt)
        s_idx, k_idx = np.divmod(np.arange(s_max * l_max), l_max)
        for pt in points:
            pt.model, pt.length, pt.build_length = model, pt.config.sequence_length, l_max
            pt.n_stored = pt.config.n_sequences
            alive = (s_idx < pt.config.n_sequences) & (k_idx < pt.length - 1)
            pt.alive = None if alive.all() else alive.astype(float)

    def duration_of(self, point: Point) -> float:
        """The cue cycle, L_build - 1 replay cycles and the tolerance (s)."""
        return point.build_length * point.model.period + float(point.config.tolerance)

    def trial_cue(self, point: Point, repeat: int):
        """The cued sequence and the cue (from its first element) of trial ``repeat``."""
        rng = paradigm.trial_rng(point.config.seed, repeat)
        s = int(rng.integers(point.config.n_sequences))
        return s, cue_spikes(point.model.keys[s * point.build_length], point.config, rng)

    def score_trial(self, point: Point, repeat: int, key, spikes: dict) -> dict:
        return score(point, key, spikes)

    def summarise(self, trials: pd.DataFrame, swept: list[str]) -> pd.DataFrame:
        return summarise(trials, swept)

    def figures(self, results) -> dict:
        from hopfield_brian import plotting

        first = results.points[0]
        row = results.trials.iloc[0]
        figs = {"raster": plotting.sequence_raster(first.model, int(row["sequence"]), first.length,
                                                   first.build_length, results.spike_table(trial=int(row["trial"])))}
        if set(results.swept) <= {"n_sequences", "sequence_length"}:  # the default curves
            figs["curves"] = plotting.sequence_curves(results.summary, results.swept)
        else:
            figs["sweep"] = plotting.sweep_figure(results.trials, results.swept, REPLAY_MEASURE, "sequence sweep")
        return figs

    def report(self, results) -> str:
        t = results.trials
        return "\n".join([f"sequence recall: {len(t)} trials, in order {t['success'].mean():.0%}, median timing "
                          f"error {t['median_error_ms'].median():.2f} ms, {builds_text(results.info)} "
                          f"({results.info['build_time_s']:.0f} s), wall {results.wall_s:.1f} s",
                          results.summary.to_string(index=False, float_format=lambda v: f"{v:.3g}")])


def sequence_latencies(config, n_sequences: int, length: int) -> np.ndarray:
    """(S, L, N) latencies; sequence s, element k is row s * L + k of one random draw."""
    lat = st.random_patterns(n_sequences * length, config.n_features, float(config.cycle), config.active_fraction,
                             config.seed, dt=float(config.dt), min_latency=float(config.dt))
    return lat.reshape(n_sequences, length, config.n_features)


def score(point: Point, info, spikes: dict) -> dict:
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
        elements.append(replay_scores(model.keys[s * lb + k], fi, ft, start, stop, k * P, tol))
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
            "synaptic_events": synaptic_events(point, spikes),
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


if __name__ == "__main__":
    from hopfield_brian.cli import main as cli_main

    sys.exit(cli_main(["run", "sequence", *sys.argv[1:]]))
