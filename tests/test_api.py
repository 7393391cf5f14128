"""The public API: names, validation before any build, Results saved and reloaded, figures from tables,
no process-wide state between experiments."""

import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
from brian2 import Hz, ms

import hopfield_brian as hb
from hopfield_brian import cli, engine

SMALL = dict(n_features=32, n_patterns=4, t_free=60 * ms, readout_window=20 * ms)


def test_every_public_name_imports_and_the_package_imports_light():
    for name in hb.__all__:
        assert getattr(hb, name) is not None, name
    code = """if True:
        import sys
        import hopfield_brian as hb
        assert not {'brian2', 'matplotlib', 'pandas'} & set(sys.modules), 'heavy import'
        import matplotlib, brian2, pandas as pd
        backend, rc = matplotlib.rcParams['backend'], dict(matplotlib.rcParams)
        from hopfield_brian import plotting
        table = pd.DataFrame({'capacity_spiking': [4], 'capacity_reference': [8], 'theory': [5.0]})
        summary = pd.DataFrame({'point': [0, 1], 'n_patterns': [4, 8], 'success_rate': [1.0, 0.0],
                                'success_ci_low': [0.5, 0.0], 'success_ci_high': [1.0, 0.5],
                                'reference_success_rate': [1.0, 1.0]})
        fig = plotting.capacity_figure(summary, ['n_patterns'], table, hb.RecallConfig(model='classical'))
        assert fig.axes and matplotlib.rcParams['backend'] == backend, 'backend set'
        assert dict(matplotlib.rcParams) == rc, 'global theme changed'
        print('ok')
    """
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr[-1000:]


def test_the_readme_script_runs_with_public_names_only(tmp_path):
    """Recall on patterns given as an array, a sweep, DataFrames, save, reload, redraw."""
    patterns = np.sign(np.random.default_rng(0).normal(size=(6, 48)))
    res = hb.Recall(patterns=patterns, beta=0.2, trials=3, sweep={"cue_noise": [0.1, 0.3]}).run()
    assert isinstance(res.trials, pd.DataFrame) and len(res.trials) == 6 and len(res.summary) == 2
    assert set(res.spikes.columns) == {"trial", "population", "neuron", "t_ms"}
    assert res.trials["patterns"].iloc[0].startswith("array 6x48 sha256:")
    folder = res.save(tmp_path / "saved")
    back = hb.load(folder)
    pd.testing.assert_frame_equal(back.trials, res.trials, check_dtype=False)
    pd.testing.assert_frame_equal(back.summary, res.summary, check_dtype=False)
    pd.testing.assert_frame_equal(back.spikes.astype({"population": str}),
                                  res.spikes.astype({"population": str}), check_dtype=False)
    assert back.config.n_patterns == 6 and back.params.beta == 0.2 and back.swept == ["cue_noise"]
    assert np.array_equal(back.inputs["point_0"], patterns)
    figures = back.figures()
    assert set(figures) == {"sweep"} and figures["sweep"].axes
    assert (folder / "sweep.png").is_file() and back.info["versions"]["brian2"]


@pytest.mark.parametrize("parameters, message", [
    ({"rate_memory": 5}, "rate_memory: 5 has the wrong unit"),
    ({"rate_memory": 5 * ms}, "rate_memory"),
    ({"t_cue": "100"}, "needs a unit"),
    ({"beta": -0.1}, "beta must be >= 0"),
    ({"betta": 0.1}, "did you mean 'beta'"),
    ({"normalisation": "softmax"}, "unknown normalisation 'softmax'; choose from exact, wta"),
    ({"patterns": np.ones((3, 5)) * 2}, "values must be all in {-1,+1} or all in {0,1}"),
    ({"patterns": np.ones(7)}, "expected a 2-D array"),
    ({"patterns": np.ones((3, 8)), "n_features": 9}, "does not match the patterns array"),
    ({"trials": 0}, "trials must be >= 1"),
    ({"model": "classical", "beta": 0.1}, "beta: parameter(s) of --model modern"),
])
def test_bad_values_are_refused_when_the_object_is_made_before_any_build(parameters, message, monkeypatch):
    monkeypatch.setattr(engine, "run_trials", lambda *a, **k: pytest.fail("ran"))
    t0 = time.perf_counter()
    with pytest.raises(hb.ConfigError) as err:
        hb.Recall(**parameters)
    assert message in str(err.value) and "\n" not in str(err.value)
    assert time.perf_counter() - t0 < 1.0  # no compilation before the refusal


def test_protocols_by_name_and_from_a_config_dataclass():
    assert isinstance(hb.protocol("capacity", model="classical", trials=2), hb.Capacity)
    with pytest.raises(hb.ConfigError, match="unknown protocol 'recal'"):
        hb.protocol("recal")
    exp = hb.Recall.from_config(hb.RecallConfig(n_features=40), hb.ModernParams(beta=0.3), sweep={"seed": [0, 1]})
    assert exp.config.n_features == 40 and exp.params.beta == 0.3 and exp.grid == {"seed": [0, 1]}
    with pytest.raises(hb.ConfigError, match="RecallConfig is not SpatiotemporalConfig"):
        hb.Spatiotemporal.from_config(hb.RecallConfig())


@pytest.mark.slow
def test_two_experiments_in_one_process_give_what_each_gives_alone():
    """Storage learned at two learning rates and recall at two batch sizes, interleaved: each experiment's
    tables equal its own repeat (no cache, batch size or device state carries over)."""
    a = hb.Recall(model="classical", storage="hebbian", learning_rate=1.0, trials=4, **SMALL)
    b = hb.Recall(model="classical", storage="hebbian", learning_rate=3.0, weight_bound=2.0, trials=4, **SMALL)
    first_a = a.run(batch=1)
    first_b = b.run(batch=3, workers=1)
    again_a = a.run()
    again_b = b.run(batch=1)
    for first, again in ((first_a, again_a), (first_b, again_b)):
        pd.testing.assert_frame_equal(first.trials.drop(columns="wall_s"), again.trials.drop(columns="wall_s"))
        assert first.spikes.equals(again.spikes)
    assert not np.array_equal(first_a.points[0].model.couplings, first_b.points[0].model.couplings)


def test_plot_redraws_the_figures_of_a_folder_without_simulating(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    argv = ["run", "recall", "--trials", "2", "--quiet", "--out", "res", *[f"--set={k}={v}" for k, v in
                                                                            (("n_features", 32), ("n_patterns", 4))]]
    assert cli.main(argv) == 0
    (tmp_path / "res" / "recall.png").unlink()
    monkeypatch.setattr(engine, "run_trials", lambda *a, **k: pytest.fail("simulated"))
    assert cli.main(["plot", "res"]) == 0
    assert (tmp_path / "res" / "recall.png").stat().st_size > 0
    assert "recall.png" in capsys.readouterr().out
    assert cli.main(["plot", "nowhere"]) == 2


@pytest.mark.slow
def test_results_of_every_rate_protocol_reload_and_redraw(tmp_path):
    """A delay-memory run and an attention run (queries figure from the saved patterns) redraw after load."""
    st = hb.Spatiotemporal(n_features=30, n_patterns=5, trials=2, compare_rate=False,
                           sweep={"cue_jitter": [0 * ms, 1 * ms]}).run(out=tmp_path / "st")
    at = hb.Attention(n_features=32, n_patterns=6, trials=2, sweep={"beta": [0.1]},
                      background_rate=0 * Hz).run(out=tmp_path / "at")
    for res in (st, at):
        back = hb.load(res.folder)
        assert set(back.figures()) == set(res.figures()) and set(back.tables) == set(res.tables)


@pytest.mark.slow
def test_the_readme_python_api_script_runs_as_written(tmp_path, monkeypatch):
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme[readme.index("## Python API"):]
    code = section[section.index("```python") + len("```python"):section.index("```\n", section.index("```python"))]
    used = {part.split("(")[0].split(".")[0].split(")")[0] for part in code.split("hb.")[1:]}
    assert used <= set(hb.__all__), used  # public names only
    monkeypatch.chdir(tmp_path)
    scope = {}
    exec(compile(code, "README.md", "exec"), scope)
    assert scope["res"].summary["success_rate"].iloc[0] >= 0.9 and set(scope["figs"]) == {"sweep"}
    assert (tmp_path / "results" / "mine" / "trials.csv").is_file()


def test_a_warm_build_is_reported_as_reused_not_compiled(tmp_path, monkeypatch):
    monkeypatch.setenv("HOPFIELD_BRIAN_BUILD", str(tmp_path / "build"))
    exp = hb.Recall(n_features=20, n_patterns=3, trials=1)
    first, second = exp.run(), exp.run()
    assert (first.info["builds"], first.info["compilations"]) == (1, 1)
    assert (second.info["builds"], second.info["compilations"]) == (1, 0)
    assert "1 build, 0 compilations (reused build)" in second.report()


def test_a_spike_part_opened_alone_describes_itself(tmp_path):
    import pyarrow.parquet as pq

    from hopfield_brian.results import read_spike_metadata

    res = hb.Recall(trials=2, sweep={"beta": [0.05, 0.1]}, **SMALL).run(out=tmp_path / "run")
    for folder in (tmp_path / "run", res.save(tmp_path / "saved")):
        parts = sorted((folder / "spikes.parquet").glob("*.parquet"))
        assert parts
        for part in parts:
            meta = read_spike_metadata(part)
            assert meta["populations"] == {"feature": 64, "memory": 4} and meta["t_stop_ms"] == 160.0
            assert meta["dt_ms"] == 0.2 and meta["units"]["t_ms"] == "ms" and meta["protocol"] == "recall"
            assert meta["parameters"]["beta"] in (0.05, 0.1) and meta["versions"]["brian2"] == "2.10.1"
            assert pq.read_table(part).num_rows > 0
    assert len(hb.load(tmp_path / "saved").spikes) == len(res.spikes)


def test_progress_is_plain_lines_when_stderr_is_not_a_terminal():
    import io

    from hopfield_brian.sweep import ProgressLines, progress_bar

    log = io.StringIO()
    bar = progress_bar(4, True, log)
    assert isinstance(bar, ProgressLines)
    bar.every = 0.0
    for _ in range(4):
        bar.update()
    bar.close()
    lines = log.getvalue().splitlines()
    assert "\r" not in log.getvalue() and lines[-1].startswith("hopfield-brian: 4/4 trials (100%)")
    assert len(lines) == 5 and "about" in lines[0]
