"""Fixed-point (Loihi-style) arithmetic for the rate-coded networks.

Loihi computes in integers: 8-bit synaptic weights with a shared exponent per
synapse group, 24-bit membrane and synaptic state, 12-bit decay constants
(Davies et al. 2018, IEEE Micro 38(1):82-99). Here W weight bits, S state bits
and D decay bits are chosen by ``weight_bits`` (with ``weight_scale='max'``),
``state_bits`` and ``decay_bits``; 0 keeps floating point, the default.

* Rounding: round to nearest, ties up, ``floor(x + 1/2)``, in numpy and in
  the generated code alike (Brian2's code has ``floor``, not ``round``).
  Saturating: values beyond the largest level are clipped to it.
* Weights: signed W-bit integers times one scale per synapse population,
  chosen so that max|w| maps to 2^(W-1) - 1 (Loihi's weights with a shared
  exponent; the range is symmetric, -2^(W-1) is not used). W = 1 is the sign
  bit alone: no magnitude level is left and every weight is 0.
* State (the synaptic input variables: the classical network's h, the modern
  network's key overlap u and value read-out y): signed S-bit integers, one
  LSB = R / (2^(S-1) - 1), where R, the variable's range, is twice the largest
  mean it can take (the largest absolute row sum of its incoming weights with
  every input at full activity: :meth:`state_ranges` of the models); the
  factor 2 leaves room for the shot noise of the spikes around that mean.
  The coders' phases, the inhibitors and the normaliser stay in float.
* Decay: the per-step factor exp(-dt / tau) rounded to D fractional bits,
  floor(2^D exp(-dt / tau) + 1/2) / 2^D (Loihi's u <- u (2^12 - delta) / 2^12).
  When the factor rounds to 1 the variable no longer decays.

With S or D > 0, the state variables leave their differential equations for
an explicit once-per-step update x <- Q_S(d_D x) (exact for dx/dt = -x / tau
between spikes); the spikes' increments of the previous step are in x when it
is rounded. Whether that update and the rounding are in the code is structural
(S > 0, D > 0: one build each); the bit widths themselves only change the
values decay_x, lsb_x and state_levels and vary at run time.
"""

from __future__ import annotations

import numpy as np

from .errors import ConfigError
from .units import seconds

MAX_BITS = 32


def round_nearest(x):
    """Round to nearest, ties up: floor(x + 1/2) (the rule of the generated code)."""
    return np.floor(np.asarray(x, dtype=float) + 0.5)


def levels(bits: int) -> int:
    """Largest magnitude of a symmetric signed ``bits``-bit integer: 2^(bits-1) - 1."""
    return 2 ** (bits - 1) - 1


def quantise_weights(w: np.ndarray, bits: int) -> np.ndarray:
    """Signed ``bits``-bit weights with one shared scale: max|w| -> 2^(bits-1) - 1 (0 bits: unchanged)."""
    w = np.asarray(w, dtype=float)
    top = float(np.max(np.abs(w))) if w.size else 0.0
    if bits == 0 or top == 0.0:
        return w
    n = levels(bits)
    if n == 0:
        return np.zeros_like(w)
    step = top / n
    return np.clip(round_nearest(w / step), -n, n) * step


def quantise_state(x, lsb: float, bits: int):
    """State ``x`` as a saturating signed ``bits``-bit integer of step ``lsb`` (the generated code's rule)."""
    n = levels(bits)
    return np.clip(round_nearest(np.asarray(x, dtype=float) / lsb), -n, n) * lsb


def decay_factor(dt: float, tau: float, bits: int) -> float:
    """Per-step decay exp(-dt / tau), rounded to ``bits`` fractional bits (0: exact)."""
    d = float(np.exp(-dt / tau))
    return d if bits == 0 else float(round_nearest(d * 2.0**bits)) / 2.0**bits


def validate(config) -> None:
    """State and decay bits in [0, MAX_BITS]; fixed-point state has no input-noise (SDE) form."""
    for name in ("state_bits", "decay_bits"):
        if not 0 <= getattr(config, name) <= MAX_BITS:
            raise ConfigError(f"{name} must be 0 (float) or 1 to {MAX_BITS} bits, got {getattr(config, name)}")
    if config.state_bits == 1:
        raise ConfigError("state_bits = 1 leaves the sign bit alone (no level): use 0 (float) or at least 2 bits")
    if (config.state_bits or config.decay_bits) and config.membrane_noise > 0:
        raise ConfigError("fixed-point state (state_bits or decay_bits > 0) does not combine with "
                          "membrane_noise > 0 (input noise needs the differential equations)")


def modes(config) -> tuple[bool, bool]:
    """Structural switches of a run: (state rounded, decay explicit)."""
    return config.state_bits > 0, config.state_bits > 0 or config.decay_bits > 0


def run_values(config, model) -> dict:
    """Run-time values of the fixed-point state: decay_x, lsb_x per state variable and state_levels."""
    if not model.explicit_decay:
        return {}
    dt = seconds(config.dt, "dt")
    out = {}
    ranges = model.state_ranges()
    for var, tau in model.state_taus().items():
        out[f"decay_{var}"] = decay_factor(dt, seconds(tau, var), config.decay_bits)
        if model.quantised_state:
            out[f"lsb_{var}"] = (ranges[var] or 1.0) / levels(config.state_bits)
    if model.quantised_state:
        out["state_levels"] = float(levels(config.state_bits))
    return out
