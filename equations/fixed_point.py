"""Fixed-point state variables: an explicit once-per-step decay, rounded to S bits.

A state variable x of dx/dt = -x / tau (plus spike increments) becomes a plain
variable updated at the start of every step by x <- d x, the exact solution
between spikes with d = exp(-dt / tau), here rounded to D bits; with S state
bits the result is rounded to the nearest multiple of the LSB (ties up) and
saturated at +-state_levels LSBs (see :mod:`hopfield_brian.fixed_point`; Loihi:
Davies et al. 2018, IEEE Micro 38(1):82-99).
"""


def variable(var: str, what: str, quantised: bool) -> str:
    """Equation lines of state variable ``var`` and its run-time constants."""
    lines = [f"{var} : 1  # {what}, decayed once per step (fixed point)",
             f"decay_{var} : 1 (shared, constant)  # per-step decay factor of {var}, rounded to D bits"]
    if quantised:
        lines.append(f"lsb_{var} : 1 (shared, constant)  # one state LSB of {var}")
    return "\n".join(lines) + "\n"


STATE_LEVELS = "state_levels : 1 (shared, constant)  # largest state magnitude in LSBs, 2^(S-1) - 1\n"


def update(var: str, quantised: bool) -> str:
    """Once-per-step update of ``var``: decay, then (S bits) round to nearest, ties up, and saturate."""
    if not quantised:
        return f"{var} = decay_{var} * {var}"
    return f"{var} = clip(floor(decay_{var} * {var} / lsb_{var} + 0.5), -state_levels, state_levels) * lsb_{var}"
