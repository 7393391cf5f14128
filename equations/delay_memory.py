"""Delay-based spiking memory of spatio-temporal spike patterns and sequences.

A pattern gives feature neuron i one spike at latency t_i in a cycle of
length T, or none (see :mod:`hopfield_brian.spatiotemporal`). Storage is in
synaptic delays (SCIENCE.md section 4; polychronous groups, Izhikevich 2006,
Neural Comput 18:245; delay learning for spike-time patterns, Gerstner et al.
1993, Biol Cybern 69:503):

* Key synapses (feature i -> memory mu) carry delay d_i = T - t_i and weight
  1 / K_mu (K_mu active neurons of the pattern): a presentation starting at
  cycle time 0 lands every spike of pattern mu on memory mu at time T, in
  coincidence. Memory neurons are leaky coincidence detectors that fire when
  the coincident fraction of their pattern exceeds ``threshold``.
* Memories compete through a soft winner-take-all as in the modern model's
  ``wta`` normalisation (Nessler et al. 2013, PLoS Comput Biol 9:e1003037):
  every memory spike raises a shared inhibitory unit, read back by all
  memories as a linked variable that raises their effective threshold, so the
  first (best-matching) detector silences the others for this cycle.
* Value synapses (memory mu -> feature i) carry delay t_i of the value pattern
  and a supra-threshold weight, so the winner re-emits its value pattern in the
  next cycle. Auto-association (values = keys) replays the cued pattern;
  hetero-association (values = the next pattern of a sequence) makes the
  replay of element k cue element k + 1 (asymmetric transitions with a delay,
  Sompolinsky & Kanter 1986, Phys Rev Lett 57:2861; Kleinfeld 1986, PNAS
  83:9469).

Timing: an input applied in step k is seen by the threshold of step k + 1, so
a memory fires one dt after its coincidence and a feature one dt after its
feedback arrives. The replay cycle therefore starts ``LOOP_STEPS`` dt later
than T: the replay period is P = T + 2 dt.

Per-trial input goes through a per-neuron constant ``cue_time`` (negative:
no cue spike) compared with ``t``, so cues, jitter, deletions and partial cues
are run-time values of a standalone build. Delays are fixed by the build.
"""

from dataclasses import dataclass

from hopfield_brian.config import param
from hopfield_brian.equations.counter_random import uniform_draw
from hopfield_brian.units import Quantity, ms

LOOP_STEPS = 2  # time steps between a coincidence at T and the start of the replay cycle

FEATURE_EQS = """
dv/dt = -v / tau_feature : 1 (unless refractory)  # replay potential, raised by value (feedback) spikes
cue_time : second (constant)             # this neuron's cue spike time (negative: no cue spike)
cued : 1                                 # 1 once the cue spike has been emitted
background_rate : Hz (shared, constant)  # rate of extra background Poisson spikes
cue_due = int(cue_time >= 0 * second and t >= cue_time - 0.5 * dt and cued == 0) : 1  # the cue spike is due now
"""
FEATURE_BACKGROUND = 1  # stream of the background spikes' draws (equations/counter_random.py)
FEATURE_SIZE = "n_features"  # feature neurons per trial
FEATURE_THRESHOLD = f"cue_due > 0 or v > 1 or {uniform_draw(FEATURE_BACKGROUND)} < background_rate * dt"
FEATURE_RESET = "cued = cued + cue_due; v = 0"

MEMORY_EQS = """
dv/dt = -v / tau_memory : 1 (unless refractory)  # coincidence potential: fraction of the pattern arrived lately
alive : 1 (constant)                     # 1 for a memory stored in this trial, 0 for a silenced one
detection_threshold : 1 (shared, constant)  # coincident fraction of a pattern needed to fire
lateral : 1 (linked)                     # shared inhibition, read from the inhibitory unit
"""
MEMORY_THRESHOLD = "alive > 0 and v - lateral > detection_threshold"
MEMORY_RESET = "v = 0"

INHIBITOR_EQS = """
dinhibition/dt = -inhibition / tau_inhibition : 1  # soft winner-take-all inhibition, decays after each winner
"""

KEY_SYNAPSE = dict(
    model="w : 1 (constant)  # 1 / K_mu: each of the K_mu spikes of pattern mu adds its share",
    on_pre="v_post += w",
)
VALUE_SYNAPSE = dict(
    model="w : 1 (constant)  # value weight, above the feature threshold (one winner replays)",
    on_pre="v_post += w",
)
LATERAL_INHIBITION = dict(on_pre="inhibition_post += eta_inhibition")


@dataclass(frozen=True)
class DelayParams:
    """Parameters of the delay-based spatio-temporal memory."""

    detection_threshold: float = param(0.3, "coincident fraction of a stored pattern a memory needs to fire")
    tau_memory: Quantity = param(5 * ms, "memory (coincidence detector) membrane time constant", low=0 * ms, strict=True, structural=True)
    tau_feature: Quantity = param(2 * ms, "feature membrane time constant", low=0 * ms, strict=True, structural=True)
    tau_inhibition: Quantity = param(5 * ms, "decay of the winner-take-all inhibition", low=0 * ms, strict=True, structural=True)
    eta_inhibition: float = param(1.0, "inhibition per memory spike, in units of the memory input", structural=True)
    value_weight: float = param(2.0, "weight of a value (feedback) synapse; the feature threshold is 1", structural=True)
    memory_refractory: Quantity = param(100 * ms, "a memory fires at most once in this time (> the period: one replay)", structural=True)
    feature_refractory: Quantity = param(2 * ms, "a feature fires at most once in this time", structural=True)
