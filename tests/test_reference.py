"""The numpy references against analytic cases and the textbook capacity."""

import numpy as np
import pytest

from hopfield_brian import patterns as pat
from hopfield_brian import reference as ref


def test_attention_weights_match_a_hand_computed_softmax():
    keys = np.array([[1.0, 1.0], [1.0, -1.0], [-1.0, -1.0]])
    q = np.array([1.0, 0.0])
    w = ref.attention_weights(keys, q, beta=np.log(2.0))
    # dot products (1, 1, -1) -> weights 2 : 2 : 1/2
    assert np.allclose(w, np.array([2.0, 2.0, 0.5]) / 4.5)


def test_single_step_with_separate_values_is_attention_output():
    rng = np.random.default_rng(0)
    keys, values, q = rng.normal(size=(4, 6)), rng.normal(size=(4, 3)), rng.normal(size=6)
    out = ref.modern_recall(keys, q, beta=0.7, values=values, n_steps=1)
    assert np.allclose(out, ref.softmax(0.7 * keys @ q) @ values)


def test_modern_regimes_retrieval_at_high_beta_and_global_average_at_small_beta():
    x = pat.generate("bipolar", 50, 200, 0.5, seed=0)
    cue = pat.flip(x[3], 0.3, np.random.default_rng(1))
    assert pat.overlap(x, np.sign(ref.modern_recall(x, cue, beta=0.1)))[3] == 1.0
    mean = ref.modern_recall(x, cue, beta=1e-4)
    assert np.allclose(mean, x.mean(axis=0), atol=1e-2)  # global average fixed point


def test_hebbian_fields_are_plus_minus_one_for_a_single_pattern():
    for kind, a in (("bipolar", 0.5), ("sparse", 0.2)):
        x = pat.generate(kind, 1, 500, a, seed=0)
        j, b, level = ref.hebbian_couplings(x, kind)
        n = (x[0] > 0).astype(float)
        field = j @ n + b
        assert np.allclose(field[n == 1], 1.0, atol=0.02) and np.allclose(field[n == 0], -1.0, atol=0.02)


def test_classical_reference_retrieves_at_low_load():
    x = pat.generate("bipolar", 10, 400, 0.5, seed=0)
    j, b, a = ref.hebbian_couplings(x, "bipolar")
    rng = np.random.default_rng(0)
    cue = (pat.flip(x[0], 0.2, rng) > 0).astype(float)
    final = ref.classical_recall(j, b, a, cue, rng)
    assert pat.overlap(x, 2 * final - 1)[0] == 1.0


@pytest.mark.slow
def test_classical_reference_capacity_is_0138_within_10_percent():
    """Largest load with >= 90% of stored patterns stable (Amit et al. 1985: 0.138)."""
    n, rng = 2000, np.random.default_rng(0)
    capacity = 0.0
    for alpha in np.arange(0.11, 0.171, 0.005):
        m = int(round(alpha * n))
        ok = []
        for _ in range(10):
            x = pat.random_bipolar(m, n, rng)
            j, b, a = ref.hebbian_couplings(x, "bipolar")
            final = ref.classical_recall(j, b, a, (x[0] > 0).astype(float), rng)
            ok.append(pat.overlap(x, 2 * final - 1)[0] >= 0.9)
        if np.mean(ok) >= 0.9:
            capacity = alpha
        else:
            break
    assert abs(capacity - 0.138) <= 0.1 * 0.138, capacity
