"""Spatio-temporal patterns: generator, loader, cues, matching and spike distances."""

import itertools

import numpy as np
import pytest

from hopfield_brian import spatiotemporal as st
from hopfield_brian.errors import ConfigError

T = 0.02  # 20 ms cycle
DT = 1e-4


# --- generation and validation ---------------------------------------------

def test_random_patterns_counts_ranges_and_seed():
    x = st.random_patterns(6, 50, T, 0.2, seed=3)
    assert x.shape == (6, 50)
    assert np.all((~np.isnan(x)).sum(axis=1) == 10)
    active = x[~np.isnan(x)]
    assert active.min() >= 0 and active.max() < T
    assert np.array_equal(st.random_patterns(6, 50, T, 0.2, seed=3), x, equal_nan=True)
    assert not np.array_equal(st.random_patterns(6, 50, T, 0.2, seed=4), x, equal_nan=True)
    y = st.random_patterns(4, 100, T, 0.5, seed=0, min_latency=5e-3)
    assert np.nanmin(y) >= 5e-3 and np.nanmax(y) < T


def test_random_patterns_on_the_dt_grid_cover_it_uniformly():
    x = st.random_patterns(50, 200, T, 1.0, seed=1, dt=DT, min_latency=DT)
    k = x / DT
    assert np.allclose(k, np.round(k), atol=1e-9, rtol=0)
    assert np.array_equal(x, np.round(k) * DT)  # exactly k * dt
    ks = np.round(k).astype(int).ravel()
    assert ks.min() == 1 and ks.max() == 199  # [dt, T) on the grid: 1..199
    counts = np.bincount(ks, minlength=200)[1:]
    assert counts.std() / counts.mean() < 0.2  # about 50 each, roughly flat
    assert np.array_equal(st.validate_latencies(x, T, DT), x)


@pytest.mark.parametrize("kwargs, message", [
    (dict(active_fraction=0.001), "rounds to no active"),
    (dict(active_fraction=1.5), "active_fraction"),
    (dict(min_latency=T), "min_latency"),
    (dict(cycle=0.0), "cycle"),
    (dict(dt=0.03, min_latency=1e-3), "no multiple of dt"),
])
def test_random_patterns_rejects_bad_settings(kwargs, message):
    args = dict(n_patterns=2, n_features=10, cycle=T, active_fraction=0.5, seed=0) | kwargs
    with pytest.raises(ConfigError, match=message):
        st.random_patterns(**args)


@pytest.mark.parametrize("lat, dt, message", [
    ([[1e-3, -1e-3]], None, "negative"),
    ([[1e-3, T]], None, "outside the cycle"),
    ([[1e-3, np.inf]], None, "infinite"),
    ([[1e-3, 2e-3], [np.nan, np.nan]], None, "pattern 1 has no spikes"),
    ([[1.05e-3]], 1e-3, "not a multiple of dt"),
])
def test_validate_latencies_rejects(lat, dt, message):
    with pytest.raises(ConfigError, match=message):
        st.validate_latencies(np.array(lat), T, dt)


def test_validate_latencies_snaps_to_grid_and_checks_the_cycle():
    x = st.validate_latencies([3e-3 * (1 + 1e-12), np.nan], T, 1e-3)
    assert x.shape == (1, 2) and x[0, 0] == 3 * 1e-3 and np.isnan(x[0, 1])
    with pytest.raises(ConfigError, match="cycle .* not a multiple"):
        st.validate_latencies([[1e-3]], 0.0205, 1e-3)


def test_check_delays_names_the_offending_value():
    st.check_delays([DT, 5e-3, np.nan], DT)
    st.check_delays(st.detection_delays(st.random_patterns(3, 20, T, 0.5, 0, dt=DT), T), DT)
    with pytest.raises(ConfigError, match=r"delay 0\.05 ms at index 1 is below dt = 0\.1 ms"):
        st.check_delays([1e-3, 5e-5], DT)
    with pytest.raises(ConfigError, match=r"0 ms at index \(0, 1\)"):
        st.check_delays(np.array([[1e-3, 0.0]]), DT)
    assert np.allclose(st.detection_delays([5e-3, np.nan], T), [15e-3, np.nan], equal_nan=True)


# --- loader ------------------------------------------------------------------

def test_load_round_trip(tmp_path):
    x = st.random_patterns(4, 30, T, 0.3, seed=2, dt=DT)
    st.save_patterns(tmp_path / "p.csv", x)
    y = st.load_patterns(tmp_path / "p.csv", n_features=30, cycle=T, dt=DT)
    assert np.array_equal(x, y, equal_nan=True)
    z = st.load_patterns(tmp_path / "p.csv", n_features=30, cycle=T)
    assert np.allclose(x, z, equal_nan=True, rtol=0, atol=1e-15)


def test_load_single_pattern_and_default_width(tmp_path):
    f = tmp_path / "one.csv"
    f.write_text("neuron, t_ms, comment\n3, 1.5, a\n0, 12, b\n")
    y = st.load_patterns(f, cycle=T)
    assert y.shape == (1, 4)
    assert np.allclose(y, [[12e-3, np.nan, np.nan, 1.5e-3]], equal_nan=True)
    assert st.load_patterns(f, n_features=10, cycle=T).shape == (1, 10)


@pytest.mark.parametrize("text, message", [
    ("", "file is empty"),
    ("pattern,neuron,t_ms\n", "no spikes"),
    ("pattern,neuron\n0,1\n", "missing column.*t_ms"),
    ("pattern,t_ms\n0,1\n", "missing column.*neuron"),
    ("pattern,neuron,t_ms\n0,1,2\n0,2,-1\n", "line 3: negative spike time"),
    ("pattern,neuron,t_ms\n0,1,20\n", r"line 2: t_ms=20 is outside the cycle \[0, 20\) ms"),
    ("pattern,neuron,t_ms\n0,1,2\n1,1,3\n0,1,5\n", "lines 2 and 4: neuron 1 spikes twice in pattern 0"),
    ("pattern,neuron,t_ms\n0,10,2\n", "neuron 10 is out of range 0..9"),
    ("pattern,neuron,t_ms\n0,-1,2\n", "neuron -1 is negative"),
    ("pattern,neuron,t_ms\n0,1.5,2\n", "neuron id .*1.5.* is not an integer"),
    ("pattern,neuron,t_ms\n0,a,2\n", "neuron id 'a' is not an integer"),
    ("pattern,neuron,t_ms\nx,1,2\n", "pattern id 'x' is not an integer"),
    ("pattern,neuron,t_ms\n0,1,\n", "t_ms .* is not a finite number"),
    ("pattern,neuron,t_ms\n0,1,2\n2,1,2\n", "pattern 1 has no spikes"),
    ("pattern,neuron,t_ms\n0,1,2,7,8\n", "cannot read"),
    ("pattern,neuron,t_ms\n0,1,2\n0,2,3,4\n", "cannot read"),
])
def test_load_rejects_bad_files_with_one_line(tmp_path, text, message):
    f = tmp_path / "bad.csv"
    f.write_text(text)
    with pytest.raises(ConfigError, match=message) as info:
        st.load_patterns(f, n_features=10, cycle=T)
    assert "\n" not in str(info.value)


def test_load_rejects_missing_and_binary_files(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        st.load_patterns(tmp_path / "none.csv", cycle=T)
    with pytest.raises(ConfigError, match="not found"):
        st.load_patterns(tmp_path, cycle=T)  # a directory
    f = tmp_path / "bin.csv"
    f.write_bytes(b"\xff\xfe\x00\x81\x00neuron\n\x00\xc3\x28")
    with pytest.raises(ConfigError, match="cannot read") as info:
        st.load_patterns(f, cycle=T)
    assert "\n" not in str(info.value)


# --- cues --------------------------------------------------------------------

def test_partial_cue_keeps_an_exact_subset():
    row = st.random_patterns(1, 100, T, 0.4, seed=0)[0]
    cue = st.partial_cue(row, 0.25, np.random.default_rng(1))
    kept = ~np.isnan(cue)
    assert kept.sum() == 10 and np.array_equal(cue[kept], row[kept])
    assert np.array_equal(st.partial_cue(row, 1.0, np.random.default_rng(1)), row, equal_nan=True)
    assert np.isnan(st.partial_cue(row, 0.0, np.random.default_rng(1))).all()


def test_jitter_identity_at_zero_and_right_std():
    row = np.full(4000, 10e-3)
    row[::4] = np.nan
    assert np.array_equal(st.jitter(row, 0.0, np.random.default_rng(0), T), row, equal_nan=True)
    sigma = 1e-3
    out = st.jitter(row, sigma, np.random.default_rng(0), T)
    d = (out - row)[~np.isnan(row)]
    assert np.isnan(out[::4]).all()
    assert np.std(d) == pytest.approx(sigma, rel=0.05) and abs(np.mean(d)) < 1e-4
    edge = st.jitter(np.array([0.0, T - 1e-6]), 5e-3, np.random.default_rng(3), T)
    assert np.all((edge >= 0) & (edge < T))
    grid = st.jitter(np.array([0.0, 19.9e-3, 10e-3]), 5e-3, np.random.default_rng(3), T, dt=DT)
    st.validate_latencies(grid, T, DT)
    assert np.all(grid <= T - DT + 1e-15)


def test_delete_removes_about_p_of_the_spikes():
    row = st.random_patterns(1, 10000, T, 0.5, seed=0)[0]
    out = st.delete(row, 0.3, np.random.default_rng(0))
    left = ~np.isnan(out)
    assert np.array_equal(out[left], row[left])
    assert left.sum() / 5000 == pytest.approx(0.7, abs=0.03)
    assert np.array_equal(st.delete(row, 0.0, np.random.default_rng(0)), row, equal_nan=True)
    with pytest.raises(ConfigError, match="probability"):
        st.delete(row, 1.5, np.random.default_rng(0))


# --- matching ----------------------------------------------------------------

def test_matching_hand_built_case():
    # pattern: neurons 0, 1, 2, 4 active; 3 and 5 silent
    row = np.array([1e-3, 5e-3, 10e-3, np.nan, 15e-3, np.nan])
    i = np.array([0, 0, 1, 2, 3, 4, 5, 1])
    t = np.array([1.5e-3, 1.2e-3, 5e-3, 13e-3, 7e-3, 14e-3, 2e-3, 4e-3])
    m = st.match_spikes(row, i, t, tolerance=2e-3)
    # neuron 0: nearest of 1.5 and 1.2 -> 1.2 (err 0.2); neuron 1: 5.0 (err 0, beats 4.0);
    # neuron 2: 13 is beyond tolerance -> unmatched; neuron 4: 14 (err 1)
    assert np.array_equal(m.neuron, [0, 1, 2, 4])
    assert np.allclose(m.recalled, [1.2e-3, 5e-3, np.nan, 14e-3], equal_nan=True)
    assert np.array_equal(m.used, [False, True, True, False, False, True, False, False])
    assert np.allclose(np.sort(st.timing_errors(m)), [0, 0.2e-3, 1e-3])
    assert st.completeness(m) == 0.75
    assert st.false_spikes(m) == 5  # 1.5 (n0), 13 (n2), silent n3 and n5, 4.0 (n1)
    s = st.recall_scores(row, i, t, 2e-3)
    assert s["completeness"] == 0.75 and s["false_fraction"] == 5 / 4
    assert s["median_error"] == pytest.approx(0.2e-3) and s["success"] is False


def test_matching_perfect_recall_and_empty_recall():
    row = st.random_patterns(1, 40, T, 0.5, seed=5)[0]
    i, t = st.pattern_spikes(row)
    s = st.recall_scores(row, i[::-1], t[::-1], 1e-3)
    assert s["completeness"] == 1.0 and s["median_error"] == 0 and s["false_spikes"] == 0 and s["success"]
    e = st.recall_scores(row, np.zeros(0, int), np.zeros(0), 1e-3)
    assert e["completeness"] == 0.0 and np.isnan(e["median_error"]) and e["success"] is False
    tie = st.match_spikes([5e-3], [0, 0], [6e-3, 4e-3], 1e-3)
    assert tie.recalled[0] == 4e-3  # equal distance: the earlier spike


@pytest.mark.parametrize("c, med, ff, ok", [
    (0.9, 2e-3, 0.1, True), (0.89, 1e-3, 0.0, False), (1.0, 2.1e-3, 0.0, False),
    (1.0, 0.0, 0.11, False), (1.0, float("nan"), 0.0, False),
])
def test_trial_success_thresholds(c, med, ff, ok):
    assert st.trial_success(c, med, ff) is ok


def test_trial_success_overrides():
    assert st.trial_success(0.5, 1e-3, 0.0, {"completeness": 0.5})
    with pytest.raises(ConfigError, match="unknown success threshold"):
        st.trial_success(1.0, 0.0, 0.0, {"completness": 0.5})


# --- van Rossum --------------------------------------------------------------

def _van_rossum_numeric(t1, t2, tau, step=1e-6):
    grid = np.arange(0, max(np.r_[t1, t2, 0]) + 20 * tau, step)

    def trace(ts):
        return sum(np.where(grid >= s, np.exp(-(grid - s) / tau), 0.0) for s in ts)

    return np.sqrt(np.sum((trace(t1) - trace(t2)) ** 2) * step / tau)


def test_van_rossum_analytic_values():
    tau = 5e-3
    a = np.array([1e-3, 4e-3, 9e-3])
    assert st.van_rossum(a, a, tau) == 0.0
    assert st.van_rossum([], [], tau) == 0.0
    assert st.van_rossum([3e-3], [], tau) == pytest.approx(np.sqrt(0.5))
    assert st.van_rossum(a, np.r_[a, 30e-3], tau) ** 2 == pytest.approx(0.5, rel=1e-2)  # far extra spike
    s = np.array([0, 1e-3, 5e-3, 20e-3, 100e-3])
    d = np.array([st.van_rossum([0.0], [x], tau) for x in s])
    assert np.allclose(d ** 2, 1 - np.exp(-s / tau))
    assert np.all(np.diff(d) > 0) and d[-1] == pytest.approx(1.0, abs=1e-6)


def test_van_rossum_matches_numerical_integration_and_is_symmetric():
    tau = 3e-3
    a, b = np.array([1e-3, 2.5e-3, 8e-3]), np.array([1.7e-3, 9e-3, 12e-3, 12.5e-3])
    assert st.van_rossum(a, b, tau) == pytest.approx(_van_rossum_numeric(a, b, tau), rel=1e-3)
    assert st.van_rossum(a, b, tau) == st.van_rossum(b, a, tau)


# --- Victor-Purpura ----------------------------------------------------------

def _vp_brute(a, b, q):
    best = len(a) + len(b)
    for k in range(1, min(len(a), len(b)) + 1):
        for ia in itertools.combinations(range(len(a)), k):
            for ib in itertools.permutations(range(len(b)), k):
                cost = q * sum(abs(a[x] - b[y]) for x, y in zip(ia, ib)) + len(a) + len(b) - 2 * k
                best = min(best, cost)
    return best


def test_victor_purpura_basic_values():
    q = 200.0  # 1/s: a shift beyond 10 ms costs more than delete + insert
    a = np.array([1e-3, 4e-3, 9e-3])
    assert st.victor_purpura(a, a, q) == 0.0
    assert st.victor_purpura(a, [], q) == 3.0 and st.victor_purpura([], a, q) == 3.0
    for s in (0.0, 2e-3, 9e-3, 10e-3, 25e-3):
        assert st.victor_purpura([5e-3], [5e-3 + s], q) == pytest.approx(min(q * s, 2.0))
    # known small case: 0 -> 2 ms (0.4) and 10 -> 15 ms (1.0)
    assert st.victor_purpura([0.0, 10e-3], [2e-3, 15e-3], q) == pytest.approx(1.4)
    assert st.victor_purpura([0.0, 10e-3], [2e-3, 30e-3], q) == pytest.approx(2.4)  # shift one, swap other
    assert st.victor_purpura(a, [], 0.0) == 3 and st.victor_purpura(a, [0.0, 1.0], 0.0) == 1


def test_victor_purpura_matches_brute_force():
    rng = np.random.default_rng(7)
    for _ in range(40):
        a = rng.uniform(0, 0.02, size=rng.integers(0, 5))
        b = rng.uniform(0, 0.02, size=rng.integers(0, 5))
        q = rng.choice([0.0, 50.0, 200.0, 1000.0])
        assert st.victor_purpura(a, b, q) == pytest.approx(_vp_brute(a, b, q))
        assert st.victor_purpura(a, b, q) == pytest.approx(st.victor_purpura(b, a, q))


# --- population versions -----------------------------------------------------

def test_population_distances_add_up_over_neurons():
    i1, t1 = np.array([0, 0, 2, 5]), np.array([1e-3, 6e-3, 3e-3, 9e-3])
    i2, t2 = np.array([2, 0, 3, 0]), np.array([4e-3, 1.5e-3, 2e-3, 15e-3])
    tau, q = 4e-3, 300.0
    per = {n: (t1[i1 == n], t2[i2 == n]) for n in range(6)}
    vr2 = sum(st.van_rossum(a, b, tau) ** 2 for a, b in per.values())
    vp = sum(st.victor_purpura(a, b, q) for a, b in per.values())
    assert st.van_rossum_population(i1, t1, i2, t2, tau) == pytest.approx(np.sqrt(vr2))
    assert st.victor_purpura_population(i1, t1, i2, t2, q) == pytest.approx(vp)
    assert vp > st.victor_purpura(t1, t2, q)  # labels matter: pooled trains are closer
    assert st.victor_purpura_population(i1, t1, i1, t1, q) == 0.0
    # vs nothing: neuron 0's two spikes (5 ms apart) interact, the others count 1/2 each
    expected = np.sqrt((1 + np.exp(-5e-3 / tau)) + 0.5 + 0.5)
    assert st.van_rossum_population(i1, t1, [], [], tau) == pytest.approx(expected)
