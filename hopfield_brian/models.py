"""Network builders: explicit, named ``brian2.Network`` objects from the equations.

A builder returns a :class:`Built` network and never touches the device: the
device is chosen by the caller (see :mod:`hopfield_brian.simulator`). Every
quantity that may change between trials without changing the network's
structure (cue, seed, beta, rates, gains, cue duration) is a model variable,
listed in :attr:`Built.tunables`, so that standalone builds vary it through
``run_args`` without recompiling.

``build(replicas=K)`` puts K copies of the network, one trial each, in one
Brian2 network, as GeNN's ``batch_size`` runs replicas of one model (GeNN:
Yavuz, Turner & Nowotny 2016, Sci. Rep. 6:18854), so that every kernel launch
of a GPU serves K trials: each group holds its K copies one after the other
(replica-major), the synapses are block-diagonal (generated in the binary,
replica r's neurons connected to replica r's only), each replica has its own
hub unit (normaliser or inhibitor, whose summed and linked variables serve its
replica only) holding its trial's seed, and the cue holds the K trials' cues.
The pattern weights of K replicas are stored once, in a one-row table (a
``TimedArray``, set by run_args) from which every replica's synapses take theirs
when the binary starts. Replica r draws the random numbers its trial draws alone
(counter-based, by neuron index within the replica), so its spikes are those of
the trial run alone. Run-time parameters are shared by the K replicas.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hopfield_brian.equations import classical as ceq
from hopfield_brian.equations import counter_random as crand
from hopfield_brian.equations import fixed_point as fxeq
from hopfield_brian.equations import jitter as jeq
from hopfield_brian.equations import modern as meq

from .errors import ConfigError
from .reference import hebbian_couplings
from .units import brian2_params

MODELS = ("modern", "classical")


@dataclass
class Built:
    """A network ready to run, and how to drive and read it."""

    network: object  # brian2.Network
    namespace: dict
    cue: tuple  # (group, variable) that receives the per-trial cue
    seed: tuple  # (group, variable) holding the trial's random seed (of its counter-based draws)
    tunables: dict = field(default_factory=dict)  # parameter name -> [(group, variable)]
    trial_init: list = field(default_factory=list)  # (group, variable, expression) after seeding
    monitors: dict = field(default_factory=dict)  # population -> SpikeMonitor
    fanout: dict = field(default_factory=dict)  # population -> synapses per neuron of one replica (array)
    # name -> (group, variable, size, copies): arrays of `size` entries a batch of trials shares, set
    # `copies` times over (once per replica) in the variable
    arrays: dict = field(default_factory=dict)
    replicas: int = 1  # copies of the network, one trial each
    weight_init: list = field(default_factory=list)  # (synapses, variable, expression): replicas' weights

    def initialise_trial(self) -> None:
        """Set the ``trial_init`` expressions (with the network's namespace: they may draw)."""
        _set_expressions(self.trial_init, self.namespace)

    def initialise_weights(self) -> None:
        """Give every replica's synapses their weights from the tables (after the run args set them)."""
        _set_expressions(self.weight_init, self.namespace)


def _set_expressions(settings: list, namespace: dict) -> None:
    for group, var, expr in settings:
        getattr(group, var).set_item(slice(None), expr, namespace=namespace)


def replica_index(replicas: int, size: int) -> np.ndarray:
    """The replica of each neuron of a group of ``size`` neurons per replica (replica-major)."""
    return np.repeat(np.arange(replicas), size)


def block_diagonal(n_pre: int, n_post: int) -> str:
    """Brian2 generator syntax connecting each presynaptic neuron to every postsynaptic neuron of its own
    replica (``n_pre``, ``n_post``: neurons per replica), in the order of an all-to-all ``connect()``."""
    return f"k for k in range((i // {n_pre}) * {n_post}, (i // {n_pre} + 1) * {n_post})"


def _set_array(built: Built, name: str, group, var: str, values, copies: int) -> None:
    """Register (and set at build) a per-trial array of neuron values, one copy per replica."""
    values = np.asarray(values)
    built.arrays[name] = (group, var, values.size, copies)
    setattr(group, var, np.tile(values, copies) if copies > 1 else values)


def _set_weights(built: Built, name: str, synapses, values, local_index: str) -> None:
    """Register (and set at build) the pattern weights of ``synapses``: per synapse for one replica; with
    replicas in a one-row table, from which each synapse takes entry ``local_index`` (its index within its
    replica, an expression of i and j) when the binary starts."""
    import brian2 as b2

    values = np.asarray(values, dtype=float)
    if built.replicas == 1:
        _set_array(built, name, synapses, "w", values, 1)
        return
    table = b2.TimedArray(values[None, :], dt=1 * b2.second, name=f"{name}_table")
    built.namespace[table.name] = table
    built.arrays[name] = (table, "values", values.size, 1)
    built.weight_init.append((synapses, "w", f"{table.name}(0 * second, {local_index})"))


def _shared_constant(built: Built, name: str, group) -> None:
    built.tunables.setdefault(name, []).append((group, name))


def _state_equation(model, var: str, float_eq: str, what: str, noise: str) -> str:
    """Equation of state variable ``var``: its differential equation, or its fixed-point form."""
    if model.explicit_decay:
        return fxeq.variable(var, what, model.quantised_state)
    return float_eq.format(**{f"noise_{var}": noise})


def _fixed_point(built: Built, model, group, names) -> None:
    """The once-per-step fixed-point update of the state variables ``names`` of ``group`` (at the
    start of its state update, before the threshold reads them) and its run-time constants."""
    if not model.explicit_decay:
        return
    group.run_regularly("\n".join(fxeq.update(v, model.quantised_state) for v in names), when="groups",
                        order=group.order, name=f"{group.name}_fixed_point")
    for v in names:
        _shared_constant(built, f"decay_{v}", group)
        if model.quantised_state:
            _shared_constant(built, f"lsb_{v}", group)
    if model.quantised_state:
        _shared_constant(built, "state_levels", group)


def _check_fixed(noisy: bool, explicit_decay: bool) -> None:
    if noisy and explicit_decay:
        raise ConfigError("fixed-point state does not combine with input noise (it needs the differential equations)")


def _noise_constants(built: Built, groups, noisy: bool, jittered=()) -> None:
    for g in groups:
        _shared_constant(built, "deletion", g)
        _shared_constant(built, "background_rate", g)
        if noisy:
            _shared_constant(built, "membrane_noise", g)
    for g in jittered:
        _shared_constant(built, "jitter", g)


class ModernModel:
    """Bayesian spiking modern Hopfield network (see :mod:`hopfield_brian.equations.modern`).

    ``keys`` and ``values`` are (M, N) arrays of stored patterns; state and cue
    vectors have length N with entries in [-1, 1].
    """

    name = "modern"
    synaptic_arrays = ("keys", "values")
    batchable = True  # trials can share one binary run (see simulator)
    replicable = True  # build(replicas=K) runs K trials in one network

    def __init__(self, params: meq.ModernParams, keys: np.ndarray, values: np.ndarray | None = None,
                 noisy: bool = False, jittered: bool = False, quantised_state: bool = False,
                 explicit_decay: bool = False):
        """``quantised_state``, ``explicit_decay``: the fixed-point switches of
        :func:`hopfield_brian.fixed_point.modes` (u and y rounded to S bits; decayed once per step)."""
        _check_fixed(noisy, explicit_decay or quantised_state)
        if params.normalisation not in meq.NORMALISATIONS:
            raise ConfigError(
                f"unknown normalisation {params.normalisation!r}; choose from {', '.join(meq.NORMALISATIONS)}"
            )
        if params.feature_coding not in meq.FEATURE_CODINGS:
            raise ConfigError(
                f"unknown feature_coding {params.feature_coding!r}; choose from {', '.join(meq.FEATURE_CODINGS)}"
            )
        self.params = params
        self.keys = np.asarray(keys, dtype=float)
        self.values = self.keys if values is None else np.asarray(values, dtype=float)
        if self.values.shape[0] != self.keys.shape[0]:
            raise ConfigError(f"keys and values differ in count: {self.keys.shape[0]} != {self.values.shape[0]}")
        self.n_patterns, self.n_features = self.keys.shape
        self.noisy = noisy  # input noise terms in the equations (a structural option)
        self.jittered = jittered  # jitter filters for the Poisson populations (a structural option)
        self.quantised_state = quantised_state  # fixed-point u, y (a structural option)
        self.explicit_decay = explicit_decay or quantised_state  # once-per-step decay (a structural option)

    def structure(self) -> tuple:
        """What the compiled network depends on besides the parameters' structural fields."""
        return (self.name, self.n_features, self.n_patterns, self.noisy, self.jittered, self.quantised_state,
                self.explicit_decay)

    def options(self) -> dict:
        """The structural switches, as keyword arguments of the constructor (for a model of the same build
        with other values or run-time quantities)."""
        return {"noisy": self.noisy, "jittered": self.jittered, "quantised_state": self.quantised_state,
                "explicit_decay": self.explicit_decay}

    def state_taus(self) -> dict:
        """Time constant of each filtered state variable (the fixed-point decays)."""
        return {"u": self.params.tau_key, "y": self.params.tau_value}

    def state_ranges(self) -> dict:
        """Fixed-point range of each state variable: twice its largest mean, |K_mu . xi| <= sum_i |K_mu,i|
        for u and |(V^T p)_i| <= max_mu |V_mu,i| for y (see :mod:`hopfield_brian.fixed_point`)."""
        return {"u": 2.0 * float(np.max(np.abs(self.keys).sum(axis=1))), "y": 2.0 * float(np.max(np.abs(self.values)))}

    def runtime_values(self) -> dict:
        """Values of the tunable variables implied by the parameters."""
        p = self.params
        return {"beta": p.beta, "rate_feature": p.rate_feature, "rate_memory": p.rate_memory,
                "feedback_gain": p.feedback_gain}

    @property
    def summed_terms(self) -> int:
        """Terms of summed variables added at every time step (the exact normaliser's M)."""
        return self.n_patterns if self.params.normalisation == "exact" else 0

    @property
    def exponentials(self) -> int:
        """Exponentials computed at every time step: each memory neuron's evidence exp(beta u), and
        the winner-take-all's one shared exp(lateral)."""
        return self.n_patterns + int(self.params.normalisation == "wta")

    @property
    def hub(self) -> str:
        """The population of one neuron that normalises the memory layer: the exact normaliser or the
        winner-take-all's inhibitor."""
        return "normaliser" if self.params.normalisation == "exact" else "inhibitor"

    def fanout(self) -> dict:
        """Synapses per neuron of each spiking population: a feature spike reaches the M memory neurons, a
        memory spike the 2N features, and the inhibitor (wta); the exact normaliser is a summed variable
        (M additions per step, :attr:`summed_terms`), no synapse."""
        n, m = self.n_features, self.n_patterns
        return {"feature": np.full(2 * n, m), "memory": np.full(m, 2 * n + int(self.params.normalisation == "wta"))}

    def accounting(self) -> dict:
        """The network as :mod:`hopfield_brian.accountant` counts it: neurons, fan-out and per-step
        operations (the memory neurons' exponentials, the normaliser's summed additions or the inhibitor's
        exponential) of every population, and its stages (a memory spike's synaptic events are the value
        read-out)."""
        hub = self.hub
        return {"neurons": {**self.neuron_counts(), hub: 1}, "fanout": self.fanout(),
                "per_step": {"memory": {"exp": self.n_patterns},
                             hub: {"add": self.summed_terms, "exp": self.exponentials - self.n_patterns}},
                "stages": {"feature": "encoding", "memory": "memory and read-out", hub: "memory and read-out"}}

    def encode_cue(self, cue: np.ndarray) -> np.ndarray:
        """Per-neuron cue values: the ON and the OFF neuron of feature i both hold cue_i."""
        cue = np.asarray(cue, dtype=float)
        return np.concatenate([cue, cue])

    def decode_counts(self, counts: dict) -> np.ndarray:
        """State per feature from ON/OFF spike counts: sign(c_on - c_off) in {-1, 0, +1}."""
        c = counts["feature"]
        return np.sign(c[..., : self.n_features] - c[..., self.n_features :])

    def neuron_counts(self) -> dict:
        """Neurons of each recorded population."""
        return {"feature": 2 * self.n_features, "memory": self.n_patterns}

    def weight_values(self) -> dict:
        """Synaptic and bias arrays that store the patterns (run_args of a standalone build);
        computed once per model (4e6 entries at N = M = 1000), never to be modified."""
        if getattr(self, "_weights", None) is None:
            self._weights = {"keys": np.r_[self.keys.T, -self.keys.T].ravel(),  # row (i, mu): K_mu,i * polarity_i
                             "values": np.c_[self.values, self.values].ravel()}  # row (mu, j): V_mu,(j mod N)
        return self._weights

    def build(self, replicas: int = 1) -> Built:
        """The network (``replicas`` copies of it, one per trial: see the module's docstring)."""
        import brian2 as b2

        # not `k` for the replicas: connect() resolves the generators' names in these locals too
        p, n, m, copies = brian2_params(self.params), self.n_features, self.n_patterns, replicas
        noise = meq.NOISE_PARAMETER if self.noisy else ""
        levels = fxeq.STATE_LEVELS if self.quantised_state else ""
        feature_eqs = (meq.FEATURE_EQS.format(y=_state_equation(self, "y", meq.Y_FLOAT, meq.Y_WHAT,
                                                                meq.NOISE_Y if self.noisy else ""))
                       + noise + levels + crand.TRIAL_EQS.format(size=meq.FEATURE_SIZE))
        if p.feature_coding == "regular":
            feature = b2.NeuronGroup(copies * 2 * n, feature_eqs + meq.REGULAR_CODING_EQS,
                                     threshold=meq.REGULAR_THRESHOLD, events={"cycle": meq.REGULAR_CYCLE},
                                     method="euler", name="feature")
            feature.run_on_event("cycle", meq.REGULAR_CYCLE_RESET)
        else:
            feature = b2.NeuronGroup(copies * 2 * n, feature_eqs + (jeq.JITTER_EQS if self.jittered else ""),
                                     threshold=jeq.threshold(meq.POISSON_THRESHOLD, self.jittered,
                                                             crand.uniform_draw(meq.FEATURE_FIRE)),
                                     method="euler" if self.noisy or not self.jittered else "exponential_euler",
                                     name="feature")
        feature.polarity = np.tile(np.r_[np.ones(n), -np.ones(n)], copies)
        memory_eqs = (meq.MEMORY_EQS.format(u=_state_equation(self, "u", meq.U_FLOAT, meq.U_WHAT,
                                                              meq.NOISE_U if self.noisy else "")) + noise + levels
                      + (meq.EXACT_MEMORY_EQS if p.normalisation == "exact" else meq.WTA_MEMORY_EQS)
                      + (jeq.JITTER_EQS if self.jittered else "") + crand.TRIAL_EQS.format(size=meq.MEMORY_SIZE))
        memory = b2.NeuronGroup(copies * m, memory_eqs, threshold=jeq.threshold(meq.POISSON_THRESHOLD, self.jittered,
                                                                       crand.uniform_draw(meq.MEMORY_FIRE)),
                                method=jeq.method(self.noisy, self.jittered), name="memory")

        # all-to-all within each replica, presynaptic-major (the order of weight_values), generated in
        # the binary rather than loaded from index arrays; float32 weights halve the synapses' memory
        keys = b2.Synapses(feature, memory, name="keys", dtype={"w": np.float32}, **meq.KEY_SYNAPSE)
        keys.connect(j=block_diagonal(2 * n, m))
        values = b2.Synapses(memory, feature, name="values", dtype={"w": np.float32}, **meq.VALUE_SYNAPSE)
        values.connect(j=block_diagonal(m, 2 * n))

        hub_name = self.hub
        hub_eqs = meq.NORMALISER_EQS if p.normalisation == "exact" else meq.INHIBITOR_EQS
        hub = b2.NeuronGroup(copies, hub_eqs + crand.SEED_EQS, method="euler", name=hub_name)  # one per replica
        feature.trial_seed = b2.linked_var(hub, "trial_seed", index=replica_index(copies, 2 * n))
        memory.trial_seed = b2.linked_var(hub, "trial_seed", index=replica_index(copies, m))
        hub_link = b2.Synapses(memory, hub, name=f"memory_to_{hub_name}",
                               **(meq.SUMMED_EVIDENCE if p.normalisation == "exact" else meq.LATERAL_INHIBITION))
        hub_link.connect(j=f"i // {m}")
        if p.normalisation == "exact":
            memory.Z = b2.linked_var(hub, "Z", index=replica_index(copies, m))
            # Z must be summed from the u of wherever the rate is evaluated. Brian2 sums it just
            # before its target's state update (order - 1): right for the jitter filters, which read
            # the rate in the state update; the threshold reads it after the update, so without jitter
            # Z is summed after the state updates (else it lags u by a step, and the layer fires at
            # R exp(-beta du) instead of R)
            if not self.jittered:
                hub_link.summed_updaters["Z_post"].order = memory.order + 1
        else:
            memory.lateral = b2.linked_var(hub, "inhibition", index=replica_index(copies, m))

        monitors = {"feature": b2.SpikeMonitor(feature, record=True, name="feature_spikes"),
                    "memory": b2.SpikeMonitor(memory, record=True, name="memory_spikes")}
        net = b2.Network(feature, memory, hub, keys, values, hub_link, *monitors.values(), name="modern_hopfield")
        built = Built(network=net, cue=(feature, "cue"), seed=(hub, "trial_seed"), monitors=monitors,
                      namespace={"tau_key": p.tau_key, "tau_value": p.tau_value, "eta_inhibition": p.eta_inhibition,
                                 "n_features": n, "n_patterns": m, **crand.functions()},
                      fanout=self.fanout(), replicas=copies)
        weights = self.weight_values()
        _set_weights(built, "keys", keys, weights["keys"], "(i % (2 * n_features)) * n_patterns + j % n_patterns")
        _set_weights(built, "values", values, weights["values"],
                     "(i % n_patterns) * (2 * n_features) + j % (2 * n_features)")
        _set_array(built, "alive_feature", feature, "alive", np.ones(2 * n), copies)
        _set_array(built, "alive_memory", memory, "alive", np.ones(m), copies)
        _fixed_point(built, self, feature, ["y"])
        _fixed_point(built, self, memory, ["u"])
        _shared_constant(built, "beta", memory)
        _shared_constant(built, "rate_memory", memory)
        if p.normalisation == "wta":
            _shared_constant(built, "rate_memory", hub)
        _shared_constant(built, "rate_feature", feature)
        _shared_constant(built, "feedback_gain", feature)
        _shared_constant(built, "t_cue", feature)
        _shared_constant(built, "t_kick", feature)
        _shared_constant(built, "kick_duration", feature)
        _shared_constant(built, "kick_fraction", feature)
        poisson = [memory] + ([feature] if p.feature_coding == "poisson" else [])
        _noise_constants(built, (feature, memory), self.noisy, poisson if self.jittered else ())
        if p.feature_coding == "regular":
            _shared_constant(built, "jitter", feature)
            built.trial_init.append((feature, "phase", meq.REGULAR_INITIAL_PHASE))
            built.trial_init.append((feature, "target", "1"))
        return built


class ClassicalModel:
    """Classical spiking Hopfield network (see :mod:`hopfield_brian.equations.classical`).

    ``patterns`` is (M, N), bipolar or sparse; state and cue vectors are in the
    patterns' own coding ({-1, +1} or {0, 1}).
    """

    name = "classical"
    synaptic_arrays = ("recurrent",)
    batchable = True  # trials can share one binary run (see simulator)
    replicable = True  # build(replicas=K) runs K trials in one network

    def __init__(self, params: ceq.ClassicalParams, patterns: np.ndarray, kind: str, noisy: bool = False,
                 learned: tuple[np.ndarray, np.ndarray] | None = None, jittered: bool = False,
                 quantised_state: bool = False, explicit_decay: bool = False):
        """``learned``: couplings and biases learned by plasticity, instead of the analytic ones;
        ``quantised_state``, ``explicit_decay``: the fixed-point switches of
        :func:`hopfield_brian.fixed_point.modes` (h rounded to S bits; decayed once per step)."""
        _check_fixed(noisy, explicit_decay or quantised_state)
        self.quantised_state = quantised_state  # fixed-point h (a structural option)
        self.explicit_decay = explicit_decay or quantised_state  # once-per-step decay (a structural option)
        self.params = params
        self.noisy = noisy  # input noise terms in the equations (a structural option)
        self.jittered = jittered  # jitter filters in the equations (a structural option)
        self.kind = kind
        self.patterns = np.asarray(patterns, dtype=float)
        self.n_patterns, self.n_features = self.patterns.shape
        self.couplings, self.bias, self.coding_level = hebbian_couplings(self.patterns, kind)
        self.learned = learned is not None  # couplings learned by plasticity rather than the analytic ones
        if learned is not None:
            self.couplings, self.bias = learned

    def structure(self) -> tuple:
        """What the compiled network depends on besides the parameters' structural fields
        (the number of patterns is not among them: it only changes the couplings)."""
        return (self.name, self.n_features, self.noisy, self.jittered, self.quantised_state, self.explicit_decay)

    def state_taus(self) -> dict:
        """Time constant of each filtered state variable (the fixed-point decays)."""
        return {"h": self.params.tau_syn}

    def state_ranges(self) -> dict:
        """Fixed-point range of h: twice its largest mean, |sum_j J_ij n_j| <= sum_j |J_ij|
        (see :mod:`hopfield_brian.fixed_point`)."""
        return {"h": 2.0 * float(np.max(np.abs(self.couplings).sum(axis=1)))}

    def runtime_values(self) -> dict:
        p = self.params
        return {"rate_max": p.rate_max, "temperature": p.temperature, "inhibition_gain": p.inhibition_gain}

    def accounting(self) -> dict:
        """The network as :mod:`hopfield_brian.accountant` counts it: a spike reaches the N - 1 others and
        the inhibitor (the simulator's fan-out, :meth:`build`); no per-step operation beyond the updates."""
        n = self.n_features
        return {"neurons": {"neuron": n, "inhibitor": 1}, "fanout": {"neuron": np.full(n, n)}, "per_step": {}}

    def encode_cue(self, cue: np.ndarray) -> np.ndarray:
        """Cued activity n in {0, 1}; masked bipolar entries (0) are cued silent."""
        cue = np.asarray(cue, dtype=float)
        return (cue > 0).astype(float)

    def decode_counts(self, counts: dict) -> np.ndarray:
        """State from spike counts in the pattern coding ({-1,+1} or {0,1}).

        A neuron is active when its rate reaches a quarter of ``rate_max``
        (inactive neurons fire at ~rate_max exp(-1/T), active ones at ~rate_max,
        so the Poisson counts of the two overlap little there).
        """
        active = (counts["neuron"] >= 0.25 * float(self.params.rate_max) * counts["window"]).astype(float)
        return 2.0 * active - 1.0 if self.kind == "bipolar" else active

    def neuron_counts(self) -> dict:
        """Neurons of each recorded population."""
        return {"neuron": self.n_features}

    def weight_values(self) -> dict:
        """Couplings (all pairs i != j, presynaptic-major) and biases that store the patterns;
        computed once per model, never to be modified."""
        if getattr(self, "_weights", None) is None:
            pre, post = self._pairs()
            self._weights = {"recurrent": self.couplings[post, pre], "bias": self.bias,
                             "coding_level": self.coding_level}
        return self._weights

    def _pairs(self):
        pre, post = np.nonzero(~np.eye(self.n_features, dtype=bool))
        return pre, post

    def build(self, replicas: int = 1) -> Built:
        """The network (``replicas`` copies of it, one per trial: see the module's docstring)."""
        import brian2 as b2

        p, n, copies = brian2_params(self.params), self.n_features, replicas
        eqs = ceq.NEURON_EQS.format(h=_state_equation(self, "h", ceq.H_FLOAT, ceq.H_WHAT,
                                                      ceq.NOISE_H if self.noisy else "")) + (
            ceq.NOISE_PARAMETER if self.noisy else "") + (jeq.JITTER_EQS if self.jittered else "") + (
            fxeq.STATE_LEVELS if self.quantised_state else "") + crand.TRIAL_EQS.format(size=ceq.NEURON_SIZE)
        neurons = b2.NeuronGroup(copies * n, eqs, threshold=jeq.threshold(ceq.THRESHOLD, self.jittered,
                                                                 crand.uniform_draw(ceq.NEURON_FIRE)),
                                 method=jeq.method(self.noisy, self.jittered), name="neuron")
        inhibitor = b2.NeuronGroup(copies, ceq.INHIBITOR_EQS + crand.SEED_EQS, method="exact", name="inhibitor")
        neurons.trial_seed = b2.linked_var(inhibitor, "trial_seed", index=replica_index(copies, n))
        recurrent = b2.Synapses(neurons, neurons, name="recurrent", **ceq.RECURRENT_SYNAPSE)
        # all pairs i != j within each replica, generated in the binary; presynaptic-major, the order of _pairs
        recurrent.connect(j=f"{block_diagonal(n, n)} if k != i")
        to_inhibitor = b2.Synapses(neurons, inhibitor, name="neuron_to_inhibitor", **ceq.ACTIVITY_SYNAPSE)
        to_inhibitor.connect(j=f"i // {n}")
        neurons.population_activity = b2.linked_var(inhibitor, "activity", index=replica_index(copies, n))
        monitors = {"neuron": b2.SpikeMonitor(neurons, record=True, name="neuron_spikes")}
        net = b2.Network(neurons, inhibitor, recurrent, to_inhibitor, *monitors.values(), name="classical_hopfield")
        built = Built(network=net, cue=(neurons, "cue"), seed=(inhibitor, "trial_seed"), monitors=monitors,
                      namespace={"tau_syn": p.tau_syn, "tau_inhibition": p.tau_inhibition, "n_neurons": n,
                                 **crand.functions()},
                      fanout={"neuron": np.full(n, n)}, replicas=copies)
        weights = self.weight_values()
        # the index of synapse (i, j) among the n - 1 of its presynaptic neuron skips j = i
        _set_weights(built, "recurrent", recurrent, weights["recurrent"],
                     "(i % n_neurons) * (n_neurons - 1) + j % n_neurons - int(j % n_neurons > i % n_neurons)")
        _set_array(built, "bias", neurons, "bias", weights["bias"], copies)
        _set_array(built, "coding_level", neurons, "coding_level", weights["coding_level"], 1)
        _set_array(built, "alive_neuron", neurons, "alive", np.ones(n), copies)
        _fixed_point(built, self, neurons, ["h"])
        _shared_constant(built, "rate_max", neurons)
        _shared_constant(built, "temperature", neurons)
        _shared_constant(built, "inhibition_gain", neurons)
        _shared_constant(built, "t_cue", neurons)
        _noise_constants(built, (neurons,), self.noisy, (neurons,) if self.jittered else ())
        return built
