"""Sparsely connected excitatory-inhibitory network of Brunel (2000), model A.

Brunel N (2000) "Dynamics of sparsely connected networks of excitatory and
inhibitory spiking neurons", J Comput Neurosci 8:183-208. Leaky
integrate-and-fire neurons (tau = 20 ms, threshold 20 mV, reset 10 mV,
refractory 2 ms), N_E = 4 N_I, connection probability eps = 0.1, every
synapse a delta current of J (excitatory) or -g J (inhibitory) after a delay
D = 1.5 ms, and C_E external Poisson inputs of weight J at rate
nu_ext = eta nu_thr, nu_thr = theta / (J C_E tau). Brunel's Fig. 8: g = 3,
eta = 2 is synchronous regular (SR); g = 5, eta = 2 is asynchronous irregular
(AI).

Scaled down here from N_E = 10,000 (C_E = 1,000, J = 0.1 mV) to a few
thousand neurons at the same eps, with J scaled as 1 / C_E so that the mean
recurrent input J C_E, hence nu_thr and the mean-field phase diagram, stay
Brunel's. ``g`` and ``eta`` are run-time constants: one build serves every point.
"""

from dataclasses import dataclass

from hopfield_brian.config import param
from hopfield_brian.units import Quantity, mV, ms

NEURON_EQS = """
dv/dt = -v / tau : volt (unless refractory)  # membrane potential (rest 0 mV), leaky integration
g : 1 (shared, constant)                     # relative strength of inhibition
eta : 1 (shared, constant)                   # external rate in units of the threshold rate nu_thr
trial_seed : integer (shared, constant)      # random seed of the run
"""
THRESHOLD = "v > theta"  # spike when the membrane crosses theta
RESET = "v = v_reset"  # reset after a spike
EXCITATORY_SYNAPSE = dict(on_pre="v_post += J")  # excitatory delta current of J
INHIBITORY_SYNAPSE = dict(on_pre="v_post -= g_post * J")  # inhibitory delta current of -g J
# External input: C_E Poisson sources per neuron at nu_ext = eta * nu_thr, nu_thr = theta / (J C_E tau),
# each a jump of J: their sum is one Poisson count of mean C_E nu_ext dt per step (run every step).
EXTERNAL_INPUT = "v += J * poisson(eta * theta / (J * tau) * dt)"


@dataclass(frozen=True)
class BrunelParams:
    """Model A of Brunel 2000 (his Table / Section 2), scaled to ``n_excitatory`` neurons."""

    n_excitatory: int = param(2000, "N_E (Brunel: 10,000); N_I = N_E / 4")
    epsilon: float = param(0.1, "connection probability")
    J_reference: Quantity = param(0.1 * mV, "PSP amplitude at Brunel's C_E = 1,000")
    tau: Quantity = param(20 * ms, "membrane time constant")
    theta: Quantity = param(20 * mV, "firing threshold")
    v_reset: Quantity = param(10 * mV, "reset potential")
    refractory: Quantity = param(2 * ms, "absolute refractory period")
    delay: Quantity = param(1.5 * ms, "synaptic delay D")

    @property
    def c_excitatory(self) -> int:
        """C_E = eps N_E excitatory (and external) inputs per neuron."""
        return int(round(self.epsilon * self.n_excitatory))

    @property
    def J(self) -> Quantity:
        """PSP amplitude scaled as 1 / C_E (J C_E = 100 mV as in Brunel 2000)."""
        return self.J_reference * 1000 / self.c_excitatory
