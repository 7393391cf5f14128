"""Neo and NWB export: written, read back by the other library, every spike compared."""

import numpy as np
import pytest

import hopfield_brian as hb
from hopfield_brian import cli

neo = pytest.importorskip("neo")
pynwb = pytest.importorskip("pynwb")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A two-point sweep with silent neurons (an ablated share) and its folder."""
    out = tmp_path_factory.mktemp("export") / "run"
    hb.Recall(n_features=24, n_patterns=3, trials=3, sweep={"ablation": [0.0, 0.5]}).run(out, figures=False)
    return hb.load(out)


def _expected(res):
    """{(trial, population, neuron): sorted spike times in ms}, every neuron of every trial."""
    from hopfield_brian.results import spike_metadata

    spikes = res.spike_table()
    want = {}
    for _, row in res.trials.iterrows():
        pt = res.points[int(row["point"])]
        for pop, size in spike_metadata(res.protocol, pt, {}).get("populations").items():
            for n in range(size):
                want[(int(row["trial"]), pop, n)] = np.zeros(0)
    for (trial, pop, n), group in spikes.groupby(["trial", "population", "neuron"], observed=True):
        want[(int(trial), str(pop), int(n))] = np.sort(group["t_ms"].to_numpy(float))
    return want


def test_neo_round_trip_keeps_every_spike_and_silent_neuron(run, tmp_path):
    path = run.export("neo", tmp_path / "spikes.pkl")
    block = neo.io.PickleIO(str(path)).read_block()
    assert len(block.segments) == len(run.trials)
    want, got = _expected(run), {}
    for seg in block.segments:
        assert seg.annotations["trial"] == seg.index
        for st in seg.spiketrains:
            assert str(st.units.dimensionality) == "ms" and float(st.t_start) == 0.0
            assert float(st.t_stop) == pytest.approx(300.0)  # t_cue + t_free
            got[(seg.index, st.annotations["population"], st.annotations["neuron"])] = np.sort(st.magnitude)
    assert got.keys() == want.keys()
    assert sum(v.size == 0 for v in got.values()) > 0  # the ablated neurons are there, silent
    for k in want:
        assert np.array_equal(got[k].astype(np.float32), want[k].astype(np.float32)), k


def test_nwb_round_trip_keeps_every_spike_trial_and_parameter(run, tmp_path):
    assert cli.main(["export", str(run.folder), "--format", "nwb", "--to", str(tmp_path / "run.nwb")]) == 0
    with pynwb.NWBHDF5IO(str(tmp_path / "run.nwb"), "r") as io:
        nwb = io.read()
        trials = nwb.trials.to_dataframe()
        units = nwb.units.to_dataframe()
        patterns = nwb.scratch["patterns_point_0"].data[:]
    assert list(trials["trial"]) == list(run.trials["trial"])
    assert list(trials["ablation"]) == list(run.trials["ablation"])  # the swept parameter
    assert np.array_equal(patterns, run.inputs["point_0"])
    want, got = _expected(run), {}
    for _, unit in units.iterrows():
        times = np.asarray(unit["spike_times"])
        for _, trial in trials.iterrows():
            inside = times[(times >= trial["start_time"]) & (times < trial["stop_time"])]
            got[(int(trial["trial"]), unit["population"], int(unit["neuron"]))] = np.sort(
                (inside - trial["start_time"]) * 1e3)
    assert got.keys() == want.keys()
    for k in want:
        assert got[k].size == want[k].size and np.allclose(got[k], want[k], atol=1e-6), k


def test_export_errors_are_one_line(run, tmp_path, capsys):
    assert cli.main(["export", str(tmp_path / "nothing"), "--format", "nwb"]) == 2
    assert cli.main(["export", str(run.folder), "--format", "nwb", "--to", str(tmp_path / "no" / "x.nwb")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all(line.startswith("hopfield-brian: error:") for line in err)
    assert not list(tmp_path.glob("**/.partial-*"))


def test_nwb_keeps_a_number_column_whose_first_value_is_missing(run, tmp_path):
    """A trial that never reached the target has time_to_retrieval NaN: the column stays numeric."""
    import copy

    res = copy.copy(run)
    res.trials = run.trials.copy()
    res.trials.loc[0, "time_to_retrieval_ms"] = float("nan")
    path = res.export("nwb", tmp_path / "nan.nwb")
    with pynwb.NWBHDF5IO(str(path), "r") as io:
        column = io.read().trials.to_dataframe()["time_to_retrieval_ms"]
    assert np.isnan(column.iloc[0]) and column.dtype.kind == "f"
