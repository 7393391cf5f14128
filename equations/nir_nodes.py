"""Brian2 equations of the NIR 1.0 primitives that :mod:`hopfield_brian.nir_import` builds.

NIR (Pedersen et al. 2024, "Neuromorphic intermediate representation: a
unified instruction set for interoperable brain-inspired computing", Nat
Commun 15:8122) defines its neurons as continuous-time dynamical systems; the
equations below are those of the ``nir`` package's docstrings (version 1.0),
with times in seconds and every other quantity dimensionless:

* LIF: tau dv/dt = (v_leak - v) + R I; spike when v > v_threshold, then v = v_reset.
* IF: dv/dt = R I (R in 1/s); same threshold and reset. I: the same without spikes.
* LI: the LIF's membrane without spikes.
* CubaLIF: tau_syn dI/dt = -I + w_in S and tau_mem dv/dt = (v_leak - v) + R I;
  CubaLI: the same without spikes.
* Threshold: z = 1 when its input exceeds ``threshold``, else 0.

The input I of a node is the sum of what its incoming edges carry: spikes
(Dirac deltas, a jump of the state by the weight times R / tau, R, or
w_in / tau_syn: on_pre below, the jump precomputed per synapse) and analog
signals (summed variables ``I_k``, held over a time step) plus constant
biases. Every equation is linear in its state with inputs held over a step,
so the single-variable ones are integrated exactly by Brian2's ``exact``
method; the CubaLIF's two variables use the exact propagator of
:data:`CUBA_STEP`, whose coefficients the importer computes per neuron
(Brian2's symbolic solution divides by tau_mem - tau_syn, which is 0 when the
two are equal, as in many exported networks).
"""

import numpy as np

INPUTS = """
I_in = bias{ports} : 1                   # analog input: constant biases plus the summed analog edges
bias : 1 (constant)                      # constant input from Affine biases upstream
"""
PORT = "I_{k} : 1                                # analog edge {k}, summed by its synapses\n"

LIF_EQS = """
dv/dt = (v_leak - v + r * I_in) / tau : 1{unless}  # tau dv/dt = (v_leak - v) + R I
tau : second (constant)                  # membrane time constant
r : 1 (constant)                         # resistance R
v_leak : 1 (constant)                    # leak potential
"""
LI_EQS = LIF_EQS

IF_EQS = """
dv/dt = r * I_in : 1{unless}             # dv/dt = R I
r : hertz (constant)                     # resistance R (per second)
"""
I_EQS = IF_EQS

CUBA_EQS = """
v : 1                                    # membrane potential
I : 1                                    # synaptic current
r : 1 (constant)                         # resistance R
v_leak : 1 (constant)                    # leak potential
w_in : 1 (constant)                      # input weight of the synaptic current
decay_syn : 1 (constant)                 # exp(-dt / tau_syn)
decay_mem : 1 (constant)                 # exp(-dt / tau_mem)
cross : 1 (constant)                     # the current's share of v over one step, see cross_term()
"""
# Exact over one step with the input held: v uses the current at the step's start, then I decays.
CUBA_STEP = """
v = v_leak + r * w_in * I_in + (v - v_leak - r * w_in * I_in) * decay_mem + r * (I - w_in * I_in) * cross  # tau_mem dv/dt = (v_leak - v) + R I
I = w_in * I_in + (I - w_in * I_in) * decay_syn  # tau_syn dI/dt = -I + w_in S
"""

SPIKING = """
v_threshold : 1 (constant)               # spike when v > v_threshold
v_reset : 1 (constant)                   # potential after a spike
"""
THRESHOLD = "v > v_threshold"
RESET = "v = v_reset"

THRESHOLD_EQS = """
gate = int(I_in > threshold) : 1         # Heaviside step of the input
threshold : 1 (constant)                 # step position
"""

INPUT_EQS = "x = {signal}(t, i) : 1                 # the input's value in this time step (spikes: 0 or 1)\n"
INPUT_THRESHOLD = "x > 0.5"

SPIKE_SYNAPSE = dict(model="w : 1 (constant)  # jump of the target's state per spike",
                     on_pre="{state}_post += w")
ANALOG_SYNAPSE = "w : 1 (constant)  # weight\nI_{k}_post = w * {output}_pre : 1 (summed)  # analog edge\n"


def cross_term(tau_syn, tau_mem, dt):
    """The CubaLIF membrane's response over one step to a unit current at its start, decaying with
    tau_syn: tau_syn / (tau_syn - tau_mem) (exp(-dt/tau_syn) - exp(-dt/tau_mem)), whose limit at
    tau_syn = tau_mem is dt / tau exp(-dt / tau) (arrays of seconds)."""
    tau_syn, tau_mem = np.broadcast_arrays(np.asarray(tau_syn, float), np.asarray(tau_mem, float))
    same = np.isclose(tau_syn, tau_mem, rtol=1e-9, atol=0)
    gap = np.where(same, 1.0, tau_syn - tau_mem)
    general = tau_syn / gap * (np.exp(-dt / tau_syn) - np.exp(-dt / tau_mem))
    return np.where(same, dt / tau_mem * np.exp(-dt / tau_mem), general)
