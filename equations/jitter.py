"""Spike-time jitter of escape-noise (Poisson) neurons.

Displacing every point of a Poisson process of rate r(t) by an independent
delay D of density g gives a Poisson process of rate (r * g)(t) (the
displacement theorem; Kingman 1993, Poisson Processes, section 5.5). An
escape-noise neuron therefore emits exactly the jittered spike train of its
rate when it fires at the filtered rate instead. Here g is the gamma(2)
kernel s / tau^2 exp(-s / tau) of a two-stage exponential cascade, with
tau = jitter / sqrt(2): its sd is ``jitter`` (its mean, a delay of
sqrt(2) jitter, is the price of a causal displacement). This is exact in
continuous time; the stages are integrated by exponential Euler (each stage
exact for an input held over the step), so the kernel is right up to
O(dt / jitter). The regular rate coders jitter their spikes directly (see
:mod:`hopfield_brian.equations.modern`). Only in the equations when jitter is
switched on (a structural option, like membrane noise); ``jitter`` itself
varies at run time and must be >= dt.
"""

JITTER_EQS = """
jitter : second (shared, constant)       # sd of the spike-time jitter
dlag1/dt = (rate - lag1) * sqrt(2) / jitter : Hz  # first stage of the gamma(2) displacement kernel
dlag2/dt = (lag1 - lag2) * sqrt(2) / jitter : Hz  # second stage: the rate of the displaced spikes
"""


def method(noisy: bool, jittered: bool) -> str:
    """Integration method of an escape-noise group: exact when linear, exponential Euler with the
    jitter stages, Euler(-Maruyama) with input noise."""
    return "euler" if noisy else "exponential_euler" if jittered else "exact"


def threshold(template: str, jittered: bool, draw: str) -> str:
    """An escape-noise threshold ``template`` with ``{rate}`` firing at the jittered rate when switched on,
    and ``{draw}`` its uniform draw."""
    return template.format(rate="lag2" if jittered else "rate", draw=draw)
