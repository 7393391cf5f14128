"""Shared delay memory: spike-time patterns stored in one pool of coincidence detectors.

Unlike :mod:`hopfield_brian.equations.delay_memory`, where each stored
pattern owns a memory neuron and its delays, every pattern here is written
into the same synapses of a fixed pool of H detector neurons, so that stored
patterns interfere (``docs/shared_memory.md`` derives the capacity).

* Feature neuron i emits one spike per cycle at the cue's latency t_i.
* Every feature reaches every detector through S contacts, contact k with
  delay (k + 1) dt, k = 0 .. S - 1 (S = T / dt - 1: one contact per latency
  slot; a multi-contact, polychronous wiring, Izhikevich 2006, Neural Comput
  18:245; delay selection among many contacts, Gerstner, Ritz & van Hemmen
  1993, Biol Cybern 69:503; heterogeneous delays, Grimaldi & Perrinet 2023,
  Biol Cybern 117:373).
* Contacts are binary: a stored pattern sets w = 1 on the contact of delay
  T - t_i from each of its active features to each detector it is assigned
  to, and weights are clipped at 1 (the clipped Hebbian rule of the Willshaw
  net, Willshaw, Buneman & Longuet-Higgins 1969, Nature 222:960, here on
  delays as in Hopfield 1995, Nature 376:33). The weights are a run-time
  array: a different pattern set reruns the same compiled network.
* A detector counts the inputs arriving in one time step and fires when the
  count reaches theta: a coincidence detector whose window is one delay slot
  (the limit of a leaky integrator with a membrane time constant short
  against dt). The stored pattern's spikes all arrive at cycle time T; other
  contacts set by other patterns make false coincidences at any time.

Timing: an input arriving in step k is counted by the threshold of step
k + 1, so the detectors of a cued stored pattern fire at T + dt
(``READOUT_STEPS``). Inputs arrive at most at 2 T - 2 dt: a trial of 2 T
holds every spike a cue can cause.
"""

from dataclasses import dataclass

from hopfield_brian.config import param

READOUT_STEPS = 1  # a coincidence at T is seen by the detectors' threshold one step later

FEATURE_EQS = """
cue_time : second (constant)             # this neuron's cue spike time (negative: no cue spike)
cued : 1                                 # 1 once the cue spike has been emitted
"""
FEATURE_THRESHOLD = "cued == 0 and cue_time >= 0 * second and t >= cue_time - 0.5 * dt"
FEATURE_RESET = "cued = 1"

DETECTOR_EQS = """
count : 1                                # inputs that arrived in the last time step (one delay slot)
theta : 1 (shared, constant)             # coincident inputs a detector needs to fire
trial_seed : integer (shared, constant)  # random seed of the trial (nothing here draws from it)
"""
DETECTOR_THRESHOLD = "count >= theta"
DETECTOR_RESET = ""  # nothing: the window reset clears the count every step
WINDOW_RESET = "count = 0"  # run before the synapses of each step: the count holds one step's arrivals

CONTACT_SYNAPSE = dict(
    model="w : 1 (constant)  # 1 where a stored pattern set this contact (clipped Hebbian), else 0",
    on_pre="count_post += w",
    multisynaptic_index="contact",
)
CONTACT_DELAY = "(contact + 1) * dt"  # contact k of a feature-detector pair: delay (k + 1) dt


@dataclass(frozen=True)
class SharedParams:
    """Parameters of the shared delay memory's detectors."""

    theta: int = param(14, "coincident inputs a detector needs to fire (the Willshaw threshold)", low=1)
