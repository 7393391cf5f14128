"""The content-addressed build cache: a warm build runs without Brian2's code generation, and any change
that shapes the generated code misses it."""

import importlib
import sys

import brian2 as b2
import numpy as np
import pytest

from hopfield_brian import build_cache
from hopfield_brian import patterns as pat
from hopfield_brian.equations.modern import ModernParams
from hopfield_brian.models import ModernModel
from hopfield_brian.simulator import Simulator, Trial

DURATION, DT = 30 * b2.ms, 0.2 * b2.ms


def _simulator(model, folder):
    values = model.runtime_values() | {"t_cue": 10 * b2.ms, "deletion": 0.0, "background_rate": 0 * b2.Hz}
    return Simulator(model, "cpp_standalone", DURATION, DT, values, build_dir=folder, batch=2)


def _spikes(sim, cues):
    try:
        return [s for _, s in sim.run_many(Trial(c, 7 + k) for k, c in enumerate(cues))]
    finally:
        sim.close()


def _same(a, b):
    return all(np.array_equal(x[p][0], y[p][0]) and np.array_equal(x[p][1], y[p][1]) for x, y in zip(a, b) for p in x)


def test_a_warm_build_runs_other_patterns_without_brian2_exactly_as_a_cold_build(tmp_path, monkeypatch):
    """One structure, two pattern sets. The warm binary's own static arrays hold the other set's weights:
    its spikes must still be those of a cold build of these patterns (the weights travel as run_args)."""
    params = ModernParams(feature_coding="poisson")
    mine, other = (ModernModel(params, pat.generate("bipolar", 4, 16, 0.5, seed=s)) for s in (1, 2))
    cues = [mine.keys[0], mine.keys[1], -mine.keys[2]]
    folder = tmp_path / "build"
    cold = _spikes(_simulator(mine, folder), cues)  # compiles
    (folder / build_cache.RECIPE).unlink()  # the next build regenerates sources (same code: no compilation)
    sim = _simulator(other, folder)
    assert sim.compilations == 0 and not sim.warm
    sim.close()

    def refuse(*args, **kwargs):
        raise AssertionError("Brian2 was asked to build")

    monkeypatch.setattr(Simulator, "_build_standalone", refuse)
    warm = _simulator(mine, folder)
    assert warm.warm and warm.compilations == 0
    assert _same(_spikes(warm, cues), cold) and sum(s["memory"][0].size for s in cold) > 0

    (folder / build_cache.RECIPE).write_text("{damaged")  # an unreadable recipe is a miss, never a crash
    with pytest.raises(AssertionError, match="asked to build"):
        _simulator(mine, folder)


def test_the_key_changes_with_everything_that_shapes_the_code_and_nothing_else(tmp_path, monkeypatch):
    keys = pat.generate("bipolar", 4, 16, 0.5, seed=0)

    def key(params=ModernParams(), patterns=keys, model_class=ModernModel, **kw):
        args = dict(device="cpp_standalone", dt=0.2e-3, duration=0.03, batch=16) | kw
        return build_cache.cache_key(model_class(params, patterns), **args)

    base = key()
    assert key(patterns=pat.generate("bipolar", 4, 16, 0.5, seed=1)) == base  # weights are run_args
    assert key(ModernParams(beta=0.5)) == base  # a run-time value
    for changed in (key(ModernParams(tau_key=7 * b2.ms)), key(ModernParams(normalisation="wta")),
                    key(patterns=keys[:3]), key(dt=0.1e-3), key(duration=0.04), key(batch=4),
                    key(replicas=4), key(device="cuda_standalone")):
        assert changed != base
    monkeypatch.setenv("CXXFLAGS", "-O1")
    assert key() != base

    # the model's own code: a changed equation in a user's model module misses the cache
    module = tmp_path / "my_model.py"
    source = ("from hopfield_brian.models import ModernModel\n"
              "EQS = 'du/dt = -u / tau : 1'\n"
              "class MyModel(ModernModel):\n    pass\n")
    module.write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    first = key(model_class=importlib.import_module("my_model").MyModel)
    module.write_text(source.replace("-u / tau", "-2 * u / tau"))
    second = key(model_class=importlib.reload(sys.modules["my_model"]).MyModel)
    assert first != second != base


def test_generating_sources_again_leaves_a_warm_build_warm():
    import hopfield_brian as hb

    exp = hb.Recall(n_features=24, n_patterns=3, trials=1)
    exp.run()
    exp.build(compile=False)  # sources only: the binary and its records stay
    assert exp.run().info["compilations"] == 0


HEAVY = ("brian2", "sympy", "matplotlib", "seaborn")


def _blocking(tmp_path, names=HEAVY) -> dict:
    """An environment in which importing any of ``names`` fails (stand-in packages first on the path)."""
    import os

    for name in names:
        (tmp_path / "blocked" / name).mkdir(parents=True, exist_ok=True)
        (tmp_path / "blocked" / name / "__init__.py").write_text(f"raise ImportError('{name} is blocked by the test')\n")
    return os.environ | {"PYTHONPATH": str(tmp_path / "blocked")}


def _cli(args, env, cwd):
    import subprocess

    return subprocess.run([sys.executable, "-m", "hopfield_brian", *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=600)


def test_help_and_bad_input_load_neither_brian2_sympy_matplotlib_seaborn_nor_pandas(tmp_path):
    env = _blocking(tmp_path, (*HEAVY, "pandas"))  # pandas: bound lazily, never loaded here
    for args in (["--help"], ["run", "recall", "--help"], ["run", "spatiotemporal", "--help"]):
        done = _cli(args, env, tmp_path)
        assert done.returncode == 0 and done.stdout.startswith("usage: hopfield-brian"), done.stderr
        assert "--set" in done.stdout or args == ["--help"]
    done = _cli(["run", "recall", "--set", "t_cue=3Hz"], env, tmp_path)
    assert done.returncode == 2 and done.stderr.splitlines() == [
        "hopfield-brian: error: t_cue: '3Hz' has the wrong unit; expected one like 100ms"]


def test_a_warm_run_succeeds_with_brian2_sympy_matplotlib_and_seaborn_unimportable(tmp_path):
    """The second command finds the build of the first warm and runs it from its recipe: with the heavy
    packages blocked it writes the same trials and spikes (the build cache is the user's, shared)."""
    import pandas as pd

    # test_cli's small network: the suite compiles it once for both files
    args = ["run", "recall", "--set", "n_features=32", "--set", "n_patterns=4", "--set", "t_free=60ms",
            "--set", "readout_window=20ms", "--trials", "3", "--no-figures", "--quiet"]
    first = _cli([*args, "--out", "cold"], None, tmp_path)
    assert first.returncode == 0, first.stderr
    warm = _cli([*args, "--out", "warm"], _blocking(tmp_path), tmp_path)
    assert warm.returncode == 0, warm.stderr
    trials = [pd.read_csv(tmp_path / d / "trials.csv").drop(columns=["wall_s"]) for d in ("cold", "warm")]
    pd.testing.assert_frame_equal(*trials)
    spikes = [pd.read_parquet(tmp_path / d / "spikes.parquet") for d in ("cold", "warm")]
    pd.testing.assert_frame_equal(*spikes)
    assert len(spikes[0]) > 0 and trials[0]["success"].sum() >= 2  # real recalls (at N = 24 one may fail)
