"""Capacity and robustness protocols (small versions of the defaults, fixed seeds)."""

import numpy as np
import pandas as pd
import pytest

from hopfield_brian import cli, paradigm
from hopfield_brian import patterns as pat
from hopfield_brian.protocols import capacity, robustness


def _run(tmp_path, monkeypatch, argv):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["run", *argv, "--quiet", "--out", "res"]) == 0
    return tmp_path / "res"


@pytest.mark.slow
def test_modern_network_retrieves_ten_times_more_patterns_than_features(tmp_path, monkeypatch):
    out = _run(tmp_path, monkeypatch, ["capacity", "--sweep", "n_patterns=640", "--sweep", "beta=0.4",
                                       "--trials", "20"])
    summary = pd.read_csv(out / "summary.csv")
    assert summary["success_rate"].iloc[0] >= 0.9  # at M = 640 = 10 N
    assert (out / "capacity.png").is_file() and (out / "capacity.csv").is_file()


@pytest.mark.slow
def test_classical_capacity_reference_near_0138_and_spiking_ratio_reported(tmp_path, monkeypatch):
    out = _run(tmp_path, monkeypatch, ["capacity", "--model", "classical", "--trials", "20"])
    table = pd.read_csv(out / "capacity.csv")
    n = table["n_features"].iloc[0]
    assert abs(table["capacity_reference"].iloc[0] / n - 0.138) <= 0.1 * 0.138 + 0.02  # grid step 0.02-0.03 N
    assert 0 < table["ratio_spiking_to_reference"].iloc[0] <= 1.2
    assert table["theory"].iloc[0] == pytest.approx(0.138 * n)


@pytest.mark.parametrize("model", ["classical", "modern"])
def test_the_default_cue_alone_does_not_pass_for_a_retrieval(model):
    """A network that kept the cue would otherwise count as retrieving."""
    noise, n = float(capacity.Capacity.defaults(model)["cue_noise"]), int(capacity.Capacity.defaults(model)["n_features"])
    stored = pat.generate("bipolar", 5, n, 0.5, seed=0)
    cue = paradigm.make_cue(stored, "bipolar", 0, noise, 0.0, np.random.default_rng(0))
    assert not paradigm.score(stored, "bipolar", 0, cue)["success"]


def test_capacity_table_takes_the_largest_m_before_the_first_failure():
    summary = pd.DataFrame({"point": range(5), "n_patterns": [40, 10, 20, 30, 5], "beta": [0.1] * 5,
                            "success_rate": [0.92, 1.0, 0.95, 0.5, 1.0],
                            "reference_success_rate": [0.2, 1, 1, 1, 0.8]})
    table = capacity.capacity_table(summary, ["n_patterns", "beta"])
    # spiking: 5, 10, 20 pass, 30 fails (the pass at 40 after it does not count); reference fails at 5
    assert table["capacity_spiking"].iloc[0] == 20 and table["capacity_reference"].iloc[0] == 0


def test_monotone_violations_need_a_gap_beyond_the_bands():
    t = pd.DataFrame({"noise": ["deletion"] * 3, "strength": [0.0, 0.4, 0.8], "success_rate": [0.9, 0.95, 0.2],
                      "success_ci_low": [0.7, 0.75, 0.05], "success_ci_high": [0.97, 0.99, 0.4]})
    assert robustness.monotone_violations(t).empty
    t.loc[2, ["success_ci_low", "success_ci_high"]] = [0.98, 1.0]
    assert list(robustness.monotone_violations(t)["strength"]) == [0.8]


def test_robustness_refuses_an_unknown_noise_name(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["run", "robustness", "--sweep", "gamma_rays=1,2"]) == 2
    assert "unknown parameter 'gamma_rays'" in capsys.readouterr().err
    assert cli.main(["run", "robustness", "--sweep", "beta=0.1,0.2"]) == 2
    assert not (tmp_path / "results").exists()


@pytest.mark.slow
@pytest.mark.parametrize("model", ["modern", "classical"])
def test_success_never_improves_with_noise_and_8_bits_cost_at_most_2_points(model, tmp_path, monkeypatch):
    out = _run(tmp_path, monkeypatch, ["robustness", "--model", model, "--trials", "20",
                                       "--sweep", "weight_bits=0,8", "--sweep", "membrane_noise=0,1,4"])
    table = pd.read_csv(out / "robustness.csv")
    assert robustness.monotone_violations(table).empty, table
    bits = table[table["noise"] == "weight_bits"].set_index("strength")["success_rate"]
    assert abs(bits[32.0] - bits[8.0]) <= 0.02
    assert set(table["noise"]) == set(robustness.STRENGTHS)
    assert (out / "robustness.png").is_file()
    flips = table[table["noise"] == "cue_noise"].set_index("strength")
    assert (flips.loc[[0.0, 0.1], "success_rate"] >= 0.9).all(), flips  # light cue noise is recalled
    # the zero-temperature reference may beat the noisy spiking network at the basin's edge, by little:
    # measured 0.20 (modern) and 0.25 (classical) with 20 trials per strength
    assert robustness.cue_flip_gap(table) <= 0.35, flips


def test_capacity_figure_keeps_its_axis_when_the_smallest_load_already_fails():
    """A measured capacity of 0 (the smallest M fails) gets a legend entry, not a line at M = 0 that
    stretched the modern model's log axis down to 2^-49."""
    from types import SimpleNamespace

    from hopfield_brian import plotting

    summary = pd.DataFrame({"point": [0, 1, 2], "n_patterns": [16, 64, 256], "success_rate": [0.0, 0.0, 0.0],
                            "success_ci_low": [0.0] * 3, "success_ci_high": [0.3] * 3,
                            "reference_success_rate": [1.0, 1.0, 0.0]})
    table = pd.DataFrame({"capacity_spiking": [0], "capacity_reference": [64], "theory": [np.inf]})
    fig = plotting.capacity_figure(summary, ["n_patterns"], table, SimpleNamespace(model="modern", n_features=64))
    ax = fig.axes[0]
    assert ax.get_xlim()[0] > 4  # the axis spans the loads tested, not 2^-49
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "capacity, spiking: below the smallest M tested" in labels and "capacity, reference: 64" in labels
