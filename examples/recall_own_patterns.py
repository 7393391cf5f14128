"""Recall with one's own patterns, given as a numpy array, and a look at the raster in pandas.

    python examples/recall_own_patterns.py [--out results/examples/own]
"""

import argparse

import numpy as np

import hopfield_brian as hb


def main(out: str | None = None, trials: int = 6) -> hb.Results:
    # eight +-1 patterns of 64 features: two "bars" images and six random ones
    rng = np.random.default_rng(1)
    bars = np.where(np.arange(64) % 8 < 4, 1.0, -1.0)
    patterns = np.vstack([bars, -np.roll(bars, 2), rng.choice([-1.0, 1.0], size=(6, 64))])

    recall = hb.Recall(patterns=patterns, beta=0.2, cue_noise=0.2, trials=trials, seed=3)
    res = recall.run(out=out)  # n_patterns and n_features come from the array
    print(res.report())

    # the raster is a tidy table: one row per spike
    spikes = res.spikes
    rates = (spikes.groupby(["trial", "population"], observed=True).size()
             / float(recall.config.t_cue + recall.config.t_free)).unstack()  # spikes per second
    print("population rates (spikes/s) per trial:\n", rates.round(0))
    memory = spikes[(spikes["population"] == "memory") & (spikes["t_ms"] >= 50)]
    winners = memory.groupby("trial")["neuron"].agg(lambda n: n.value_counts().idxmax())
    print("most active memory neuron per trial:", winners.to_dict())
    print("targets:                           ", res.trials.set_index("trial")["target"].to_dict())
    return res


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="results folder (default: nothing written)")
    main(parser.parse_args().out)
