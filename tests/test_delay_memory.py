"""Delay-based spatio-temporal memory and sequences (fixed seeds).

Fast: bad input ends in one line and exit status 2 before anything is built.
The half-cue replay test compiles one small network (~40 s on 2 cores);
sequence and curve tests are marked slow.
"""

import numpy as np
import pandas as pd
import pytest
from brian2 import ms

import hopfield_brian as hb
from hopfield_brian.cli import main as cli
from hopfield_brian.delay_model import DelayModel
from hopfield_brian.equations.delay_memory import DelayParams
from hopfield_brian.errors import ConfigError
from hopfield_brian.protocols import spatiotemporal as spt


# --- bad input: one clear line, exit status 2 ----------------------------------------------

def _csv(tmp_path, rows):
    path = tmp_path / "spikes.csv"
    path.write_text("pattern,neuron,t_ms\n" + "".join(f"{p},{n},{t}\n" for p, n, t in rows))
    return path


@pytest.mark.parametrize("rows, message", [
    ([(0, 0, -1.0), (0, 1, 5.0)], "negative spike time"),
    ([(0, 0, 3.0), (0, 1, 25.0)], "outside the cycle"),
    ([(0, 0, 3.0), (0, 0, 7.0)], "spikes twice in pattern 0"),
    ([(0, 0, 0.0), (0, 1, 7.0)], "below dt"),  # replay delay t_i = 0 < dt
])
def test_bad_spike_patterns_give_one_line_and_status_2(tmp_path, capsys, rows, message):
    path = _csv(tmp_path, rows)
    out = tmp_path / "out"
    for protocol in ("spatiotemporal",):
        code = cli(["run", protocol, "--set", f"spike_patterns={path}", "--out", str(out), "--quiet"])
        err = capsys.readouterr().err
        assert code == 2
        assert len(err.strip().splitlines()) == 1 and message in err, err
        assert not out.exists()  # nothing written


def test_bad_values_give_status_2(capsys):
    for args in (["--set", "cue_keep=1.5"], ["--set", "dt=15ms"], ["--set", "detection_threshold=2"],
                 ["--set", "cycle=-5ms"], ["--patterns", "x.npy"]):
        assert cli(["run", "spatiotemporal", *args, "--quiet"]) == 2
        assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert cli(["run", "sequence", "--set", "sequence_length=1", "--quiet"]) == 2
    assert "sequence_length" in capsys.readouterr().err


def test_model_rejects_delays_below_dt_and_off_grid_latencies():
    keys = np.array([[0.0, 5e-3, np.nan]])
    with pytest.raises(ConfigError, match="below dt"):
        DelayModel(DelayParams(), keys, cycle=0.02, dt=1e-4)
    with pytest.raises(ConfigError, match="not a multiple of dt"):
        DelayModel(DelayParams(), np.array([[1.05e-3, 5e-3]]), cycle=0.02, dt=1e-4)
    m = DelayModel(DelayParams(), np.array([[1e-3, 5e-3, np.nan]]), cycle=0.02, dt=1e-4)
    assert np.allclose(m.encode_cue(np.array([1e-3, np.nan, 2e-3])), [1e-3, -1.0, 2e-3])  # spike times (s)
    assert m.period == pytest.approx(0.0202)


def test_one_build_serves_every_load_and_jitter():
    exp = hb.Spatiotemporal(trials=2)
    points = exp.prepare(exp.config, exp.params, exp.grid)
    by_structure = {}
    for pt in points:
        by_structure.setdefault((pt.config.n_features, float(pt.config.cycle)), set()).add(id(pt.model))
    assert len(by_structure) == 4  # N = 25 at T = 10, 20, 40 ms; N = 100 at 20 ms
    assert all(len(models) == 1 for models in by_structure.values())  # one build per (N, T)
    pt = next(p for p in points if p.config.n_features == 100 and p.n_stored == 10)
    assert pt.alive.sum() == 10 and pt.alive[:10].all()


# --- science (compiled networks) -------------------------------------------------------------

@pytest.fixture(scope="module")
def base_run():
    """Default parameters: N = 100, M = 100, T = 20 ms, half cue with 1 ms jitter; plus jitter points."""
    grid = [{}, {"cue_jitter": 0 * ms}, {"cue_jitter": 3 * ms}, {"n_patterns": 1000}, {"cue_keep": 0.3}]
    return hb.Spatiotemporal(trials=20, seed=0, compare_rate=False, sweep=grid).run()


def test_half_cue_with_jitter_replays_the_pattern_in_time(base_run):
    t = base_run.trials
    base = t[t["point"] == 0]
    assert len(base) == 20 and (base["cue_spikes"] == 10).all()  # half of K = 20 spikes
    assert base["median_error_ms"].median() <= 2.0
    assert base["completeness"].mean() >= 0.9
    assert base["success"].mean() >= 0.9
    assert base["winner_correct"].all()
    assert base_run.info["builds"] == 1  # every point on one build


def test_jitter_degrades_timing_and_loads_share_the_build(base_run):
    s = spt.summarise(base_run.trials, ["cue_jitter", "n_patterns", "cue_keep"])
    exact = s[s["point"] == 1].iloc[0]
    assert exact["success_rate"] == 1.0 and exact["median_error_ms"] < 0.2  # exact timing without jitter
    assert s[s["point"] == 2]["success_rate"].iloc[0] < exact["success_rate"]  # 3 ms jitter hurts
    assert s[s["point"] == 3]["n_stored"].iloc[0] == 1000


@pytest.mark.slow
def test_sequence_of_five_recalled_in_order():
    res = hb.Sequence(trials=20, n_sequences=10, sequence_length=5, seed=0, sweep=[{}]).run()
    t = res.trials
    assert (t["length"] == 5).all()
    assert t["success"].mean() >= 0.9  # all 4 transitions in order, each element replayed in time
    assert t["median_error_ms"].median() <= 2.0
    assert res.info["builds"] == 1


@pytest.mark.slow
def test_capacity_curve_falls_at_small_n():
    res = hb.Spatiotemporal(trials=20, n_features=25, seed=0, sweep={"n_patterns": [3, 30, 3000]}).run()
    s = spt.summarise(res.trials, ["n_patterns"])
    assert res.info["builds"] == 1
    assert s["success_rate"].iloc[0] >= 0.9
    assert s["success_rate"].iloc[-1] < s["success_rate"].iloc[0]


def test_metrics_on_a_perfect_replay():
    row = np.array([1e-3, np.nan, 5e-3])
    sc = spt.replay_scores(row, np.array([0, 2]), np.array([21.2e-3, 25.2e-3]), 0.0, 1.0, 20.2e-3, 5e-3)
    assert sc["completeness"] == 1.0 and sc["success"] and sc["van_rossum"] < 1e-6


@pytest.mark.parametrize("protocol, options, success", [
    ("spatiotemporal", ["--set", "compare_rate=false", "--set", "n_patterns=10"], "success_rate"),
    ("sequence", ["--set", "n_sequences=3"], "order_accuracy")])
def test_a_user_sweep_writes_its_summary_and_figure(tmp_path, protocol, options, success):
    """A --sweep outside a protocol's default curves gets the generic sweep figure (success and
    completeness against the swept value), not a crash after the trials have run (spatiotemporal) nor
    curves against a parameter that was not swept (sequence)."""
    out = tmp_path / protocol
    assert cli(["run", protocol, "--sweep", "background_rate=0Hz,20Hz", "--trials", "3", *options,
                "--out", str(out), "--quiet"]) == 0
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary["background_rate_Hz"]) == [0, 20] and (out / "sweep.png").stat().st_size > 0
    assert not (out / "curves.png").exists()
    assert summary[success].iloc[0] == 1.0 > summary[success].iloc[1]  # background adds false spikes


def test_a_sweep_of_two_cue_parameters_gets_the_sweep_figure_and_no_unmatched_comparison(tmp_path, capsys):
    """Points that fit no single default curve (two cue parameters at once) are drawn in sweep.png, and
    the rate comparison, which needs the base point, is left out (and said so) when the grid lacks it."""
    out = tmp_path / "st"
    assert cli(["run", "spatiotemporal", "--sweep", "cue_jitter=1ms,2ms", "--sweep", "cue_keep=0.6,0.8",
                "--trials", "2", "--set", "n_patterns=10", "--out", str(out)]) == 0
    assert len(pd.read_csv(out / "summary.csv")) == 4 and (out / "sweep.png").exists()
    assert not (out / "curves.png").exists() and not (out / "rate_vs_timing.csv").exists()
    printed = capsys.readouterr()
    assert "4 points x 2 trials" in printed.out and "rate versus timing: not run" in printed.out
    assert "Warning" not in printed.err
