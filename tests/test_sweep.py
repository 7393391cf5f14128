"""The sweep engine: grids, one build per structure, run_args weights, resuming."""

import os
import signal
import subprocess
import sys
import time

import brian2 as b2
import numpy as np
import pandas as pd
import pytest

import hopfield_brian as hb
from hopfield_brian import sweep
from hopfield_brian.configure import parse_sweep, points_of
from hopfield_brian.equations.modern import ModernParams
from hopfield_brian.errors import ConfigError
from hopfield_brian.rate_protocol import TIMING_COLUMNS, RecallConfig
from hopfield_brian.simulator import Simulator, Trial

SMALL = dict(n_features=48, n_patterns=6, t_free=80 * b2.ms, readout_window=30 * b2.ms)


def run_trials(config, params, sweep=None):
    """An in-memory recall run of a config dataclass and model parameters."""
    return hb.Recall.from_config(config, params, sweep).run()


def test_parse_sweep_lists_ranges_and_units():
    inst = [RecallConfig(), ModernParams()]
    g = parse_sweep(["beta=0.05,0.1", "cue_noise=0:0.4:5", "t_cue=50ms:150ms:3", "n_patterns=10:30:3"], inst)
    assert g["beta"] == [0.05, 0.1]
    assert np.allclose(g["cue_noise"], [0, 0.1, 0.2, 0.3, 0.4])
    assert [float(v) for v in g["t_cue"]] == pytest.approx([0.05, 0.1, 0.15])
    assert g["n_patterns"] == [10, 20, 30]
    assert len(points_of(g)) == 2 * 5 * 3 * 3


@pytest.mark.parametrize("item, message", [
    ("gamma=1,2", "unknown parameter"), ("t_cue=1,2", "needs a unit"), ("beta=0:1:x", "integer"),
    ("beta=", "NAME=VALUE"), ("beta=0:1:0", ">= 1"),
])
def test_parse_sweep_rejects_bad_items(item, message):
    with pytest.raises(ConfigError, match=message):
        parse_sweep([item], [RecallConfig(), ModernParams()])


def test_one_compilation_per_structure():
    cfg = RecallConfig(trials=2, **SMALL)
    res = run_trials(cfg, ModernParams(), {"beta": [0.05, 0.2], "seed": [0, 1], "cue_noise": [0.1, 0.3]})
    assert res.info["builds"] == 1 and len(res.trials) == 16
    res = run_trials(cfg, ModernParams(), {"n_patterns": [4, 6], "beta": [0.1, 0.2]})
    assert res.info["builds"] == 2 and len(res.trials) == 8


def test_weights_through_run_args_equal_a_build_with_those_patterns():
    """Point seed=1 of a seed sweep runs on the seed-0 build with seed-1 weights in run_args:
    its spikes must equal those of a network built with the seed-1 patterns."""
    swept = run_trials(RecallConfig(trials=2, **SMALL), ModernParams(), {"seed": [0, 1]})
    direct = run_trials(RecallConfig(trials=2, seed=1, **SMALL), ModernParams())
    a = swept.spikes[swept.spikes["trial"] >= 2].assign(trial=lambda d: d["trial"] - 2)
    assert a.reset_index(drop=True).equals(direct.spikes)
    ta = swept.trials.query("point == 1").drop(columns=["trial", "point", *TIMING_COLUMNS]).reset_index(drop=True)
    tb = direct.trials.drop(columns=["trial", "point", *TIMING_COLUMNS])
    assert ta.equals(tb)


def test_arrays_of_the_wrong_size_are_refused_before_the_binary_runs():
    from hopfield_brian import patterns as pat
    from hopfield_brian.models import ModernModel

    model = ModernModel(ModernParams(), pat.generate("bipolar", 4, 16, 0.5, seed=0))
    sim = Simulator(model, "cpp_standalone", 20 * b2.ms, 0.1 * b2.ms, model.runtime_values() | {"t_cue": 10 * b2.ms})
    cue = np.ones(16)
    with pytest.raises(ConfigError, match="keys has 10 entries"):
        sim.run_trial(Trial(cue, 1, arrays={"keys": np.ones(10), "values": np.ones(128)}))
    with pytest.raises(ConfigError, match="cue has 15 entries"):
        sim.run_trial(Trial(np.ones(15), 1))
    with pytest.raises(ConfigError, match="cannot be varied"):
        sim.run_trial(Trial(cue, 1, values={"tau_key": 5 * b2.ms}))


CLI = [sys.executable, "-m", "hopfield_brian", "run", "recall", "--quiet", "--workers", "1", "--batch", "3",
       "--set", "n_features=48", "--set", "n_patterns=6", "--set", "t_free=80ms", "--set", "readout_window=30ms",
       "--sweep", "beta=0.05,0.3", "--trials", "30"]


def _stored(folder) -> int:
    """Trials stored so far in a run folder (rows of its journal entries)."""
    return sum(len(f.read_text().splitlines()) for f in (folder / "trials").glob("*.jsonl")) \
        if (folder / "trials").exists() else 0


def _table(folder):
    t = pd.read_csv(folder / "trials.csv")
    return t.drop(columns=list(TIMING_COLUMNS))


@pytest.mark.slow
def test_killed_sweep_resumes_without_loss_or_duplicates(tmp_path):
    reference = tmp_path / "whole"
    subprocess.run([*CLI, "--out", str(reference)], check=True)
    out = tmp_path / "killed"
    rng = np.random.default_rng(0)
    for _ in range(3):
        proc = subprocess.Popen([*CLI, "--out", str(out)])
        goal = _stored(out) + int(rng.integers(3, 15))
        deadline = time.time() + 120
        while time.time() < deadline and proc.poll() is None:
            if _stored(out) >= goal:
                break
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert not (out / "trials.csv").exists() or len(pd.read_csv(out / "trials.csv")) == 60
    subprocess.run([*CLI, "--out", str(out)], check=True)
    resumed, whole = _table(out), _table(reference)
    assert not resumed.duplicated(["point", "repeat"]).any()
    assert sorted(resumed["trial"]) == list(range(60))
    assert resumed.equals(whole)
    assert pd.read_parquet(out / "spikes.parquet").sort_values(["trial", "population", "t_ms", "neuron"],
                                                                ignore_index=True).equals(
        pd.read_parquet(reference / "spikes.parquet").sort_values(["trial", "population", "t_ms", "neuron"],
                                                                  ignore_index=True))


@pytest.mark.slow
def test_two_sweeps_at_once_do_not_interfere(tmp_path):
    procs = [subprocess.Popen([*CLI, "--out", str(tmp_path / f"run{k}")]) for k in range(2)]
    assert [p.wait() for p in procs] == [0, 0]
    assert _table(tmp_path / "run0").equals(_table(tmp_path / "run1"))


@pytest.mark.slow
def test_a_warm_build_folder_is_not_recompiled_later_in_the_same_process(tmp_path, monkeypatch):
    """Builds in one process (other structures between them, their closed simulators still
    referenced, as in a sweep's loop) generate the same sources as a fresh process would, so the
    binary of a warm build folder is reused, not relinked."""
    from hopfield_brian import patterns as pat
    from hopfield_brian.models import ModernModel

    monkeypatch.setenv("HOPFIELD_BRIAN_BUILD", str(tmp_path))
    closed = []

    def build(n):
        model = ModernModel(ModernParams(), pat.generate("bipolar", 3, n, 0.5, seed=0))
        sim = Simulator(model, "cpp_standalone", 20 * b2.ms, 0.1 * b2.ms, model.runtime_values() | {"t_cue": 10 * b2.ms})
        sim.close()
        closed.append(sim)
        return sim.build_dir / "main"

    first = build(12)
    stamp = first.stat().st_mtime_ns
    build(14)
    (first.parent / "recipe.json").unlink()  # a cold build in a folder whose binary is sound
    assert build(12) == first and first.stat().st_mtime_ns == stamp


def test_a_run_folder_in_use_or_in_an_old_layout_is_refused(tmp_path):
    identity = {"protocol": "recall"}
    first = sweep.FolderStore(tmp_path / "run", identity)
    with pytest.raises(ConfigError, match="in use by another run"):
        sweep.FolderStore(tmp_path / "run", identity)
    first.close()
    sweep.FolderStore(tmp_path / "run", identity).close()
    (tmp_path / "run" / "trials" / "p00000-r000000.json").write_text("{}")
    with pytest.raises(ConfigError, match="older hopfield-brian"):
        sweep.FolderStore(tmp_path / "run", identity)
    sweep.FolderStore(tmp_path / "other", identity).close()  # the refused folder's lock was released


def test_spikes_of_an_entry_without_rows_are_dropped_on_resume(tmp_path):
    """A kill between an entry's spike part and its rows leaves spikes that no row claims."""
    store = sweep.FolderStore(tmp_path, {"p": 1})
    spikes = {"neuron": (np.array([1, 2], dtype=np.int32), np.array([0.001, 0.002]))}
    store.add_many([({"trial": 0, "point": 0, "repeat": 0}, spikes)])
    store.close()
    orphan = tmp_path / "spikes.parquet" / "p00000-r000001-n1.parquet"  # spikes of trial 1, its rows lost
    orphan.write_bytes((tmp_path / "spikes.parquet" / "p00000-r000000-n1.parquet").read_bytes())
    store = sweep.FolderStore(tmp_path, {"p": 1})
    assert not orphan.exists() and store.done() == {(0, 0)} and len(store.spike_table()) == 2
    store.close()


@pytest.mark.parametrize("n_trials, dtype, bytes_per_spike", [(256, np.uint8, 8), (257, np.uint16, 9)])
def test_spike_parts_of_a_run_share_the_smallest_trial_dtype(tmp_path, n_trials, dtype, bytes_per_spike):
    """Every part of a run's spike table has the trial dtype that holds all its trial numbers, so the
    parts read back as one table, with every trial number exact."""
    store = sweep.FolderStore(tmp_path, {"p": 1}, n_trials=n_trials)
    rng = np.random.default_rng(0)
    spikes = {"feature": (np.r_[3, 399, rng.integers(400, size=5000)].astype(np.int32),
                          np.r_[0.0001, 0.2999, rng.uniform(0.001, 0.299, 5000)]),
              "memory": (np.array([1], dtype=np.int32), np.array([0.05]))}
    store.add_many([({"trial": 0, "point": 0, "repeat": 0}, spikes)])  # an early part, small numbers
    store.add_many([({"trial": n_trials - 1, "point": 0, "repeat": n_trials - 1}, spikes)])
    table = store.spike_table()
    store.close()
    assert table["trial"].dtype == dtype and sorted(set(table["trial"])) == [0, n_trials - 1]
    per_spike = table.memory_usage(index=False, deep=True).sum() / len(table)  # with the category names
    assert bytes_per_spike <= per_spike < bytes_per_spike + 0.01
    first = table[table["trial"] == 0].sort_values("t_ms")
    assert len(first) == 5003 and first["t_ms"].iloc[0] == np.float32(0.1) and first["neuron"].max() == 399


def test_a_resumed_run_keeps_the_trial_dtype_of_the_parts_it_finds(tmp_path):
    """Parts of one folder must read back as one table: a folder whose parts hold uint16 trial numbers
    (older versions wrote uint16 for every run) gets uint16 parts, not the uint8 its size would give."""
    spikes = {"neuron": (np.array([1, 2], dtype=np.int32), np.array([0.001, 0.002]))}
    store = sweep.FolderStore(tmp_path, {"p": 1}, n_trials=300)
    store.add_many([({"trial": 299, "point": 0, "repeat": 299}, spikes)])
    store.close()
    store = sweep.FolderStore(tmp_path, {"p": 1}, n_trials=10)
    store.add_many([({"trial": 0, "point": 0, "repeat": 0}, spikes)])
    table = store.spike_table()
    store.close()
    assert table["trial"].dtype == np.uint16 and sorted(set(table["trial"])) == [0, 299]


def test_spike_parts_of_a_run_share_the_neuron_dtype_of_its_largest_population(tmp_path):
    """A run whose largest population exceeds 65,536 neurons writes uint32 neurons in every part, also in a
    part whose spikes all come from low indices (per-part choices left parts pyarrow could not read as one)."""
    store = sweep.FolderStore(tmp_path, {"p": 1}, n_trials=2, n_neurons=70_001)
    store.add_many([({"trial": 0, "point": 0, "repeat": 0}, {"memory": (np.array([5], dtype=np.int32),
                                                                       np.array([0.01]))})])
    store.add_many([({"trial": 1, "point": 0, "repeat": 1}, {"memory": (np.array([70_000], dtype=np.int32),
                                                                       np.array([0.02]))})])
    table = store.spike_table()
    store.close()
    assert table["neuron"].dtype == np.uint32 and sorted(table["neuron"]) == [5, 70_000]


def test_a_run_begun_before_input_files_were_hashed_resumes(tmp_path):
    """Older versions kept no sha256 of the input files: such a folder resumes (and is hashed from then on);
    one whose other parameters differ is still refused."""
    old = {"protocol": "recall", "config": {"patterns": "p.npy", "trials": 5}}
    sweep.FolderStore(tmp_path / "run", old).close()
    new = {**old, "input_sha256": {"p.npy": "ab12"}}
    sweep.FolderStore(tmp_path / "run", new).close()
    with pytest.raises(ConfigError, match="input_sha256.p.npy"):  # now hashed: a changed file is refused
        sweep.FolderStore(tmp_path / "run", {**old, "input_sha256": {"p.npy": "cd34"}})
    sweep.FolderStore(tmp_path / "other", old).close()
    with pytest.raises(ConfigError, match="trials: 5 there, 6 here"):
        sweep.FolderStore(tmp_path / "other", {**new, "config": {"patterns": "p.npy", "trials": 6}})
