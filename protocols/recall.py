"""Recall protocol: store M patterns, cue a corrupted target, let the network run free.

Each trial picks a target pattern, presents a corrupted cue (a fraction
``cue_noise`` of entries flipped, a fraction ``cue_mask`` masked) for ``t_cue``
with the network clamped to it, then releases the network for ``t_free``. The
final state is read from spike counts in the last ``readout_window`` and scored
by its overlap with the target (success: overlap >= 0.9). The numpy reference
of the same model is run from the same cue for comparison.

All trials run on one build of the network (one compilation on standalone
devices). Runnable as ``hopfield-brian run recall`` or
``python protocols/recall.py``.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import brian2 as b2
import numpy as np
import pandas as pd
from brian2 import Quantity, ms

from hopfield_brian import paradigm, readout, results
from hopfield_brian import patterns as pat
from hopfield_brian.config import describe, qty
from hopfield_brian.errors import ConfigError
from hopfield_brian.simulator import DEVICES, Simulator


@dataclass(frozen=True)
class RecallConfig:
    """Everything a recall run depends on, besides the model parameters."""

    model: str = "modern"  # 'modern' (Bayesian, attention-like) or 'classical' (Hebbian)
    n_features: int = 200  # pattern length N (feature neurons per polarity / classical neurons)
    n_patterns: int = 50  # number M of stored patterns
    pattern_kind: str = "bipolar"  # 'bipolar' {-1,+1} or 'sparse' {0,1} random patterns
    coding_level: float = 0.1  # fraction of ones of sparse patterns
    patterns: str = ""  # .npy or .csv file of user patterns (M x N); overrides the random ones
    cue_noise: float = 0.2  # fraction of the target's entries flipped in the cue
    cue_mask: float = 0.0  # fraction of the cue's entries masked (set to 'unknown')
    t_cue: Quantity = qty(100 * ms)  # cue phase: the network is clamped to the cue
    t_free: Quantity = qty(200 * ms)  # free phase after the cue
    readout_window: Quantity = qty(50 * ms)  # final state from spike counts in this last window
    bin_width: Quantity = qty(5 * ms)  # time step of the overlap trajectories
    trace_window: Quantity = qty(20 * ms)  # trajectories decode the spikes of this trailing window
    dt: Quantity = qty(0.1 * ms)  # simulation time step
    trials: int = 20  # number of trials (each with its own target, cue and seed)
    seed: int = 0  # master seed: patterns, targets, cues and spikes
    device: str = "cpp_standalone"  # 'runtime' or 'cpp_standalone'
    out: str = ""  # output folder (default results/recall/<model>-<time>)


def load_patterns(config: RecallConfig) -> tuple[np.ndarray, str]:
    """Stored patterns and their kind: from the user's file or random from the seed."""
    if config.patterns:
        stored, kind = pat.load(config.patterns)
        if stored.shape != (config.n_patterns, config.n_features):
            raise ConfigError(f"{config.patterns} holds {stored.shape[0]} x {stored.shape[1]} patterns "
                              f"but n_patterns x n_features = {config.n_patterns} x {config.n_features}")
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
    if config.n_features < 2 or config.n_patterns < 1 or config.trials < 1:
        raise ConfigError("n_features must be >= 2, n_patterns >= 1 and trials >= 1")
    for name in ("cue_noise", "cue_mask"):
        if not 0.0 <= getattr(config, name) <= 1.0:
            raise ConfigError(f"{name} must be in [0, 1], got {getattr(config, name)}")
    if not 0.0 < config.coding_level < 1.0:
        raise ConfigError(f"coding_level must be in (0, 1), got {config.coding_level}")
    for name in ("t_cue", "t_free", "readout_window", "bin_width", "trace_window", "dt"):
        if not float(getattr(config, name)) > 0:
            raise ConfigError(f"{name} must be positive, got {getattr(config, name)}")
    if config.readout_window > config.t_free:
        raise ConfigError(f"readout_window ({config.readout_window}) must not exceed t_free ({config.t_free})")
    paradigm.check_model_params(params, config.n_features)


def parameter_columns(config: RecallConfig, params) -> dict:
    """Every parameter of the run as flat trials-table columns (units in the names)."""
    cols = {}
    for source in (config, params):
        for name, v in describe(source).items():
            if name in ("out", "model"):
                continue
            if isinstance(v, dict):
                cols[f"{name}_{v['unit']}"] = v["value"]
            else:
                cols[name] = v
    return cols


def run_trials(config: RecallConfig, params, progress=None) -> dict:
    """Build once, run every trial; return trials table, spike table and trajectories."""
    stored, kind = load_patterns(config)
    model, stored, kind = paradigm.store(config.model, params, stored, kind)
    duration = config.t_cue + config.t_free
    sim = Simulator(model, config.device, duration, config.dt,
                    model.runtime_values() | {"t_cue": config.t_cue})
    sizes = {pop: len(mon.source) for pop, mon in sim.built.monitors.items()}
    t_end_s, t_cue_s = float(duration), float(config.t_cue)
    rows, spike_frames, trajectories = [], [], []
    fixed = parameter_columns(config, params)
    for trial in range(config.trials):
        rng = paradigm.trial_rng(config.seed, trial)
        target = int(rng.integers(model.n_patterns))
        cue = paradigm.make_cue(stored, kind, target, config.cue_noise, config.cue_mask, rng)
        t0 = time.perf_counter()
        spikes = sim.run_trial(cue, paradigm.trial_seed(config.seed, trial), {})
        wall = time.perf_counter() - t0
        final = model.decode_counts(readout.counts(spikes, sizes, t_end_s - float(config.readout_window), t_end_s))
        t_bins, overlaps = readout.overlap_trajectory(model, stored, kind, spikes, sizes, t_end_s,
                                                      float(config.bin_width), float(config.trace_window))
        ref = paradigm.score(stored, kind, target, paradigm.reference_state(model, kind, cue, rng))
        n_spikes = {pop: int(i.size) for pop, (i, _) in spikes.items()}
        events = sum(int(np.sum(sim.built.fanout[pop][i])) for pop, (i, _) in spikes.items())
        rows.append({
            "trial": trial, "model": config.model, "target": target,
            "cue_overlap": float(pat.overlap(stored, cue, kind)[target]),
            **paradigm.score(stored, kind, target, final),
            "time_to_retrieval_ms": readout.time_to_retrieval(t_bins, overlaps[:, target], t_cue_s),
            "n_spikes": sum(n_spikes.values()),
            **{f"n_spikes_{pop}": n for pop, n in n_spikes.items()},
            "synaptic_events": events,
            "reference_final_overlap": ref["final_overlap"], "reference_success": ref["success"],
            "wall_s": wall, **fixed,
        })
        spike_frames.append(readout.spike_table(trial, spikes))
        trajectories.append(pd.DataFrame(overlaps, columns=range(model.n_patterns)).assign(
            trial=trial, t_ms=t_bins * 1e3).melt(id_vars=["trial", "t_ms"], var_name="pattern",
                                                  value_name="overlap"))
        if progress:
            progress(trial + 1, config.trials)
    return {"trials": pd.DataFrame(rows), "spikes": pd.concat(spike_frames, ignore_index=True),
            "overlaps": pd.concat(trajectories, ignore_index=True), "build_time_s": sim.build_time,
            "compilations": sim.compilations, "model": model, "stored": stored, "kind": kind}


def main(config: RecallConfig, params=None, quiet: bool = False) -> dict:
    """Run the recall protocol and write its results; return them and the output folder."""
    from hopfield_brian import plotting

    params = paradigm.model_params(config.model) if params is None else params
    validate(config, params)
    out = Path(config.out) if config.out else results.default_run_dir("recall", config.model)
    if out.exists() and any(out.iterdir()):
        raise ConfigError(f"output folder {out} exists and is not empty")
    t0 = time.perf_counter()
    progress = None if quiet else _progress_printer()
    res = run_trials(config, params, progress)
    wall = time.perf_counter() - t0
    with results.staged_dir(out) as stage:
        res["spikes"].to_parquet(stage / "spikes.parquet", index=False)
        res["trials"].to_csv(stage / "trials.csv", index=False)
        results.write_json(stage / "config.json", {
            "protocol": "recall", "config": describe(config), "model_params": describe(params),
            "pattern_kind": res["kind"], "device": config.device, "seed": config.seed,
            "build_time_s": res["build_time_s"], "compilations": res["compilations"], "wall_time_s": wall,
            "versions": results.package_versions(),
        })
        plotting.recall_figure(res["spikes"], res["overlaps"], res["trials"], config, stage / "recall.png")
    res["out"], res["wall_s"] = out, wall
    if not quiet:
        print(summary(res))
    return res


def summary(res: dict) -> str:
    t = res["trials"]
    return (f"{t['model'].iloc[0]} recall: {len(t)} trials, success {t['success'].mean():.0%} "
            f"(numpy reference {t['reference_success'].mean():.0%}), "
            f"mean final overlap {t['final_overlap'].mean():.3f} (cue {t['cue_overlap'].mean():.3f}), "
            f"{t['n_spikes'].mean():.0f} spikes/trial, build {res['build_time_s']:.1f} s, "
            f"wall {res['wall_s']:.1f} s\nresults in {res['out']}")


def _progress_printer():
    from tqdm import tqdm

    bar = tqdm(total=None, unit="trial", file=sys.stderr, leave=False)

    def update(done, total):
        bar.total = total
        bar.update(done - bar.n)
        if done == total:
            bar.close()

    return update


if __name__ == "__main__":
    from hopfield_brian.cli import main as cli_main

    sys.exit(cli_main(["run", "recall", *sys.argv[1:]]))
