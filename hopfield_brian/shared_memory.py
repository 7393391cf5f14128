"""Storage and numpy reference of the shared delay memory (:mod:`hopfield_brian.equations.shared_delay`).

Patterns are latency arrays as in :mod:`hopfield_brian.spatiotemporal`
(``(M, N)`` seconds, NaN = silent), on the dt grid in [dt, T). Pattern mu is
assigned to ``copies`` distinct detectors drawn at random, and the clipped
Hebbian rule of the Willshaw net (Willshaw, Buneman & Longuet-Higgins 1969,
Nature 222:960) sets the contact of delay T - t_i from each active feature i
to each of them: w[i, h, k] = 1 where k = S - t_i / dt (contact k delays by
(k + 1) dt), whatever other patterns wrote there before. The weight array's
order (feature, detector, contact) is the order of the network's synapses.

:func:`detector_spikes` is the network computed without Brian2: a detector
fires one step after a step in which at least theta inputs arrived. The
compiled network must reproduce it spike for spike.
"""

from __future__ import annotations

import numpy as np

from .equations.shared_delay import READOUT_STEPS
from .errors import ConfigError
from .spatiotemporal import GRID_TOL

ASSIGNMENT_TAG = 0x5EA7ED  # seeds the detector assignment with [tag, seed], apart from the trials' [seed, trial]
ROWS_PER_DRAW = 4096  # patterns whose assignment is drawn at once (bounds the memory of a large M)


def slot_count(cycle: float, dt: float) -> int:
    """S, the latency slots k dt in [dt, T) (and contacts per feature-detector pair): T / dt - 1."""
    steps = cycle / dt
    if abs(steps - round(steps)) > GRID_TOL * max(1.0, steps):
        raise ConfigError(f"the cycle ({cycle * 1e3:g} ms) must be a multiple of dt ({dt * 1e3:g} ms)")
    if round(steps) < 2:
        raise ConfigError(f"the cycle ({cycle * 1e3:g} ms) must hold at least 2 time steps of dt ({dt * 1e3:g} ms)")
    return int(round(steps)) - 1


def assign_detectors(n_patterns: int, n_detectors: int, copies: int, seed: int) -> np.ndarray:
    """``(M, copies)`` distinct detectors of each pattern, uniformly at random; nested in M (the first
    rows are the same for any larger M)."""
    if not 1 <= copies <= n_detectors:
        raise ConfigError(f"copies must lie in [1, n_detectors = {n_detectors}], got {copies}")
    rng = np.random.default_rng([ASSIGNMENT_TAG, seed])
    out = np.empty((n_patterns, copies), dtype=np.int64)
    for start in range(0, n_patterns, ROWS_PER_DRAW):
        rows = min(ROWS_PER_DRAW, n_patterns - start)
        keys = rng.random((rows, n_detectors))
        out[start:start + rows] = np.argpartition(keys, copies - 1, axis=1)[:, :copies]
    return out


def latency_steps(latencies, dt: float) -> np.ndarray:
    """Latencies (s, NaN = silent) as integer time steps (-1 = silent)."""
    lat = np.asarray(latencies, dtype=float)
    return np.where(np.isnan(lat), -1, np.rint(np.nan_to_num(lat, nan=-1.0) / dt)).astype(np.int64)


def willshaw_weights(latencies, detectors, n_detectors: int, cycle: float, dt: float) -> np.ndarray:
    """Binary contacts ``(N, H, S)`` after storing every pattern (clipped Hebbian: a contact set twice is 1)."""
    steps = latency_steps(latencies, dt)
    n_slots = slot_count(cycle, dt)
    weights = np.zeros((steps.shape[1], n_detectors, n_slots), dtype=bool)
    mu, i = np.nonzero(steps >= 0)
    for column in np.asarray(detectors).T:  # each copy of every pattern
        weights[i, column[mu], n_slots - steps[mu, i]] = True
    return weights


def coincidences(weights: np.ndarray, cue, dt: float) -> np.ndarray:
    """``(H, 2 S + 1)`` inputs arriving at each detector in each time step for a cue (latencies, NaN = silent)."""
    n_features, n_detectors, n_slots = weights.shape
    counts = np.zeros((n_detectors, 2 * n_slots + 1), dtype=np.int64)
    steps = latency_steps(np.asarray(cue, dtype=float)[None, :], dt)[0]
    for i in np.flatnonzero(steps >= 0):  # contact k brings the spike of step t_i at step t_i + k + 1
        counts[:, steps[i] + 1:steps[i] + 1 + n_slots] += weights[i]
    return counts


def detector_spikes(weights: np.ndarray, cue, theta: int, dt: float) -> tuple[np.ndarray, np.ndarray]:
    """``(detector, time in s)`` of every detector spike for a cue, in the order of a Brian2 SpikeMonitor
    (by time, then by index): a detector fires ``READOUT_STEPS`` after a step with >= theta arrivals."""
    h, step = np.nonzero(coincidences(weights, cue, dt) >= theta)
    order = np.lexsort((h, step))
    return h[order], (step[order] + READOUT_STEPS) * dt
