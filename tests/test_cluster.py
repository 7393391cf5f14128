"""Sweeps on Dask distributed (real clusters on localhost, no mocks): the same tables as a local run,
spike for spike, also when a worker dies mid-sweep or when the scheduler and worker are separate processes."""

import json
import os
import signal
import subprocess
import sys
import threading
import time

import pandas as pd
import pytest

import hopfield_brian as hb
from hopfield_brian import cli

distributed = pytest.importorskip("distributed")
from hopfield_brian import cluster  # noqa: E402  (needs distributed)

SMALL = dict(n_features=24, n_patterns=3, trials=30, sweep={"beta": [0.5, 1.0]})
CLI_SMALL = ["run", "recall", "--set", "n_features=24", "--set", "n_patterns=3", "--trials", "30",
             "--sweep", "beta=0.5,1.0", "--batch", "2", "--quiet", "--no-figures"]


def _tables(res):
    trials = res.trials.drop(columns="wall_s")
    spikes = res.spike_table()
    return trials, spikes


def _assert_same(a, b):
    for x, y in zip(_tables(a), _tables(b)):
        pd.testing.assert_frame_equal(x, y)


@pytest.fixture(scope="module")
def local():
    return hb.Recall(**SMALL).run(batch=2)


@pytest.fixture(scope="module")
def client():
    with cluster.connect(cluster="local:2") as c:
        yield c


def test_a_local_cluster_of_two_worker_processes_gives_the_local_tables(local, client):
    far = hb.Recall(**SMALL).run(batch=2, client=client)
    assert far.info["workers"] == 2
    _assert_same(far, local)


def test_a_worker_killed_mid_sweep_loses_and_duplicates_nothing(local, client, tmp_path):
    out = tmp_path / "run"
    pids = client.run(os.getpid)
    killed = {}

    def kill_one_worker():
        while not killed:
            entries = list((out / "trials").glob("*.jsonl")) if (out / "trials").is_dir() else []
            if entries:  # the sweep is under way: one batch stored, others in flight
                rows = sum(len(f.read_text().splitlines()) - 1 for f in entries)
                killed["rows_then"] = rows
                killed["pid"] = next(iter(pids.values()))
                os.kill(killed["pid"], signal.SIGKILL)
                return
            time.sleep(0.01)

    thread = threading.Thread(target=kill_one_worker, daemon=True)
    thread.start()
    far = hb.Recall(**SMALL).run(out, batch=2, client=client)
    thread.join(5)
    assert killed and killed["rows_then"] < 60  # killed before the end
    client.wait_for_workers(2, timeout=60)
    assert killed["pid"] not in client.run(os.getpid).values()  # the nanny started a new worker
    _assert_same(far, local)
    assert sorted(far.trials["trial"]) == list(range(60))


def test_a_scheduler_and_a_worker_started_apart_run_the_command_line(tmp_path):
    scheduler_file = tmp_path / "scheduler.json"
    procs = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--scheduler-file",
                               str(scheduler_file), "--port", "0", "--dashboard-address", ":0"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        for _ in range(600):
            if scheduler_file.exists() and scheduler_file.stat().st_size:
                break
            time.sleep(0.05)
        address = json.loads(scheduler_file.read_text())["address"]
        procs.append(subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address, "--nworkers", "1",
                                       "--nthreads", "1", "--no-dashboard"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        with distributed.Client(address) as c:
            c.wait_for_workers(1, timeout=60)
        out = tmp_path / "run"
        assert cli.main([*CLI_SMALL, "--scheduler", address, "--out", str(out)]) == 0
    finally:
        for p in procs:
            p.terminate()
            p.wait(30)
    assert cli.main([*CLI_SMALL, "--out", str(tmp_path / "here")]) == 0
    _assert_same(hb.load(out), hb.load(tmp_path / "here"))
    assert json.loads((out / "config.json").read_text())["workers"] == 1


@pytest.mark.parametrize("options, message", [
    (["--cluster", "moon"], "unknown --cluster 'moon'"),
    (["--cluster", "local:0"], "needs a number of workers"),
    (["--cluster", "slurm"], "needs --jobs N"),
    (["--jobs", "3"], "--jobs goes with a dask-jobqueue --cluster"),
    (["--cluster", "local:2", "--scheduler", "tcp://127.0.0.1:1"], "either --scheduler or --cluster"),
])
def test_bad_cluster_options_are_one_line(options, message, tmp_path, capsys):
    assert cli.main([*CLI_SMALL, "--out", str(tmp_path / "run"), *options]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]
    assert not (tmp_path / "run").exists()
