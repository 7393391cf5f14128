"""Regime measures on spike trains and overlaps with known statistics."""

import time

import numpy as np
import pandas as pd
import pytest

from hopfield_brian import measures as ms
from hopfield_brian import readout

N, RATE, T = 200, 20.0, 20.0


def poisson(n, rate, duration, seed, modulation=0.0, freq=40.0):
    """Independent Poisson trains; rate(t) = rate (1 + modulation sin(2 pi freq t)) by thinning."""
    rng = np.random.default_rng(seed)
    r_max = rate * (1.0 + modulation)
    k = rng.poisson(n * r_max * duration)
    t = rng.uniform(0.0, duration, k)
    i = rng.integers(0, n, k)
    keep = rng.uniform(0.0, r_max, k) < rate * (1.0 + modulation * np.sin(2 * np.pi * freq * t))
    return i[keep], t[keep]


def regular(n, rate, duration, seed, jitter=0.0):
    """Constant inter-spike interval 1/rate with a random phase per neuron (and optional jitter)."""
    rng = np.random.default_rng(seed)
    period = 1.0 / rate
    k = int(duration * rate)
    t = rng.uniform(0.0, period, (n, 1)) + period * np.arange(k) + rng.normal(0.0, jitter, (n, k))
    i = np.repeat(np.arange(n), k)
    t = t.ravel()
    sel = (t >= 0) & (t < duration)
    return i[sel], t[sel]


@pytest.fixture(scope="module")
def homogeneous():
    return poisson(N, RATE, T, seed=1)


# ------------------------------------------------------------------- spikes

def test_population_rate_equals_the_hand_count():
    i = np.array([0, 1, 2, 0, 3, 1])
    t = np.array([0.001, 0.004, 0.0099, 0.010, 0.025, 0.0299])
    centres, rate = ms.population_rate(i, t, n_neurons=4, duration=0.03, bin_width=0.01)
    assert np.allclose(centres, [0.005, 0.015, 0.025])
    assert np.allclose(rate, np.array([3, 1, 2]) / (4 * 0.01))


def test_from_table_converts_milliseconds_and_selects_trial_and_population():
    spikes = {"feature": (np.array([0, 2]), np.array([0.0105, 0.2])), "memory": (np.array([1]), np.array([0.05]))}
    table = pd.concat([readout.spike_table(0, spikes), readout.spike_table(1, {"feature": spikes["feature"]})])
    i, t = ms.from_table(table, "feature", trial=0)
    assert i.tolist() == [0, 2] and np.allclose(t, [0.0105, 0.2], atol=1e-7)
    i, t = ms.from_table(table, "memory", trial=0)
    assert i.tolist() == [1] and np.allclose(t, [0.05])
    with pytest.raises(ValueError):
        ms.from_table(table, "feature")


def test_poisson_trains_have_cv_and_fano_near_one(homogeneous):
    i, t = homogeneous
    cv = ms.isi_cv(i, t, N)
    assert cv.shape == (N,) and np.isfinite(cv).all()
    assert abs(ms.finite_mean(cv) - 1.0) < 0.1
    assert abs(ms.fano_factor(i, t, N, T, window=0.1) - 1.0) < 0.15


def test_regular_trains_have_cv_and_fano_near_zero():
    i, t = regular(N, RATE, T, seed=2, jitter=0.5e-3)
    assert ms.finite_mean(ms.isi_cv(i, t, N)) < 0.05
    assert ms.fano_factor(*regular(N, RATE, T, seed=2), N, T, window=0.1) < 0.1  # window = 2 periods


def test_cv_is_nan_for_neurons_with_too_few_spikes():
    i = np.array([0, 0, 0, 1, 1])
    t = np.array([0.1, 0.2, 0.3, 0.1, 0.5])
    cv = ms.isi_cv(i, t, 3)
    assert cv[0] == pytest.approx(0.0) and np.isnan(cv[1]) and np.isnan(cv[2])
    i = np.array([0, 0, 0, 0])
    t = np.array([0.3, 0.1, 0.2, 0.6])  # unsorted input: intervals 0.1, 0.1, 0.3
    assert ms.isi_cv(i, t, 1)[0] == pytest.approx(np.std([0.1, 0.1, 0.3]) / np.mean([0.1, 0.1, 0.3]))
    assert np.isnan(ms.finite_mean([np.nan, np.nan]))


def test_golomb_chi_is_one_for_identical_trains_and_small_for_independent_ones(homogeneous):
    rng = np.random.default_rng(3)
    one = np.sort(rng.uniform(0.0, T, int(RATE * T)))
    i_same, t_same = np.repeat(np.arange(N), one.size), np.tile(one, N)
    assert ms.golomb_synchrony(i_same, t_same, N, T) > 0.95
    chi = ms.golomb_synchrony(*homogeneous, N, T)
    assert chi < 0.2 and chi < 3.0 / np.sqrt(N)


def test_golomb_chi_leaves_silent_neurons_out_and_is_chunk_independent(homogeneous):
    i, t = homogeneous
    chi = ms.golomb_synchrony(i, t, N, T)
    assert ms.golomb_synchrony(i, t, N + 50, T) == pytest.approx(chi)
    assert ms.golomb_synchrony(i, t, N, T, chunk=7) == pytest.approx(chi)
    assert np.isnan(ms.golomb_synchrony(np.array([0]), np.array([0.1]), N, T))


def test_rate_modulated_poisson_has_a_dominant_40_hz_peak(homogeneous):
    f_mod, osc_mod = ms.dominant_frequency(*poisson(N, RATE, T, seed=4, modulation=0.5), N, T)
    f_flat, osc_flat = ms.dominant_frequency(*homogeneous, N, T)
    assert abs(f_mod - 40.0) <= 2.0
    assert osc_mod > 0.2 and osc_mod > 5.0 * osc_flat
    freqs, power = ms.rate_spectrum(*homogeneous, N, T)
    assert freqs[1] == pytest.approx(1.0) and freqs[-1] == pytest.approx(500.0)
    # Parseval: the density integrates to the rate variance (white Poisson: rate / (N bin))
    assert np.sum(power) * (freqs[1] - freqs[0]) == pytest.approx(RATE / (N * 1e-3), rel=0.15)


# ------------------------------------------------------------------ overlaps

def test_attractor_sequence_switches_and_dwell_on_known_visits():
    m = np.full((20, 3), 0.1)
    m[0:4, 0] = 0.95     # pattern 0 for 4 bins
    m[5:7, 0] = 0.92     # -1 gap at bin 4, then pattern 0 again: same visit
    m[8:12, 2] = 1.0     # gap, then pattern 2
    m[12:15, 1] = 0.91   # directly pattern 1
    m[15, 1] = 0.5       # below threshold
    m[16:20, 2] = 0.99   # back to pattern 2
    labels = ms.attractor_sequence(m, threshold=0.9)
    assert labels.tolist() == [0] * 4 + [-1] + [0] * 2 + [-1] + [2] * 4 + [1] * 3 + [-1] + [2] * 4
    n_switches, dwell = ms.switches_and_dwell(labels, bin_width=0.01)
    assert n_switches == 3
    assert np.allclose(dwell, [0.07, 0.04, 0.03, 0.04])
    assert ms.visits(labels, 0.01)[0] == (0, 0.0, pytest.approx(0.07))
    assert ms.switches_and_dwell(labels, 0.01, max_gap=0.0)[1].size == 5  # the gap now splits pattern 0
    assert ms.switches_and_dwell(labels, 0.01, max_gap=0.0)[0] == 3  # ... without adding a switch
    assert ms.switches_and_dwell(np.full(5, -1), 0.01)[0] == 0


# ------------------------------------------------------------ modern Hopfield

def test_modern_energy_matches_the_formula_on_a_tiny_case():
    x = np.array([[1.0, -1.0, 1.0], [1.0, 1.0, -1.0]])
    xi = np.array([0.5, -0.2, 0.1])
    beta = 0.7
    direct = (-np.log(np.sum(np.exp(beta * x @ xi))) / beta + 0.5 * xi @ xi
              + np.log(2) / beta + 0.5 * 3.0)
    assert ms.modern_energy(xi, x, beta) == pytest.approx(direct)
    both = ms.modern_energy(np.stack([xi, -xi]), x, beta)
    assert both.shape == (2,) and both[0] == pytest.approx(direct)


def test_stored_pattern_has_lower_energy_than_a_random_state_and_energy_is_stable():
    rng = np.random.default_rng(5)
    x = rng.choice([-1.0, 1.0], size=(10, 1000))
    random_state = rng.choice([-1.0, 1.0], size=1000)
    beta = 10.0  # beta * N = 1e4: exp would overflow without the max subtraction
    e = ms.modern_energy(np.stack([x[3], random_state]), x, beta)
    assert np.isfinite(e).all()
    assert e[0] < e[1]
    assert e[0] == pytest.approx(np.log(10) / beta, abs=1e-6)  # -N + N/2 + log M / beta + N/2


def test_attention_entropy_is_zero_for_one_hot_and_one_for_uniform():
    assert ms.attention_entropy(np.array([0, 7, 0, 0])) == pytest.approx(0.0)
    assert ms.attention_entropy(np.full(8, 3)) == pytest.approx(1.0)
    rows = ms.attention_entropy(np.array([[0, 5, 0], [2, 2, 2], [0, 0, 0], [1, 1, 0]]))
    assert np.allclose(rows[[0, 1, 3]], [0.0, 1.0, np.log(2) / np.log(3)]) and np.isnan(rows[2])
    assert ms.attention_entropy(np.array([0.25, 0.25, 0.5, 0.0])) == pytest.approx(1.5 * np.log(2) / np.log(4))


def test_attention_entropy_of_fewer_spikes_than_memories_is_normalised_by_what_they_can_show():
    """60 spikes drawn from a uniform posterior over 512 memories: uniform as far as 60 samples can tell
    (log 60 at most), not log 60 / log 512 = 0.66; the same spikes on 8 memories stay below."""
    rng = np.random.default_rng(0)
    uniform = np.bincount(rng.integers(512, size=60), minlength=512)
    subset = np.bincount(rng.integers(8, size=60), minlength=512)
    assert ms.attention_entropy(uniform, sampled=True) > 0.95 > 0.7 > ms.attention_entropy(uniform)
    assert ms.attention_entropy(subset, sampled=True) < 0.55
    assert ms.attention_entropy(np.array([1, 1, 0]), sampled=True) == pytest.approx(1.0)
    assert ms.attention_entropy(np.array([0, 1, 0]), sampled=True) == 0.0


# ------------------------------------------------------------------- regimes

BASE = {"rate_hz": 10.0, "rate_max_frac": 0.1, "cv": 0.9, "chi": 0.1, "osc_index": 0.02,
        "n_switches": 0, "retrieved_fraction": 0.0, "max_overlap": 0.1, "n_mixed": 0,
        "attention_entropy": 0.1}

CASES = {
    "quiescent": {"rate_hz": 0.1, "rate_max_frac": 0.9, "chi": 0.9, "osc_index": 0.5},
    "runaway": {"rate_max_frac": 0.95, "chi": 0.9, "osc_index": 0.5},
    "oscillatory": {"chi": 0.8, "osc_index": 0.4, "n_switches": 4, "retrieved_fraction": 1.0},
    "itinerant": {"n_switches": 3, "retrieved_fraction": 0.4, "chi": 0.8, "osc_index": 0.01},
    "retrieval": {"retrieved_fraction": 0.9, "max_overlap": 1.0, "n_switches": 1, "attention_entropy": 0.5},
    "metastable": {"n_mixed": 3, "max_overlap": 0.5, "attention_entropy": 0.6},
    "global_average": {"attention_entropy": 0.97, "max_overlap": 0.1},
    "unclassified": {},
}


@pytest.mark.parametrize("label", sorted(CASES))
def test_classify_gives_each_label_for_a_hand_built_measure_dict(label):
    assert ms.classify({**BASE, **CASES[label]}) == label


def test_classify_metastable_from_intermediate_entropy_and_missing_measures_never_fire():
    assert ms.classify({**BASE, "attention_entropy": 0.5}) == "metastable"
    assert ms.classify({"rate_hz": 5.0}) == "unclassified"
    assert ms.classify({"rate_hz": 5.0, "chi": float("nan"), "osc_index": 1.0}) == "unclassified"
    strict = ms.RegimeThresholds(rate_floor_hz=20.0)
    assert ms.classify(BASE, strict) == "quiescent"
    assert set(CASES) == set(ms.LABELS)


def test_brunel_state_names():
    assert ms.brunel_state(cv=1.0, chi=0.05) == "AI"
    assert ms.brunel_state(cv=0.02, chi=0.95) == "SR"
    assert ms.brunel_state(cv=0.8, chi=0.7) == "SI"
    assert ms.brunel_state(cv=float("nan"), chi=0.7) == "unknown"


def test_summarise_run_of_a_synthetic_retrieval():
    duration, n_mem = 2.0, 5
    i, t = poisson(100, 15.0, duration, seed=6)
    rng = np.random.default_rng(7)
    t_mem = np.sort(rng.uniform(0.0, duration, 300))
    i_mem = np.where(rng.uniform(size=300) < 0.95, 2, rng.integers(0, n_mem, 300))
    t_end = 0.01 * np.arange(1, 201)
    overlaps = np.full((200, n_mem), 0.05)
    overlaps[:, 2] = np.where(t_end > 0.3, 0.98, 0.4)
    start = time.perf_counter()
    m = ms.summarise_run({"feature": (i, t), "memory": (i_mem, t_mem)}, {"feature": 100, "memory": n_mem},
                         duration, trajectory=(t_end, overlaps), start=0.2, max_rate=500.0)
    assert time.perf_counter() - start < 2.0
    assert m["rate_hz"] == pytest.approx(15.0, rel=0.1) and m["rate_max_frac"] < 0.1
    assert abs(m["cv"] - 1.0) < 0.15 and m["chi"] < 0.3
    assert m["retrieved_pattern"] == 2 and m["retrieved_fraction"] == 1.0 and m["n_switches"] == 0
    assert m["n_mixed"] == 1 and m["max_overlap"] == pytest.approx(0.98)
    assert m["attention_entropy"] < 0.3
    assert ms.classify(m) == "retrieval"


def test_summarise_run_of_synchronous_regular_trains_is_oscillatory():
    n, rate, duration = 100, 20.0, 3.0
    rng = np.random.default_rng(8)
    k = int(duration * rate)
    t = (0.01 + np.arange(k) / rate + rng.normal(0.0, 1e-3, (n, k))).ravel()
    i = np.repeat(np.arange(n), k)
    sel = (t >= 0) & (t < duration)
    m = ms.summarise_run({"feature": (i[sel], t[sel])}, {"feature": n}, duration, max_rate=500.0)
    assert m["chi"] > 0.8 and m["cv"] < 0.1 and m["peak_hz"] == pytest.approx(20.0)
    assert "attention_entropy" not in m and "n_switches" not in m
    assert ms.brunel_state(m["cv"], m["chi"]) == "SR"
    assert ms.classify(m) == "oscillatory"
