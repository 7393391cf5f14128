"""NIR graphs as explicit Brian2 networks (import).

:func:`from_nir` reads a graph of the Neuromorphic Intermediate Representation
(Pedersen et al. 2024, Nat Commun 15:8122; a ``nir.NIRGraph`` or a ``.nir``
file written by any NIR tool: snnTorch, Norse, Rockpool, Sinabs, Lava-DL, or
:func:`hopfield_brian.to_nir`) and builds it as a Brian2 ``Network`` whose
objects are named after the graph's nodes. :meth:`NIRNetwork.run` simulates
it on runtime, cpp_standalone or cuda_standalone and returns the spikes in the
package's tidy table (trial, population, neuron, t_ms): one population per
spiking node and per spike input, named as in the graph.

Nodes: Input, Output, LIF, CubaLIF, IF, LI, CubaLI, I, Threshold, Linear,
Affine, Scale and Delay (equations in :mod:`hopfield_brian.equations.nir_nodes`,
times in seconds); anything else is refused with one line. How edges become
synapses:

* A spiking node (LIF, CubaLIF, IF) or a spike input sends spikes; LI, CubaLI,
  I, Threshold and analog inputs (``analog_inputs``) send their value.
* The chain of Linear / Affine / Scale / Delay nodes between a sender and a
  receiving node becomes one ``Synapses`` object: weights are the chain's
  matrix product, the delay is its Delay node's. A Delay must act on channels
  that each carry one sender's element (a Linear with one non-zero per row, or
  nothing, before it: the form of per-synapse delays in NIR), and only on
  spikes (a Brian2 synapse delays spikes, not values). An Affine's bias is a
  constant input of the nodes downstream (not upstream of a Delay).
* Spikes into a Threshold, chains of Thresholds that read each other in a loop
  (an algebraic loop) and nested graphs are refused.

Discretisation with time step dt (NIR is continuous in time): every state is
integrated exactly over a step with its analog inputs held at their values at
the step's start; a spike emitted in step k reaches its targets in step
k + round(delay / dt), and a neuron it drives over threshold spikes in the
next step. Hence (i) a spike crosses each synaptic hop one dt later than in
continuous time, and (ii) a LIF under constant input whose closed-form period
is T fires at (m K - 1) dt, m = 1, 2, ..., with K = floor(T / dt) + 1: its
first spike lies within one dt before T and its interspike interval is T
rounded up to the grid (Brian2 stamps a spike with the start of the step whose
update crossed the threshold, and the reset takes that step). Both rules are
checked in tests/test_nir.py.

Extension: a node whose metadata holds ``refractory`` (seconds; NIR 1.0 has no
refractory period) is refractory for that long after each spike, its state
clamped, as in Brian2's ``(unless refractory)``. :func:`hopfield_brian.to_nir`
writes it for the delay memory; other NIR tools ignore it.

``pip install 'hopfield-brian[nir]'`` installs the ``nir`` package.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import brian2 as b2
import numpy as np

from . import brian2_compat as compat
from .build_cache import default_build_root
from .equations import nir_nodes as eq
from .errors import ConfigError
from .readout import spike_table
from .simulator import DEVICES
from .units import seconds

NEURONS = {"LIF": "lif", "CubaLIF": "cubalif", "IF": "if", "LI": "li", "CubaLI": "cubali", "I": "i",
           "Threshold": "threshold"}
TRANSFORMS = ("Linear", "Affine", "Scale", "Delay")
SPIKING = ("lif", "cubalif", "if")
SIZE_PARAMETER = {"lif": "tau", "cubalif": "tau_mem", "if": "r", "li": "tau", "cubali": "tau_mem", "i": "r",
                  "threshold": "threshold"}
PARAMETERS = {"lif": ("tau", "r", "v_leak", "v_threshold", "v_reset"),
              "li": ("tau", "r", "v_leak"),
              "if": ("r", "v_threshold", "v_reset"), "i": ("r",),
              "cubalif": ("tau_syn", "tau_mem", "r", "v_leak", "w_in", "v_threshold", "v_reset"),
              "cubali": ("tau_syn", "tau_mem", "r", "v_leak", "w_in"),
              "threshold": ("threshold",)}
SUMMED_ORDER = -100  # analog edges are summed before every state update (order 0), senders' inputs first


def need_nir():
    """The ``nir`` package, or a one-line error saying how to install it."""
    try:
        import nir
    except ImportError:
        raise ConfigError("NIR export and import need the nir package: pip install 'hopfield-brian[nir]'") from None
    return nir


@dataclass
class Population:
    """A node that becomes a NeuronGroup: a neuron, a Threshold or an Input."""

    name: str  # the node's name in the graph, the population of the spike table
    ident: str  # its Brian2 name
    kind: str  # 'input' or a value of NEURONS
    size: int
    params: dict = field(default_factory=dict)  # NIR's values per neuron (time constants in s)
    analog: bool = False  # an input that carries values rather than spikes
    refractory: float | None = None  # s (metadata extension)
    bias: np.ndarray | None = None  # constant input
    ports: int = 0  # analog edges received

    @property
    def spiking(self) -> bool:
        return self.kind in SPIKING or (self.kind == "input" and not self.analog)


@dataclass
class Projection:
    """The synapses of one chain from a sender to a receiver."""

    name: str
    source: str
    target: str
    i: np.ndarray
    j: np.ndarray
    w: np.ndarray  # spikes: jump of the target's state; analog: weight
    delay: np.ndarray | None = None  # s, spikes only
    port: int | None = None  # analog: the target's summed variable I_port


@dataclass
class Plan:
    """A graph translated to populations and projections (numpy only; validated)."""

    populations: dict
    projections: list
    depth: dict  # population -> order of its analog value among the summed updates


def _kind(name: str, node) -> str:
    kind = type(node).__name__
    if kind == "NIRGraph":
        raise ConfigError(f"NIR node {name!r} is a nested graph; flatten it first (the import reads flat graphs)")
    if kind not in (*NEURONS, *TRANSFORMS, "Input", "Output"):
        raise ConfigError(f"NIR node {name!r} is a {kind}, which the Brian2 import does not support; supported: "
                          f"Input, Output, {', '.join(NEURONS)}, {', '.join(TRANSFORMS)}")
    return kind


def _vector(value, size: int, what: str) -> np.ndarray:
    a = np.asarray(value, dtype=float)
    if a.ndim > 1 or (a.ndim == 1 and a.size not in (1, size)):
        raise ConfigError(f"{what} has shape {a.shape}; the import takes one-dimensional populations of {size}")
    if not np.all(np.isfinite(a)):
        raise ConfigError(f"{what} holds a non-finite value")
    return np.broadcast_to(a.ravel() if a.ndim else a, (size,)).astype(float)


def _population(name: str, ident: str, node, analog_inputs) -> Population:
    kind = type(node).__name__
    if kind == "Input":
        shape = np.atleast_1d(np.asarray(node.input_type["input"]))
        if shape.size != 1:
            raise ConfigError(f"NIR input {name!r} has shape {tuple(shape)}; the import takes one-dimensional inputs")
        return Population(name, ident, "input", int(shape[0]), analog=name in analog_inputs)
    kind = NEURONS[kind]
    size = int(np.asarray(getattr(node, SIZE_PARAMETER[kind])).size)
    params = {p: _vector(getattr(node, p), size, f"{name}.{p}") for p in PARAMETERS[kind]}
    for p in ("tau", "tau_syn", "tau_mem"):
        if p in params and not np.all(params[p] > 0):
            raise ConfigError(f"{name}.{p} must be positive (seconds)")
    refractory = (getattr(node, "metadata", None) or {}).get("refractory")
    if refractory is not None:
        if kind not in ("lif", "if"):
            raise ConfigError(f"NIR node {name!r}: refractory metadata is read for LIF and IF nodes only")
        refractory = float(refractory)
    return Population(name, ident, kind, size, params, refractory=refractory, bias=np.zeros(size))


def _matrix(name: str, node, size_in: int) -> np.ndarray:
    kind = type(node).__name__
    w = np.diag(np.asarray(node.scale, float).ravel()) if kind == "Scale" else np.asarray(node.weight, float)
    if w.ndim != 2 or w.shape[1] != size_in:
        raise ConfigError(f"NIR node {name!r}: a {kind} of shape {w.shape} cannot take {size_in} inputs")
    if not np.all(np.isfinite(w)):
        raise ConfigError(f"NIR node {name!r} holds a non-finite weight")
    return w


def _chains(succ: dict, kinds: dict, start: str):
    """``(receiver, [transform names])`` of every path from ``start`` through transforms to a non-transform."""
    stack = [(s, ()) for s in succ[start]]
    while stack:
        name, ops = stack.pop()
        if kinds[name] in TRANSFORMS:
            if name in ops:
                raise ConfigError(f"NIR nodes {' -> '.join((*ops, name))} form a loop of weights without a neuron")
            stack.extend((s, (*ops, name)) for s in succ[name])
        else:
            yield name, ops


def _compose(graph, ops, size: int, spikes: bool, where: str):
    """The chain's matrix before its Delay, the delays (s, or None) and the matrix after it."""
    pre, delay, post = np.eye(size), None, None
    for name in ops:
        node = graph.nodes[name]
        if type(node).__name__ == "Delay":
            if not spikes:
                raise ConfigError(f"{where}: the Delay {name!r} acts on an analog signal; Brian2 delays spikes only")
            if delay is not None:
                raise ConfigError(f"{where}: two Delay nodes on one chain")
            if np.any((pre != 0).sum(axis=1) > 1):
                raise ConfigError(f"{where}: the Delay {name!r} acts on channels that mix several senders (a Delay "
                                  "needs a Linear with one non-zero per row, or nothing, before it)")
            delay = _vector(node.delay, pre.shape[0], f"{name}.delay")
            if np.any(delay < 0):
                raise ConfigError(f"{name}.delay must be non-negative (seconds)")
            post = np.eye(pre.shape[0])
        elif post is None:
            pre = _matrix(name, node, pre.shape[0]) @ pre
        else:
            post = _matrix(name, node, post.shape[0]) @ post
    return pre, delay, post


def _synapses(pre, delay, post):
    """``(i, j, weight, delay or None)`` of a composed chain."""
    if delay is None:
        j, i = np.nonzero(pre)
        return i, j, pre[j, i], None
    channel, source = np.nonzero(pre)
    gain = np.zeros(pre.shape[0])
    sender = np.full(pre.shape[0], -1)
    gain[channel], sender[channel] = pre[channel, source], source
    j, k = np.nonzero(post * (sender >= 0))
    return sender[k], j, gain[k] * post[j, k], delay[k]


def _jump(target: Population, w: np.ndarray, j: np.ndarray) -> np.ndarray:
    """The jump of the target's state per spike of weight w (a Dirac delta of area w)."""
    p = target.params
    if target.kind in ("lif", "li"):
        return w * p["r"][j] / p["tau"][j]
    if target.kind in ("if", "i"):
        return w * p["r"][j]
    return w * p["w_in"][j] / p["tau_syn"][j]


def _identifiers(names) -> dict:
    """Brian2 names for the graph's node names (identifiers, unique)."""
    out, taken = {}, set()
    for name in names:
        ident = re.sub(r"\W", "_", name) or "node"
        ident = ident if ident[0].isalpha() else f"n_{ident}"
        base, k = ident, 2
        while ident in taken:
            ident, k = f"{base}_{k}", k + 1
        taken.add(ident)
        out[name] = ident
    return out


def plan(graph, analog_inputs=()) -> Plan:
    """Populations and projections of ``graph`` (see the module's docstring for the rules)."""
    kinds = {name: _kind(name, node) for name, node in graph.nodes.items()}
    for name in analog_inputs:
        if kinds.get(name) != "Input":
            raise ConfigError(f"analog input {name!r} is not an Input node of the graph "
                              f"(inputs: {', '.join(k for k, v in kinds.items() if v == 'Input') or 'none'})")
    succ = defaultdict(list)
    for src, dst in graph.edges:
        succ[src].append(dst)
    idents = _identifiers([n for n, k in kinds.items() if k not in (*TRANSFORMS, "Output")])
    pops = {n: _population(n, idents[n], graph.nodes[n], analog_inputs) for n in idents}
    projections, names = [], defaultdict(int)
    for source in pops.values():
        for receiver, ops in _chains(succ, kinds, source.name):
            if kinds[receiver] == "Output":
                continue
            where = f"NIR chain {' -> '.join((source.name, *ops, receiver))}"
            if kinds[receiver] == "Input":
                raise ConfigError(f"{where}: an edge into an Input node")
            target = pops[receiver]
            pre, delay, post = _compose(graph, ops, source.size, source.spiking, where)
            size_out = (post if post is not None else pre).shape[0]
            if size_out != target.size:
                raise ConfigError(f"{where}: {size_out} values reach a node of {target.size}")
            i, j, w, d = _synapses(pre, delay, post)
            names[(source.ident, target.ident)] += 1
            count = names[(source.ident, target.ident)]
            name = f"{source.ident}_to_{target.ident}" + (f"_{count}" if count > 1 else "")
            if source.spiking:
                if target.kind == "threshold":
                    raise ConfigError(f"{where}: spikes into a Threshold (it reads an analog value)")
                projections.append(Projection(name, source.name, receiver, i, j, _jump(target, w, j), d))
            else:
                projections.append(Projection(name, source.name, receiver, i, j, w, port=target.ports))
                target.ports += 1
    _add_biases(graph, kinds, succ, pops)
    return Plan(pops, projections, _depths(pops, projections))


def _add_biases(graph, kinds, succ, pops) -> None:
    """Add each Affine's bias, carried through the transforms downstream, to the receivers' constant input."""
    for name, node in graph.nodes.items():
        if kinds[name] != "Affine" or not np.any(np.asarray(node.bias, float)):
            continue
        bias = _vector(node.bias, np.asarray(node.weight).shape[0], f"{name}.bias")
        for receiver, ops in _chains(succ, kinds, name):
            if kinds[receiver] == "Output":
                continue
            if any(kinds[o] == "Delay" for o in ops):
                raise ConfigError(f"the bias of {name!r} reaches {receiver!r} through a Delay (a delayed constant "
                                  "starts late; the import takes biases after the Delay)")
            value = bias
            for o in ops:
                value = _matrix(o, graph.nodes[o], value.size) @ value
            if value.size != pops[receiver].size:
                raise ConfigError(f"the bias of {name!r} has {value.size} values for {receiver!r} of "
                                  f"{pops[receiver].size}")
            pops[receiver].bias = pops[receiver].bias + value


def _depths(pops: dict, projections: list) -> dict:
    """Order of each analog sender's value: 0 for states and inputs, one more than its own analog senders
    for a Threshold (whose value is computed from this step's sums)."""
    senders = defaultdict(list)
    for p in projections:
        if p.port is not None:
            senders[p.target].append(p.source)
    depth, visiting = {}, set()

    def of(name):
        if name in depth:
            return depth[name]
        if pops[name].kind != "threshold":
            depth[name] = 0
            return 0
        if name in visiting:
            raise ConfigError(f"Threshold {name!r} reads its own value through other Thresholds (an algebraic loop)")
        visiting.add(name)
        depth[name] = 1 + max((of(s) for s in senders[name]), default=-1)
        visiting.discard(name)
        return depth[name]

    for name in pops:
        of(name)
    return depth


# ------------------------------------------------------------------ Brian2
def _group(pop: Population, dt: float, namespace: dict, values: dict):
    """The NeuronGroup of one population (and its TimedArray, or the step operation of a Cuba node)."""
    if pop.kind == "input":
        signal = b2.TimedArray(values[pop.name], dt=dt * b2.second, name=f"{pop.ident}_signal")
        namespace[signal.name] = signal
        group = b2.NeuronGroup(pop.size, eq.INPUT_EQS.format(signal=signal.name),
                               threshold=None if pop.analog else eq.INPUT_THRESHOLD,
                               reset=None if pop.analog else "", name=pop.ident)
        return group, signal
    unless = " (unless refractory)" if pop.refractory else ""
    inputs = eq.INPUTS.format(ports="".join(f" + I_{k}" for k in range(pop.ports))) + "".join(
        eq.PORT.format(k=k) for k in range(pop.ports))
    body = {"lif": eq.LIF_EQS, "li": eq.LI_EQS, "if": eq.IF_EQS, "i": eq.I_EQS, "cubalif": eq.CUBA_EQS,
            "cubali": eq.CUBA_EQS, "threshold": eq.THRESHOLD_EQS}[pop.kind].format(unless=unless)
    spiking = pop.kind in SPIKING
    # dv/dt = R I does not depend on v: Euler is exact for an input held over the step (and Brian2's
    # exact solver refuses it)
    method = "euler" if pop.kind in ("if", "i") else "exact"
    group = b2.NeuronGroup(pop.size, body + inputs + (eq.SPIKING if spiking else ""), method=method,
                           threshold=eq.THRESHOLD if spiking else None, reset=eq.RESET if spiking else None,
                           refractory=pop.refractory * b2.second if pop.refractory else False, name=pop.ident)
    p = dict(pop.params)
    if pop.kind in ("cubalif", "cubali"):
        tau_syn, tau_mem = p.pop("tau_syn"), p.pop("tau_mem")
        p.update(decay_syn=np.exp(-dt / tau_syn), decay_mem=np.exp(-dt / tau_mem),
                 cross=eq.cross_term(tau_syn, tau_mem, dt))
        step = group.run_regularly(eq.CUBA_STEP, when="groups", name=f"{pop.ident}_step")
    else:
        step = None
    units = {"tau": b2.second, "r": b2.Hz if pop.kind in ("if", "i") else 1}
    for name, value in p.items():
        setattr(group, name, value * units.get(name, 1))
    group.bias = pop.bias
    return group, step


def build(the_plan: Plan, dt: float, values: dict):
    """``(network, namespace, monitors, signals)``: the Brian2 objects of a plan, each input's
    TimedArray holding ``values[name]`` (steps x size)."""
    namespace, groups, signals, objects = {}, {}, {}, []
    for pop in the_plan.populations.values():
        group, extra = _group(pop, dt, namespace, values)
        groups[pop.name] = group
        objects.append(group)
        if pop.kind == "input":
            signals[pop.name] = extra
        elif extra is not None:
            objects.append(extra)
    for proj in the_plan.projections:
        if not proj.i.size:
            continue
        source, target = the_plan.populations[proj.source], the_plan.populations[proj.target]
        if proj.port is None:
            state = "I" if target.kind in ("cubalif", "cubali") else "v"
            syn = b2.Synapses(groups[proj.source], groups[proj.target], model=eq.SPIKE_SYNAPSE["model"],
                              on_pre=eq.SPIKE_SYNAPSE["on_pre"].format(state=state), name=proj.name)
        else:
            output = {"input": "x", "threshold": "gate"}.get(source.kind, "v")
            syn = b2.Synapses(groups[proj.source], groups[proj.target], name=proj.name,
                              model=eq.ANALOG_SYNAPSE.format(k=proj.port, output=output))
            syn.summed_updaters[f"I_{proj.port}_post"].order = SUMMED_ORDER + the_plan.depth[proj.source]
        syn.connect(i=proj.i, j=proj.j)
        syn.w = proj.w
        if proj.delay is not None:
            syn.delay = proj.delay * b2.second
        objects.append(syn)
    monitors = {p.name: b2.SpikeMonitor(groups[p.name], record=True, name=f"{p.ident}_spikes")
                for p in the_plan.populations.values() if p.spiking}
    network = b2.Network(*objects, *monitors.values(), name="nir_network")
    return network, namespace, monitors, signals


# ------------------------------------------------------------------ running
def _read(graph):
    nir = need_nir()
    if isinstance(graph, nir.NIRGraph):
        return graph
    if isinstance(graph, (str, Path)):
        try:
            return nir.read(graph)
        except Exception as exc:  # h5py and nir raise OSError, KeyError, ValueError, AssertionError
            first = (str(exc) or type(exc).__name__).splitlines()[0]
            raise ConfigError(f"cannot read the NIR file {graph}: {first}") from None
    raise ConfigError(f"from_nir takes a nir.NIRGraph or a .nir file, got {type(graph).__name__}")


class NIRNetwork:
    """A NIR graph built as a Brian2 network on one device (see the module's docstring).

    On runtime every :meth:`run` builds the Brian2 objects afresh (their
    generated code is cached); on cpp_standalone and cuda_standalone the
    project is generated and compiled once, here, and every run passes its
    inputs to the binary as run_args (the inputs are TimedArrays). One
    standalone network at a time per process: Brian2's standalone device is
    process-wide.
    """

    def __init__(self, graph, *, dt, duration, device: str = "runtime", analog_inputs=(), directory=None):
        if device not in DEVICES:
            raise ConfigError(f"unknown device {device!r}; choose from {', '.join(DEVICES)}")
        self.graph = _read(graph)
        self.dt, self.duration = seconds(dt, "dt"), seconds(duration, "duration")
        if self.duration < self.dt:
            raise ConfigError(f"duration ({duration}) is shorter than dt ({dt})")
        self.plan = plan(self.graph, tuple(analog_inputs))
        self.device = device
        self.steps = int(round(self.duration / self.dt)) + 1
        self.network = self.namespace = self.monitors = self.signals = None
        self.directory, self._own_directory = None, False
        if device != "runtime":
            self._build_standalone(directory)

    @property
    def inputs(self) -> dict:
        """``{input name: (size, 'analog' or 'spikes')}``."""
        return {p.name: (p.size, "analog" if p.analog else "spikes")
                for p in self.plan.populations.values() if p.kind == "input"}

    def _build(self, device: str, values: dict):
        compat.select_device(device, default_build_root())
        b2.defaultclock.dt = self.dt * b2.second
        self.network, self.namespace, self.monitors, self.signals = build(self.plan, self.dt, values)

    def _build_standalone(self, directory) -> None:
        self._own_directory = directory is None
        self.directory = Path(directory) if directory else Path(tempfile.mkdtemp(prefix="hopfield-brian-nir-"))
        try:
            self._build(self.device, self.signal_values({}))
            self.network.run(self.duration * b2.second, namespace=self.namespace)
            b2.device.build(directory=str(self.directory), compile=True, run=False, with_output=False)
        except BaseException:
            self.close()
            raise

    def signal_values(self, inputs: dict) -> dict:
        """Each input's TimedArray values (steps x size) from ``inputs`` (see :meth:`run`)."""
        unknown = set(inputs) - set(self.inputs)
        if unknown:
            raise ConfigError(f"unknown input(s) {', '.join(sorted(unknown))}; the graph's inputs: "
                              f"{', '.join(self.inputs) or 'none'}")
        out = {}
        for name, (size, kind) in self.inputs.items():
            given = inputs.get(name)
            values = np.zeros((self.steps, size))
            if given is not None:
                values = self._analog(name, given, values) if kind == "analog" else self._spikes(name, given, values)
            out[name] = values
        return out

    def _analog(self, name: str, given, values: np.ndarray) -> np.ndarray:
        a = np.asarray(given, dtype=float)
        if a.shape not in ((values.shape[1],), values.shape):
            raise ConfigError(f"input {name!r}: expected {values.shape[1]} values or {values.shape[0]} steps x "
                              f"{values.shape[1]} (one row per dt from 0 to the duration), got shape {a.shape}")
        if not np.all(np.isfinite(a)):
            raise ConfigError(f"input {name!r} holds a non-finite value")
        return values + a

    def _spikes(self, name: str, given, values: np.ndarray) -> np.ndarray:
        try:
            indices, times = given
        except (TypeError, ValueError):
            raise ConfigError(f"input {name!r}: spikes are given as (neuron indices, times with a unit)") from None
        if not isinstance(times, b2.Quantity) or not b2.have_same_dimensions(times, b2.second):
            raise ConfigError(f"input {name!r}: spike times need a time unit (e.g. [1, 2]*ms)")
        i, t = np.asarray(indices), np.asarray(times, dtype=float).ravel()
        if i.shape != t.shape or (i.size and not np.issubdtype(i.dtype, np.integer)):
            raise ConfigError(f"input {name!r}: give one integer neuron index per spike time")
        step = np.round(t / self.dt).astype(int)
        if i.size and (i.min() < 0 or i.max() >= values.shape[1]):
            raise ConfigError(f"input {name!r}: neuron indices must lie in [0, {values.shape[1] - 1}]")
        if i.size and (not np.all(np.isfinite(t)) or step.min() < 0 or step.max() >= self.steps):
            raise ConfigError(f"input {name!r}: spike times must lie in [0, {self.duration * 1e3:g} ms]")
        np.add.at(values, (step, i), 1.0)
        if np.any(values > 1):
            raise ConfigError(f"input {name!r}: a neuron has two spikes in one time step of {self.dt * 1e3:g} ms")
        return values

    def run(self, inputs: dict | None = None, trial: int = 0):
        """Simulate ``duration`` from rest and return the tidy spike table of this trial.

        ``inputs``: ``{input name: value}``; a spike input takes
        ``(neuron indices, times)`` with times as a Quantity (each spike lands
        on the nearest step), an analog input an array of its size (constant)
        or of ``steps x size`` (one row per dt from t = 0). Inputs left out
        are silent.
        """
        values = self.signal_values(inputs or {})
        if self.device == "runtime":
            self._build("runtime", values)
            self.network.run(self.duration * b2.second, namespace=self.namespace)
        else:
            if self.directory is None:
                raise ConfigError("this standalone NIR network was closed")
            b2.device.run(directory=str(self.directory), with_output=False,
                          run_args={self.signals[name]: v for name, v in values.items()})
        spikes = {name: (np.asarray(mon.i[:], dtype=np.int32), np.asarray(mon.t_[:], dtype=np.float64))
                  for name, mon in self.monitors.items()}
        return spike_table(trial, spikes)

    def close(self) -> None:
        """Remove the standalone project folder this object created."""
        if self._own_directory and self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
        self.directory = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def from_nir(graph, *, dt, duration, device: str = "runtime", analog_inputs=(), directory=None) -> NIRNetwork:
    """A NIR graph (``nir.NIRGraph`` or ``.nir`` file) as a Brian2 network on ``device``, simulated for
    ``duration`` with time step ``dt`` (Quantities); ``analog_inputs`` names the Input nodes that carry
    values rather than spikes. Run it with :meth:`NIRNetwork.run`."""
    return NIRNetwork(graph, dt=dt, duration=duration, device=device, analog_inputs=analog_inputs,
                      directory=directory)
