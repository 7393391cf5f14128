"""Storage by plasticity: learn the couplings of either network from spikes.

The patterns are presented one after the other (the neurons driven by them,
see :mod:`hopfield_brian.equations.plasticity`): the classical network's
recurrent synapses learn by the covariance rule, the modern network's key and
value synapses by Hebbian rules gated by the memory neuron recruited for the
pattern. One cpp_standalone build serves any patterns of the
same shape, learning rate and forgetting rate (all passed as run_args).
"""

from __future__ import annotations

import hashlib

import brian2 as b2
import numpy as np

from hopfield_brian.equations import plasticity as peq

from . import brian2_compat
from .build_cache import default_build_root, finish_build, open_build, start_build
from .units import brian2_params


class _StorageNetwork:
    """A compiled storage network: build once, then learn any patterns of its shape by run_args."""

    def _compile(self, net: b2.Network, duration, namespace: dict, key: str) -> None:
        """Build in a folder named by ``key`` (what shapes the code): a later run, in this process or
        another, finds it compiled; the folder is held by this process while the network lives."""
        net.run(duration, namespace=namespace)
        digest = hashlib.sha1(key.encode()).hexdigest()[:12]
        folder, self._lock, _ = open_build(default_build_root() / f"storage-{digest}", None)  # held alone
        self.directory = str(folder)
        start_build(folder)
        b2.device.build(directory=self.directory, compile=True, run=False, with_output=False)
        finish_build(folder)

    def close(self) -> None:
        """Release the build folder."""
        if getattr(self, "_lock", None) is not None:
            self._lock.close()
            self._lock = None

    def _run(self, stimulus: np.ndarray, params: peq.StorageParams) -> None:
        params = brian2_params(params)
        run_args = {self.stimulus: stimulus}
        for syn in self.learning:
            run_args.update({syn.eta: params.eta, syn.forget_rate: params.forget_rate, syn.w_max: params.w_max})
        b2.device.run(directory=self.directory, with_output=False, run_args=run_args)

    @staticmethod
    def _learning_synapses(source, target, eqs: str, name: str, params: peq.StorageParams, pre, post):
        syn = b2.Synapses(source, target, eqs, method="euler", name=name, dt=params.dt)
        syn.connect(i=pre, j=post)
        syn.eta, syn.forget_rate, syn.w_max = params.eta, params.forget_rate, params.w_max
        return syn


class HebbianStorage(_StorageNetwork):
    """A compiled storage network for M patterns of N neurons (classical network)."""

    def __init__(self, n_patterns: int, n_features: int, coding_level: float, params: peq.StorageParams,
                 seed: int = 0, key: str = ""):
        brian2_compat.select_device("cpp_standalone")
        b2.seed(seed)  # before the initial phases are drawn (rand()): later, they were not reproducible
        self.shape, self.params = (n_patterns, n_features), params
        p = brian2_params(params)
        self.stimulus = b2.TimedArray(np.zeros(self.shape), dt=p.t_present, name="patterns")
        neurons = b2.NeuronGroup(n_features, peq.NEURON_EQS, threshold=peq.THRESHOLD, reset=peq.RESET,
                                 method="euler", name="storage_neurons", dt=p.dt)
        neurons.rate_max = p.rate_max
        neurons.phase = "rand()"
        pre, post = np.nonzero(~np.eye(n_features, dtype=bool))
        synapses = self._learning_synapses(neurons, neurons, peq.SYNAPSE_EQS, "storage_synapses", p, pre, post)
        self.learning, self.pre, self.post = (synapses,), pre, post
        self._compile(b2.Network(neurons, synapses, name="hebbian_storage"), n_patterns * p.t_present, {
            "patterns": self.stimulus, "tau_trace": p.tau_trace, "t_present": p.t_present,
            "gate_fraction": p.gate_fraction, "coding_level": coding_level,
            "hebb_scale": 2.0 / (n_features * coding_level * (1.0 - coding_level))}, key)

    def learn(self, active: np.ndarray, params: peq.StorageParams) -> np.ndarray:
        """Learned couplings J (N x N, J[i, j] from j to i, zero diagonal) for 0/1 patterns ``active``,
        presented in order (pattern k is M - 1 - k presentations old at the end)."""
        if active.shape != self.shape:
            raise ValueError(f"patterns of shape {active.shape}, the storage network takes {self.shape}")
        self._run(active.astype(float), params)
        couplings = np.zeros((self.shape[1], self.shape[1]))
        couplings[self.post, self.pre] = self.learning[0].w[:]
        return couplings


class ModernStorage(_StorageNetwork):
    """A compiled storage network for the modern model: M memory neurons recruited one per pattern,
    key and value synapses learned from spikes (see :mod:`hopfield_brian.equations.plasticity`)."""

    def __init__(self, n_patterns: int, n_features: int, params: peq.StorageParams, seed: int = 0, key: str = ""):
        brian2_compat.select_device("cpp_standalone")
        b2.seed(seed)  # before the initial phases are drawn (rand()): later, they were not reproducible
        self.shape, self.params = (n_patterns, n_features), params
        p, m, n = brian2_params(params), n_patterns, n_features
        self.stimulus = b2.TimedArray(np.zeros((m, 2 * n)), dt=p.t_present, name="patterns")
        feature = b2.NeuronGroup(2 * n, peq.FEATURE_EQS, threshold=peq.THRESHOLD, reset=peq.RESET,
                                 method="euler", name="storage_features", dt=p.dt)
        feature.polarity = np.r_[np.ones(n), -np.ones(n)]
        memory = b2.NeuronGroup(m, peq.MEMORY_EQS, threshold=peq.THRESHOLD, reset=peq.RESET, method="euler",
                                name="storage_memories", dt=p.dt)
        for group in (feature, memory):
            group.rate_max = p.rate_max
            group.phase = "rand()"
        f_idx, m_idx = np.meshgrid(np.arange(2 * n), np.arange(m), indexing="ij")
        keys = self._learning_synapses(feature, memory, peq.KEY_EQS, "storage_keys", p, f_idx.ravel(), m_idx.ravel())
        values = self._learning_synapses(memory, feature, peq.VALUE_EQS, "storage_values", p, m_idx.ravel(),
                                         f_idx.ravel())
        self.learning = (keys, values)
        self._compile(b2.Network(feature, memory, keys, values, name="modern_storage"), m * p.t_present, {
            "patterns": self.stimulus, "tau_trace": p.tau_trace, "t_present": p.t_present,
            "gate_fraction": p.gate_fraction}, key)

    def learn(self, bipolar: np.ndarray, params: peq.StorageParams) -> tuple[np.ndarray, np.ndarray]:
        """Learned keys and values (M x N each) for +-1 patterns presented in order.

        Feature i's key is the mean of its ON synapse and its OFF synapse with
        the sign undone, (w_on - w_off) / 2; its value the mean of the two.
        """
        if bipolar.shape != self.shape:
            raise ValueError(f"patterns of shape {bipolar.shape}, the storage network takes {self.shape}")
        m, n = self.shape
        self._run(np.c_[bipolar > 0, bipolar < 0].astype(float), params)
        # both synapse sets were connected in (feature neuron, memory) order
        k, v = (syn.w[:].reshape(2 * n, m).T for syn in self.learning)
        return (k[:, :n] - k[:, n:]) / 2.0, (v[:, :n] + v[:, n:]) / 2.0


def learned_model_arrays(couplings: np.ndarray, kind: str, coding_level: float) -> tuple[np.ndarray, np.ndarray]:
    """Couplings and biases for the classical network from learned couplings.

    Bipolar: b = -J 1 / 2 (half each neuron's summed incoming weight, as for
    the analytic couplings J = 2W, b = -W 1); sparse: b = -(1 - 2a).
    """
    bias = -couplings.sum(axis=1) / 2.0 if kind == "bipolar" else np.full(couplings.shape[0], -(1.0 - 2.0 * coding_level))
    return couplings, bias


def plastic_updates(model: str, n_patterns: int, n_features: int, params: peq.StorageParams) -> int:
    """Plastic weight updates of one storage run: every learning synapse is updated at every time
    step (a clock-driven rule): N (N - 1) recurrent synapses (classical) or 2 x 2N M key and value
    synapses (modern), for M presentations of t_present."""
    synapses = 4 * n_features * n_patterns if model == "modern" else n_features * (n_features - 1)
    return synapses * int(round(n_patterns * float(params.t_present / params.dt)))


class Learner:
    """Learns the weights of a run's points, keeping one storage build for as long as the shape and timing
    stay the same (learning rate, bound and forgetting rate change at run time), and each learned result
    (identical points learn once). Owned by the run that uses it: nothing is shared between runs.

    The storage network lives in Brian2's device until another network is built: use a learner for
    the points of one preparation, before the run's simulators are built.
    """

    def __init__(self):
        self._key, self._storage, self._learned = None, None, {}

    def _network(self, model: str, shape: tuple, level: float, seed: int, params: peq.StorageParams):
        structure = (params.t_present, params.gate_fraction, params.tau_trace, params.rate_max, params.dt)
        key = repr((model, shape, level, seed, structure))
        if key != self._key:
            if self._storage is not None:
                self._storage.close()
            self._storage = (ModernStorage(*shape, params, seed, key) if model == "modern"
                             else HebbianStorage(*shape, level, params, seed, key))
            self._key = key
        return key, self._storage

    def learn(self, stored: np.ndarray, kind: str, seed: int = 0,
              params: peq.StorageParams | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Couplings and biases of the classical network learned from ``stored`` patterns."""
        active = (stored > 0).astype(float)
        level = 0.5 if kind == "bipolar" else float(active.mean())
        params = params or peq.StorageParams()
        key, storage = self._network("classical", active.shape, level, seed, params)
        run_key = (key, active.tobytes(), repr(params))
        if run_key not in self._learned:
            self._learned[run_key] = learned_model_arrays(storage.learn(active, params), kind, level)
        return self._learned[run_key]

    def learn_modern(self, bipolar: np.ndarray, seed: int = 0,
                     params: peq.StorageParams | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Keys and values of the modern network learned from +-1 patterns (memory k recruited for pattern k)."""
        params = params or peq.StorageParams()
        key, storage = self._network("modern", bipolar.shape, 0.5, seed, params)
        run_key = (key, bipolar.tobytes(), repr(params))
        if run_key not in self._learned:
            self._learned[run_key] = storage.learn(bipolar, params)
        return self._learned[run_key]


def learn(stored: np.ndarray, kind: str, seed: int = 0,
          params: peq.StorageParams | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Couplings and biases of the classical network learned from ``stored`` patterns (a learner of its own)."""
    return Learner().learn(stored, kind, seed, params)


def learn_modern(bipolar: np.ndarray, seed: int = 0,
                 params: peq.StorageParams | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Keys and values of the modern network learned from +-1 patterns (a learner of its own)."""
    return Learner().learn_modern(bipolar, seed, params)
