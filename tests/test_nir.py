"""NIR export and import (hopfield_brian.nir_export, hopfield_brian.nir_import).

Discretisation rule checked here (NIR is continuous in time, Brian2 steps by
dt; see hopfield_brian.nir_import): a spike crosses each synaptic hop one dt
later than in continuous time; a LIF under constant input whose closed-form
period is T spikes at (m K - 1) dt with K = floor(T / dt) + 1 (its first spike
within one dt before T, its interval T rounded up to the grid). The delay
memory, whose own Brian2 network is discretised the same way, round-trips
spike for spike. Each Brian2 network compiles once on a cold cache (~20-70 s
on 2 cores); warm, every test but the cpp_standalone one takes a few seconds.
"""

import numpy as np
import pytest
from brian2 import Hz, ms, second

import hopfield_brian as hb
from hopfield_brian import patterns as pat
from hopfield_brian import spatiotemporal as st
from hopfield_brian.cli import main as cli
from hopfield_brian.delay_model import DelayModel
from hopfield_brian.equations.classical import ClassicalParams
from hopfield_brian.equations.delay_memory import DelayParams
from hopfield_brian.errors import ConfigError
from hopfield_brian.equations.modern import ModernParams
from hopfield_brian.models import ClassicalModel, ModernModel
from hopfield_brian.nir_export import cue_drive, write
from hopfield_brian.reference import classical_recall
from hopfield_brian.simulator import Simulator, Trial

nir = pytest.importorskip("nir")

DT = 1e-4  # s


def _lif(n, tau, r, threshold, **more):
    return nir.LIF(tau=np.full(n, tau), r=np.full(n, r), v_leak=np.zeros(n), v_threshold=np.full(n, threshold),
                   **more)


def _times(table, population, neuron=0):
    sel = table[(table.population == population) & (table.neuron == neuron)]
    return sel.t_ms.to_numpy(float)


# --- hand-built graphs: analytic spike times ------------------------------------------------

@pytest.mark.parametrize("drive", ["analog input", "affine bias"])
def test_a_lif_under_constant_input_fires_at_the_closed_form_period(drive):
    """tau dv/dt = -v + R I0 from v = 0, threshold theta: T = tau ln(R I0 / (R I0 - theta))."""
    tau, r, theta, current = 0.01, 1.0, 1.0, 1.5
    period = tau * np.log(r * current / (r * current - theta))  # 10.986 ms
    weight = np.zeros((1, 1)) if drive == "affine bias" else np.eye(1)
    graph = nir.NIRGraph(nodes={"drive": nir.Input(input_type={"input": np.array([1])}),
                                "synapse": nir.Affine(weight=weight, bias=np.full(1, current if drive == "affine bias"
                                                                                  else 0.0)),
                                "lif": _lif(1, tau, r, theta), "out": nir.Output(output_type={"output": np.array([1])})},
                         edges=[("drive", "synapse"), ("synapse", "lif"), ("lif", "out")])
    net = hb.from_nir(graph, dt=DT * second, duration=60 * ms, analog_inputs=["drive"])
    spikes = _times(net.run({"drive": [current]} if drive == "analog input" else None), "lif")
    k = np.floor(period / DT) + 1
    expected = (np.arange(1, 6) * k - 1) * DT * 1e3
    np.testing.assert_allclose(spikes, expected, atol=1e-4)
    assert 0 <= period * 1e3 - spikes[0] < DT * 1e3 and np.all(np.abs(np.diff(spikes) - period * 1e3) < DT * 1e3)


@pytest.mark.parametrize("tau_syn", [0.004, 0.01])  # the second equals tau_mem: the propagator's limit
def test_a_current_based_lif_crosses_threshold_where_the_closed_form_does(tau_syn):
    """tau_s dI/dt = -I + w_in I0, tau_m dv/dt = -v + R I from rest: v(t) = R w_in I0 (1 - (tau_s e^(-t/tau_s)
    - tau_m e^(-t/tau_m)) / (tau_s - tau_m)), or R w_in I0 (1 - e^(-t/tau) (1 + t/tau)) when the two are equal;
    the first spike is stamped at the start of the step whose end crosses the threshold."""
    tau_mem, r, w_in, current, theta = 0.01, 1.0, 2.0, 1.0, 1.0
    graph = nir.NIRGraph(nodes={"drive": nir.Input(input_type={"input": np.array([1])}),
                                "cuba": nir.CubaLIF(tau_syn=np.full(1, tau_syn), tau_mem=np.full(1, tau_mem),
                                                    r=np.full(1, r), v_leak=np.zeros(1), v_threshold=np.full(1, theta),
                                                    w_in=np.full(1, w_in))},
                         edges=[("drive", "cuba")])
    net = hb.from_nir(graph, dt=DT * second, duration=40 * ms, analog_inputs=["drive"])
    first = _times(net.run({"drive": [current]}), "cuba")[0]
    t = np.arange(1, 400) * DT
    if tau_syn == tau_mem:
        v = r * w_in * current * (1 - np.exp(-t / tau_mem) * (1 + t / tau_mem))
    else:
        v = r * w_in * current * (1 - (tau_syn * np.exp(-t / tau_syn) - tau_mem * np.exp(-t / tau_mem))
                                  / (tau_syn - tau_mem))
    crossing = t[np.argmax(v > theta)]
    assert first == pytest.approx((crossing - DT) * 1e3, abs=1e-4)


def _chain():
    """Input spikes -> LIF a (one per input) -> per-neuron delays 4 ms and 7.03 ms -> LIF b; weights 5 x threshold."""
    tau = 0.01
    return nir.NIRGraph(nodes={
        "cue": nir.Input(input_type={"input": np.array([2])}), "w1": nir.Linear(weight=5.0 * np.eye(2)),
        "a": _lif(2, tau, tau, 1.0), "d": nir.Delay(delay=np.array([0.004, 0.00703])),
        "w2": nir.Linear(weight=5.0 * np.eye(2)), "b": _lif(2, tau, tau, 1.0),
        "out": nir.Output(output_type={"output": np.array([2])})},
        edges=[("cue", "w1"), ("w1", "a"), ("a", "d"), ("d", "w2"), ("w2", "b"), ("b", "out")])


def _check_chain(table, neuron, t0, delay):
    """a fires one dt after its input spike at t0 (ms), b one dt after the delayed spike of a arrives."""
    dt = DT * 1e3
    assert _times(table, "a", neuron) == pytest.approx([t0 + dt], abs=1e-4)
    assert _times(table, "b", neuron) == pytest.approx([t0 + dt + round(delay / dt) * dt + dt], abs=1e-4)


def test_a_two_neuron_chain_with_a_delay_spikes_one_step_later_per_hop():
    net = hb.from_nir(_chain(), dt=DT * second, duration=20 * ms)
    table = net.run({"cue": (np.array([0]), np.array([2.0]) * ms)})
    _check_chain(table, 0, 2.0, 4.0)
    assert len(table) == 3  # the input spike, a and b: nothing else fires
    table = net.run({"cue": (np.array([1]), np.array([3.0]) * ms)}, trial=1)
    _check_chain(table, 1, 3.0, 7.03)  # the delay lands on the nearest step: 70 steps
    assert len(table) == 3 and set(table.trial) == {1}


@pytest.mark.slow
def test_the_chain_compiles_once_and_runs_many_inputs_on_cpp_standalone():
    """One cpp_standalone build (~25 s) runs two inputs through run_args, with the runtime's spike times."""
    with hb.from_nir(_chain(), dt=DT * second, duration=20 * ms, device="cpp_standalone") as net:
        _check_chain(net.run({"cue": (np.array([0]), np.array([2.0]) * ms)}), 0, 2.0, 4.0)
        table = net.run({"cue": (np.array([1]), np.array([5.0]) * ms)})
        _check_chain(table, 1, 5.0, 7.03)
        assert len(table) == 3
        folder = net.directory
    assert not folder.exists()


# --- Brian2 -> NIR -> Brian2 ----------------------------------------------------------------

def _sorted(i, t_s):
    order = np.lexsort((i, np.round(t_s / DT)))
    return np.c_[np.asarray(i)[order], np.round(np.asarray(t_s)[order] / DT)].astype(int)


def test_the_delay_memory_round_trips_through_a_nir_file_spike_for_spike(tmp_path):
    """The package's delay memory (Brian2) and the network imported from its exported .nir file emit the
    same spikes at the same steps from the same cue; the Brian2 features' spikes are the import's cue and
    feature spikes together (the cue enters the key delays directly)."""
    cycle = 0.02
    keys = st.random_patterns(8, 40, cycle, 0.25, 1, DT)
    model = DelayModel(DelayParams(), keys, cycle=cycle, dt=DT)
    duration = 2 * model.period + 0.003  # the cue cycle, one replay, 3 ms
    cue = st.partial_cue(keys[3], 0.6, np.random.default_rng(5))
    sim = Simulator(model, "runtime", duration * second, DT * second,
                    {"detection_threshold": model.params.detection_threshold, "background_rate": 0 * Hz})
    brian = {pop: _sorted(i, t) for pop, (i, t) in sim.run_trial(Trial(cue, 1)).items()}
    sim.close()
    path = write(hb.to_nir(model), tmp_path / "delay.nir")
    cued = np.flatnonzero(~np.isnan(cue))
    table = hb.from_nir(path, dt=DT * second, duration=duration * second).run({"cue": (cued, cue[cued] * second)})
    features = table[table.population.isin(["cue", "feature"])]
    memories = table[table.population == "memory"]
    np.testing.assert_array_equal(_sorted(features.neuron.to_numpy(int), features.t_ms.to_numpy(float) / 1e3),
                                  brian["feature"])
    np.testing.assert_array_equal(_sorted(memories.neuron.to_numpy(int), memories.t_ms.to_numpy(float) / 1e3),
                                  brian["memory"])
    # not a vacuous match: memory 3 detects its pattern once and the features replay all of it one period on
    assert memories.neuron.tolist() == [3]
    replay = table[(table.population == "feature")]
    assert sorted(replay.neuron) == sorted(np.flatnonzero(~np.isnan(keys[3])))


def test_the_classical_zero_temperature_limit_recalls_as_the_reference_and_the_brian2_network():
    """The exported T -> 0 network, imported and cued with a pattern with 20 % of its units flipped, ends in
    the stored pattern, as the zero-temperature reference dynamics and the package's Brian2 network at a low
    temperature do; its active units fire regularly at rate_max (interval 1 / rate_max, on the dt grid)."""
    n, dt = 64, 0.2 * ms
    stored = pat.generate("bipolar", 4, n, 0.0, 3)
    model = ClassicalModel(ClassicalParams(temperature=0.02), stored, "bipolar")
    target = stored[1]
    cue = target.copy()
    cue[np.random.default_rng(0).choice(n, 13, replace=False)] *= -1
    net = hb.from_nir(hb.to_nir(model, zero_temperature=True), dt=dt, duration=200 * ms, analog_inputs=["cue"])
    table = net.run({"cue": cue_drive(net, cue, 50 * ms)})
    last = table[table.t_ms >= 150]
    counts = np.bincount(last.neuron.to_numpy(int), minlength=n)
    np.testing.assert_array_equal(np.where(counts > 0, 1.0, -1.0), target)
    reference = classical_recall(model.couplings, model.bias, model.coding_level, (cue > 0).astype(float),
                                 np.random.default_rng(0), inhibition=model.params.inhibition_gain)
    np.testing.assert_array_equal(2 * reference - 1, target)
    for unit in np.flatnonzero(target > 0)[:5]:
        intervals = np.diff(last[last.neuron == unit].t_ms.to_numpy(float))
        assert np.all((intervals >= 5.0 - 1e-3) & (intervals <= 5.0 + float(dt / ms) + 1e-3)), intervals
    sim = Simulator(model, "runtime", 200 * ms, dt, model.runtime_values() | {"t_cue": 50 * ms})
    i, t = sim.run_trial(Trial(cue, 7))["neuron"]
    brian = model.decode_counts({"neuron": np.bincount(i[t >= 0.15], minlength=n).astype(float), "window": 0.05})
    sim.close()
    np.testing.assert_array_equal(brian, target)


# --- the command line and refusals ----------------------------------------------------------

def test_a_nir_file_written_by_the_command_line_opens_with_nir_read_and_lists_the_nodes(tmp_path, capsys):
    delay = tmp_path / "delay.nir"
    assert cli(["export-nir", "spatiotemporal", "--set", "n_features=20", "--set", "n_patterns=5",
                "--to", str(delay)]) == 0
    graph = nir.read(delay)
    assert set(graph.nodes) == {"cue", "feature", "memory", "key_channels", "key_delays", "keys", "lateral",
                                "value_channels", "value_delays", "values", "feature_spikes", "memory_spikes"}
    assert isinstance(graph.nodes["memory"], nir.LIF) and isinstance(graph.nodes["key_delays"], nir.Delay)
    assert graph.nodes["memory"].tau.shape == (5,) and graph.nodes["feature"].tau.shape == (20,)
    assert ("lateral", "memory") in graph.edges and graph.metadata["model"] == "delay"
    assert graph.nodes["memory"].metadata["refractory"] == pytest.approx(0.1)
    classical = tmp_path / "classical.nir"
    assert cli(["export-nir", "recall", "--model", "classical", "--zero-temperature", "--set", "n_features=30",
                "--set", "n_patterns=3", "--to", str(classical)]) == 0
    graph = nir.read(classical)
    assert {type(v).__name__ for v in graph.nodes.values()} == {"Input", "Linear", "LI", "Affine", "Threshold",
                                                                 "IF", "Output"}
    assert graph.nodes["recurrent"].weight.shape == (30, 30) and "zero-temperature" in graph.metadata["written"]
    out = capsys.readouterr().out
    assert f"wrote {delay}" in out and f"wrote {classical}" in out


@pytest.mark.parametrize("args, message", [
    (["recall"], "modern network cannot be exported to NIR"),
    (["recall", "--model", "classical"], "--zero-temperature"),
    (["recall", "--model", "classical", "--zero-temperature", "--set", "deletion=0.1"], "deletion = 0.1"),
    (["spatiotemporal", "--set", "tau_inhibition=3ms"], "tau_inhibition (3ms) differs from tau_memory (5ms)"),
])
def test_what_nir_cannot_express_is_refused_in_one_line_and_nothing_is_written(tmp_path, capsys, args, message):
    target = tmp_path / "net.nir"
    assert cli(["export-nir", *args, "--set", "n_features=16", "--set", "n_patterns=3", "--to", str(target)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err
    assert not list(tmp_path.iterdir())


def test_the_python_api_refuses_the_modern_model_and_a_silent_classical_export():
    stored = pat.generate("bipolar", 3, 16, 0.0, 0)
    with pytest.raises(ConfigError, match="stochastic neurons nor normalisation"):
        hb.to_nir(ModernModel(ModernParams(), stored))
    with pytest.raises(ConfigError, match="zero_temperature=True"):
        hb.to_nir(ClassicalModel(ClassicalParams(), stored, "bipolar"))


def _graph(nodes, edges):
    return nir.NIRGraph(nodes=nodes, edges=edges, type_check=False)


@pytest.mark.parametrize("case, message", [
    ("conv", "Conv1d, which the Brian2 import does not support"),
    ("spikes into threshold", "spikes into a Threshold"),
    ("analog delay", "acts on an analog signal"),
    ("mixed channels", "mix several senders"),
])
def test_the_import_refuses_graphs_it_cannot_build_in_one_line(case, message):
    one = {"input": np.array([2])}
    nodes = {"x": nir.Input(input_type=one)}
    if case == "conv":
        nodes["c"] = nir.Conv1d(input_shape=4, weight=np.ones((1, 1, 2)), stride=1, padding=0, dilation=1, groups=1,
                                bias=np.zeros(1))
        edges = [("x", "c")]
    elif case == "spikes into threshold":
        nodes["t"] = nir.Threshold(threshold=np.zeros(2))
        edges = [("x", "t")]
    elif case == "analog delay":
        nodes |= {"li": nir.LI(tau=np.ones(2), r=np.ones(2), v_leak=np.zeros(2)), "d": nir.Delay(delay=np.ones(2)),
                  "lif": _lif(2, 0.01, 1.0, 1.0)}
        edges = [("x", "li"), ("li", "d"), ("d", "lif")]
    else:
        nodes |= {"w": nir.Linear(weight=np.ones((2, 2))), "d": nir.Delay(delay=np.ones(2)),
                  "lif": _lif(2, 0.01, 1.0, 1.0)}
        edges = [("x", "w"), ("w", "d"), ("d", "lif")]
    with pytest.raises(ConfigError, match=message):
        hb.from_nir(_graph(nodes, edges), dt=DT * second, duration=10 * ms)


@pytest.mark.parametrize("inputs, message", [
    ({"nope": None}, "unknown input"),
    ({"cue": (np.array([0, 0]), np.array([1.0, 1.02]) * ms)}, "two spikes in one time step"),
    ({"cue": (np.array([0]), np.array([1.0]))}, "need a time unit"),
    ({"cue": (np.array([5]), np.array([1.0]) * ms)}, "indices must lie in"),
    ({"cue": (np.array([0]), np.array([25.0]) * ms)}, "must lie in [0, 20 ms]"),
])
def test_bad_inputs_are_refused_in_one_line_before_anything_is_built(inputs, message):
    net = hb.from_nir(_chain(), dt=DT * second, duration=20 * ms)
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        net.run(inputs)
    assert net.network is None
