"""Noise injection: composable perturbations, one strength parameter each.

| name | strength | acts on |
|---|---|---|
| ``cue_noise`` | fraction of cue entries flipped | the cue |
| ``cue_mask`` | fraction of cue entries masked (partial cue) | the cue |
| ``deletion`` | probability that an emitted spike is deleted | every neuron |
| ``background_rate`` | rate of extra Poisson spikes per neuron | every neuron |
| ``membrane_noise`` | std of Ornstein-Uhlenbeck input noise (through xi) | input variables |
| ``weight_noise`` | relative std of multiplicative synaptic weight noise | synapses |
| ``weight_bits`` | quantise synaptic weights to k bits, 1 to 32 (0: full precision) | synapses |
| ``weight_scale`` | how the k bits span the weights: ``spread`` or ``max`` (Loihi fixed point) | synapses |
| ``ablation`` | fraction of silenced neurons in each population | neurons |
| ``jitter`` | sd of independent spike-time displacements (s) | every neuron |

All of them combine in one run, and all vary at run time on one standalone
build, except that ``membrane_noise`` > 0 and ``jitter`` > 0 each add terms
to the equations (one more build each; their strengths then vary at run time). Weight noise, quantisation and
ablation are drawn afresh for every trial from the trial's random stream.
The numpy references see the cue perturbations only.

Spike-time jitter displaces every spike by an independent amount of sd
``jitter``: N(0, jitter^2) for the deterministic (regular) rate coders of the
modern feature layer (at run time on every build), a gamma(2) delay for
escape-noise neurons, which then fire at their rate filtered by that kernel
(exact for Poisson trains: :mod:`hopfield_brian.equations.jitter`; the
filters are in the equations only when jitter > 0, one more build).
"""

from __future__ import annotations

import numpy as np

from .errors import ConfigError
from .fixed_point import quantise_weights

WEIGHT_SCALES = ("spread", "max")
MAX_WEIGHT_BITS = 32  # 2**32 levels: finer than a float32 weight (quantise's 2**bits overflows from 1024 on)


def validate(config) -> None:
    """Checks beyond the parameters' declared ranges: bits 0 (full precision) or in [1, MAX_WEIGHT_BITS]."""
    if not 0 <= config.weight_bits <= MAX_WEIGHT_BITS:
        raise ConfigError(f"weight_bits must be >= 1 bit and <= {MAX_WEIGHT_BITS} bits (or 0 for full precision), "
                          f"got {config.weight_bits}")


def run_values(config, model) -> dict:
    """Run-time values of the spiking noise sources for the model's tunables."""
    out = {"deletion": config.deletion, "background_rate": config.background_rate}
    if getattr(model.params, "feature_coding", None) == "regular" or model.jittered:
        out["jitter"] = config.jitter
    if model.noisy:
        out["membrane_noise"] = config.membrane_noise
    return out


def quantise(w: np.ndarray, bits: int, scale: str = "spread") -> np.ndarray:
    """Quantise weights to ``bits`` bits (0: unchanged).

    ``scale='spread'``: one bit: sign(w) * mean|w| (the level that minimises the
    squared error of a sign quantiser). More bits: 2^bits evenly spaced levels
    from -r to r, r = min(max|w|, 3 std(w)), values beyond r clipped. +-1
    weights are exact at every precision. ``scale='max'``: Loihi's signed fixed
    point, :func:`hopfield_brian.fixed_point.quantise_weights`.
    """
    if scale == "max":
        return quantise_weights(w, bits)
    if bits == 0 or not np.any(w):
        return w
    if bits == 1:
        return np.sign(w) * np.mean(np.abs(w))
    r = min(float(np.max(np.abs(w))), 3.0 * float(np.std(w))) or float(np.max(np.abs(w)))
    step = 2.0 * r / (2**bits - 1)
    return np.round((np.clip(w, -r, r) + r) / step) * step - r


def trial_arrays(model, config, rng: np.random.Generator, patterns: dict | None) -> dict | None:
    """Per-trial arrays for the simulator: pattern weights (perturbed) and ablation masks.

    ``patterns``: the point's pattern arrays when they differ from the build's
    (None otherwise). Returns None when the build's own arrays serve unchanged.
    """
    perturb = config.weight_noise > 0 or config.weight_bits > 0
    if not (perturb or patterns is not None or config.ablation > 0):
        return None
    arrays = dict(patterns if patterns is not None else model.weight_values())
    if perturb:
        for name in model.synaptic_arrays:
            w = arrays[name] * (1.0 + config.weight_noise * rng.standard_normal(arrays[name].size))
            arrays[name] = quantise(w, config.weight_bits, config.weight_scale)
    if config.ablation > 0:
        for name, size in model.neuron_counts().items():
            alive = np.ones(size)
            alive[rng.choice(size, size=int(round(config.ablation * size)), replace=False)] = 0.0
            arrays[f"alive_{name}"] = alive
    return arrays
