"""Noise injection: each perturbation does what it says, on one build."""

import brian2 as b2
import numpy as np
import pytest

import hopfield_brian as hb
from hopfield_brian import noise
from hopfield_brian import patterns as pat
from hopfield_brian.equations.modern import ModernParams
from hopfield_brian.errors import ConfigError
from hopfield_brian.models import ModernModel
from hopfield_brian.rate_protocol import RecallConfig
from hopfield_brian.simulator import Simulator, Trial


def test_quantise_keeps_signs_at_one_bit_and_errors_within_half_a_step():
    w = np.random.default_rng(0).normal(size=1000)
    one = noise.quantise(w, 1)
    assert np.allclose(np.abs(one), np.abs(w).mean()) and np.all(np.sign(one) == np.sign(w))
    eight = noise.quantise(w, 8)
    r = min(np.abs(w).max(), 3 * w.std())
    inside = np.abs(w) <= r
    assert np.max(np.abs(eight - w)[inside]) <= r / 255 + 1e-12 and len(np.unique(eight)) <= 256
    assert np.allclose(np.abs(eight[~inside]), r)
    assert np.array_equal(noise.quantise(np.array([-1.0, 1.0, 1.0]), 3), [-1.0, 1.0, 1.0])
    assert np.array_equal(noise.quantise(w, 0), w)


@pytest.mark.parametrize("field, value, message", [
    ("deletion", 1.5, r"deletion must lie in \[0, 1\], got 1.5"), ("ablation", -0.1, r"ablation must lie in \[0, 1\]"),
    ("cue_mask", 2.0, r"cue_mask must lie in \[0, 1\]"), ("weight_bits", -1, ">= 1 bit"),
    ("membrane_noise", -1.0, "membrane_noise must be >= 0"), ("weight_noise", -0.5, "weight_noise must be >= 0"),
    ("background_rate", -5 * b2.Hz, "background_rate must be >= 0Hz, got -5Hz"),
])
def test_bad_noise_values_are_refused_when_the_protocol_is_made(field, value, message):
    with pytest.raises(ConfigError, match=message):
        hb.Recall(**{field: value})


@pytest.fixture(scope="module")
def open_loop():
    """A small modern network, clamped to a cue for 1 s, on one build."""
    keys = pat.generate("bipolar", 6, 32, 0.5, seed=2)
    model = ModernModel(ModernParams(), keys)
    values = model.runtime_values() | {"t_cue": 10 * b2.second, "deletion": 0.0, "background_rate": 0 * b2.Hz}
    sim = Simulator(model, "cpp_standalone", 1 * b2.second, 0.2 * b2.ms, values)
    yield model, keys, sim
    sim.close()


def test_spike_deletion_thins_every_population(open_loop):
    model, keys, sim = open_loop
    full = sim.run_trial(Trial(keys[0], 1))
    thinned = sim.run_trial(Trial(keys[0], 1, values={"deletion": 0.5}))
    for pop in ("feature", "memory"):
        ratio = thinned[pop][0].size / full[pop][0].size
        assert 0.45 < ratio < 0.55, (pop, ratio)


def test_background_spikes_come_at_the_given_rate(open_loop):
    model, keys, sim = open_loop
    silent = sim.run_trial(Trial(np.zeros(32), 2, values={"background_rate": 50 * b2.Hz}))
    rate = silent["feature"][0].size / (64 * 1.0)
    assert 45 < rate < 55


def test_ablated_neurons_stay_silent_and_the_rest_renormalise(open_loop):
    model, keys, sim = open_loop
    alive_memory = np.ones(6)
    alive_memory[0] = 0.0  # the cued pattern's memory neuron
    alive_feature = np.ones(64)
    alive_feature[:10] = 0.0
    arrays = model.weight_values() | {"alive_memory": alive_memory, "alive_feature": alive_feature}
    spikes = sim.run_trial(Trial(keys[0], 3, arrays=arrays))
    assert not np.isin(spikes["feature"][0], np.arange(10)).any()
    assert not np.any(spikes["memory"][0] == 0)
    assert spikes["memory"][0].size > 300  # the other memories take over the layer's rate


def test_perturbed_arrays_are_drawn_per_trial_and_skipped_when_off():
    keys = pat.generate("bipolar", 4, 16, 0.5, seed=0)
    model = ModernModel(ModernParams(), keys)
    import dataclasses

    cfg = RecallConfig()
    assert noise.trial_arrays(model, cfg, np.random.default_rng(0), None) is None
    noisy = dataclasses.replace(cfg, weight_noise=0.5, ablation=0.25)
    a = noise.trial_arrays(model, noisy, np.random.default_rng(0), None)
    b = noise.trial_arrays(model, noisy, np.random.default_rng(1), None)
    assert not np.allclose(a["keys"], b["keys"])
    assert a["alive_memory"].sum() == 3 and a["alive_feature"].sum() == 24
    rel = a["keys"] / model.weight_values()["keys"] - 1
    assert 0.4 < rel.std() < 0.6


def _isis(spikes, neurons):
    i, t = spikes["feature"]
    return np.concatenate([np.diff(np.sort(t[i == k])) for k in neurons])


def test_jitter_displaces_each_spike_independently_keeping_the_rate(open_loop):
    model, keys, sim = open_loop
    on = np.nonzero(keys[0] > 0)[0]  # ON neurons of +1 entries fire at 200 Hz (5 ms period)
    clean = _isis(sim.run_trial(Trial(keys[0], 4)), on)
    jittered = _isis(sim.run_trial(Trial(keys[0], 4, values={"jitter": 1 * b2.ms})), on)
    assert clean.std() < 0.15e-3  # regular, up to the 0.2 ms time step
    # independent displacements of sd 1 ms: successive intervals differ by sd sqrt(2) ms
    assert 1.25e-3 < jittered.std() < 1.6e-3
    assert jittered.mean() == pytest.approx(5e-3, rel=0.02)  # no drift of the rate


def test_jitter_of_escape_noise_neurons_delays_onsets_by_the_kernel_and_keeps_the_rate():
    """Displacement theorem: the jittered Poisson train has the rate filtered by the gamma(2) kernel."""
    from hopfield_brian.equations.classical import ClassicalParams
    from hopfield_brian.models import ClassicalModel

    x = pat.generate("bipolar", 3, 64, 0.5, seed=1)
    cue = np.ones(64)  # every neuron clamped at rate_max = 200 Hz for the whole second
    model = ClassicalModel(ClassicalParams(), x, "bipolar", jittered=True)
    values = model.runtime_values() | {"t_cue": 10 * b2.second, "deletion": 0.0, "background_rate": 0 * b2.Hz}
    sim = Simulator(model, "cpp_standalone", 1 * b2.second, 0.2 * b2.ms, values)
    try:
        runs = {j: sim.run_trial(Trial(cue, 5, values={"jitter": j * b2.ms}))["neuron"][1] for j in (0.2, 5.0)}
    finally:
        sim.close()
    steady = {j: np.sum(t >= 0.05) / (64 * 0.95) for j, t in runs.items()}
    assert steady[5.0] == pytest.approx(200, rel=0.05) and steady[0.2] == pytest.approx(200, rel=0.05)
    # spikes in the first 5 ms: 200 Hz x integral of the gamma(2) CDF (tau = 5 ms / sqrt 2) = 0.17 per neuron
    early = np.sum(runs[5.0] < 0.005) / 64
    assert 0.1 < early < 0.25
    assert np.sum(runs[0.2] < 0.005) / 64 > 0.8  # unjittered within a step or two: ~1 spike per neuron


def test_jitter_must_be_zero_or_at_least_dt():
    with pytest.raises(ConfigError, match="at least dt"):
        hb.Recall(jitter=0.1 * b2.ms)
    with pytest.raises(ConfigError, match="at least dt"):
        hb.Recall(jitter=-1 * b2.ms)
