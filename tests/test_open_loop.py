"""Open loop: with the features clamped to a cue, memory spikes sample softmax(beta K xi).

Nessler et al. (2013): a soft winner-take-all layer with rates R softmax(u)
emits one posterior sample per spike. Both normalisations are checked at three
betas on one build each (beta changes through run_args).
"""

import brian2 as b2
import numpy as np
import pytest

from hopfield_brian import patterns as pat
from hopfield_brian import reference as ref
from hopfield_brian.equations.modern import ModernParams
from hopfield_brian.models import ModernModel
from hopfield_brian.simulator import Simulator, Trial

BETAS = (0.05, 0.1, 0.2)
WARMUP = 0.2  # s: the key traces settle in a few tau_key


@pytest.mark.parametrize("normalisation", ["exact", "wta"])
def test_memory_spikes_sample_the_attention_posterior(normalisation):
    keys = pat.generate("bipolar", 8, 64, 0.5, seed=1)
    cue = pat.flip(keys[0], 0.3, np.random.default_rng(3))
    model = ModernModel(ModernParams(normalisation=normalisation), keys)
    duration = 3 * b2.second
    sim = Simulator(model, "cpp_standalone", duration, 0.1 * b2.ms,
                    model.runtime_values() | {"t_cue": duration})  # clamped throughout: no feedback
    for k, beta in enumerate(BETAS):  # one build, beta through run_args
        i, t = sim.run_trial(Trial(cue, seed=10 + k, values={"beta": beta}))["memory"]
        sample = i[t > WARMUP]
        assert sample.size >= 1000
        histogram = np.bincount(sample, minlength=len(keys)) / sample.size
        tv = 0.5 * np.abs(histogram - ref.attention_weights(keys, cue, beta)).sum()
        assert tv <= 0.08, (beta, tv)


def test_the_posterior_sample_is_not_trivially_uniform_or_one_hot():
    """Guard for the test above: the three betas give distinct, non-degenerate posteriors."""
    keys = pat.generate("bipolar", 8, 64, 0.5, seed=1)
    cue = pat.flip(keys[0], 0.3, np.random.default_rng(3))
    posteriors = [ref.attention_weights(keys, cue, beta) for beta in BETAS]
    for p, q in zip(posteriors, posteriors[1:]):
        assert 0.5 * np.abs(p - q).sum() > 0.15
    assert all(0.25 < p.max() < 0.95 for p in posteriors)


@pytest.mark.parametrize("beta, jitter", [(0.5, 0.0), (2.0, 0.0), (2.0, 1.0)])
def test_the_exact_memory_layer_fires_at_its_total_rate_even_at_high_beta(beta, jitter):
    """sum_mu R softmax(beta u)_mu = R: the normaliser Z must be summed from the same u as the
    rates it divides (one step older, the layer would fire at R exp(-beta du)); with spike-time
    jitter the rate is read in the state update, without it at the threshold."""
    keys = pat.generate("bipolar", 8, 64, 0.5, seed=1)
    model = ModernModel(ModernParams(), keys, jittered=jitter > 0)
    duration = 2 * b2.second
    values = model.runtime_values() | {"t_cue": duration} | ({"jitter": jitter * b2.ms} if jitter else {})
    sim = Simulator(model, "cpp_standalone", duration, 0.2 * b2.ms, values)
    _, t = sim.run_trial(Trial(keys[0], seed=3, values={"beta": beta}))["memory"]
    rate = np.sum(t > WARMUP) / (float(duration) - WARMUP)
    expected = float(model.params.rate_memory)  # 900 expected spikes: Poisson sd 3.3 %
    assert abs(rate / expected - 1) < 0.1, (beta, jitter, rate)
