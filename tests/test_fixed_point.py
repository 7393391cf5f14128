"""Fixed-point (Loihi-style) mode: rounding and saturation by hand, the float mode unchanged, recall at
Loihi's 8 / 24 / 12 bits and its loss at one weight bit."""

import brian2 as b2
import numpy as np
import pytest

import hopfield_brian as hb
from hopfield_brian import fixed_point as fx
from hopfield_brian import noise
from hopfield_brian import patterns as pat
from hopfield_brian.equations.classical import ClassicalParams
from hopfield_brian.errors import ConfigError
from hopfield_brian.models import ClassicalModel
from hopfield_brian.rate_protocol import RecallConfig
from hopfield_brian.simulator import Simulator, Trial


def test_weights_round_to_nearest_ties_up_with_max_at_the_top_level():
    w = np.array([-1.0, 0.5, 0.2, 1.0, -0.5])
    # 2 bits: levels -1, 0, 1 of step max|w| = 1; 0.5 ties up to 1, -0.5 ties up to 0
    assert np.array_equal(fx.quantise_weights(w, 2), [-1.0, 1.0, 0.0, 1.0, 0.0])
    # 3 bits: max 0.6 -> level 3, step 0.2; 0.3 / 0.2 = 1.5 ties up to 2
    assert np.allclose(fx.quantise_weights(np.array([0.3, -0.6, 0.05]), 3), [0.4, -0.6, 0.0])
    assert np.array_equal(fx.quantise_weights(w, 1), np.zeros(5))  # the sign bit alone: no level left
    assert np.array_equal(fx.quantise_weights(w, 0), w)
    w8 = np.random.default_rng(0).normal(size=1000)
    q8 = noise.quantise(w8, 8, "max")  # noise's quantiser delegates the 'max' scale
    step = np.abs(w8).max() / 127
    assert np.max(np.abs(q8 - w8)) <= step / 2 + 1e-12 and len(np.unique(q8)) <= 255
    assert np.isclose(np.abs(q8).max(), np.abs(w8).max())


def test_state_saturates_and_decay_rounds_to_its_bits():
    # 3 bits: +-3 LSBs of 0.5; 0.26 -> 1 LSB, 0.25 ties up, -0.25 ties up to 0, +-5 saturate
    assert np.array_equal(fx.quantise_state([5.0, -5.0, 0.26, 0.25, -0.25], 0.5, 3), [1.5, -1.5, 0.5, 0.5, 0.0])
    # exp(-0.2 ms / 10 ms) = 0.980199 -> 4014.89 / 4096 at 12 bits -> 4015 / 4096; 15.68 / 16 -> 1 at 4 bits
    assert fx.decay_factor(2e-4, 1e-2, 12) == 4015 / 4096
    assert fx.decay_factor(2e-4, 1e-2, 4) == 1.0  # the decay rounds away: h no longer leaks
    assert fx.decay_factor(2e-4, 1e-2, 0) == np.exp(-0.02)


def test_zero_bits_is_the_float_network():
    """0 bits: the unchanged structure and no fixed-point constants."""
    c = RecallConfig(model="classical")
    assert fx.modes(c) == (False, False)
    model = ClassicalModel(ClassicalParams(), pat.generate("bipolar", 3, 16, 0.5, seed=1), "bipolar")
    assert model.structure() == ("classical", 16, False, False, False, False) and fx.run_values(c, model) == {}
    loihi = RecallConfig(model="classical", state_bits=24, decay_bits=12)
    assert fx.modes(loihi) == (True, True)


@pytest.mark.parametrize("settings, message", [
    (dict(state_bits=40), "state_bits must be 0"), (dict(decay_bits=-1), "decay_bits must be 0"),
    (dict(state_bits=1), "sign bit alone"), (dict(decay_bits=12, membrane_noise=1.0), "membrane_noise"),
    (dict(weight_scale="log"), "weight_scale"),
])
def test_bad_fixed_point_settings_are_refused(settings, message):
    with pytest.raises(ConfigError, match=message):
        hb.Recall(**settings)


@pytest.mark.slow
def test_explicit_float_decay_gives_the_differential_equations_spikes():
    """The fixed-point update with float factors (S = D = 0 but explicit) reproduces the exact
    integration of dh/dt = -h / tau_syn spike for spike: only the rounding changes anything."""
    stored = pat.generate("bipolar", 3, 32, 0.5, seed=3)
    p = ClassicalParams()
    spikes = []
    for explicit in (False, True):
        model = ClassicalModel(p, stored, "bipolar", explicit_decay=explicit)
        values = model.runtime_values() | {"t_cue": 50 * b2.ms}
        values |= fx.run_values(RecallConfig(model="classical", dt=0.2 * b2.ms), model) if explicit else {}
        sim = Simulator(model, "cpp_standalone", 150 * b2.ms, 0.2 * b2.ms, values)
        try:
            spikes.append(sim.run_trial(Trial(stored[0], 7))["neuron"])
        finally:
            sim.close()
    assert spikes[0][0].size > 100
    assert np.array_equal(spikes[0][0], spikes[1][0]) and np.array_equal(spikes[0][1], spikes[1][1])


@pytest.mark.slow
def test_modern_recall_holds_at_loihi_bits_and_fails_at_one_weight_bit(run_recall):
    """N = 64, M = 6, cue 20 % flipped, 8 trials on one build: at 8 / 24 / 12 bits every trial
    retrieves (as in float); at W = 1 every weight is 0 and none does (overlap < 0.2)."""
    res = run_recall("modern", n_features=64, n_patterns=6, trials=8, weight_scale="max", state_bits=24,
                     decay_bits=12, sweep={"weight_bits": [8, 1]})
    s = res.summary.set_index("weight_bits")
    assert s.loc[8, "success_rate"] == 1.0
    assert s.loc[1, "success_rate"] == 0.0 and s.loc[1, "final_overlap_mean"] < 0.2
    assert res.info["builds"] == 1


def test_state_ranges_and_run_time_constants_by_hand():
    """Modern, N = 4 (+-1 keys): u spans 2 * sum_i |K_mu,i| = 8 and y 2 * max|V| = 2; at S = 4 (7 levels)
    the LSBs are 8/7 and 2/7; per 0.2 ms step the 20 ms filters decay by exp(-0.01) = 4055.24 / 4096,
    4055 / 4096 at D = 12."""
    from hopfield_brian.equations.modern import ModernParams
    from hopfield_brian.models import ModernModel

    model = ModernModel(ModernParams(), np.array([[1.0, -1, 1, 1], [-1, -1, 1, -1]]), quantised_state=True)
    values = fx.run_values(RecallConfig(state_bits=4, decay_bits=12, dt=0.2 * b2.ms), model)
    assert values == pytest.approx({"decay_u": 4055 / 4096, "decay_y": 4055 / 4096, "lsb_u": 8 / 7, "lsb_y": 2 / 7,
                                    "state_levels": 7.0})
