"""Command line: a good run writes every file; bad input gives one line and exit 2."""

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hopfield_brian import cli, engine, sweep

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--set", "n_features=32", "--set", "n_patterns=4", "--set", "t_free=60ms", "--set", "readout_window=20ms"]


def _bad_files(tmp_path):
    np.save(tmp_path / "flat.npy", np.ones(10))
    np.savetxt(tmp_path / "three.csv", np.array([[0, 1, 2], [1, 0, 1]]), delimiter=",", fmt="%d")
    np.save(tmp_path / "ok.npy", np.sign(np.random.default_rng(0).normal(size=(5, 20))))
    np.save(tmp_path / "strings.npy", np.array([["a", "b"], ["c", "d"]]))
    np.save(tmp_path / "zeros.npy", np.zeros((3, 20)))
    np.save(tmp_path / "no_queries.npy", np.zeros((0, 200)))
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "infinite.json").write_text('{"mine": {"spike": Infinity}}')


class Ran(BaseException):
    """Raised instead of running: bad input must be refused before a run starts."""


@pytest.fixture
def no_run(monkeypatch):
    """Replace running the trials by raising Ran; returns the points that would have run."""
    given = []

    def refuse(protocol, points, *args, **kwargs):
        given.extend(points)
        raise Ran(f"the trials started ({len(given)} points)")

    monkeypatch.setattr(engine, "run_trials", refuse)
    return given


BAD = {
    "wrong shape": (["--patterns", "flat.npy"], "shape"),
    "non-binary values": (["--patterns", "three.csv"], "values must be"),
    "N mismatch": (["--patterns", "ok.npy", "--set", "n_features=30"], "does not match"),
    "cue_noise > 1": (["--set", "cue_noise=1.5"], "cue_noise"),
    "negative beta": (["--set", "beta=-1"], "beta"),
    "beta nan": (["--set", "beta=nan"], "finite number"),
    "infinite duration": (["--set", "t_free=1e400ms"], "finite number"),
    "negative seed": (["--seed", "-1"], "--seed must be >= 0"),
    "a parameter swept twice": (["--sweep", "beta=0.1,0.2", "--sweep", "beta=0.3"], "more than once"),
    "seed set and swept": (["--set", "seed=2", "--sweep", "seed=0,1"], "cannot sweep seed"),
    "model swept": (["--sweep", "model=modern,classical"], "cannot sweep model"),
    "output folder is a file": (["--out", "ok.npy"], "is a file"),
    "unknown model": (["--model", "hopfieldish"], "unknown model"),
    "unknown parameter": (["--set", "gamma=2"], "unknown parameter 'gamma'; valid names: "),
    "misspelt parameter": (["--set", "betta=0.1"], "unknown parameter 'betta' (did you mean 'beta'?)"),
    "misspelt swept parameter": (["--sweep", "cue_nosie=0.1,0.2"], "(did you mean 'cue_noise'?)"),
    "duration without unit": (["--set", "t_cue=100"], "needs a unit"),
    "wrong unit": (["--set", "t_cue=5Hz"], "wrong unit"),
    "unknown device": (["--device", "fpga"], "unknown device"),
    "beta too large": (["--set", "beta=10"], "overflow"),
    "missing file": (["--patterns", "nope.npy"], "not found"),
    "malformed set": (["--set", "beta"], "NAME=VALUE"),
    "zero batch": (["--batch", "0"], "--batch must be >= 1"),
    "zero workers": (["--workers", "0"], "--workers must be >= 1"),
    "build-only on runtime": (["--build-only", "--device", "runtime"], "--build-only needs a standalone device"),
    "classical parameter on the modern model": (["--set", "temperature=0.2"], "temperature: parameter(s) of --model classical"),
    "no patterns": (["--set", "n_patterns=0"], "n_patterns must be >= 1, got 0"),
    "weight_bits beyond the quantiser": (["--set", "weight_bits=2000"], "<= 32 bits"),
    "patterns file of strings": (["--patterns", "strings.npy"], "must be numbers"),
    "empty patterns file": (["--patterns", "empty.csv"], "no patterns in the file"),
    "all-zero classical patterns": (["--model", "classical", "--patterns", "zeros.npy"], "no active unit"),
    "cued_pattern below -1": (["--set", "cued_pattern=-2"], "cued_pattern must be -1"),
    "dt longer than bin_width": (["--set", "dt=10ms"], "must not exceed bin_width"),
    "patterns file and a swept size": (["--patterns", "ok.npy", "--sweep", "n_patterns=3,5"], "fixed by --patterns"),
}


@pytest.mark.parametrize("case", sorted(BAD))
@pytest.mark.filterwarnings("error::UserWarning", "error::RuntimeWarning")  # numpy's warnings are never printed
def test_bad_input_gives_one_line_and_exit_2_and_writes_nothing(case, tmp_path, monkeypatch, capsys, no_run):
    _bad_files(tmp_path)
    monkeypatch.chdir(tmp_path)
    args, message = BAD[case]
    assert cli.main(["run", "recall", "--trials", "1", *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0] and err[0].startswith("hopfield-brian: error:")
    assert not (tmp_path / "results").exists()


OTHER_BAD = {  # protocol, arguments, message
    "attention queries of strings": ("attention", ["--set", "queries=strings.npy"], "must be numbers"),
    "attention values of strings": ("attention", ["--set", "values=strings.npy"], "must be numbers"),
    "attention without queries": ("attention", ["--set", "queries=no_queries.npy"], "no queries in the file"),
    "attention window shorter than dt": ("attention", ["--set", "dt=1ms", "--set", "attention_window=0.5ms"],
                                         "must not exceed attention_window"),
    "attention energy file of binary data": ("attention", ["--set", "energy_file=ok.npy"], "not UTF-8 text"),
    "attention energy file with an infinite cost": ("attention", ["--set", "energy_file=infinite.json"],
                                                    "pJ >= 0 and finite, got inf"),
    "capacity sweeps the size a patterns file fixes": ("capacity", ["--patterns", "ok.npy"], "fixed by --patterns"),
    "regimes kick shorter than dt": ("regimes", ["--sweep", "kick_fraction=0.2", "--set", "kick_duration=0.1ms"],
                                     "must not exceed kick_duration"),
    "spatiotemporal with a rate-model parameter": ("spatiotemporal", ["--set", "beta=0.5"],
                                                   "beta: rate-model parameter(s) not used by the spatiotemporal"),
    "sequence with rate-model parameters": ("sequence", ["--set", "beta=0.5", "--set", "rate_memory=1kHz"],
                                            "beta, rate_memory: rate-model parameter(s) not used by the sequence"),
    "sequence with a rate model": ("sequence", ["--model", "classical"], "runs the delay memory only"),
}


@pytest.mark.parametrize("case", sorted(OTHER_BAD))
def test_bad_input_to_other_protocols_gives_one_line(case, tmp_path, monkeypatch, capsys, no_run):
    _bad_files(tmp_path)
    monkeypatch.chdir(tmp_path)
    protocol, args, message = OTHER_BAD[case]
    sweep_beta = ["--sweep", "beta=0.05"] if protocol == "attention" else []  # one point, not the default grid
    assert cli.main(["run", protocol, "--trials", "1", *sweep_beta, *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0] and err[0].startswith("hopfield-brian: error:")
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize("given", [["--patterns", "ok.npy"], ["--set", "values=ok.npy"]])
def test_an_attention_keys_or_values_file_sets_m_and_n_of_the_default_grid(tmp_path, monkeypatch, no_run, given):
    _bad_files(tmp_path)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(Ran):
        cli.main(["run", "attention", *given, "--trials", "1"])
    assert len(no_run) > 1 and {(pt.config.n_patterns, pt.config.n_features) for pt in no_run} == {(5, 20)}


@pytest.mark.parametrize("protocol", ["spatiotemporal", "sequence"])
def test_delay_protocols_do_not_offer_rate_patterns_or_model_parameters(protocol, capsys):
    with pytest.raises(SystemExit):
        cli.main(["run", protocol, "--help"])
    text = capsys.readouterr().out
    assert "--patterns" not in text and "modern model (--model modern)" not in text and "  beta " not in text
    assert cli.main(["run", protocol, "--patterns", "p.npy"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"--patterns does not apply to the {protocol} protocol" in err[0]


def test_a_changed_input_file_is_another_run(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)

    def interrupt(*args, **kwargs):  # run.json is written, then Ctrl-C before any trial
        raise KeyboardInterrupt

    monkeypatch.setattr(engine, "run_trials", interrupt)
    assert cli.main(["run", "recall", "--trials", "1", "--quiet", "--out", "plain"]) == 130
    assert sorted(json.loads((tmp_path / "plain" / "run.json").read_text())) == [
        "config", "model_params", "protocol", "sweep"]  # no input file: the identity keeps its form
    x = np.sign(np.random.default_rng(0).normal(size=(5, 20)))
    np.save(tmp_path / "keys.npy", x)
    argv = ["run", "recall", "--patterns", "keys.npy", "--trials", "1", "--quiet", "--out", "res"]
    assert cli.main(argv) == 130
    identity = json.loads((tmp_path / "res" / "run.json").read_text())
    assert identity["input_sha256"] == {"keys.npy": hashlib.sha256((tmp_path / "keys.npy").read_bytes()).hexdigest()}
    assert cli.main(argv) == 130  # the same file: the run resumes
    np.save(tmp_path / "keys.npy", -x)  # same path and shape, other patterns
    capsys.readouterr()
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "holds a run with other parameters" in err[0]


@pytest.mark.parametrize("argv", [["run", "nonsense"], ["run", "recall", "--trials", "many"], ["fly"]])
def test_bad_command_line_exits_2_with_one_line(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("hopfield-brian") and "Traceback" not in "".join(err)


def test_help_documents_every_parameter_with_default_and_unit(capsys):
    with pytest.raises(SystemExit):
        cli.main(["run", "recall", "--help"])
    text = capsys.readouterr().out
    for name in ("n_features", "n_patterns", "beta", "cue_noise", "t_cue", "t_free", "rate_memory", "temperature"):
        assert f"  {name} " in text
    assert "100.ms" in text or "100. ms" in text or "100ms" in text


def test_a_run_writes_complete_results(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["run", "recall", "--trials", "3", "--quiet", "--out", "res", *TINY]) == 0
    out = tmp_path / "res"
    assert sorted(p.name for p in out.iterdir()) == [".lock", "complete.json", "config.json", "patterns.npz",
                                                     "recall.png", "run.json", "spikes.parquet", "summary.csv",
                                                     "trials", "trials.csv"]
    trials = pd.read_csv(out / "trials.csv")
    for col in ("trial", "model", "target", "cue_overlap", "final_overlap", "retrieved", "success",
                "time_to_retrieval_ms", "n_spikes", "beta", "t_cue_ms", "rate_memory_Hz", "seed"):
        assert col in trials.columns
    assert len(trials) == 3
    spikes = pd.read_parquet(out / "spikes.parquet")
    assert list(spikes.columns) == ["trial", "population", "neuron", "t_ms"]
    assert spikes["t_ms"].dtype == np.float32 and spikes["neuron"].dtype == np.uint16
    assert spikes.groupby("trial").size().sum() == trials["n_spikes"].sum()
    config = json.loads((out / "config.json").read_text())
    assert config["config"]["t_cue"] == {"value": 100.0, "unit": "ms"}
    assert config["versions"]["brian2"] == "2.10.1" and config["device"] == "cpp_standalone"
    assert config["out"] == "res" and (config["trials_resumed"], config["trials_run"]) == (0, 3)
    # the stored patterns are saved, the same as generated from the seed
    stored = np.load(out / "patterns.npz")["point_0"]
    assert stored.shape == (4, 32) and set(np.unique(stored)) == {-1, 1}
    assert np.array_equal(stored, paradigm_patterns(32, 4))
    # a run with other parameters into the same folder is refused, the first one's files stay
    assert cli.main(["run", "recall", "--trials", "1", "--quiet", "--out", "res", *TINY]) == 2
    assert len(pd.read_csv(out / "trials.csv")) == 3
    # the same run again finds every trial done and rewrites the same table
    assert cli.main(["run", "recall", "--trials", "3", "--quiet", "--out", "res", *TINY]) == 0
    assert pd.read_csv(out / "trials.csv").drop(columns="wall_s").equals(trials.drop(columns="wall_s"))
    resumed = json.loads((out / "config.json").read_text())
    assert (resumed["trials_resumed"], resumed["trials_run"], resumed["compilations"]) == (3, 0, 0)


def paradigm_patterns(n_features: int, n_patterns: int) -> np.ndarray:
    """The default run's random bipolar patterns (seed 0)."""
    from hopfield_brian import patterns

    return patterns.generate("bipolar", n_patterns, n_features, 0.1, 0)


def test_patterns_file_sets_the_network_size(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    x = np.where(np.random.default_rng(1).random((6, 40)) < 0.5, 0, 1)
    np.savetxt(tmp_path / "mine.csv", x, delimiter=",", fmt="%d")
    assert cli.main(["run", "recall", "--patterns", "mine.csv", "--model", "classical", "--trials", "2",
                     "--quiet", "--out", "res"]) == 0
    trials = pd.read_csv(tmp_path / "res" / "trials.csv")
    assert set(trials["n_features"]) == {40} and set(trials["n_patterns"]) == {6}


def test_script_and_entry_point_run_outside_the_repository(tmp_path):
    out = subprocess.run([sys.executable, str(ROOT / "protocols" / "recall.py"), "--trials", "2", "--quiet",
                          "--out", str(tmp_path / "a"), *TINY], cwd=tmp_path, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "a" / "trials.csv").is_file()
    bad = subprocess.run([sys.executable, "-m", "hopfield_brian", "run", "recall", "--set", "cue_noise=-0.1"],
                         cwd=tmp_path, capture_output=True, text=True)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize("protocol, name", [("capacity", "n_patterns"), ("attention", "beta"),
                                            ("storage", "learning_rate")])
def test_a_set_value_the_default_grid_would_replace_is_refused(protocol, name, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["run", protocol, "--set", f"{name}=2"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"{name}: swept by the {protocol} protocol's default grid" in err[0]
    assert not (tmp_path / "results").exists()


def test_a_rerun_with_other_parameters_names_what_differs(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(engine, "run_trials", lambda *a, **k: (_ for _ in ()).throw(AssertionError("ran")))
    first = sweep.FolderStore(tmp_path / "run", {"protocol": "recall", "config": {"trials": 5, "beta": 0.1},
                                                 "sweep": {}})
    first.close()
    assert cli.main(["run", "recall", "--trials", "6", "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err.strip()
    assert "holds a run with other parameters (trials: 5 there, 6 here;" in err and len(err.splitlines()) == 1
