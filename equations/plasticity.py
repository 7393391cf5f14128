"""Hebbian storage: the classical network's couplings learned from spikes.

Each neuron keeps an activity trace (its spike train low-pass filtered and
divided by ``rate_max``, ~1 when it fires at ``rate_max``, ~0 when silent).
While a pattern is presented (the network clamped to it, Hopfield 1982 /
Amit et al. 1985 storage: the pattern drives its active neurons to fire
regularly at ``rate_max``, random phases), every recurrent synapse follows the
covariance rule
(Sejnowski 1977; Tsodyks & Feigel'man 1988 for sparse patterns)

    dw/dt = gate * eta / (f T) * 2 / (N a (1 - a)) * (trace_pre - a)(trace_post - a) - forget_rate * w

where T is the presentation time, the gate opens for the last fraction f of
each presentation (after the traces have settled) and a is the coding level.
With a soft bound w_max > 0 the covariance term is multiplied by
(1 - sign(term) w / w_max): weights saturate, so that large learning rates
overwrite old memories (a palimpsest, Parisi 1986; Amit & Fusi 1994).
With eta = 1, no forgetting and clean traces, every pattern adds exactly its
Hebbian term: w converges on :func:`hopfield_brian.reference.hebbian_couplings`.
``forget_rate`` > 0 makes old memories decay as new ones are written
(stability versus plasticity).

Modern network (Krotov & Hopfield 2021 bipartite form): pattern k is presented
to the ON/OFF feature pairs (the ON neuron of a +1 entry, the OFF neuron of a
-1 entry fire at ``rate_max``) while memory neuron k is recruited for it
(driven to fire during presentation k: one memory unit allocated per pattern,
as hidden units are in dense associative memories). Key synapses (feature ->
memory) learn the feature's signed activity gated by the memory's activity,
value synapses (memory -> feature) the memory's activity times the feature's
signed activity, so that with eta = 1 they converge on K_k,i * polarity_i and
V_k,i. A memory's synapses change only while it is active: storing new
patterns does not overwrite old ones, only ``forget_rate`` makes them fade.
"""

from dataclasses import dataclass

from hopfield_brian.config import param
from hopfield_brian.units import Hz, Quantity, ms

NEURON_EQS = """
stimulus = patterns(t, i) : 1            # presented pattern (0/1), one row per presentation
rate_max : Hz (shared, constant)         # rate of an active neuron
dphase/dt = rate_max * stimulus : 1      # the presented pattern drives the neuron to fire regularly
dactivity/dt = -activity / tau_trace : 1  # activity estimate n_i from the neuron's own spikes
"""
THRESHOLD = "phase >= 1"
RESET = "phase -= 1; activity += 1.0 / (rate_max * tau_trace)"

LEARNING_EQS = """
eta : 1 (shared, constant)               # learning rate (1: one Hebbian term per presentation)
forget_rate : Hz (shared, constant)      # passive decay of the weights
w_max : 1 (shared, constant)             # soft bound on |w| (0: unbounded)
gate = int((t / t_present - floor(t / t_present)) > 1 - gate_fraction) : 1  # learning window
{hebb}
bound = int(w_max > 0) * sign(hebb) * w / (w_max + int(w_max <= 0)) : 1  # soft bound: growth slows near +-w_max
dw/dt = hebb * (1 - bound) - forget_rate * w : 1 (clock-driven)  # bounded Hebbian rule with decay
"""
RATE = "gate * eta / (gate_fraction * t_present)"  # one full term per presentation with eta = 1
SYNAPSE_EQS = LEARNING_EQS.format(hebb=f"hebb = {RATE} * hebb_scale * (activity_pre - coding_level) * (activity_post - coding_level) : Hz  # covariance term")

# Modern network: ON/OFF feature neurons driven by the pattern, memory k recruited in presentation k.
FEATURE_EQS = """
drive = patterns(t, i) : 1               # 1 for the ON neuron of a +1 entry and the OFF neuron of a -1 entry
polarity : 1 (constant)                  # +1 for the ON, -1 for the OFF neuron of a feature
rate_max : Hz (shared, constant)         # rate of a driven neuron
dphase/dt = rate_max * drive : 1         # the presented pattern drives the neuron to fire regularly
dactivity/dt = -activity / tau_trace : 1  # activity estimate from the neuron's own spikes
"""
MEMORY_EQS = """
drive = int(abs(floor(t / t_present) - i) < 0.5) : 1  # memory i is recruited during presentation i
rate_max : Hz (shared, constant)         # rate of a recruited memory neuron
dphase/dt = rate_max * drive : 1         # the recruited memory fires regularly
dactivity/dt = -activity / tau_trace : 1  # activity estimate from the neuron's own spikes
"""
KEY_EQS = LEARNING_EQS.format(hebb=f"hebb = {RATE} * (2 * activity_pre - 1) * activity_post : Hz  # feature's signed activity, gated by the memory's")
VALUE_EQS = LEARNING_EQS.format(hebb=f"hebb = {RATE} * activity_pre * polarity_post * (2 * activity_post - 1) : Hz  # memory's activity times the feature's signed state")


@dataclass(frozen=True)
class StorageParams:
    """Parameters of Hebbian storage by plasticity."""

    t_present: Quantity = param(200 * ms, "presentation time T of each pattern")
    gate_fraction: float = param(0.75, "learning during the last fraction f of each presentation")
    tau_trace: Quantity = param(20 * ms, "time constant of the activity traces")
    rate_max: Quantity = param(200 * Hz, "rate of an active neuron while a pattern is presented")
    dt: Quantity = param(0.1 * ms, "time step of the storage simulation")
    eta: float = param(1.0, "learning rate")
    forget_rate: Quantity = param(0 * Hz, "passive weight decay (0: no forgetting)")
    w_max: float = param(0.0, "soft bound on |w| (0: unbounded)")
