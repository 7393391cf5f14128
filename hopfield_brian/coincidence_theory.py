"""False-coincidence estimate of the shared delay memory's capacity (derived in docs/shared_memory.md).

N features, H detectors with S delay contacts per feature-detector pair,
patterns of K active features at latencies uniform over the S slots, each
stored in ``copies`` = c random detectors by the clipped Hebbian rule
(:mod:`hopfield_brian.shared_memory`). With M patterns stored:

* a detector holds L ~ Binomial(M, c / H) patterns, and a given contact of it
  is set with probability p(L) = 1 - (1 - K / (N S))^L; averaged over L, the
  set fraction is p = 1 - (1 - c K / (N H S))^M (the Willshaw net's
  1 - exp(-M c K / (N H S)), Willshaw et al. 1969, Nature 222:960);
* a cue of kappa spikes lands, at output step s, on one contact per spike whose
  delay is s - t_i, if that delay exists: a fraction r_s = (S - |s - T/dt|) / S
  of the spikes can arrive at step s, each on a contact set with probability p.
  A detector that did not store the cued pattern therefore receives
  Binomial(kappa, r_s p) inputs at step s, independently across steps (each
  step reads other contacts), and fires if one step brings theta of them;
* the cued pattern's own detectors receive kappa at T: recall succeeds when
  kappa >= theta, kappa ~ Binomial(round(cue_keep K), 1 - cue_deletion).

Hence the false-alarm rate (some detector that did not store the cue fires)

    FA(M) = 1 - E_kappa [ E_L prod_s (1 - P(Bin(kappa, r_s p(L)) >= theta)) ]^(H - c)

with L ~ Binomial(M - 1, c / H) for a stored cue (an unstored one: M and all
H detectors), and the capacity M_max, the largest M with success >= 0.9 and
FA <= 0.05. Neglected: the dependence between the contacts of one pattern
(a feature sets one contact per pattern), between the steps through the
cue's latencies and between detectors through their loads; the test against
a numpy Monte Carlo of the same rule bounds their effect.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .errors import ConfigError

TAIL = 1e-12  # probability mass left out of the binomial sums over loads and cue sizes
MAX_LOAD = 10**9  # loads beyond this are not searched for a capacity


@dataclass(frozen=True)
class SharedMemory:
    """What the estimate depends on: N features, K active per pattern, H detectors, S contacts per pair,
    c detectors per pattern, threshold theta, the cue's kept spikes and their deletion probability."""

    n_features: int
    n_active: int
    n_detectors: int
    slots: int
    copies: int
    theta: int
    cue_spikes: int
    cue_deletion: float = 0.0

    def __post_init__(self):
        if not (1 <= self.n_active <= self.n_features and 1 <= self.copies <= self.n_detectors
                and self.slots >= 1 and self.theta >= 1 and 0 <= self.cue_spikes <= self.n_active
                and 0.0 <= self.cue_deletion <= 1.0):
            raise ConfigError(f"inconsistent shared-memory sizes: {self}")


def set_fraction(memory: SharedMemory, n_patterns) -> np.ndarray:
    """Expected fraction of contacts set after storing ``n_patterns`` (scalar or array)."""
    per_pattern = memory.copies * memory.n_active / (memory.n_features * memory.n_detectors * memory.slots)
    return -np.expm1(np.asarray(n_patterns, dtype=float) * np.log1p(-per_pattern))


def step_fractions(slots: int) -> tuple[np.ndarray, np.ndarray]:
    """``(r, multiplicity)``: the distinct fractions r_s of cue spikes that can arrive at one output step,
    and on how many of the 2 S - 1 steps each occurs."""
    k = np.arange(1, slots + 1)
    return k / slots, np.where(k < slots, 2, 1)


def _log_choose(n: int, j: np.ndarray) -> np.ndarray:
    return math.lgamma(n + 1) - np.array([math.lgamma(x + 1) + math.lgamma(n - x + 1) for x in j])


def binomial_pmf(n: int, p: float) -> tuple[np.ndarray, np.ndarray]:
    """``(values, probabilities)`` of Binomial(n, p), values of negligible mass (< ``TAIL``) left out."""
    if p <= 0.0 or n == 0:
        return np.array([0]), np.array([1.0])
    if p >= 1.0:
        return np.array([n]), np.array([1.0])
    mean, sd = n * p, math.sqrt(n * p * (1 - p))
    j = np.arange(max(0, int(mean - 12 * sd - 2)), min(n, int(mean + 12 * sd + 2)) + 1)
    pmf = np.exp(_log_choose(n, j) + j * math.log(p) + (n - j) * math.log1p(-p))
    keep = pmf > TAIL
    return j[keep], pmf[keep]


def binomial_tail(n: int, p: np.ndarray, k: int) -> np.ndarray:
    """P(Binomial(n, p) >= k) for an array of p (summed over whichever side of k is shorter)."""
    p = np.asarray(p, dtype=float)
    if k <= 0:
        return np.ones_like(p)
    if k > n:
        return np.zeros_like(p)
    upper = k > n - k
    j = np.arange(k, n + 1) if upper else np.arange(0, k)
    with np.errstate(divide="ignore", invalid="ignore"):  # p = 0 or 1: log 0 times 0 is left out below
        logp, logq = np.log(p)[..., None], np.log1p(-p)[..., None]
        terms = np.exp(_log_choose(n, j) + np.where(j > 0, j * logp, 0.0) + np.where(n - j > 0, (n - j) * logq, 0.0))
    total = terms.sum(axis=-1)
    return np.clip(total if upper else 1.0 - total, 0.0, 1.0)


def _silent(memory: SharedMemory, kappa: int, set_probabilities: np.ndarray) -> np.ndarray:
    """P(a detector with contacts set with each of ``set_probabilities`` stays silent) for a cue of kappa."""
    r, multiplicity = step_fractions(memory.slots)
    tails = binomial_tail(kappa, set_probabilities[:, None] * r[None, :], memory.theta)
    with np.errstate(divide="ignore"):
        return np.exp((multiplicity * np.log1p(-np.minimum(tails, 1.0))).sum(axis=1))


def false_alarm_rate(memory: SharedMemory, n_patterns: int, lure: bool = False) -> float:
    """Probability that a detector not assigned to the cue fires in a trial, with ``n_patterns`` stored
    (``lure``: the cue is an unstored random pattern, every detector counts)."""
    others = memory.n_detectors - (0 if lure else memory.copies)
    stored_elsewhere = n_patterns if lure else n_patterns - 1
    if others == 0 or stored_elsewhere <= 0:
        return 0.0
    loads, load_weights = binomial_pmf(stored_elsewhere, memory.copies / memory.n_detectors)
    per_pattern = memory.n_active / (memory.n_features * memory.slots)
    set_probabilities = -np.expm1(loads * math.log1p(-per_pattern))
    kappas, kappa_weights = binomial_pmf(memory.cue_spikes, 1.0 - memory.cue_deletion)
    quiet = sum(w * float(load_weights @ _silent(memory, int(kappa), set_probabilities)) ** others
                for kappa, w in zip(kappas, kappa_weights))
    return float(min(1.0, max(0.0, 1.0 - quiet)))


def success_rate(memory: SharedMemory) -> float:
    """Probability that the cued pattern's detectors fire at T: its cue keeps >= theta spikes."""
    kappas, weights = binomial_pmf(memory.cue_spikes, 1.0 - memory.cue_deletion)
    return float(weights[kappas >= memory.theta].sum())


def capacity(memory: SharedMemory, success_min: float = 0.9, false_alarm_max: float = 0.05) -> int:
    """M_max: the largest load with success >= ``success_min`` and false alarms <= ``false_alarm_max``
    (0 if the cue fails whatever the load; ``MAX_LOAD`` if false alarms stay below it up to there)."""
    if success_rate(memory) < success_min:
        return 0
    return false_alarm_capacity(memory, false_alarm_max)


def false_alarm_capacity(memory: SharedMemory, false_alarm_max: float = 0.05) -> int:
    """The largest load whose false-alarm rate stays <= ``false_alarm_max`` (success left aside)."""
    low, high = 1, 2
    while false_alarm_rate(memory, high) <= false_alarm_max:
        if high >= MAX_LOAD:
            return MAX_LOAD
        low, high = high, min(2 * high, MAX_LOAD)
    while high - low > 1:
        middle = (low + high) // 2
        if false_alarm_rate(memory, middle) <= false_alarm_max:
            low = middle
        else:
            high = middle
    return low
