"""Run Brunel's (2000) E/I network and measure its state (the feature-layer check of issue #7).

One cpp_standalone build; each (g, eta) point reruns the binary with
``run_args``. The states are named with :func:`hopfield_brian.measures.brunel_state`
(CV of ISIs and Golomb synchrony) and :func:`hopfield_brian.measures.classify`.
Brunel N (2000) J Comput Neurosci 8:183, Fig. 8: SR at g = 3, eta = 2; AI at
g = 5, eta = 2.
"""

from __future__ import annotations

import tempfile
import time

import brian2 as b2
import numpy as np

from hopfield_brian import measures
from hopfield_brian.equations import brunel as beq
from hopfield_brian.errors import ConfigError
from hopfield_brian.units import brian2_params

SR_POINT = {"g": 3.0, "eta": 2.0}  # synchronous regular (Brunel 2000, Fig. 8A)
AI_POINT = {"g": 5.0, "eta": 2.0}  # asynchronous irregular (Brunel 2000, Fig. 8C)
N_VOLTAGES = 200  # neurons whose membrane potential is recorded for Golomb's chi


def voltage_synchrony(v: np.ndarray) -> float:
    """Golomb's chi from membrane potentials ``v`` (n_times x n_neurons), his original definition
    (Golomb 2007, Scholarpedia 2(1):1347): chi^2 = var_t(mean_i V_i) / mean_i var_t(V_i); 1 when all
    neurons share one trace, ~1/sqrt(N) for independent ones. NaN when no neuron varies."""
    v = np.asarray(v, dtype=float)
    mean_var = v.var(axis=0).mean()
    return float(np.sqrt(min(v.mean(axis=1).var() / mean_var, 1.0))) if mean_var > 0 else float("nan")


def build(params: beq.BrunelParams, n_record: int = 500) -> tuple[b2.Network, dict]:
    """The named network (neurons, E and I synapses, external Poisson input, spike monitor)."""
    params = brian2_params(params)
    n_e = params.n_excitatory
    n_i = n_e // 4
    neurons = b2.NeuronGroup(n_e + n_i, beq.NEURON_EQS, threshold=beq.THRESHOLD, reset=beq.RESET,
                             refractory=params.refractory, method="exact", name="brunel_neurons")
    exc, inh = neurons[:n_e], neurons[n_e:]
    e_syn = b2.Synapses(exc, neurons, delay=params.delay, name="excitatory", **beq.EXCITATORY_SYNAPSE)
    e_syn.connect(p=params.epsilon)
    i_syn = b2.Synapses(inh, neurons, delay=params.delay, name="inhibitory", **beq.INHIBITORY_SYNAPSE)
    i_syn.connect(p=params.epsilon)
    neurons.run_regularly(beq.EXTERNAL_INPUT, when="synapses", name="external")
    monitor = b2.SpikeMonitor(neurons[:n_record], name="brunel_spikes")
    voltages = b2.StateMonitor(neurons, "v", record=np.arange(N_VOLTAGES), name="brunel_voltages")
    net = b2.Network(neurons, e_syn, i_syn, monitor, voltages, name="brunel")
    namespace = {"tau": params.tau, "theta": params.theta, "v_reset": params.v_reset, "J": params.J,
                 "C_E": params.c_excitatory}
    return net, {"neurons": neurons, "monitor": monitor, "voltages": voltages, "namespace": namespace, "n_record": n_record}


def run_points(points: list[dict], params: beq.BrunelParams = beq.BrunelParams(), duration=1.0 * b2.second,
               transient=0.2 * b2.second, seed: int = 1, dt=0.1 * b2.ms, directory: str | None = None) -> list[dict]:
    """Simulate every ``{'g': .., 'eta': ..}`` point on one cpp_standalone build; return per point the
    measures of :func:`measures.summarise_run` (after ``transient``), the Brunel state and the regime label.

    ``chi`` is Golomb's voltage chi (:func:`voltage_synchrony`), as in his definition; the
    spike-train chi of :func:`measures.golomb_synchrony` (5 ms kernel) is ``chi_spikes``: it
    averages away the ~375 Hz oscillation of the SR state (0.46-0.49 there, measured here).
    """
    for pt in points:
        if set(pt) != {"g", "eta"} or pt["g"] < 0 or pt["eta"] <= 0:
            raise ConfigError(f"a Brunel point is {{'g': >= 0, 'eta': > 0}}, got {pt}")
    b2.device.reinit()
    b2.prefs.logging.console_log_level = "WARNING"
    b2.set_device("cpp_standalone", build_on_run=False)
    b2.defaultclock.dt = dt
    b2.seed(seed)
    net, parts = build(params)
    neurons = parts["neurons"]
    params = brian2_params(params)
    rng = np.random.default_rng(seed)  # random initial potentials between reset and threshold
    neurons.v = params.v_reset + (params.theta - params.v_reset) * rng.random(len(neurons))
    net.run(duration, namespace=parts["namespace"])
    folder = directory or tempfile.mkdtemp(prefix="brunel-")
    t0 = time.perf_counter()
    b2.device.build(directory=folder, compile=True, run=False, with_output=False)
    build_s = time.perf_counter() - t0
    out = []
    for pt in points:
        t0 = time.perf_counter()
        b2.device.run(folder, with_output=False, run_args={neurons.g: pt["g"], neurons.eta: pt["eta"]})
        mon = parts["monitor"]
        spikes = {"E": (np.asarray(mon.i[:], dtype=np.int64), np.asarray(mon.t_[:], dtype=float))}
        m = measures.summarise_run(spikes, {"E": parts["n_record"]}, float(duration), population="E", memory=None,
                                   start=float(transient), bin_width=1e-3)
        vm = parts["voltages"]
        m["chi_spikes"] = m["chi"]  # spike-train version (5 ms kernel) of measures.golomb_synchrony
        m["chi"] = voltage_synchrony(np.asarray(vm.v_[:]).T[np.asarray(vm.t_[:]) >= float(transient)])
        out.append({**pt, **m, "state": measures.brunel_state(m["cv"], m["chi"]), "label": measures.classify(m),
                    "build_s": build_s, "run_s": time.perf_counter() - t0})
    b2.device.reinit()
    return out
