"""Network builder of the shared delay memory (equations in :mod:`hopfield_brian.equations.shared_delay`).

:class:`SharedDelayModel` has the interface :class:`hopfield_brian.simulator.Simulator`
expects (``build`` -> :class:`hopfield_brian.models.Built`, ``encode_cue``,
``structure``, ``runtime_values``, ``weight_values``). Unlike
:class:`hopfield_brian.delay_model.DelayModel`, whose delays are the stored
patterns (one build per pattern set), the delays here are the fixed contacts
of every feature-detector pair and the patterns are in the binary weights:
the build depends on N, H, T and dt only, and a load M (or another pattern
set, or another number of detectors per pattern) is a run-time weight array.
"""

from __future__ import annotations

import numpy as np

from hopfield_brian import spatiotemporal as st
from hopfield_brian.equations import shared_delay as seq

from . import shared_memory as sm
from .delay_model import DelayModel
from .errors import ConfigError
from .models import Built, _shared_constant


class SharedDelayModel:
    """Coincidence detectors sharing their delay contacts among the stored patterns.

    ``latencies`` (M, N): stored patterns (s, NaN = silent) on the dt grid in
    [dt, T); ``detectors`` (M, c): the detectors each pattern is stored in.
    """

    name = "shared"
    batchable = True  # trials can share one binary run (no plasticity; spike queues emptied per trial)

    def __init__(self, params: seq.SharedParams, latencies, detectors, n_detectors: int, *, cycle, dt):
        self.params = params
        self.cycle, self.dt = float(cycle), float(dt)
        self.slots = sm.slot_count(self.cycle, self.dt)
        given = np.asarray(latencies, dtype=float)
        checked = st.validate_latencies(given, self.cycle, self.dt, source="stored patterns")
        # keep the caller's array when it is already on the grid: the points of a load curve hold views
        # of one pattern set instead of a copy each
        self.latencies = given if np.array_equal(given, checked, equal_nan=True) else checked
        st.check_delays(self.latencies, self.dt, "latency t_i (a contact delay T - t_i must stay below T)")
        self.detectors = np.asarray(detectors, dtype=np.int64)
        self.n_patterns, self.n_features = self.latencies.shape
        self.n_detectors = int(n_detectors)
        if self.detectors.ndim != 2 or self.detectors.shape[0] != self.n_patterns:
            raise ConfigError(f"detectors must be (M, copies) = ({self.n_patterns}, c), got {self.detectors.shape}")
        if self.detectors.size and (self.detectors.min() < 0 or self.detectors.max() >= self.n_detectors):
            raise ConfigError(f"detector indices must lie in 0..{self.n_detectors - 1}")
        self._contacts = self._weights = None

    @property
    def n_synapses(self) -> int:
        """N H S contacts, set or not."""
        return self.n_features * self.n_detectors * self.slots

    def structure(self) -> tuple:
        """What the compiled network depends on (the patterns are not: they are in the weights)."""
        return (self.name, self.n_features, self.n_detectors, self.cycle, self.dt)

    def runtime_values(self) -> dict:
        return {"theta": self.params.theta}

    encode_cue = DelayModel.encode_cue  # the same cue as the delay memory's: one spike time per feature

    def neuron_counts(self) -> dict:
        return {"feature": self.n_features, "detector": self.n_detectors}

    def contacts(self) -> np.ndarray:
        """The binary contacts ``(N, H, S)`` that store the patterns (computed once)."""
        if self._contacts is None:
            self._contacts = sm.willshaw_weights(self.latencies, self.detectors, self.n_detectors, self.cycle,
                                                 self.dt)
        return self._contacts

    def weight_values(self) -> dict:
        """The contacts as the synapses' weights (run_args of a standalone build), in synapse order;
        computed once (the same array object for every trial, so that trials batch together)."""
        if self._weights is None:
            self._weights = {"weights": self.contacts().ravel().astype(np.float32)}
        return self._weights

    def build(self) -> Built:
        import brian2 as b2

        n, h, slots = self.n_features, self.n_detectors, self.slots
        feature = b2.NeuronGroup(n, seq.FEATURE_EQS, threshold=seq.FEATURE_THRESHOLD, reset=seq.FEATURE_RESET,
                                 name="feature")
        feature.cue_time = -1 * b2.second
        detector = b2.NeuronGroup(h, seq.DETECTOR_EQS, threshold=seq.DETECTOR_THRESHOLD,
                                 reset=seq.DETECTOR_RESET, name="detector")
        detector.run_regularly(seq.WINDOW_RESET, when="before_synapses", name="detector_window")
        # every pair, presynaptic-major, its S contacts in a row: the order of weight_values
        contacts = b2.Synapses(feature, detector, name="contacts", dtype={"w": np.float32}, **seq.CONTACT_SYNAPSE)
        contacts.connect(n=slots)
        contacts.delay = seq.CONTACT_DELAY
        monitors = {"feature": b2.SpikeMonitor(feature, record=True, name="feature_spikes"),
                    "detector": b2.SpikeMonitor(detector, record=True, name="detector_spikes")}
        net = b2.Network(feature, detector, contacts, *monitors.values(), name="shared_delay_memory")
        built = Built(network=net, cue=(feature, "cue_time"), seed=(detector, "trial_seed"), monitors=monitors,
                      namespace={}, fanout={"feature": np.full(n, h * slots), "detector": np.zeros(h, dtype=int)},
                      arrays={"weights": (contacts, "w", self.n_synapses, 1)})
        contacts.w = self.weight_values()["weights"]
        _shared_constant(built, "theta", detector)
        return built
