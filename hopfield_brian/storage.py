"""Storage by plasticity: learn the classical network's couplings from spikes.

The patterns are presented one after the other (the neurons driven by them,
see :mod:`hopfield_brian.equations.plasticity`); the recurrent synapses learn
by the covariance rule. One cpp_standalone build serves any patterns of the
same shape, learning rate and forgetting rate (all passed as run_args).
"""

from __future__ import annotations

import tempfile

import brian2 as b2
import numpy as np

from hopfield_brian.equations import plasticity as peq

from . import simulator
from .simulator import _activate


class HebbianStorage:
    """A compiled storage network for M patterns of N neurons."""

    def __init__(self, n_patterns: int, n_features: int, coding_level: float, params: peq.StorageParams,
                 seed: int = 0):
        _activate("cpp_standalone")
        self.shape, self.params = (n_patterns, n_features), params
        p = params
        self.stimulus = b2.TimedArray(np.zeros(self.shape), dt=p.t_present, name="patterns")
        neurons = b2.NeuronGroup(n_features, peq.NEURON_EQS, threshold=peq.THRESHOLD, reset=peq.RESET,
                                 method="euler", name="storage_neurons")
        synapses = b2.Synapses(neurons, neurons, peq.SYNAPSE_EQS, method="euler", name="storage_synapses")
        pre, post = np.nonzero(~np.eye(n_features, dtype=bool))
        synapses.connect(i=pre, j=post)
        neurons.rate_max = p.rate_max
        neurons.phase = "rand()"
        synapses.eta = p.eta
        synapses.forget_rate = p.forget_rate
        synapses.w_max = p.w_max
        self.synapses, self.pre, self.post = synapses, pre, post
        net = b2.Network(neurons, synapses, name="hebbian_storage")
        b2.seed(seed)
        net.run(n_patterns * p.t_present, namespace={
            "patterns": self.stimulus, "tau_trace": p.tau_trace, "t_present": p.t_present,
            "gate_fraction": p.gate_fraction, "coding_level": coding_level,
            "hebb_scale": 2.0 / (n_features * coding_level * (1.0 - coding_level))})
        self.directory = tempfile.mkdtemp(prefix="hb-storage-")
        b2.device.build(directory=self.directory, compile=True, run=False, with_output=False)

    def learn(self, active: np.ndarray, params: peq.StorageParams) -> np.ndarray:
        """Learned couplings J (N x N, J[i, j] from j to i, zero diagonal) for 0/1 patterns ``active``,
        presented in order (pattern k is M - 1 - k presentations old at the end)."""
        if active.shape != self.shape:
            raise ValueError(f"patterns of shape {active.shape}, the storage network takes {self.shape}")
        run_args = {self.stimulus: active.astype(float), self.synapses.eta: params.eta,
                    self.synapses.forget_rate: params.forget_rate, self.synapses.w_max: params.w_max}
        b2.device.run(directory=self.directory, with_output=False, run_args=run_args)
        couplings = np.zeros((self.shape[1], self.shape[1]))
        couplings[self.post, self.pre] = self.synapses.w[:]
        return couplings


def learned_model_arrays(couplings: np.ndarray, kind: str, coding_level: float) -> tuple[np.ndarray, np.ndarray]:
    """Couplings and biases for the classical network from learned couplings.

    Bipolar: b = -J 1 / 2 (half each neuron's summed incoming weight, as for
    the analytic couplings J = 2W, b = -W 1); sparse: b = -(1 - 2a).
    """
    bias = -couplings.sum(axis=1) / 2.0 if kind == "bipolar" else np.full(couplings.shape[0], -(1.0 - 2.0 * coding_level))
    return couplings, bias


_CACHE: dict = {}  # the last storage build, valid until the device is selected again


def learn(stored: np.ndarray, kind: str, seed: int = 0,
          params: peq.StorageParams | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Couplings and biases learned from ``stored`` patterns (one build per shape and timing, kept
    for reuse: learning rate, bound and forgetting rate change at run time)."""
    active = (stored > 0).astype(float)
    level = 0.5 if kind == "bipolar" else float(active.mean())
    params = params or peq.StorageParams()
    structure = (params.t_present, params.gate_fraction, params.tau_trace, params.rate_max)
    key = repr((active.shape, level, seed, structure))
    if _CACHE.get("key") != key or _CACHE.get("activation") != simulator.ACTIVATIONS[0]:
        storage = HebbianStorage(*active.shape, level, params, seed)
        _CACHE.update(key=key, storage=storage, activation=simulator.ACTIVATIONS[0], learned={})
    memo = _CACHE.setdefault("learned", {})
    run_key = (repr(key), active.tobytes(), repr(params))
    if run_key not in memo:
        memo[run_key] = learned_model_arrays(_CACHE["storage"].learn(active, params), kind, level)
    return memo[run_key]
