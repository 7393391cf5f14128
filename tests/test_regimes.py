"""Regimes protocol: the reference's fixed-point types, boundaries, basins, bad input, and (slow)
the spiking phase diagram and the kick."""

import numpy as np
import pandas as pd
import pytest

import hopfield_brian as hb
from hopfield_brian import cli, paradigm
from hopfield_brian import patterns as pat
from hopfield_brian import regimes_protocol


def _cue(stored, target, flip, seed):
    return paradigm.make_cue(stored, "bipolar", target, flip, 0.0, np.random.default_rng(seed))


# ------------------------------------------------------------ reference fixed points (Ramsauer et al. 2020)

def test_reference_fixed_points_follow_beta_global_metastable_single():
    """Clustered patterns: global average at small beta, the cluster average (metastable) in
    between, the single pattern at large beta (the three fixed-point types of Ramsauer et al. 2020)."""
    x = regimes_protocol.clustered_patterns(20, 100, 4, 0.1, seed=0)
    cue = _cue(x, 3, 0.1, 1)
    small = regimes_protocol.reference_fixed_point(x, cue, 0.005)
    mid = regimes_protocol.reference_fixed_point(x, cue, 0.06)
    large = regimes_protocol.reference_fixed_point(x, cue, 0.5)
    assert small["label"] == "global_average" and small["entropy"] > 0.95
    assert mid["label"] == "metastable"
    weights = paradigm.reference.attention_weights(x, mid["state"], 0.06)
    assert weights[:5].sum() > 0.9  # the mixture is the target's cluster (patterns 0-4)
    assert large["label"] == "retrieval" and large["max_weight"] > 0.99
    assert np.mean(np.sign(large["state"]) * x[3]) == 1.0


def test_random_patterns_jump_from_global_average_to_retrieval():
    """Independent random patterns have no metastable window from a corrupted cue (measured here)."""
    x = pat.generate("bipolar", 20, 100, 0.1, 0)
    labels = {regimes_protocol.reference_fixed_point(x, _cue(x, 0, 0.2, 2), b)["label"]
              for b in np.geomspace(0.003, 0.5, 30)}
    assert labels == {"global_average", "retrieval"}


def test_clustered_patterns_have_the_stated_correlations():
    x = regimes_protocol.clustered_patterns(40, 2000, 4, 0.1, seed=3)
    c = x @ x.T / x.shape[1]
    block = np.kron(np.eye(4), np.ones((10, 10))).astype(bool)
    assert c[block & ~np.eye(40, dtype=bool)].mean() == pytest.approx(0.64, abs=0.03)  # (1 - 2 f)^2
    assert abs(c[~block].mean()) < 0.03


def test_mixture_threshold_lies_above_the_global_average_overlaps():
    x = regimes_protocol.clustered_patterns(20, 100, 4, 0.1, seed=0)
    th = regimes_protocol.thresholds(x)
    assert th.mixture_overlap > np.max(x @ np.sign(x.mean(axis=0))) / 100
    assert th.mixture_overlap < 0.8  # a cluster average (overlap ~0.8 with its members) still counts


def test_reference_basin_is_full_at_large_beta_and_empty_at_small():
    x = pat.generate("bipolar", 20, 100, 0.1, 0)
    assert all(regimes_protocol.reference_returns(x, 0, f, 0.5) for f in (0.1, 0.3, 0.4))
    assert not regimes_protocol.reference_returns(x, 0, 0.6, 0.5)  # past half the pattern is its mirror's basin
    assert not regimes_protocol.reference_returns(x, 0, 0.1, 0.005)  # global average: nothing is retrieved


# ------------------------------------------------------------------ boundaries and basins

def test_crossing_log_interpolates_and_reports_none_outside_the_grid():
    beta = np.array([0.01, 0.02, 0.04, 0.08])
    assert regimes_protocol.crossing(beta, [0, 0, 1, 1], rising=True) == pytest.approx(np.sqrt(0.02 * 0.04))
    assert regimes_protocol.crossing(beta, [1, 1, 0.5, 0], rising=False) == pytest.approx(0.04)
    assert regimes_protocol.crossing(beta[::-1], [1, 1, 0, 0], rising=True) == pytest.approx(np.sqrt(0.02 * 0.04))
    assert np.isnan(regimes_protocol.crossing(beta, [0, 0, 0, 0.4], rising=True))
    assert np.isnan(regimes_protocol.crossing(beta, [1, 1, 1, 1], rising=True))  # already past at the first beta


def test_basin_is_the_largest_fraction_below_the_first_failure():
    g = pd.DataFrame({"kick_fraction": [0.1, 0.2, 0.3, 0.4], "r": [1.0, 0.9, 0.5, 1.0]})
    assert regimes_protocol.basin(g, "r") == 0.2
    assert regimes_protocol.basin(g.assign(r=[0.5, 1, 1, 1]), "r") == 0.0


# ------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("args, message", [
    (["--sweep", "kick_fraction=1.5"], "kick_fraction"),
    (["--set", "beta=0.2"], "swept by the regimes protocol's default grid"),
    (["--model", "classical"], "modern"),
    (["--set", "settle=600ms"], "settle"),
    (["--set", "clusters=3"], "divisible"),
    (["--sweep", "kick_fraction=0.2", "--set", "kick_at=480ms"], "t_free"),
    (["--set", "cluster_flip=0.7"], "cluster_flip"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, args, message):
    assert cli.main(["run", "regimes", "--out", str(tmp_path / "r"), "--quiet", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err
    assert not (tmp_path / "r").exists()


def test_hebbian_storage_stores_the_clustered_patterns_by_plasticity():
    """storage=hebbian was silently ignored (the clustered patterns were stored analytically)."""
    analytic, learned = (hb.Regimes(storage=s, trials=1, sweep={"beta": [0.1]}) for s in ("analytic", "hebbian"))
    (a,), (h,) = (e.prepare(e.config, e.params, e.grid) for e in (analytic, learned))
    assert np.array_equal(a.stored, h.stored)  # the same clustered patterns
    assert np.array_equal(a.model.keys, a.stored)  # analytic: the keys are the patterns
    assert not np.allclose(h.model.keys, h.stored)  # learned from spikes: close, not equal
    assert np.corrcoef(h.model.keys.ravel(), h.stored.ravel())[0, 1] > 0.8


# --------------------------------------------------------------------------- spiking

def _run(grid, **settings):
    return hb.Regimes(sweep=grid, **settings).run(workers=2)


@pytest.mark.slow
def test_spiking_regimes_and_boundaries_match_the_reference_within_a_factor_two():
    """Over beta (feedback on) and with the feedback off, the spiking network shows at least four
    regimes, and its global-average / metastable / retrieval boundaries lie within a factor 2 of
    the numpy reference's."""
    betas = (0.003, 0.01, 0.025, 0.05, 0.08, 0.12, 0.2, 0.5)
    grid = [{"beta": b, "feedback_gain": g} for g in (0.0, 1.0) for b in betas]
    res = _run(grid, trials=6)
    table = res.tables["regimes"]
    found = set(table["label"])
    assert {"quiescent", "global_average", "metastable", "retrieval"} <= found
    on = table[table["feedback_gain"] == 1.0].sort_values("beta")
    assert on["label"].iloc[0] == "global_average" and on["label"].iloc[-1] == "retrieval"
    b = res.tables["boundaries"]
    row = b[b["feedback_gain"] == 1.0].iloc[0]
    for name in ("global_to_metastable", "metastable_to_retrieval"):
        assert 0.5 <= row[f"{name}_ratio"] <= 2.0, row
    assert (table[table["feedback_gain"] == 0.0]["label"] == "quiescent").all()


@pytest.mark.slow
def test_a_kick_perturbs_a_retrieved_state_which_returns_inside_the_basin():
    grid = [{"beta": 0.5, "kick_fraction": k, "cue_noise": 0.0} for k in (0.2, 0.7)]
    res = _run(grid, trials=4)
    t = res.trials.sort_values("point")
    small, large = t[t["point"] == 0], t[t["point"] == 1]
    assert (small["overlap_before_kick"] >= 0.9).all()
    assert (small["min_overlap_after_kick"] < 0.8).all()  # the kick acted
    assert small["success"].all() and small["reference_returns"].all()  # and the state came back
    assert np.isfinite(small["return_time_ms"]).all()
    assert not large["success"].any() and not large["reference_returns"].any()  # 70 %: the mirror state


def test_kicked_models_keep_the_fixed_point_switches():
    """The regimes protocol's models (which carry the kick) are built as the fixed-point settings say: a
    kicked model that dropped them ran in float without a word."""
    from hopfield_brian.regimes_protocol import KickedModel

    exp = hb.Regimes(n_features=32, n_patterns=8, clusters=0, state_bits=16, decay_bits=12, kick_fraction=0.3,
                     sweep={"beta": [0.2]})
    points = exp.prepare(exp.config, exp.params, exp.grid)
    assert points and all(isinstance(p.model, KickedModel) for p in points)
    assert all(p.model.quantised_state and p.model.explicit_decay for p in points)
