"""The package's deterministic networks as NIR graphs (export).

:func:`to_nir` writes a network as a graph of the Neuromorphic Intermediate
Representation (Pedersen et al. 2024, Nat Commun 15:8122), the exchange
format of snnTorch, Norse, Rockpool, Sinabs, Lava-DL and the SpiNNaker 2 and
Loihi toolchains. NIR's primitives are deterministic continuous-time systems
with times in seconds; what cannot be written with them is refused with one
line, never approximated silently:

* **Delay-line memory** (:class:`~hopfield_brian.delay_model.DelayModel`):
  exact. Features and memories are LIF nodes (R = tau, so that a spike of
  weight w raises v by w, as the Brian2 synapses do); every key and value
  synapse is a channel of a Linear (selection) -> Delay -> Linear (weights)
  chain; the winner-take-all inhibition is folded into the memories' membrane
  as a Linear of -eta_inhibition from every memory to every memory, which is
  the same dynamics only when tau_inhibition = tau_memory (refused
  otherwise). The cue enters as spikes of an Input ``cue`` that feed the key
  chain as the features' own cue spikes do. NIR has no refractory period: the
  features' and memories' refractory periods are written into their nodes'
  metadata (``refractory``, s), which :func:`hopfield_brian.from_nir` honours
  and other tools ignore (there, a memory can fire again at every replay
  cycle instead of once).
* **Classical network** (:class:`~hopfield_brian.models.ClassicalModel`):
  its escape-noise neurons fire as Poisson processes at
  r_max sigma(field / T) (Glauber dynamics), which NIR cannot express. Only
  on request (``zero_temperature=True``) its deterministic T -> 0 limit is
  written: a unit fires regularly at r_max while its local field is positive
  (an IF node of R = r_max driven by a Threshold of the field), instead of a
  Poisson process of that rate. The field is the same sum as in
  :mod:`hopfield_brian.equations.classical`: the recurrent input h (an LI of
  tau_syn fed by the Hebbian couplings), the biases, and the global inhibition
  -g (A - a) with A an LI of tau_inhibition fed by every unit. The cue is an
  analog Input ``cue`` added to the field (see :func:`cue_drive`), large
  enough to set every unit's state while it lasts, as the clamp does.
* **Modern network**: refused. Its memory layer samples the attention weights
  with Poisson neurons under divisive or winner-take-all normalisation
  (Nessler et al. 2013); NIR has neither stochastic neurons nor normalisation.
* **Plasticity**: NIR has no learning rule; a network whose couplings were
  learned (``storage='hebbian'``) is written with the learned couplings fixed,
  and its metadata says so. Per-trial perturbations (spike deletion,
  background or membrane noise, jitter, weight noise or quantisation,
  ablation) are refused: they are not part of the stored network.

Each graph's metadata names the source, the model and what was written.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from .config import show
from .errors import ConfigError
from .nir_import import need_nir

PERTURBATIONS = ("deletion", "background_rate", "membrane_noise", "jitter", "weight_noise", "weight_bits", "ablation")


def to_nir(source, *, zero_temperature: bool = False):
    """The ``nir.NIRGraph`` of a network: a model (:class:`~hopfield_brian.models.ClassicalModel`,
    :class:`~hopfield_brian.delay_model.DelayModel`) or a protocol object of one grid point (e.g.
    ``Recall(model="classical", ...)``, ``Spatiotemporal(...)``), whose stored patterns it takes.
    ``zero_temperature``: write the classical network's deterministic T -> 0 limit (see the module)."""
    from .delay_model import DelayModel
    from .models import ClassicalModel, ModernModel

    model = _model(source)
    if isinstance(model, ModernModel):
        raise ConfigError("the modern network cannot be exported to NIR: its memory layer samples the attention "
                          "weights with Poisson neurons under a normalisation, and NIR 1.0 has neither stochastic "
                          "neurons nor normalisation (export the classical or the delay-memory network)")
    if isinstance(model, DelayModel):
        return delay_graph(model)
    if isinstance(model, ClassicalModel):
        if not zero_temperature:
            raise ConfigError("the classical network's escape-noise neurons are stochastic and NIR has no "
                              "stochastic neuron: ask for its deterministic T -> 0 limit with zero_temperature=True "
                              "(command line: --zero-temperature)")
        return classical_graph(model)
    raise ConfigError(f"no NIR export for {type(model).__name__}; exportable: the classical network (its T -> 0 "
                      "limit) and the delay-line memory")


def _model(source):
    """The network model of a model or of a one-point protocol (its perturbations refused)."""
    if not hasattr(source, "prepare"):
        return source
    config = source.config
    for name in PERTURBATIONS:
        value = getattr(config, name, None)
        if value is not None and float(value) != 0:
            raise ConfigError(f"{name} = {value} perturbs the network in every trial (noise, jitter, quantisation or "
                              f"ablation), which a NIR graph of the stored network does not hold: export with "
                              f"{name} = 0")
    # the protocol's own default curves are not the user's: without a sweep, its base point
    points = source.prepare(config, source.params, source.grid if source.user_swept else {})
    if len(points) != 1:
        raise ConfigError(f"to_nir exports one network; this sweep has {len(points)} grid points (give single "
                          "values instead)")
    return points[0].model


def _metadata(model: str, written: str, **more) -> dict:
    from . import __version__

    return {"source": f"hopfield-brian {__version__}", "model": model, "written": written, "time_unit": "s", **more}


def _selection(sources: np.ndarray, size: int) -> np.ndarray:
    """A Linear's weights (channels x size) that route element sources[k] to channel k."""
    w = np.zeros((sources.size, size))
    w[np.arange(sources.size), sources] = 1.0
    return w


def delay_graph(model):
    """The delay-line memory as a NIR graph (see the module's docstring)."""
    nir = need_nir()
    p, n, m = model.params, model.n_features, model.n_patterns
    if float(p.tau_inhibition) != float(p.tau_memory):
        raise ConfigError(f"tau_inhibition ({show(p.tau_inhibition)}) differs from tau_memory ({show(p.tau_memory)}): NIR's LIF "
                          "has one membrane time constant, into which the winner-take-all inhibition folds only when "
                          "the two are equal")
    tau_f, tau_m = float(p.tau_feature), float(p.tau_memory)
    pre, post, w, delay = model.key_synapses()
    nodes = {
        "cue": nir.Input(input_type={"input": np.array([n])},
                         metadata={"signal": "spikes", "meaning": "cue spikes (feature i at its latency): they "
                                   "enter the key delays as the features' own spikes"}),
        "feature": nir.LIF(tau=np.full(n, tau_f), r=np.full(n, tau_f), v_leak=np.zeros(n), v_threshold=np.ones(n),
                           v_reset=np.zeros(n), metadata={"refractory": float(p.feature_refractory)}),
        "memory": nir.LIF(tau=np.full(m, tau_m), r=np.full(m, tau_m), v_leak=np.zeros(m),
                          v_threshold=np.full(m, p.detection_threshold), v_reset=np.zeros(m),
                          metadata={"refractory": float(p.memory_refractory)}),
        "key_channels": nir.Linear(weight=_selection(pre, n)),
        "key_delays": nir.Delay(delay=np.asarray(delay, float)),
        "keys": nir.Linear(weight=_channel_weights(post, w, m)),
        "lateral": nir.Linear(weight=np.full((m, m), -float(p.eta_inhibition))),
        "feature_spikes": nir.Output(output_type={"output": np.array([n])}),
        "memory_spikes": nir.Output(output_type={"output": np.array([m])}),
    }
    edges = [("cue", "key_channels"), ("feature", "key_channels"), ("key_channels", "key_delays"),
             ("key_delays", "keys"), ("keys", "memory"), ("memory", "lateral"), ("lateral", "memory"),
             ("feature", "feature_spikes"), ("memory", "memory_spikes")]
    v_pre, v_post, v_delay = model.value_synapses()
    if v_pre.size:
        nodes |= {"value_channels": nir.Linear(weight=_selection(v_pre, m)),
                  "value_delays": nir.Delay(delay=np.asarray(v_delay, float)),
                  "values": nir.Linear(weight=_channel_weights(v_post, np.full(v_pre.size, p.value_weight), n))}
        edges += [("memory", "value_channels"), ("value_channels", "value_delays"), ("value_delays", "values"),
                  ("values", "feature")]
    written = ("exact: LIF features and memories, key and value synapses as Linear-Delay-Linear channels, the "
               "winner-take-all inhibition folded into the memories (tau_inhibition = tau_memory); refractory "
               "periods in node metadata (not NIR 1.0 parameters)")
    return nir.NIRGraph(nodes=nodes, edges=edges,
                        metadata=_metadata("delay", written, cycle=model.cycle, period=model.period))


def _channel_weights(targets: np.ndarray, weights: np.ndarray, size: int) -> np.ndarray:
    """A Linear's weights (size x channels) that send channel k to targets[k] with weights[k]."""
    w = np.zeros((size, targets.size))
    w[targets, np.arange(targets.size)] = weights
    return w


def field_bound(model) -> float:
    """An upper bound on |local field| in the T -> 0 network: each unit fires at most at r_max, so a
    filtered spike train of time constant tau peaks below x / (1 - exp(-x)) times its mean, x = 1 / (r_max tau)."""
    p = model.params

    def peak(tau):
        x = 1.0 / (float(p.rate_max) * float(tau))
        return x / (1.0 - np.exp(-x))

    recurrent = np.abs(model.couplings).sum(axis=1).max() * peak(p.tau_syn)
    inhibition = p.inhibition_gain * (peak(p.tau_inhibition) + model.coding_level)
    return float(recurrent + np.abs(model.bias).max() + inhibition)


def classical_graph(model):
    """The classical network's zero-temperature limit as a NIR graph (see the module's docstring)."""
    nir = need_nir()
    p, n = model.params, model.n_features
    rate, tau_syn, tau_inh = float(p.rate_max), float(p.tau_syn), float(p.tau_inhibition)
    g, a = float(p.inhibition_gain), float(model.coding_level)
    couplings = np.array(model.couplings, dtype=float)
    np.fill_diagonal(couplings, 0.0)
    drive = 2.0 * field_bound(model)
    nodes = {
        "cue": nir.Input(input_type={"input": np.array([n])},
                         metadata={"signal": "analog", "drive": drive,
                                   "meaning": "cue: +drive (cued active) or -drive (cued silent) added to the field "
                                   "while the cue lasts, 0 after; drive is twice a bound on |field|"}),
        "recurrent": nir.Linear(weight=couplings / (rate * tau_syn)),
        "recurrent_input": nir.LI(tau=np.full(n, tau_syn), r=np.full(n, tau_syn), v_leak=np.zeros(n)),
        "to_inhibitor": nir.Linear(weight=np.full((1, n), 1.0 / (n * rate * tau_inh))),
        "inhibitor": nir.LI(tau=np.array([tau_inh]), r=np.array([tau_inh]), v_leak=np.zeros(1)),
        "inhibition": nir.Affine(weight=np.full((n, 1), -g), bias=np.asarray(model.bias, float) + g * a),
        "field": nir.Threshold(threshold=np.zeros(n)),
        "neuron": nir.IF(r=np.full(n, rate), v_threshold=np.ones(n), v_reset=np.zeros(n)),
        "spikes": nir.Output(output_type={"output": np.array([n])}),
    }
    edges = [("cue", "field"), ("neuron", "recurrent"), ("recurrent", "recurrent_input"), ("recurrent_input", "field"),
             ("neuron", "to_inhibitor"), ("to_inhibitor", "inhibitor"), ("inhibitor", "inhibition"),
             ("inhibition", "field"), ("field", "neuron"), ("neuron", "spikes")]
    written = ("zero-temperature limit: a unit fires regularly at rate_max while its local field is positive (IF "
               "driven by a Threshold of the field) instead of a Poisson process at rate_max sigma(field / T)"
               + ("; couplings learned by plasticity, written fixed" if model.learned else ""))
    return nir.NIRGraph(nodes=nodes, edges=edges,
                        metadata=_metadata("classical", written, kind=model.kind, n_patterns=model.n_patterns))


def cue_drive(network, cue, t_cue) -> np.ndarray:
    """The ``cue`` input of an imported classical graph (a :class:`~hopfield_brian.nir_import.NIRNetwork`):
    +drive for the units the cue (in the patterns' coding) makes active, -drive for the others, in every
    step before ``t_cue`` (a Quantity), 0 after."""
    from .units import as_quantity, second

    node = network.graph.nodes.get("cue")
    drive = (getattr(node, "metadata", None) or {}).get("drive")
    if drive is None:
        raise ConfigError("this graph has no cue drive: cue_drive takes an imported classical network")
    cue = np.asarray(cue, dtype=float)
    size = network.inputs["cue"][0]
    if cue.shape != (size,):
        raise ConfigError(f"cue has {cue.size} entries, the network expects {size}")
    if as_quantity(t_cue) is None or as_quantity(t_cue).dim != second.dim:
        raise ConfigError(f"t_cue needs a time unit, got {t_cue!r}")
    steps = np.arange(network.steps) * network.dt < float(t_cue) - 0.5 * network.dt
    return np.outer(steps, np.where(cue > 0, drive, -drive))


def write(graph, path) -> Path:
    """Write ``graph`` to ``path`` (a .nir file, HDF5) atomically: a finished file or none."""
    nir = need_nir()
    path = Path(path)
    if path.suffix != ".nir":
        raise ConfigError(f"a NIR file ends in .nir, got {path}")
    if not path.parent.is_dir():
        raise ConfigError(f"folder {path.parent} does not exist")
    fd, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    os.close(fd)
    try:
        nir.write(partial, graph)
        os.replace(partial, path)
    finally:
        if os.path.exists(partial):
            os.remove(partial)
    return path
