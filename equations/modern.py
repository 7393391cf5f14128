"""Bayesian spiking modern Hopfield network (bipartite feature / memory layers).

Krotov & Hopfield (2021, arXiv 2008.06996) show that a bipartite network of
feature neurons and memory neurons with two-body synapses reduces to the dense
associative memory of Ramsauer et al. (2020, arXiv 2008.02217),
xi <- V softmax(beta K xi). Here the memory neurons are escape-noise units whose
rates are R softmax(beta u), u_mu = K_mu . xi, so that each memory spike is one
sample of the attention posterior (Nessler, Pfeiffer, Buesing & Maass 2013,
PLoS Comput Biol 9:e1003037; Buesing et al. 2011).

* Feature layer: ON/OFF pairs, one pair per entry xi_i in [-1, 1]; the ON
  neuron fires at rate r_f [xi_i]_+, the OFF neuron at r_f [-xi_i]_+.
  ``regular`` coding integrates the rate to a threshold (deterministic
  sigma-delta / integrate-and-fire rate coder); ``poisson`` coding fires with
  probability rate * dt per step.
* Key synapses (feature -> memory) carry K_mu,i with the feature's polarity;
  the filtered sum is an unbiased estimate of K_mu . xi.
* Memory layer: rate_mu = R exp(beta u_mu) / Z with either
  ``exact`` divisive normalisation (Z = sum_nu exp(beta u_nu), a summed
  variable into one normaliser neuron, read back through a linked variable) or
  a ``wta`` soft winner-take-all (Nessler et al. 2013): Z = exp(I), where I is a
  lateral inhibitory unit that rises with every memory spike and decays so
  that the layer fires at R on average.
* Value synapses (memory -> feature) carry V_mu,i; their filtered sum y_i is an
  estimate of (V^T softmax(beta K xi))_i, which drives the feature layer once
  the cue is released.
* Kick (stability tests): in [t_kick, t_kick + kick_duration) the first
  ``kick_fraction`` of the features are clamped to minus their cue (a state
  started on a stored pattern has that fraction flipped); the rest run free.
  All three are run-time constants, zero (no kick) unless a trial sets them.
"""

from dataclasses import dataclass

from hopfield_brian.config import param
from hopfield_brian.equations.counter_random import normal_draw, uniform_draw
from hopfield_brian.units import Hz, Quantity, ms

NORMALISATIONS = ("exact", "wta")
FEATURE_CODINGS = ("regular", "poisson")

FEATURE_EQS = """
polarity : 1 (constant)                  # +1 for the ON, -1 for the OFF neuron of a feature
cue : 1 (constant)                       # cued value of this feature, in [-1, 1]
t_cue : second (shared, constant)        # end of the cue phase
rate_feature : Hz (shared, constant)     # rate of a fully active ON or OFF neuron
feedback_gain : 1 (shared, constant)     # gain of the value feedback in the free phase
alive : 1 (constant)                     # 0 for an ablated neuron
deletion : 1 (shared, constant)          # probability that a spike is deleted
background_rate : Hz (shared, constant)  # rate of background Poisson spikes
{y}clamped = int(t < t_cue) : 1             # 1 while the cue is presented
t_kick : second (shared, constant)       # start of the kick (a second clamp window)
kick_duration : second (shared, constant)  # length of the kick (0: no kick)
kick_fraction : 1 (shared, constant)     # share of features (the first ones) flipped by the kick
kicked = int(t >= t_kick and t < t_kick + kick_duration and i % n_features < kick_fraction * n_features) : 1  # 1 while this feature is kicked
free = clip(feedback_gain * y, -1, 1) : 1  # free-running state: the value feedback
s = clamped * cue + (1 - clamped) * (kicked * (-cue) + (1 - kicked) * free) : 1  # coded state xi_i
rate = rate_feature * clip(polarity * s, 0, 1) : Hz  # half-wave rectified rate of this ON/OFF neuron
"""

# The filtered inputs, in float (below) or fixed point (equations/fixed_point.py, the same update
# with the decays exp(-dt / tau) taken once per step and rounded).
Y_FLOAT = "dy/dt = -y / tau_value{noise_y} : 1      # value read-out V^T p, filtered from memory spikes\n"
Y_WHAT = "value read-out V^T p, filtered from memory spikes"
U_FLOAT = "du/dt = -u / tau_key{noise_u} : 1        # key overlap K_mu . xi, filtered from feature spikes\n"
U_WHAT = "key overlap K_mu . xi, filtered from feature spikes"

REGULAR_CODING_EQS = """
dphase/dt = alive * rate : 1             # integrate-and-fire phase of the rate coder
target : 1                               # phase of the next cycle: 1, displaced by the spike-time jitter
jitter : second (shared, constant)       # sd of the spike-time jitter (0: none)
"""

MEMORY_EQS = """
{u}beta : 1 (shared, constant)              # inverse temperature on unnormalised dot products
rate_memory : Hz (shared, constant)      # total rate R of the memory layer
alive : 1 (constant)                     # 0 for an ablated neuron
deletion : 1 (shared, constant)          # probability that a spike is deleted
background_rate : Hz (shared, constant)  # rate of background Poisson spikes
evidence = alive * exp(beta * u) : 1     # unnormalised posterior weight of memory mu
rate = rate_memory * evidence / Z : Hz   # posterior-sampling rate R softmax(beta u)_mu
"""

EXACT_MEMORY_EQS = """
Z : 1 (linked)                           # partition function sum_nu exp(beta u_nu), from the normaliser
"""

NORMALISER_EQS = """
Z : 1                                    # partition function, summed from the memory layer
"""

WTA_MEMORY_EQS = """
lateral : 1 (linked)                     # lateral inhibition I, read from the inhibitory unit
Z = exp(lateral) : 1                     # soft winner-take-all normaliser
"""

INHIBITOR_EQS = """
rate_memory : Hz (shared, constant)      # target rate of the memory layer
dinhibition/dt = -eta_inhibition * rate_memory : 1  # inhibition decays at the target rate
"""

KEY_SYNAPSE = dict(
    model="w : 1 (constant)  # key entry K_mu,i times the polarity of the feature neuron",
    on_pre="u_post += w / (rate_feature_pre * tau_key)",
)
VALUE_SYNAPSE = dict(
    model="w : 1 (constant)  # value entry V_mu,i",
    on_pre="y_post += w / (rate_memory_pre * tau_value)",
)
SUMMED_EVIDENCE = dict(model="Z_post = evidence_pre : 1 (summed)")
LATERAL_INHIBITION = dict(on_pre="inhibition_post += eta_inhibition")

# Streams of the trial's counter-based draws (equations/counter_random.py), one per place that draws
FEATURE_FIRE, FEATURE_DELETE, FEATURE_BACKGROUND, FEATURE_PHASE, FEATURE_JITTER, FEATURE_NOISE = range(1, 7)
MEMORY_FIRE, MEMORY_NOISE = 7, 8
FEATURE_SIZE, MEMORY_SIZE = "(2 * n_features)", "n_patterns"  # neurons of a group per trial

# Escape noise with spike deletion (thinning) and background Poisson spikes ({draw}: the group's
# uniform draw; {rate}: see jitter.py).
POISSON_THRESHOLD = "{draw} < alive * ((1 - deletion) * {rate} + background_rate) * dt"
# Regular coding: every crossing of the target phase is a cycle (custom event, subtracts one
# period); the cycle emits a spike unless deleted; background spikes come on top. Spike-time
# jitter: each cycle's target is 1 + rate * delta, delta ~ N(0, jitter^2), so that spike k sits
# at its unjittered time plus its own delta (displacements are independent: the period is always
# subtracted whole). That holds while jitter is small against the period (<= 0.3 / rate, 1.5 ms
# at 200 Hz): delta is clipped to one period either way and spikes cannot swap order, so larger
# jitters bunch spikes and spread them less than asked. The phases start uniform in (0, 1).
REGULAR_THRESHOLD = (f"(phase >= target and (deletion == 0 or {uniform_draw(FEATURE_DELETE)} >= deletion)) or "
                     f"(background_rate > 0 * Hz and {uniform_draw(FEATURE_BACKGROUND)} < alive * background_rate * dt)")
REGULAR_CYCLE = "phase >= target"
REGULAR_CYCLE_RESET = f"phase -= 1; target = clip(1 + rate * jitter * {normal_draw(FEATURE_JITTER)}, 0, 2)"
REGULAR_INITIAL_PHASE = uniform_draw(FEATURE_PHASE, step="0")

# Input noise ("membrane noise", Ornstein-Uhlenbeck), integrated by Euler-Maruyama: a standard
# normal draw per step, scaled by 1 / sqrt(dt), is the white noise xi. Std membrane_noise * sqrt(N)
# on the key overlap u (the crosstalk of one random pattern is ~sqrt(N)) and membrane_noise on
# the value read-out y. Only in the equations when switched on (structural option).
NOISE_U = f" + membrane_noise * sqrt(2 * n_features / (tau_key * dt)) * {normal_draw(MEMORY_NOISE)}"
NOISE_Y = f" + membrane_noise * sqrt(2 / (tau_value * dt)) * {normal_draw(FEATURE_NOISE)}"
NOISE_PARAMETER = "membrane_noise : 1 (shared, constant)  # std of the input noise\n"


@dataclass(frozen=True)
class ModernParams:
    """Parameters of the Bayesian spiking modern Hopfield network."""

    beta: float = param(0.1, "inverse temperature on unnormalised +-1 dot products (Ramsauer et al. 2020)", low=0.0)
    rate_feature: Quantity = param(200 * Hz, "rate of a fully active feature neuron", low=0 * Hz, strict=True)
    rate_memory: Quantity = param(500 * Hz, "total rate R of the memory layer", low=0 * Hz, strict=True)
    tau_key: Quantity = param(20 * ms, "filter of feature spikes into the memory input", low=0 * ms, strict=True, structural=True)
    tau_value: Quantity = param(20 * ms, "filter of memory spikes into the feature feedback", low=0 * ms, strict=True, structural=True)
    feedback_gain: float = param(1.0, "gain of the value feedback in the free phase", low=0.0)
    eta_inhibition: float = param(0.05, "inhibition per memory spike (wta only)", low=0.0, strict=True, structural=True)
    normalisation: str = param("exact", "'exact' divisive normalisation or 'wta' lateral inhibition", choices=NORMALISATIONS, structural=True)
    feature_coding: str = param("regular", "'regular' integrate-and-fire or 'poisson' rate coding", choices=FEATURE_CODINGS, structural=True)
