"""Classical spiking Hopfield network with Hebbian couplings and global inhibition.

Hopfield (1982) and Amit, Gutfreund & Sompolinsky (1985) in spiking form:
binary units n_i in {0, 1} become escape-noise neurons that fire at
r_max sigma(h_i / T) (Glauber dynamics at temperature T), where the local
field h_i = sum_j J_ij n_j + b_i - g (A - a) is filtered from presynaptic
spikes. ``J`` and ``b`` are the Hebbian couplings of
:func:`hopfield_brian.reference.hebbian_couplings` (bipolar patterns, or
sparse {0, 1} patterns of coding level a as in Tsodyks & Feigel'man 1988).
A global inhibitory unit measures the population activity A and keeps it near
the coding level a.
"""

from dataclasses import dataclass

from hopfield_brian.config import param
from hopfield_brian.equations.counter_random import normal_draw
from hopfield_brian.units import Hz, Quantity, ms

NEURON_EQS = """
cue : 1 (constant)                       # cued activity of this neuron, 0 or 1
bias : 1 (constant)                      # Hebbian bias b_i
coding_level : 1 (shared, constant)      # mean activity a of the stored patterns
t_cue : second (shared, constant)        # end of the cue phase
rate_max : Hz (shared, constant)         # rate of an active neuron
temperature : 1 (shared, constant)       # Glauber temperature T of the escape noise
inhibition_gain : 1 (shared, constant)   # strength g of the global inhibition
alive : 1 (constant)                     # 0 for an ablated neuron
deletion : 1 (shared, constant)          # probability that a spike is deleted
background_rate : Hz (shared, constant)  # rate of background Poisson spikes
{h}population_activity : 1 (linked)         # population activity A, read from the inhibitory unit
field = h + bias - inhibition_gain * (population_activity - coding_level) : 1  # local field
clamped = int(t < t_cue) : 1             # 1 while the cue is presented
rate = rate_max * (clamped * cue + (1 - clamped) / (1 + exp(-field / temperature))) : Hz  # Glauber rate
"""

# The recurrent input, in float (below) or fixed point (equations/fixed_point.py, the same update
# with the decay exp(-dt / tau_syn) taken once per step and rounded).
H_FLOAT = "dh/dt = -h / tau_syn{noise_h} : 1        # recurrent input sum_j J_ij n_j, filtered from spikes\n"
H_WHAT = "recurrent input sum_j J_ij n_j, filtered from spikes"

INHIBITOR_EQS = """
dactivity/dt = -activity / tau_inhibition : 1  # fraction of active neurons, filtered from spikes
"""

RECURRENT_SYNAPSE = dict(
    model="w : 1 (constant)  # Hebbian coupling J_ij",
    on_pre="h_post += w / (rate_max_pre * tau_syn)",
)
ACTIVITY_SYNAPSE = dict(on_pre="activity_post += 1.0 / (n_neurons * rate_max_pre * tau_inhibition)")

# Streams of the trial's counter-based draws (equations/counter_random.py), one per place that draws
NEURON_FIRE, NEURON_NOISE = 1, 2
NEURON_SIZE = "n_neurons"  # neurons per trial

# Escape noise with spike deletion (thinning) and background Poisson spikes ({draw}: the uniform
# draw; {rate}: see jitter.py).
THRESHOLD = "{draw} < alive * ((1 - deletion) * {rate} + background_rate) * dt"

# Input noise ("membrane noise", Ornstein-Uhlenbeck) of std membrane_noise on the local field,
# whose signal is +-1, integrated by Euler-Maruyama (a standard normal draw per step, scaled by
# 1 / sqrt(dt), is the white noise). Only in the equations when switched on (structural option).
NOISE_H = f" + membrane_noise * sqrt(2 / (tau_syn * dt)) * {normal_draw(NEURON_NOISE)}"
NOISE_PARAMETER = "membrane_noise : 1 (shared, constant)  # std of the input noise\n"


@dataclass(frozen=True)
class ClassicalParams:
    """Parameters of the classical spiking Hopfield network."""

    rate_max: Quantity = param(200 * Hz, "rate of an active neuron", low=0 * Hz, strict=True)
    temperature: float = param(0.1, "Glauber temperature, in units of the pattern field (+-1)", low=0.0, strict=True)
    inhibition_gain: float = param(1.0, "strength of the global inhibition", low=0.0)
    tau_syn: Quantity = param(10 * ms, "synaptic filter of the recurrent input", low=0 * ms, strict=True, structural=True)
    tau_inhibition: Quantity = param(10 * ms, "filter of the population activity", low=0 * ms, strict=True, structural=True)
