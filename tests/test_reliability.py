"""Nothing lost, nothing mixed, no traceback: damaged folders repaired or refused, one writer per folder,
builds that cannot stay broken, bounded runs, one line for every bad input (README, 'Results you can trust')."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hopfield_brian as hb
from hopfield_brian import cli, engine

TINY = ["--set", "n_features=32", "--set", "n_patterns=4", "--set", "t_free=60ms", "--set", "readout_window=20ms"]
RUN = ["run", "recall", "--trials", "6", "--batch", "2", "--workers", "1", "--quiet", *TINY]


def _tables(folder: Path):
    trials = pd.read_csv(folder / "trials.csv").drop(columns="wall_s")
    spikes = pd.read_parquet(folder / "spikes.parquet").astype({"population": str})
    return trials, spikes.sort_values(["trial", "population", "neuron", "t_ms"], ignore_index=True)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """An uninterrupted run: 6 trials in 3 journal entries."""
    out = tmp_path_factory.mktemp("ref") / "run"
    assert cli.main([*RUN, "--out", str(out)]) == 0
    return out, _tables(out)


def _copy(reference, tmp_path) -> Path:
    import shutil

    out = tmp_path / "run"
    shutil.copytree(reference[0], out)
    return out


def _first(folder: Path, pattern: str) -> Path:
    return sorted(folder.glob(pattern))[0]


DAMAGE = {
    "a deleted spike part": lambda f: _first(f, "spikes.parquet/*.parquet").unlink(),
    "a truncated spike part": lambda f: (lambda p: p.write_bytes(p.read_bytes()[:100]))(
        _first(f, "spikes.parquet/*.parquet")),
    "a garbage spike part": lambda f: _first(f, "spikes.parquet/*.parquet").write_bytes(b"garbage" * 50),
    "a truncated journal line": lambda f: (lambda p: p.write_text(p.read_text()[:-40]))(_first(f, "trials/*.jsonl")),
    "an empty journal entry": lambda f: _first(f, "trials/*.jsonl").write_text("{}\n"),
    "leftovers of a killed write": lambda f: ((f / ".staging-999").mkdir(), (f / "trials" / ".x.partial-9").touch()),
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_journal_is_repaired_and_the_rerun_equals_an_uninterrupted_run(damage, reference, tmp_path,
                                                                                   capsys):
    out = _copy(reference, tmp_path)
    DAMAGE[damage](out)
    assert cli.main([*RUN, "--out", str(out)]) == 0
    trials, spikes = _tables(out)
    pd.testing.assert_frame_equal(trials, reference[1][0])
    pd.testing.assert_frame_equal(spikes, reference[1][1])
    assert not list(out.glob(".staging-*")) and not list(out.rglob("*.partial*"))
    err = capsys.readouterr().err
    if damage != "leftovers of a killed write":
        assert "damaged journal entry" in err and len(err.strip().splitlines()) == 1
    assert hb.load(out).trials["trial"].tolist() == list(range(6))


UNREPAIRABLE = {
    "run.json not JSON": (lambda f: (f / "run.json").write_text("{oops"), "run.json is damaged (not JSON"),
    "run.json empty": (lambda f: (f / "run.json").write_text(""), "run.json is damaged"),
    "run.json a list": (lambda f: (f / "run.json").write_text("[1, 2]"), "a JSON list, not a run identity"),
    "run.json a folder": (lambda f: ((f / "run.json").unlink(), (f / "run.json").mkdir()), "(a folder)"),
    "trials/ a file": (lambda f: (__import__("shutil").rmtree(f / "trials"), (f / "trials").write_text("x")),
                       "trials is damaged"),
    "spikes.parquet/ a file": (lambda f: (__import__("shutil").rmtree(f / "spikes.parquet"),
                                          (f / "spikes.parquet").write_text("x")), "spikes.parquet is damaged"),
}


@pytest.mark.parametrize("case", sorted(UNREPAIRABLE))
def test_damaged_run_state_is_refused_in_one_line(case, reference, tmp_path, capsys):
    out = _copy(reference, tmp_path)
    damage, message = UNREPAIRABLE[case]
    damage(out)
    assert cli.main([*RUN, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err


def test_an_unfinished_folder_is_not_loaded_until_its_run_finishes(tmp_path, monkeypatch):
    from hopfield_brian import results

    out = tmp_path / "run"

    def killed(*args, **kwargs):  # every trial done, then a kill before the final files
        raise KeyboardInterrupt

    monkeypatch.setattr(results, "write", killed)
    assert cli.main([*RUN, "--out", str(out)]) == 130
    with pytest.raises(hb.ConfigError, match="unfinished run"):
        hb.load(out)
    monkeypatch.undo()
    assert cli.main([*RUN, "--out", str(out)]) == 0
    assert len(hb.load(out).trials) == 6
    assert json.loads((out / "complete.json").read_text())["files"][:2] == ["config.json", "patterns.npz"]


def test_two_runs_started_at_once_on_one_folder(tmp_path):
    """Exactly one of them holds the folder: the other is refused ('in use') or, if it came after, resumes a
    finished run; the folder holds each trial once."""
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "hopfield_brian", *RUN, "--out", str(out)]
    procs = [subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    codes = [(p.wait(timeout=300), p.stderr.read()) for p in procs]
    assert sorted(c for c, _ in codes) in ([0, 0], [0, 2]), codes
    assert all("in use by another run" in err for c, err in codes if c == 2)
    trials = pd.read_csv(out / "trials.csv")
    assert sorted(trials["trial"]) == list(range(6))


@pytest.mark.slow
def test_a_damaged_build_is_made_again(tmp_path, monkeypatch):
    """A truncated binary, or a build killed before it finished (no record of its binary, a truncated
    object file), is rebuilt instead of failing on every run."""
    monkeypatch.setenv("HOPFIELD_BRIAN_BUILD", str(tmp_path / "build"))
    exp = hb.Recall(n_features=24, n_patterns=3, trials=2)
    ((folder, _),) = exp.build()
    (folder / "main").write_bytes(b"")  # emptied binary
    assert exp.run().trials["success"].notna().all()
    ((folder, _),) = exp.build()
    (folder / ".built").unlink()  # as after a kill during the link step
    objects = sorted(folder.rglob("*.o"))
    objects[0].write_bytes(objects[0].read_bytes()[:64])
    assert len(exp.run().trials) == 2 and (folder / ".built").is_file()


def _bad_output_folders(tmp_path: Path) -> dict:
    (tmp_path / "afile").write_text("x")
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    return {"parent is a file": (str(tmp_path / "afile" / "run"), "is a file"),
            "dangling symlink": (str(tmp_path / "dangling"), "dangling symbolic link"),
            "name too long": (str(tmp_path / ("x" * 300)), "name too long")}


@pytest.mark.parametrize("case", ["parent is a file", "dangling symlink", "name too long"])
def test_bad_output_folders_are_one_line(case, tmp_path, capsys):
    folders = _bad_output_folders(tmp_path)
    out, message = folders[case]
    assert cli.main([*RUN, "--out", out]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err


BAD = {  # arguments, message
    "duplicate sweep points": (["--sweep", "beta=0.5,0.5"], "0.5 is given more than once"),
    "integer range with repeats": (["--sweep", "n_patterns=2:3:4"], "is given more than once"),
    "empty sweep item": (["--sweep", "beta=0.1,,0.2"], "an empty value"),
    "negative swept seed": (["--sweep", "seed=0,-1"], "seeds must be >= 0"),
    "huge sweep range": (["--sweep", "beta=0:1:1000000000"], "COUNT must be >= 1 and <= 1,000,000"),
    "npz named npy": (["--patterns", "archive.npy"], "is an .npz archive"),
    "folder as patterns": (["--patterns", "folder.npy"], "not a regular file (a folder)"),
    "fifo as patterns": (["--patterns", "fifo.npy"], "not a regular file (a FIFO"),
    "symlink loop as patterns": (["--patterns", "loop.npy"], "broken or looping symbolic link"),
    "empty patterns name": (["--patterns", ""], "--patterns needs a file name"),
    "huge trials": (["--set", "trials=200000000"], "at most 100,000,000"),
    "huge batch": (["--batch", "1000000000"], "at most 100,000 trials per binary run"),
    "huge workers": (["--workers", "1000000000"], "binaries at once on this machine"),
    "tiny dt": (["--set", "dt=0.000001ms", "--set", "jitter=0ms"], "time steps; at most"),
    "huge network": (["--set", "n_features=3000000", "--set", "beta=0.0001"], "at most 100,000,000"),
    "model parameter in the user's units": (["--set", "rate_memory=0Hz"], "rate_memory must be > 0Hz, got 0Hz"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_more_bad_input_is_one_line_exit_2_nothing_written(case, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    np.savez(tmp_path / "archive.npz", x=np.ones((4, 32)))
    os.replace(tmp_path / "archive.npz", tmp_path / "archive.npy")
    (tmp_path / "folder.npy").mkdir()
    os.mkfifo(tmp_path / "fifo.npy")
    (tmp_path / "loop.npy").symlink_to(tmp_path / "loop.npy")
    monkeypatch.setattr(engine, "run_trials", lambda *a, **k: pytest.fail("the trials started"))
    args, message = BAD[case]
    trials = [] if any(a.startswith("trials=") for a in args) else ["--trials", "1"]
    assert cli.main(["run", "recall", *trials, "--out", "res", *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err
    assert not (tmp_path / "res").exists()


def test_a_bad_build_folder_setting_is_one_line_and_writes_nothing(tmp_path, monkeypatch, capsys):
    (tmp_path / "build").write_text("not a folder")
    monkeypatch.setenv("HOPFIELD_BRIAN_BUILD", str(tmp_path / "build"))
    assert cli.main([*RUN, "--out", str(tmp_path / "res")]) == 2
    assert "build folder" in capsys.readouterr().err and not (tmp_path / "res").exists()


@pytest.mark.skipif(__import__("hopfield_brian.cuda", fromlist=["have_gpu"]).have_gpu(), reason="a GPU is here")
def test_cuda_without_a_gpu_says_so_before_compiling(tmp_path, capsys):
    t0 = time.perf_counter()
    assert cli.main([*RUN, "--device", "cuda_standalone", "--out", str(tmp_path / "res")]) == 2
    assert "needs a GPU" in capsys.readouterr().err and time.perf_counter() - t0 < 30
    assert not (tmp_path / "res").exists()


def test_a_single_point_with_every_neuron_silenced_draws_its_figure(tmp_path):
    res = hb.Recall(n_features=24, n_patterns=3, trials=2, ablation=1.0).run(out=tmp_path / "run")
    assert (res.trials["n_spikes"] == 0).all() and (tmp_path / "run" / "recall.png").is_file()


def test_a_binary_that_dies_names_its_trials_in_one_line(tmp_path, monkeypatch, capsys):
    from hopfield_brian import simulator

    real = simulator.Simulator._command

    def killed_binary(self, batch, results_dir):  # the binary is killed by a signal
        return ["sh", "-c", "kill -9 $$", *real(self, batch, results_dir)[:0]]

    monkeypatch.setattr(simulator.Simulator, "_command", killed_binary)
    assert cli.main([*RUN, "--out", str(tmp_path / "res")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "killed by signal 9" in err[0] and "trials 0-1" in err[0] and "resume" in err[0]


class Accepted(BaseException):
    """Raised where the trials would start: the input was accepted."""


def _accept(*args, **kwargs):
    raise Accepted


NAMES = sorted({f for cls in (hb.RecallConfig, hb.ModernParams, hb.ClassicalParams)
                for f in cls.__dataclass_fields__} - {"out", "device"})
VALUES = st.one_of(st.text(max_size=12), st.integers(-10**12, 10**12).map(str),
                   st.floats(allow_nan=True, allow_infinity=True).map(repr),
                   st.sampled_from(["0", "-1", "1e400ms", "nan", "inf", "1ms", "-5Hz", "0.5", "1e9", "true",
                                    "1e-9ms", "classical", "wta", "hebbian", "sparse", "x.npy", "2:1:3"]))


@settings(max_examples=150, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(NAMES), VALUES), min_size=1, max_size=3))
def test_any_value_is_accepted_or_refused_in_one_line_with_nothing_written(tmp_path_factory, settings_list):
    folder = tmp_path_factory.mktemp("prop")
    args = [f"--set={name}={value}" for name, value in settings_list if "\n" not in value and "\r" not in value]
    saved = engine.run_trials
    engine.run_trials = _accept
    err_lines = []
    try:
        import contextlib
        import io

        buffer = io.StringIO()
        with contextlib.redirect_stderr(buffer), contextlib.redirect_stdout(io.StringIO()):
            code = cli.main(["run", "recall", "--trials", "1", "--quiet", "--out", str(folder / "res"), *args])
        err_lines = buffer.getvalue().strip().splitlines()
    except Accepted:
        return
    finally:
        engine.run_trials = saved
    assert code == 2, (args, err_lines)
    assert len(err_lines) == 1 and err_lines[0].startswith("hopfield-brian: error:"), (args, err_lines)
    assert not (folder / "res").exists(), args


def _fields_of(name: str) -> list[str]:
    cls = cli.protocol_class(name)
    names = set(cls.config_class.__dataclass_fields__) - {"out", "device"}
    if cls.uses_model_params:
        names |= set(hb.ModernParams.__dataclass_fields__) | set(hb.ClassicalParams.__dataclass_fields__)
    return sorted(names)


OPTIONS = st.sampled_from(["--trials", "--seed", "--batch", "--workers", "--device", "--model", "--patterns"])


@settings(max_examples=150, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(cli.PROTOCOLS).flatmap(lambda protocol: st.tuples(
    st.just(protocol),
    st.lists(st.tuples(st.sampled_from(_fields_of(protocol)), VALUES), max_size=2),
    st.lists(st.tuples(st.sampled_from(_fields_of(protocol)), VALUES), max_size=1),
    st.lists(st.tuples(OPTIONS, VALUES), max_size=2))))
def test_every_protocol_option_and_sweep_is_accepted_or_refused_in_one_line(tmp_path_factory, case):
    """Every protocol, its parameters set and swept, and the options: accepted (the run would start) or
    exit 2 with one line and no output folder."""
    import contextlib
    import io

    protocol, sets, sweeps, options = case
    folder = tmp_path_factory.mktemp("prop")
    clean = [(n, v) for n, v in [*sets, *sweeps, *options] if not set(v) & set("\n\r\x0b\x0c\x1c\x1d\x1e\x85")]
    args = [f"--set={n}={v}" for n, v in sets if (n, v) in clean]
    args += [f"--sweep={n}={v}" for n, v in sweeps if (n, v) in clean]
    args += [f"{o}={v}" for o, v in options if (o, v) in clean]
    saved = engine.run
    engine.run = _accept
    buffer = io.StringIO()
    try:
        with contextlib.redirect_stderr(buffer), contextlib.redirect_stdout(io.StringIO()):
            code = cli.main(["run", protocol, "--quiet", "--out", str(folder / "res"), *args])
    except Accepted:
        return
    except SystemExit as exc:  # argparse: a malformed option value (one line, exit 2)
        code = exc.code
    finally:
        engine.run = saved
    err = buffer.getvalue().strip().splitlines()
    assert code == 2, (protocol, args, err)
    assert len(err) == 1 and err[0].startswith("hopfield-brian: error:"), (protocol, args, err)
    assert not (folder / "res").exists(), (protocol, args)


@pytest.mark.slow
def test_kills_at_random_moments_lose_and_duplicate_nothing(reference, tmp_path):
    """SIGKILL at random moments (during the build in a cold build folder, during the trials, during the
    final writes), then a last run to completion: the tables equal the uninterrupted run's."""
    env = {**os.environ, "HOPFIELD_BRIAN_BUILD": str(tmp_path / "build")}
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "hopfield_brian", *RUN, "--out", str(out)]
    rng = np.random.default_rng(11)
    for delay in (*rng.uniform(1.0, 12.0, size=4), *rng.uniform(0.2, 3.0, size=4)):
        proc = subprocess.Popen(cmd, env=env, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert subprocess.run(cmd, env=env).returncode == 0
    trials, spikes = _tables(out)
    pd.testing.assert_frame_equal(trials, reference[1][0])
    pd.testing.assert_frame_equal(spikes, reference[1][1])
