"""Storage by plasticity: couplings learned from spikes match the analytic ones."""

import numpy as np
import pytest

from conftest import recall
from hopfield_brian import patterns as pat
from hopfield_brian import reference as ref
from hopfield_brian.storage import learn


@pytest.mark.parametrize("kind, level", [("bipolar", 0.5), ("sparse", 0.1)])
def test_learned_couplings_correlate_with_the_analytic_ones(kind, level):
    x = pat.generate(kind, 8, 120, level, seed=3)
    analytic, bias, _ = ref.hebbian_couplings(x, kind)
    learned, learned_bias = learn(x, kind, seed=1)
    off = ~np.eye(120, dtype=bool)
    assert np.corrcoef(learned[off], analytic[off])[0, 1] >= 0.95
    assert np.polyfit(analytic[off], learned[off], 1)[0] == pytest.approx(1.0, abs=0.1)
    assert np.all(np.diag(learned) == 0)
    assert np.corrcoef(learned_bias, bias)[0, 1] >= 0.95 if kind == "bipolar" else np.allclose(learned_bias, bias)


def test_recall_with_learned_weights_is_as_good_as_with_analytic_ones():
    common = dict(n_features=200, n_patterns=16, cue_noise=0.25, trials=30)
    analytic = recall("classical", **common).trials
    learned = recall("classical", storage="hebbian", **common).trials
    n, pa, pl = len(analytic), analytic["success"].mean(), learned["success"].mean()
    p = (pa + pl) / 2
    assert abs(pa - pl) <= 3 * np.sqrt(2 * max(p * (1 - p), 0.05) / n)
    # recall works: at 200 trials both succeed in ~78 % (analytic 0.79, learned 0.765, 2026-12-03); 0.6 is
    # two standard errors below that at 30 trials
    assert learned["success"].mean() >= 0.6


@pytest.mark.slow
def test_bounded_hebbian_storage_forgets_old_patterns(tmp_path, monkeypatch):
    import pandas as pd

    from hopfield_brian import cli

    monkeypatch.chdir(tmp_path)
    assert cli.main(["run", "storage", "--quiet", "--out", "res", "--sweep", "learning_rate=0.5,2",
                     "--sweep", "cued_pattern=29,26,0"]) == 0
    table = pd.read_csv(tmp_path / "res" / "forgetting.csv").set_index(["learning_rate", "age"])
    for rate in (0.5, 2.0):
        assert table.loc[(rate, 0), "success_rate"] >= 0.9  # the newest memory is recalled
        assert table.loc[(rate, 29), "success_rate"] <= 0.1  # the oldest is overwritten
    # the learning rate shapes the curve: faster learning, less like the analytic (unbounded) couplings
    assert table.loc[(2.0, 0), "weight_correlation"] < table.loc[(0.5, 0), "weight_correlation"]
    assert (tmp_path / "res" / "forgetting.png").is_file()


def test_modern_keys_and_values_learned_by_recruited_memories_match_the_patterns():
    from hopfield_brian.storage import learn_modern

    x = pat.generate("bipolar", 8, 120, 0.5, seed=3)
    keys, values = learn_modern(x, seed=1)
    for learned in (keys, values):
        assert np.corrcoef(learned.ravel(), x.ravel())[0, 1] >= 0.95
        assert np.polyfit(x.ravel(), learned.ravel(), 1)[0] == pytest.approx(1.0, abs=0.1)


def test_modern_recall_with_learned_weights_is_as_good_as_with_analytic_ones():
    common = dict(n_features=64, n_patterns=16, cue_noise=0.3, trials=30)
    analytic = recall("modern", {"beta": 0.2}, **common).trials
    learned = recall("modern", {"beta": 0.2}, storage="hebbian", **common).trials
    n, pa, pl = len(analytic), analytic["success"].mean(), learned["success"].mean()
    p = (pa + pl) / 2
    assert abs(pa - pl) <= 3 * np.sqrt(2 * max(p * (1 - p), 0.05) / n)
    assert pl >= 0.8


@pytest.mark.slow
def test_modern_memories_fade_only_by_decay(tmp_path, monkeypatch):
    import pandas as pd

    from hopfield_brian import cli

    monkeypatch.chdir(tmp_path)
    assert cli.main(["run", "storage", "--model", "modern", "--quiet", "--out", "res",
                     "--sweep", "forget_rate=0Hz,2Hz", "--sweep", "cued_pattern=29,0"]) == 0
    table = pd.read_csv(tmp_path / "res" / "forgetting.csv").set_index(["forget_rate_Hz", "age"])
    assert table.loc[(0.0, 29), "success_rate"] >= 0.9  # no decay: the oldest memory is intact
    assert table.loc[(2.0, 0), "success_rate"] >= 0.9  # the newest is recalled
    assert table.loc[(2.0, 29), "success_rate"] <= 0.1  # decayed by exp(-2 Hz x 29 x 200 ms)
    assert table.loc[(0.0, 0), "weight_correlation"] >= 0.95
