"""Recall from corrupted cues, against the numpy references (fixed seeds)."""

import numpy as np


def test_modern_recalls_like_the_reference_at_retrieval_beta(run_recall):
    res = run_recall("modern", {"beta": 0.1}, n_features=200, n_patterns=50, cue_noise=0.3)
    t = res.trials
    assert t["reference_success"].all()  # the reference retrieves at this beta
    assert t["success"].mean() >= 0.95
    assert np.allclose(t["cue_overlap"], 0.4)
    assert (t["retrieved"] == t["target"]).mean() >= 0.95
    assert t["time_to_retrieval_ms"].notna().mean() >= 0.95
    assert res.info["builds"] == 1


def test_modern_fails_like_the_reference_in_the_global_average_regime(run_recall):
    res = run_recall("modern", {"beta": 0.002}, n_features=200, n_patterns=50, cue_noise=0.3)
    t = res.trials
    assert t["reference_success"].mean() == 0.0
    assert t["success"].mean() <= 0.05
    assert t["final_overlap"].mean() < 0.4  # below the cue's 0.4: the cue was not cleaned up


def test_modern_hetero_association_keys_differ_from_values():
    """Cue with key 2: the value synapses bring value 2 (not key 2) to the features.

    With K != V the loop is no attractor, so this is the one-step attention
    output xi <- V^T softmax(beta K q): read in the memory spikes during the cue
    (posterior mean V^T p) and in the feature layer just after release.
    """
    import brian2 as b2

    from hopfield_brian import patterns as pat
    from hopfield_brian import readout
    from hopfield_brian.equations.modern import ModernParams
    from hopfield_brian.models import ModernModel
    from hopfield_brian.simulator import Simulator, Trial

    keys = pat.generate("bipolar", 10, 100, 0.5, seed=4)
    values = pat.generate("bipolar", 10, 100, 0.5, seed=5)
    model = ModernModel(ModernParams(beta=0.2), keys, values)
    sim = Simulator(model, "cpp_standalone", 130 * b2.ms, 0.1 * b2.ms,
                    model.runtime_values() | {"t_cue": 100 * b2.ms})
    cue = pat.flip(keys[2], 0.2, np.random.default_rng(0))
    spikes = sim.run_trial(Trial(cue, seed=1))
    i, t = spikes["memory"]
    posterior_mean = np.bincount(i[(t > 0.05) & (t < 0.1)], minlength=10) @ values
    assert pat.overlap(values, np.sign(posterior_mean))[2] == 1.0
    state = model.decode_counts(readout.counts(spikes, {"feature": 200, "memory": 10}, 0.105, 0.13))
    assert pat.overlap(values, state)[2] >= 0.9
    assert abs(pat.overlap(keys, state)[2]) < 0.5


def test_classical_retrieves_at_low_load(run_recall):
    t = run_recall("classical", n_features=200, n_patterns=10, cue_noise=0.2).trials
    assert t["success"].mean() >= 0.9


def test_classical_fails_beyond_capacity(run_recall):
    t = run_recall("classical", n_features=200, n_patterns=60, cue_noise=0.2).trials
    assert t["success"].mean() <= 0.5
    assert t["reference_success"].mean() <= 0.5


def test_classical_sparse_patterns_retrieve_at_low_load(run_recall):
    t = run_recall("classical", n_features=400, n_patterns=10, pattern_kind="sparse", coding_level=0.1,
                   cue_noise=0.1).trials
    assert t["cue_overlap"].max() < 0.9  # the cue alone would not pass: success means retrieval
    assert t["reference_success"].mean() >= 0.9
    assert t["success"].mean() >= 0.9
