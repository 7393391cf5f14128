"""Shared delay memory: the false-coincidence estimate against a numpy Monte Carlo of the same Willshaw rule,
the numpy reference on hand-built cases, bad input, and (slow) the compiled network against both.

Quick tests use numpy only (~10 s together). The network test compiles one small network (~45 s on 2 busy
cores).
"""

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

import hopfield_brian as hb
from hopfield_brian import coincidence_theory as ct
from hopfield_brian import shared_memory as sm
from hopfield_brian import spatiotemporal as st
from hopfield_brian.cli import main as cli
from hopfield_brian.delay_protocol import Point
from hopfield_brian.protocols import shared as shp
from hopfield_brian.units import ms

T, DT = 0.02, 0.001  # S = 19 contacts per feature-detector pair


def _monte_carlo(n, h, k, copies, theta, loads, trials, deletion=0.1, lure=False, seed=0):
    """False-alarm and success rates of the Willshaw rule by direct simulation in numpy: one pattern set per
    load, ``trials`` cues of random stored patterns (or unstored ones), spikes from :func:`detector_spikes`."""
    rates = []
    for m in loads:
        latencies = st.random_patterns(m, n, T, k / n, seed, dt=DT, min_latency=DT)
        detectors = sm.assign_detectors(m, h, copies, seed)
        weights = sm.willshaw_weights(latencies, detectors, h, T, DT)
        rng = np.random.default_rng([seed, m])
        false, hit = 0, 0
        for _ in range(trials):
            target = int(rng.integers(m))
            row = st.random_patterns(1, n, T, k / n, rng, dt=DT, min_latency=DT)[0] if lure else latencies[target]
            fired, times = sm.detector_spikes(weights, st.delete(row, deletion, rng), theta, DT)
            own = np.zeros(0, int) if lure else detectors[target]
            false += bool(np.any(~np.isin(fired, own)))
            hit += bool(np.isin(own, fired[np.isclose(times, T + DT)]).all())
        rates.append((false / trials, hit / trials, weights.mean()))
    return np.array(rates)


def test_set_fraction_is_that_of_the_clipped_hebbian_rule():
    memory = ct.SharedMemory(n_features=50, n_active=10, n_detectors=20, slots=19, copies=2, theta=7, cue_spikes=10)
    for m in (50, 500, 3000):
        latencies = st.random_patterns(m, 50, T, 0.2, 1, dt=DT, min_latency=DT)
        weights = sm.willshaw_weights(latencies, sm.assign_detectors(m, 20, 2, 1), 20, T, DT)
        p = float(ct.set_fraction(memory, m))
        # 19,000 contacts; loads per detector vary (Binomial(M, c/H)), so allow 5 binomial sd of 1/20 of them
        assert abs(weights.mean() - p) < 5 * np.sqrt(p * (1 - p) / (weights.size / 20)), (m, weights.mean(), p)


def test_false_alarm_estimate_agrees_with_a_monte_carlo_of_the_same_rule():
    """N = H = 50, K = 10, theta = 7, 10 % of the cue's spikes deleted: the estimated capacity is 823 patterns.
    Tolerance: 3 binomial sd of the 400 trials plus 0.03 for the estimate's neglected dependences."""
    memory = ct.SharedMemory(n_features=50, n_active=10, n_detectors=50, slots=19, copies=1, theta=7, cue_spikes=10,
                             cue_deletion=0.1)
    loads = (400, 800, 1200)
    measured = _monte_carlo(50, 50, 10, 1, 7, loads, trials=400)
    for m, (false, hit, _) in zip(loads, measured):
        fa = ct.false_alarm_rate(memory, m)
        assert abs(false - fa) <= 3 * np.sqrt(fa * (1 - fa) / 400) + 0.03, (m, false, fa)
        ok = ct.success_rate(memory)
        assert abs(hit - ok) <= 3 * np.sqrt(ok * (1 - ok) / 400) + 0.01, (m, hit, ok)
    assert measured[0, 0] <= 0.05 < measured[-1, 0]  # the capacity criterion crosses between 400 and 1200
    assert 400 < ct.capacity(memory) < 1200


def test_false_alarm_estimate_for_unstored_cues_and_two_copies():
    memory = ct.SharedMemory(n_features=50, n_active=10, n_detectors=50, slots=19, copies=2, theta=7, cue_spikes=10,
                             cue_deletion=0.1)
    (false, _, _), = _monte_carlo(50, 50, 10, 2, 7, (500,), trials=400, lure=True)
    fa = ct.false_alarm_rate(memory, 500, lure=True)
    assert 0.1 < fa < 0.9  # a load where the rate is informative
    assert abs(false - fa) <= 3 * np.sqrt(fa * (1 - fa) / 400) + 0.03, (false, fa)
    # storing each pattern twice doubles the load of the contacts: the capacity halves
    single = ct.SharedMemory(50, 10, 50, 19, 1, 7, 10, 0.1)
    assert ct.capacity(memory) == pytest.approx(ct.capacity(single) / 2, rel=0.03)


def test_binomial_pieces_and_the_exact_match_limit():
    for n, p, k in ((10, 0.3, 4), (40, 0.05, 3), (40, 0.9, 38), (7, 0.5, 0), (7, 0.5, 8)):
        j = np.arange(k, n + 1)
        exact = sum(math.comb(n, x) * p**x * (1 - p) ** (n - x) for x in j) if k <= n else 0.0
        assert ct.binomial_tail(n, np.array([p]), k)[0] == pytest.approx(exact, abs=1e-12)
    r, multiplicity = ct.step_fractions(19)
    assert (r * multiplicity).sum() == pytest.approx(19)  # every cue spike reaches every contact once
    assert multiplicity.sum() == 2 * 19 - 1
    # theta = kappa = K (no deletion): at step s a detector fires with probability (r_s p(L))^K; with H = 2 and
    # c = 1 the other detector holds L ~ Binomial(M - 1, 1/2) of the other patterns
    memory = ct.SharedMemory(n_features=20, n_active=4, n_detectors=2, slots=3, copies=1, theta=4, cue_spikes=4)
    fractions = [(1 / 3, 2), (2 / 3, 2), (1.0, 1)]
    quiet = sum(math.comb(5, load) / 2**5 * np.prod([(1 - (r * (1 - (1 - 4 / 60) ** load)) ** 4) ** m
                                                     for r, m in fractions]) for load in range(6))
    assert ct.false_alarm_rate(memory, 6) == pytest.approx(1 - quiet, rel=1e-9)


def test_reference_fires_on_aligned_and_on_shifted_coincidences():
    """Two patterns over 3 features, T = 5 dt (S = 4 contacts): pattern 0 in detector 0, pattern 1 in detector 1."""
    t, dt = 0.005, 0.001
    latencies = np.array([[1, 2, 3], [2, 3, 4]]) * dt
    weights = sm.willshaw_weights(latencies, np.array([[0], [1]]), 2, t, dt)
    assert weights.sum() == 6 and weights[0, 0, 4 - 1] and weights[2, 1, 4 - 4]  # contact k = S - t_i / dt
    h, times = sm.detector_spikes(weights, latencies[0], theta=3, dt=dt)
    # detector 0 at T + dt; pattern 0 is pattern 1 one step early: detector 1 fires one step early, at T
    assert h.tolist() == [1, 0] and np.allclose(times, [t, t + dt])
    h, _ = sm.detector_spikes(weights, np.array([1, np.nan, 3]) * dt, theta=3, dt=dt)
    assert h.size == 0  # two spikes do not reach theta = 3
    assert sm.assign_detectors(100, 10, 3, 0)[:40].tolist() == sm.assign_detectors(40, 10, 3, 0).tolist()  # nested
    assert all(len(set(row)) == 3 for row in sm.assign_detectors(100, 10, 3, 0))


def test_capacity_reads_monotone_fits_of_the_rates():
    assert shp.monotone(np.array([0.0, 0.05, 0.02, 0.1]), np.ones(4)).tolist() == pytest.approx([0, 0.035, 0.035, 0.1])
    assert shp.monotone(np.array([1.0, 0.9, 0.95, 0.5]), np.array([1, 1, 3, 1]),
                        increasing=False).tolist() == pytest.approx([1, 0.9375, 0.9375, 0.5])
    curves = pd.DataFrame({"n_patterns": [100, 200, 300, 400, 500], "trials": 200, "n_features": 50, "n_detectors": 50,
                           "theta": 7, "copies": 1, "lure": False, "n_active": 10, "slots": 19, "cue_spikes_kept": 10,
                           "cue_deletion": 0.1, "success_rate": 0.99, "set_fraction": 0.1,
                           "false_alarm_rate": [0.0, 0.055, 0.03, 0.045, 0.2]})
    row = shp.capacity_table(curves, ["n_patterns"]).iloc[0]
    # one noisy load (0.055 between 0.0 and 0.03) does not end the curve; the monotone fit crosses at 500
    assert row["capacity"] == 400 and row["first_failing_load"] == 500 and row["capacity_first_failure"] == 100
    assert row["reached"] and row["capacity_theory"] == 823


@pytest.mark.parametrize("args, message", [
    (["--set", "theta=30"], "swept by the shared protocol's default grid"),
    (["--sweep", "n_patterns=10,20", "--set", "theta=30"], "exceeds the cue's 20 spikes"),
    (["--sweep", "n_patterns=10", "--set", "copies=200"], "copies (200) exceeds n_detectors (100)"),
    (["--sweep", "n_patterns=10", "--set", "cycle=20.5ms"], "multiple of dt"),
    (["--sweep", "n_patterns=10", "--set", "active_fraction=0.001"], "rounds to no active feature"),
    (["--sweep", "n_patterns=10", "--set", "n_detectors=100000"], "contacts"),
    (["--model", "classical"], "no rate model"),
])
def test_bad_input_is_one_line_and_status_2(tmp_path, capsys, args, message):
    out = tmp_path / "out"
    assert cli(["run", "shared", "--out", str(out), "--quiet", *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err
    assert not out.exists()


def test_default_grid_brackets_the_estimate_on_one_build_per_size():
    exp = hb.Shared(trials=1)
    points = [Point(k, swept, dataclasses.replace(exp.config, **swept)) for k, swept in enumerate(exp.grid)]
    groups = exp.groups(points)
    assert [len(g) for g in groups] == [len(points) // 3] * 3  # one structure (build) per size
    for group in groups:
        c = group[0].config
        estimate = ct.capacity(shp.memory_of(c))
        loads = sorted(pt.config.n_patterns for pt in group)
        assert loads[0] <= estimate / 4 and loads[-1] >= 2 * estimate * 0.99
        assert c.n_detectors == c.n_features and c.theta == round(0.7 * 0.2 * c.n_features)
    small = points[0]
    exp.models([small])  # the network depends on N, H, T and dt, not on the patterns in its weights
    assert small.model.structure() == ("shared", 50, 50, T, DT) and small.model.n_synapses == 50 * 50 * 19


# --- the compiled network ---------------------------------------------------------------------------

@pytest.mark.slow
def test_network_reproduces_the_reference_and_fails_above_capacity():
    """N = 20, H = 10, K = 6, theta = 4, T = 10 ms (estimated capacity 28): below it the cued detectors fire and
    nothing else does; above it false coincidences fire other detectors as often as estimated. Every trial's
    detector spikes equal the numpy reference's (spike for spike)."""
    res = hb.Shared(n_features=20, n_detectors=10, theta=4, cycle=10 * ms, active_fraction=0.3, trials=40,
                    compare_unshared=False, sweep={"n_patterns": [10, 100]}).run()
    t = res.trials
    assert t["reference_agrees"].all()
    assert res.info["builds"] == 1
    curves = res.tables["curves"].set_index("n_patterns")
    low, high = curves.loc[10], curves.loc[100]
    assert low["success_rate"] >= 0.9 and low["false_alarm_rate"] <= 0.05
    assert high["false_alarm_rate"] >= 0.5  # estimate 0.75
    for row in (low, high):
        fa = row["false_alarm_theory"]
        assert abs(row["false_alarm_rate"] - fa) <= 3 * np.sqrt(fa * (1 - fa) / 40) + 0.05
    assert res.tables["capacity"]["reached"].all()
