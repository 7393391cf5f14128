"""Phase diagrams against theory: the AGS replica-symmetric solution, Ramsauer et al.'s separation
condition, the Glauber reference, and small spiking runs of the phase protocol."""

import math

import numpy as np
import pandas as pd
import pytest

import hopfield_brian as hb
from hopfield_brian import patterns as pat
from hopfield_brian import reference, theory
from hopfield_brian.errors import ConfigError


# --------------------------------------------------------------------- AGS replica symmetry

def test_critical_load_at_zero_temperature_is_0138_with_the_overlap_jump_of_ags():
    """Amit, Gutfreund & Sompolinsky 1987: alpha_c(T = 0) = 0.138, where m jumps from 0.967 to 0."""
    assert theory.critical_load_zero_temperature() == pytest.approx(0.138, abs=0.002)
    assert theory.retrieval_state(0.1375, 0.0)["m"] == pytest.approx(0.967, abs=0.01)
    assert theory.retrieval_state(0.139, 0.0)["m"] == 0.0
    assert theory.critical_load(0.0) == theory.critical_load_zero_temperature()


def test_retrieval_line_ends_at_t_1_as_1_minus_1_95_sqrt_alpha():
    """T_M(0) = 1 (Curie-Weiss) and 1 - T_M ~ 1.95 sqrt(alpha) for small alpha (AGS 1987)."""
    for t in (0.95, 0.99):
        assert (1 - t) / math.sqrt(theory.critical_load(t)) == pytest.approx(1.95, abs=0.03)
    assert theory.boundary_temperature(1e-6, tol=1e-4) == pytest.approx(1.0, abs=0.005)
    assert theory.critical_load(1.0) == 0.0


def _fixed_point_iteration(alpha, temperature, steps=20000):
    """The AGS equations iterated plainly from m = q = 1 with a Gauss-Hermite rule (an independent
    solver: no Newton, no continuation)."""
    z, w = np.polynomial.hermite_e.hermegauss(200)
    w = w / w.sum()
    beta, m, q = 1 / temperature, 1.0, 1.0
    for _ in range(steps):
        r = q / (1 - beta * (1 - q)) ** 2
        t = np.tanh(beta * (m + math.sqrt(alpha * r) * z))
        m_new, q_new = float(w @ t), float(w @ t ** 2)
        if abs(m_new - m) + abs(q_new - q) < 1e-13:
            break
        m, q = m_new, q_new
    return m


def test_retrieval_line_at_load_005_agrees_with_a_plain_fixed_point_iteration():
    t_m = theory.boundary_temperature(0.05, tol=1e-4)
    assert t_m == pytest.approx(0.542, abs=0.003)
    assert _fixed_point_iteration(0.05, t_m - 0.005) > 0.8  # the retrieval state exists below
    assert _fixed_point_iteration(0.05, t_m + 0.005) < 0.45  # and has gone above (drifting to 0)
    below = theory.retrieval_state(0.05, t_m - 0.005)["m"]
    assert below == pytest.approx(_fixed_point_iteration(0.05, t_m - 0.005), abs=1e-6)


def test_overlap_is_continuous_below_the_line_and_curie_weiss_at_zero_load():
    ms = [s["m"] for s in theory.retrieval_states([0.02, 0.0201, 0.0202], 0.5)]
    assert max(ms) - min(ms) < 1e-3
    assert theory.retrieval_state(0.0, 0.5)["m"] == pytest.approx(math.tanh(0.9575 / 0.5), abs=1e-3)
    assert theory.retrieval_state(0.0, 0.5)["m"] == pytest.approx(0.9575, abs=1e-3)
    # m falls as T rises, until the line (first-order at alpha > 0)
    line = [theory.retrieval_state(0.05, t)["m"] for t in (0.1, 0.3, 0.5)]
    assert line[0] > line[1] > line[2] > 0.8


def test_readout_overlap_is_a_step_at_zero_load_and_one_for_a_clean_state():
    cut = 0.5 * math.atanh(0.5)  # T = 0.5, threshold 1/4
    assert theory.readout_overlap(cut + 0.01, 0.0, 0.5) == pytest.approx(1.0)
    assert theory.readout_overlap(cut - 0.01, 0.0, 0.5) == pytest.approx(0.0)
    assert theory.readout_overlap(1.0, 0.1, 0.0) == pytest.approx(1.0)


def test_shot_noise_lowers_the_retrieval_line_by_its_variance():
    """Poisson spikes filtered by tau: variance a / (2 rate tau) per presynaptic neuron (Campbell);
    2 spikes per tau at half activity add alpha / 2 to the field's variance."""
    assert theory.shot_noise_variance(0.1, 2.0) == pytest.approx(0.05)
    lines = theory.retrieval_lines([0.0, 0.2, 0.4, 0.6, 0.8, 0.95, 1.0])
    few, many = theory.shot_noise_line(lines, 2.0), theory.shot_noise_line(lines, 8.0)
    assert few["alpha"].max() < many["alpha"].max() < lines["alpha_m"].max()
    assert few["alpha"].max() == pytest.approx(0.105, abs=0.005)


def test_glauber_reference_follows_the_curie_weiss_magnetisation():
    """One stored pattern at T_AGS = 0.8: the mean activity's overlap is m = tanh(m / 0.8) = 0.71
    (finite size N = 200 rounds it: 5 runs, tolerance 0.05)."""
    x = pat.generate("bipolar", 1, 200, 0.5, seed=1)
    couplings, bias, a = reference.hebbian_couplings(x, "bipolar")
    rng = np.random.default_rng(0)
    m = [np.mean(x[0] * (2 * reference.glauber_activity(couplings, bias, a, (x[0] > 0).astype(float), rng, 0.4,
                                                         inhibition=1.0) - 1)) for _ in range(5)]
    assert np.mean(m) == pytest.approx(theory.retrieval_state(0.0, 0.8)["m"], abs=0.05)
    with pytest.raises(ValueError):
        reference.glauber_activity(couplings, bias, a, x[0] > 0, rng, 0.1, sweeps=5, average=6)


# ------------------------------------------------------------------------ Ramsauer et al.

def test_separation_condition_in_ramsauers_notation():
    """Delta >= 2 / (beta N_R) + ln(2 (N_R - 1) N_R beta M_R^2) / beta with N_R patterns of norm M_R."""
    beta, m, n = 0.2, 50, 64
    assert theory.separation_needed(beta, m, n) == pytest.approx(
        2 / (beta * m) + math.log(2 * (m - 1) * m * beta * math.sqrt(n) ** 2) / beta)
    delta = 40.0
    b = theory.separation_beta(delta, m, n)
    assert theory.separation_needed(b * 1.001, m, n) <= delta < theory.separation_needed(b * 0.99, m, n)
    assert all(theory.separation_needed(b * k, m, n) <= delta for k in (2, 5, 20))  # and beyond


def test_expected_separation_of_random_patterns_matches_a_sample_and_falls_with_load():
    rng = np.random.default_rng(3)
    sample = np.concatenate([theory.separations(rng.choice([-1.0, 1.0], size=(64, 64))) for _ in range(20)])
    expected = theory.expected_separation(64, 64)
    assert abs(sample.mean() - expected) < 4 * sample.std() / math.sqrt(sample.size)
    assert theory.expected_separation(512, 64) < expected < theory.expected_separation(8, 64)
    assert theory.separation_beta(theory.expected_separation(512, 64), 512, 64) > theory.separation_beta(
        expected, 64, 64)


# ------------------------------------------------------------------------------ protocol

def test_phase_refuses_load_and_n_patterns_together_and_sparse_classical_patterns():
    with pytest.raises(ConfigError, match="either as load"):
        hb.Phase(model="classical", sweep={"load": [0.1], "n_patterns": [10]})
    with pytest.raises(ConfigError, match="AGS"):
        hb.Phase(model="classical", pattern_kind="sparse")


def test_default_classical_grid_is_15_by_15_plus_finite_size_points():
    grid = hb.Phase(model="classical").grid
    main = [p for p in grid if "n_features" not in p]
    assert len({p["load"] for p in main}) >= 15 and len({p["temperature"] for p in main}) >= 15
    assert {p["n_features"] for p in grid if "n_features" in p} == {100, 200, 400}
    assert all(p["n_patterns"] == max(1, round(p["load"] * p.get("n_features", 200))) for p in grid)


def test_spiking_classical_network_retrieves_below_the_line_and_follows_the_mapping():
    """N = 100, 8 trials: at load 0.05, T_AGS = 0.1 (inside both the AGS line and its shot-noise
    version, 0.10) success >= 0.9; at load 0.3 (beyond alpha_c) <= 0.1; at load 0.01, T_AGS = 0.7 the
    rate overlap is the AGS m (0.79) within 0.06, for the spiking network and the Glauber reference."""
    points = [{"load": 0.05, "temperature": 0.05}, {"load": 0.3, "temperature": 0.05},
              {"load": 0.01, "temperature": 0.35}]
    res = hb.Phase(model="classical", n_features=100, trials=8, sweep=points).run()
    phase = res.tables["phase"].set_index("n_patterns")
    assert phase.loc[5, "success_rate"] >= 0.9
    assert phase.loc[30, "success_rate"] <= 0.1 and phase.loc[30, "theory_m"] == 0.0
    m = theory.retrieval_state(0.01, 0.7)["m"]
    assert phase.loc[1, "rate_overlap_mean"] == pytest.approx(m, abs=0.06)
    assert phase.loc[1, "glauber_rate_overlap_mean"] == pytest.approx(m, abs=0.06)
    boundary = res.tables["boundary"]
    assert set(boundary["ags_temperature"]) == {0.1, 0.7}
    assert set(res.tables["theory"]["line"]) >= {"ags", "readout", "shot_noise_2", "m"}


@pytest.mark.slow
def test_spiking_modern_network_retrieves_beyond_the_separation_line_and_averages_far_below():
    """N = 32, M = 32: at beta = 0.6 (above Ramsauer et al.'s separation beta, ~0.4) the spiking network
    and the reference retrieve; at beta = 0.005 both sit at the global average."""
    res = hb.Phase(n_features=32, trials=4, sweep={"load": [1.0], "beta": [0.005, 0.6]}).run()
    table = res.tables["regimes"].set_index("beta")
    sep = res.tables["separation"].iloc[0]
    assert 0.005 < sep["beta_separation_expected"] < 0.6
    assert table.loc[0.6, "success_rate"] >= 0.75 and table.loc[0.6, "reference_success_rate"] == 1.0
    assert table.loc[0.6, "label"] == "retrieval" and table.loc[0.6, "reference_label"] == "retrieval"
    assert table.loc[0.005, "label"] == "global_average" and table.loc[0.005, "reference_label"] == "global_average"
    assert table.loc[0.6, "well_separated_mean"] > table.loc[0.005, "well_separated_mean"]
    figures = res.figures()  # the diagram is drawn (a lost `return fig` once failed every run)
    assert set(figures) == {"phase"} and figures["phase"].axes


def test_boundary_is_where_success_falls_through_one_half_and_extrapolates_in_one_over_sqrt_n():
    from hopfield_brian.protocols import phase

    assert phase.falls_through([0.1, 0.3, 0.2], [1.0, 0.2, 0.6]) == pytest.approx(0.225)
    assert phase.falls_through([0.1, 0.2], [1.0, 0.9]) == 0.2  # never falls: the largest load tested
    assert np.isnan(phase.falls_through([0.1, 0.2], [0.4, 0.0]))  # below the grid
    sizes = np.array([200, 400, 800, 1600])
    boundary = pd.DataFrame({"n_features": sizes, "rate_max_Hz": 200.0, "temperature": 0.01, "ags_temperature": 0.02,
                             "largest_load": 0.3, "alpha_spiking": 0.11 + 0.2 / np.sqrt(sizes),
                             "alpha_glauber": 0.14 + 0.3 / np.sqrt(sizes), "alpha_reference": 0.3,
                             "alpha_theory": 0.138, "alpha_shot_noise": 0.106})
    row = phase.finite_size_table(boundary).iloc[0]
    assert row["alpha_inf_spiking"] == pytest.approx(0.11) and row["alpha_inf_glauber"] == pytest.approx(0.14)
    assert np.isnan(row["alpha_inf_reference"])  # never fell inside the loads tested: no fit
    assert row["ratio_spiking_to_glauber"] == pytest.approx(0.11 / 0.14)
