"""The stability-plasticity-energy trade-off of storage by plasticity (storage protocol's tradeoff table)."""

import numpy as np
import pytest

import hopfield_brian as hb
from hopfield_brian import energy
from hopfield_brian.units import Hz

N, M, T_STEPS = 64, 6, 2000  # 200 ms presentations at 0.1 ms


def test_faster_forgetting_loses_the_oldest_pattern_keeps_the_newest_and_costs_the_counted_updates():
    run = hb.protocol("storage", model="modern", beta=0.2, n_features=N, n_patterns=M, trials=12, cue_noise=0.1,
                      sweep={"forget_rate": [0 * Hz, 2 * Hz], "cued_pattern": [0, M - 1]}).run(figures=False)
    t = run.tables["tradeoff"].set_index("forget_rate_Hz")
    # no decay: nothing overwrites a recruited memory; 2 Hz: the oldest keeps exp(-2 Hz x 5 x 200 ms) = 0.14
    assert t.loc[0.0, "retention"] >= 0.9 and t.loc[2.0, "retention"] <= 0.1
    assert t.loc[2.0, "acquisition"] >= t.loc[0.0, "acquisition"] - 0.1 and t.loc[2.0, "acquisition"] >= 0.9
    assert t.loc[0.0, "span"] == M - 1 and t.loc[2.0, "span"] == 0
    # by hand: 2N ON/OFF features x M memories, key and value synapses, updated every step of M presentations
    updates = 2 * (2 * N * M) * M * T_STEPS
    assert (t["plastic_updates"] == updates).all()
    assert t["storage_uJ_per_stored"].to_numpy() == pytest.approx(updates * 120.0 / M / 1e6)
    assert energy.TABLES["loihi"].cost("plastic_update") == 120.0
    # the accountant's synaptic events on the recall spike table are the protocol's own count
    for rate, g in run.trials.groupby("forget_rate_Hz"):
        assert t.loc[rate, "recall_synaptic_events"] == pytest.approx(g["synaptic_events"].mean())
    assert np.all(t["recall_uJ_per_trial"] > 0)


def test_a_faster_learning_rate_under_a_soft_bound_overwrites_old_patterns_sooner():
    # bound 8 x 2/N forgets about rate / 8 of a memory per pattern stored after it (Parisi 1986 palimpsest)
    run = hb.protocol("storage", model="classical", n_features=100, n_patterns=10, trials=10, weight_bound=8.0,
                      sweep={"learning_rate": [1.0, 16.0], "cued_pattern": [7, 9]}).run(figures=False)
    t = run.tables["tradeoff"].set_index("learning_rate")
    assert (t["oldest_age"] == 2).all() and (t["acquisition"] >= 0.9).all()
    assert t.loc[1.0, "retention"] >= 0.8 and t.loc[16.0, "retention"] <= 0.2  # age 2: kept at 1, lost at 16
    updates = 100 * 99 * 10 * T_STEPS  # every recurrent synapse at every step of the 10 presentations
    assert (t["plastic_updates"] == updates).all()
    assert t["storage_uJ_per_stored"].to_numpy() == pytest.approx(updates * 120.0 / 10 / 1e6)
    for rate, g in run.trials.groupby("learning_rate"):
        assert t.loc[rate, "recall_synaptic_events"] == pytest.approx(g["synaptic_events"].mean())
