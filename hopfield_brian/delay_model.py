"""Network builder of the delay-based spatio-temporal memory (equations in
:mod:`hopfield_brian.equations.delay_memory`).

:class:`DelayModel` has the interface :class:`hopfield_brian.simulator.Simulator`
expects (``build`` -> :class:`hopfield_brian.models.Built`, ``encode_cue``,
``structure``, ``runtime_values``), so one compiled network runs many trials
through ``run_args``.

What is fixed by a build and what varies per trial (Brian2 2.10.1):

* Synaptic delays store the patterns. cpp_standalone accepts equation
  variables in ``run_args`` but not ``Synapses.delay`` (SCIENCE.md section 8),
  so the stored key/value patterns, and with them the delays, belong to the
  build: a different pattern set is a rebuild.
* Per trial: the cue (``cue_time`` per feature neuron, negative = silent), the
  seed, the detection threshold, background noise and the set of memories
  that take part (``alive`` per memory). Loads (capacity curves) therefore run
  on one build holding the largest pattern set: a point with M memories
  silences all but the first M, which is the network that stores only those
  (silenced memories never fire, so their synapses never act).
"""

from __future__ import annotations

import hashlib

import numpy as np

from hopfield_brian import spatiotemporal as st
from hopfield_brian.equations import counter_random as crand
from hopfield_brian.equations import delay_memory as deq

from .errors import ConfigError
from .models import Built, _shared_constant
from .units import brian2_params


class DelayModel:
    """Delay-line memory of spatio-temporal patterns.

    ``keys`` (M, N): latencies (s, NaN = silent) detected by memory mu;
    ``values`` (M, N): latencies the winner mu replays (default: the keys; a
    row of all NaN replays nothing, e.g. the last element of a sequence).
    ``cycle`` is T and ``dt`` the simulation step (every latency on its grid).
    """

    name = "delay"
    batchable = True  # trials can share one binary run (see simulator: queues emptied per trial)

    def __init__(self, params: deq.DelayParams, keys, values=None, *, cycle, dt):
        self.params = params
        self.cycle, self.dt = float(cycle), float(dt)
        self.keys = st.validate_latencies(keys, self.cycle, self.dt, source="stored patterns")
        if values is None:
            self.values = self.keys
        else:
            v = np.array(values, dtype=float, ndmin=2)
            if v.shape != self.keys.shape:
                raise ConfigError(f"values have shape {v.shape}, keys {self.keys.shape}")
            rows = ~np.isnan(v).all(axis=1)
            v[rows] = st.validate_latencies(v[rows], self.cycle, self.dt, source="value patterns")
            self.values = v
        self.n_patterns, self.n_features = self.keys.shape
        for f in ("tau_memory", "tau_feature", "tau_inhibition", "memory_refractory", "feature_refractory"):
            if not float(getattr(params, f)) > 0:
                raise ConfigError(f"{f} must be positive, got {getattr(params, f)}")
        if not 0 < params.detection_threshold < 1:
            raise ConfigError(f"detection_threshold must lie in (0, 1), got {params.detection_threshold}")
        if params.value_weight <= 1 or params.eta_inhibition < 0:
            raise ConfigError("value_weight must be > 1 (the feature threshold) and eta_inhibition >= 0")
        # every delay must be representable: at least one time step
        st.check_delays(st.detection_delays(self.keys, self.cycle), self.dt, "detection delay T - t_i")
        st.check_delays(self.values, self.dt, "replay delay t_i")

    @property
    def period(self) -> float:
        """Replay period P = T + LOOP_STEPS dt (s): cycle k of the replay starts at k P."""
        return self.cycle + deq.LOOP_STEPS * self.dt

    def structure(self) -> tuple:
        """What the compiled network depends on: sizes and the stored delays."""
        digest = hashlib.sha1(np.nan_to_num(self.keys, nan=-1).tobytes()
                              + np.nan_to_num(self.values, nan=-1).tobytes()).hexdigest()[:16]
        return (self.name, self.n_features, self.n_patterns, self.cycle, digest)

    def runtime_values(self) -> dict:
        return {"detection_threshold": self.params.detection_threshold}

    def encode_cue(self, cue) -> np.ndarray:
        """Per-neuron cue spike times (s) from a latency row (NaN = no cue spike -> -1 s)."""
        cue = np.asarray(cue, dtype=float)
        return np.where(np.isnan(cue), -1.0, cue)

    def neuron_counts(self) -> dict:
        return {"feature": self.n_features, "memory": self.n_patterns}

    def key_synapses(self):
        """``(feature, memory, weight, delay in s)`` of every key synapse."""
        mu, i = np.nonzero(~np.isnan(self.keys))
        k = (~np.isnan(self.keys)).sum(axis=1)
        return i, mu, 1.0 / k[mu], self.cycle - self.keys[mu, i]

    def value_synapses(self):
        """``(memory, feature, delay in s)`` of every value synapse."""
        mu, i = np.nonzero(~np.isnan(self.values))
        return mu, i, self.values[mu, i]

    def build(self) -> Built:
        """The network, one trial's (its synapses are given by index arrays with their delays: no replicas)."""
        import brian2 as b2

        p, n, m = brian2_params(self.params), self.n_features, self.n_patterns
        feature = b2.NeuronGroup(n, deq.FEATURE_EQS + crand.TRIAL_EQS.format(size=deq.FEATURE_SIZE),
                                 threshold=deq.FEATURE_THRESHOLD, reset=deq.FEATURE_RESET,
                                 refractory=p.feature_refractory, method="exact", name="feature")
        memory = b2.NeuronGroup(m, deq.MEMORY_EQS, threshold=deq.MEMORY_THRESHOLD, reset=deq.MEMORY_RESET,
                                refractory=p.memory_refractory, method="exact", name="memory")
        inhibitor = b2.NeuronGroup(1, deq.INHIBITOR_EQS + crand.SEED_EQS, method="exact", name="inhibitor")
        feature.trial_seed = b2.linked_var(inhibitor, "trial_seed", index=np.zeros(n, dtype=int))
        memory.alive = 1
        feature.cue_time = -1 * b2.second

        pre, post, w, delay = self.key_synapses()
        keys = b2.Synapses(feature, memory, name="keys", **deq.KEY_SYNAPSE)
        keys.connect(i=pre, j=post)
        keys.w = w
        keys.delay = delay * b2.second
        pre_v, post_v, delay_v = self.value_synapses()
        values = b2.Synapses(memory, feature, name="values", **deq.VALUE_SYNAPSE)
        if pre_v.size:
            values.connect(i=pre_v, j=post_v)
            values.w = p.value_weight
            values.delay = delay_v * b2.second
        to_inhibitor = b2.Synapses(memory, inhibitor, name="memory_to_inhibitor", **deq.LATERAL_INHIBITION)
        to_inhibitor.connect()
        memory.lateral = b2.linked_var(inhibitor, "inhibition", index=np.zeros(m, dtype=int))

        monitors = {"feature": b2.SpikeMonitor(feature, record=True, name="feature_spikes"),
                    "memory": b2.SpikeMonitor(memory, record=True, name="memory_spikes")}
        net = b2.Network(feature, memory, inhibitor, keys, values, to_inhibitor, *monitors.values(),
                         name="delay_memory")
        built = Built(network=net, cue=(feature, "cue_time"), seed=(inhibitor, "trial_seed"), monitors=monitors,
                      namespace={"tau_memory": p.tau_memory, "tau_feature": p.tau_feature,
                                 "tau_inhibition": p.tau_inhibition, "eta_inhibition": p.eta_inhibition,
                                 "n_features": n, **crand.functions()},
                      fanout={"feature": np.bincount(pre, minlength=n),
                              "memory": np.bincount(pre_v, minlength=m) + 1},
                      arrays={"alive_memory": (memory, "alive", m, 1)})
        _shared_constant(built, "detection_threshold", memory)
        _shared_constant(built, "background_rate", feature)
        return built
