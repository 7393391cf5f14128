"""A protocol of one's own, plugged into the engine: how long does the recalled memory hold?

``Persistence`` is the recall trial with two more columns per trial: once the cue is
released, how long the target overlap stays >= ``hold_overlap`` from the moment it
first gets there, and whether it holds to the end of the trial. Declaring a parameter (``hold_overlap``) is one line; sweeps,
resume (``run(out=...)``), devices, batching and the progress bar come from the
engine, and ``hb.load`` reads the folder back.

    python examples/custom_protocol.py [--out results/examples/persistence]
"""

import argparse
from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure

import hopfield_brian as hb
from hopfield_brian.units import ms


@dataclass(frozen=True)
class PersistenceConfig(hb.RecallConfig):
    hold_overlap: float = hb.param(0.8, "overlap the target must keep to count as held", low=0.0, high=1.0)


class Persistence(hb.RateProtocol):
    """Recall, then how long the target stays recalled once the cue is gone."""

    name = "persistence"
    help = "time the recalled memory holds after the cue"
    config_class = PersistenceConfig

    def extra_columns(self, point, target, cue, spikes, fanout, trajectory) -> dict:
        t_end, overlaps = trajectory  # bin ends (s) and overlaps with every pattern
        free = t_end > float(point.config.t_cue)
        t, held = t_end[free], overlaps[free, target] >= point.config.hold_overlap
        if not held.any():
            return {"hold_ms": 0.0, "held_to_end": False}
        first = np.argmax(held)
        lost = np.flatnonzero(~held[first:])
        until = t[first + lost[0]] if lost.size else t[-1]
        return {"hold_ms": 1e3 * (until - t[first]), "held_to_end": not lost.size}

    def summarise(self, trials, swept):
        out = super().summarise(trials, swept)
        g = trials.groupby("point")
        out["hold_ms_mean"] = out["point"].map(g["hold_ms"].mean())
        out["held_to_end_rate"] = out["point"].map(g["held_to_end"].mean())
        return out

    def figures(self, results) -> dict:
        fig = Figure(figsize=(5, 3.5), layout="constrained")
        ax = fig.subplots()
        s = results.summary.sort_values("feedback_gain")
        ax.plot(s["feedback_gain"], s["hold_ms_mean"], "o-")
        ax.set(xlabel="feedback gain", ylabel="time held after the cue (ms)", title="persistence")
        return {"persistence": fig}


def main(out: str | None = None, trials: int = 4) -> hb.Results:
    exp = Persistence(n_features=64, n_patterns=8, trials=trials, t_free=150 * ms,
                      readout_window=30 * ms, sweep={"feedback_gain": [0.0, 0.5, 1.0]})
    res = exp.run(out=out)
    print(res.summary[["feedback_gain", "success_rate", "hold_ms_mean", "held_to_end_rate"]])
    return res


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="results folder (rerun with the same folder to resume)")
    main(parser.parse_args().out)
