"""Measures of dynamical regimes: spike statistics, overlaps, energy, and a classifier.

Spikes of one population are two arrays, ``i`` (neuron indices) and ``t``
(spike times in seconds), with ``n_neurons`` and a ``duration`` in seconds:
plain SI floats throughout, as in :mod:`hopfield_brian.readout`.

* Irregularity: CV of inter-spike intervals (Poisson 1, regular 0) and Fano
  factor of spike counts (Poisson 1); Brunel 2000 (J Comput Neurosci 8:183)
  calls a state irregular when the CV is high (> 0.5 here).
* Synchrony: Golomb's chi (Golomb 2007, Scholarpedia 2(1):1347, "Neuronal
  synchrony measures"), chi^2 = var_t(mean_i V_i) / mean_i var_t(V_i); about 1
  when synchronous, about 1/sqrt(N) when asynchronous.
* Oscillation: power spectrum of the population rate, its peak and the share
  of power in the peak.
* Attractor dynamics: overlap trajectories m_mu(t), which attractor is held,
  switches and dwell times.
* Modern Hopfield energy and the entropy of the attention over memories
  (Ramsauer et al. 2020, arXiv 2008.02217).

Elephant (the field's reference) computes the same spike statistics; these
functions equal its results on the same trains (tests/test_against_elephant.py)
and are kept because they are faster on the package's spike tables, measured
side by side by benchmarks/measures_vs_elephant.py (400 Poisson neurons, 10 s,
2026-12-03; Elephant's times exclude building the neo.SpikeTrains, another
231 ms): ISI CV x5.9, Fano factor x21,000, population rate x127, rate spectrum
x76. Elephant has no Golomb chi (its filtered rates alone take half the time
of :func:`golomb_synchrony`, which computes them the same way and then chi).

:func:`classify` names the regime of one run from a dict of these measures
(:func:`summarise_run` computes that dict); see :class:`RegimeThresholds`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .readout import SUCCESS_OVERLAP

_EPS = 1e-12


# ---------------------------------------------------------------------- spikes

def from_table(table, population: str, trial: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(i, t)`` of one population from a tidy spike table (``readout.spike_table``).

    ``t`` is converted from ``t_ms`` to seconds (float64). With ``trial=None``
    the table must hold a single trial.
    """
    rows = table[table["population"] == population]
    if trial is not None:
        rows = rows[rows["trial"] == trial]
    elif rows["trial"].nunique() > 1:
        raise ValueError("the table holds several trials: pass trial=")
    return rows["neuron"].to_numpy(dtype=np.int64), rows["t_ms"].to_numpy(dtype=np.float64) * 1e-3


def restrict(i: np.ndarray, t: np.ndarray, start: float, stop: float) -> tuple[np.ndarray, np.ndarray]:
    """Spikes in [start, stop), with times shifted so that ``start`` becomes 0."""
    i, t = np.asarray(i), np.asarray(t, dtype=float)
    sel = (t >= start) & (t < stop)
    return i[sel], t[sel] - start


def _bin_counts(t: np.ndarray, duration: float, bin_width: float) -> np.ndarray:
    """Spike counts of all neurons together in consecutive bins over [0, duration)."""
    n_bins = max(1, int(round(duration / bin_width)))
    t = np.asarray(t, dtype=float)
    t = t[(t >= 0) & (t < n_bins * bin_width)]
    return np.bincount(np.minimum((t / bin_width).astype(np.int64), n_bins - 1), minlength=n_bins)


def population_rate(i: np.ndarray, t: np.ndarray, n_neurons: int, duration: float,
                    bin_width: float) -> tuple[np.ndarray, np.ndarray]:
    """Bin centres (s) and population rate (Hz per neuron) in bins of ``bin_width`` over [0, duration)."""
    counts = _bin_counts(t, duration, bin_width)
    centres = bin_width * (np.arange(counts.size) + 0.5)
    return centres, counts / (n_neurons * bin_width)


def isi_cv(i: np.ndarray, t: np.ndarray, n_neurons: int, min_spikes: int = 3) -> np.ndarray:
    """Per-neuron coefficient of variation std/mean of inter-spike intervals.

    Population standard deviation (ddof = 0, as ``elephant.statistics.cv``).
    NaN for neurons with fewer than ``min_spikes`` spikes (at least 2).
    """
    if min_spikes < 2:
        raise ValueError("min_spikes must be at least 2")
    i, t = np.asarray(i, dtype=np.int64), np.asarray(t, dtype=float)
    order = np.lexsort((t, i))
    i_s, t_s = i[order], t[order]
    same = i_s[1:] == i_s[:-1]
    isi, owner = np.diff(t_s)[same], i_s[1:][same]
    n = np.bincount(owner, minlength=n_neurons).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.bincount(owner, isi, minlength=n_neurons) / n
        var = np.bincount(owner, (isi - mean[owner]) ** 2, minlength=n_neurons) / n
        cv = np.sqrt(var) / mean
    cv[np.bincount(i, minlength=n_neurons) < min_spikes] = np.nan
    return cv


def finite_mean(values) -> float:
    """Mean of the finite entries (NaN, without a warning, when there are none)."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    return float(v.mean()) if v.size else float("nan")


def fano_factor(i: np.ndarray, t: np.ndarray, n_neurons: int, duration: float, window: float) -> float:
    """Mean over neurons of var/mean of spike counts in consecutive windows.

    Windows of length ``window`` tile [0, duration) (a last partial window is
    dropped); the variance is the unbiased one (ddof = 1). Neurons with a zero
    mean count are left out; NaN when none is left.
    """
    n_w = int(np.floor(duration / window + 1e-9))
    if n_w < 2:
        raise ValueError("the Fano factor needs at least two windows")
    i, t = np.asarray(i, dtype=np.int64), np.asarray(t, dtype=float)
    sel = (t >= 0) & (t < n_w * window)
    b = np.minimum((t[sel] / window).astype(np.int64), n_w - 1)
    c = np.bincount(b * n_neurons + i[sel], minlength=n_w * n_neurons).reshape(n_w, n_neurons)
    mean, var = c.mean(axis=0), c.var(axis=0, ddof=1)
    ok = mean > 0
    return float(np.mean(var[ok] / mean[ok])) if ok.any() else float("nan")


def golomb_synchrony(i: np.ndarray, t: np.ndarray, n_neurons: int, duration: float,
                     tau: float = 5e-3, dt: float = 1e-3, chunk: int = 256) -> float:
    """Golomb's synchrony chi in [0, 1] (Golomb 2007, Scholarpedia 2(1):1347).

    chi^2 = var_t(mean_i V_i) / mean_i var_t(V_i), with V_i(t) = sum_k
    exp(-(t - t_ik)/tau) for t >= t_ik the spike train of neuron i filtered by
    a causal exponential kernel, sampled every ``dt`` (at bin ends) over
    [0, duration). Each spike enters with its exact delay to the next sample;
    the kernel is truncated at exp(-18). Neurons that never fire are left out;
    NaN with fewer than two firing neurons. Neurons are processed in chunks of
    at most ``chunk`` (fewer for long runs) to bound memory.
    """
    i, t = np.asarray(i, dtype=np.int64), np.asarray(t, dtype=float)
    n_bins = max(1, int(round(duration / dt)))
    sel = (t >= 0) & (t < n_bins * dt)
    i, t = i[sel], t[sel]
    active = np.unique(i)
    if active.size < 2:
        return float("nan")
    order = np.argsort(i, kind="stable")
    i, t = i[order], t[order]
    n_kernel = min(n_bins, int(np.ceil(18.0 * tau / dt)) + 1)
    n_fft = n_bins + n_kernel - 1
    kernel_f = np.fft.rfft(np.exp(-dt * np.arange(n_kernel) / tau), n_fft)
    b = np.minimum((t / dt).astype(np.int64), n_bins - 1)
    w = np.exp(-((b + 1) * dt - t) / tau)  # decay from the spike to its bin end
    chunk = max(1, min(chunk, 2**22 // n_bins))  # at most ~4M samples (32 MB) at once
    total = np.zeros(n_bins)
    var_sum = 0.0
    for c0 in range(0, active.size, chunk):
        ids = active[c0:c0 + chunk]
        lo, hi = np.searchsorted(i, ids[0], "left"), np.searchsorted(i, ids[-1], "right")
        col = np.searchsorted(ids, i[lo:hi])
        x = np.bincount(b[lo:hi] * ids.size + col, w[lo:hi], minlength=n_bins * ids.size)
        x = x.reshape(n_bins, ids.size)
        v = np.fft.irfft(np.fft.rfft(x, n_fft, axis=0) * kernel_f[:, None], n_fft, axis=0)[:n_bins]
        total += v.sum(axis=1)
        var_sum += v.var(axis=0).sum()
    mean_var = var_sum / active.size
    if mean_var <= 0:
        return float("nan")
    chi2 = np.var(total / active.size) / mean_var
    return float(np.sqrt(min(max(chi2, 0.0), 1.0)))


def rate_spectrum(i: np.ndarray, t: np.ndarray, n_neurons: int, duration: float,
                  bin_width: float = 1e-3, segment: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Frequencies (Hz) and power spectral density (Hz^2/Hz) of the population rate.

    Bartlett's method: the rate (Hz per neuron, bins of ``bin_width``) is cut
    into non-overlapping segments of ``segment`` seconds (the whole run when
    shorter), each segment's mean is subtracted, a Hann window applied, and the
    one-sided periodograms averaged. Resolution 1/segment Hz.
    """
    _, rate = population_rate(i, t, n_neurons, duration, bin_width)
    n_seg_len = int(min(rate.size, max(2, round(segment / bin_width))))
    n_seg = rate.size // n_seg_len
    x = rate[:n_seg * n_seg_len].reshape(n_seg, n_seg_len)
    x = x - x.mean(axis=1, keepdims=True)
    window = np.hanning(n_seg_len) if n_seg_len > 2 else np.ones(n_seg_len)
    p = np.abs(np.fft.rfft(x * window, axis=1)) ** 2
    p = p.mean(axis=0) * bin_width / np.sum(window ** 2)
    p[1:n_seg_len // 2 + (n_seg_len % 2)] *= 2.0  # one-sided: fold negative frequencies
    return np.fft.rfftfreq(n_seg_len, bin_width), p


def dominant_frequency(i: np.ndarray, t: np.ndarray, n_neurons: int, duration: float,
                       bin_width: float = 1e-3, segment: float = 1.0,
                       fmin: float = 0.0) -> tuple[float, float]:
    """Peak frequency (Hz, above ``fmin`` and never 0) of :func:`rate_spectrum` and oscillation index.

    The oscillation index is the fraction of the total power (all frequencies
    above 0) that lies in the peak bin and its two neighbours: about
    3 / n_freqs for white (Poisson) noise, towards 1 for a clean oscillation.
    NaN, NaN when the rate is flat.
    """
    f, p = rate_spectrum(i, t, n_neurons, duration, bin_width, segment)
    total = p[f > 0].sum()
    cand = np.nonzero(f > max(fmin, 0.0))[0]
    if total <= 0 or cand.size == 0:
        return float("nan"), float("nan")
    k = cand[np.argmax(p[cand])]
    lo = max(k - 1, 1)
    return float(f[k]), float(p[lo:k + 2].sum() / total)


# -------------------------------------------------------------------- overlaps

def attractor_sequence(overlaps: np.ndarray, threshold: float = SUCCESS_OVERLAP) -> np.ndarray:
    """Per time bin, the pattern held: argmax_mu m_mu(t) when it reaches ``threshold``, else -1.

    ``overlaps`` is (n_bins x M), as from ``readout.overlap_trajectory``.
    Mirror states (m = -1) are not counted as held.
    """
    m = np.nan_to_num(np.atleast_2d(np.asarray(overlaps, dtype=float)), nan=-np.inf)
    best = np.argmax(m, axis=1)
    held = m[np.arange(m.shape[0]), best] >= threshold
    return np.where(held, best, -1)


def visits(labels: np.ndarray, bin_width: float,
           max_gap: float | None = None) -> list[tuple[int, float, float]]:
    """Visits ``(pattern, start s, end s)`` of attractors in a label sequence.

    A visit is a maximal stretch of bins with the same pattern; -1 bins in
    between two stretches of the same pattern are bridged (and count in its
    dwell time) unless the gap is longer than ``max_gap`` seconds. Bin k spans
    [k, k + 1) * bin_width. The first and last visits are cut by the
    observation window.
    """
    labels = np.asarray(labels)
    idx = np.nonzero(labels >= 0)[0]
    if idx.size == 0:
        return []
    lab = labels[idx]
    brk = lab[1:] != lab[:-1]
    if max_gap is not None:
        brk |= (np.diff(idx) - 1) * bin_width > max_gap + _EPS
    cut = np.nonzero(brk)[0]
    first = idx[np.r_[0, cut + 1]]
    last = idx[np.r_[cut, idx.size - 1]]
    return [(int(labels[a]), a * bin_width, (z + 1) * bin_width) for a, z in zip(first, last)]


def switches_and_dwell(labels: np.ndarray, bin_width: float,
                       max_gap: float | None = None) -> tuple[int, np.ndarray]:
    """Number of switches between different patterns and the dwell time (s) of each visit.

    Visits as in :func:`visits`; a switch is a visit followed by a visit of
    another pattern, so -1 gaps between visits of the same pattern are not
    switches.
    """
    v = visits(labels, bin_width, max_gap)
    n_switches = sum(1 for a, b in zip(v[:-1], v[1:]) if a[0] != b[0])
    return n_switches, np.array([end - start for _, start, end in v])


# ------------------------------------------------------------ modern Hopfield

def modern_energy(states: np.ndarray, patterns: np.ndarray, beta: float) -> np.ndarray | float:
    """Modern Hopfield energy (Ramsauer et al. 2020, arXiv 2008.02217, eq. 2).

    E = -lse(beta, X^T xi) + 1/2 xi^T xi + beta^-1 log M + 1/2 max_i |x_i|^2,
    lse(beta, z) = beta^-1 log sum_mu exp(beta z_mu). ``states`` is (N,) or
    (T x N), ``patterns`` (M x N); returns a float or a (T,) array. The
    log-sum-exp subtracts the maximum, so it stays finite for large beta * N.
    """
    if beta <= 0:
        raise ValueError("beta must be positive")
    x = np.asarray(patterns, dtype=float)
    xi = np.asarray(states, dtype=float)
    z = beta * (xi @ x.T)
    z_max = z.max(axis=-1)
    lse = (z_max + np.log(np.exp(z - z_max[..., None]).sum(axis=-1))) / beta
    e = -lse + 0.5 * (xi * xi).sum(axis=-1) + np.log(x.shape[0]) / beta + 0.5 * (x * x).sum(axis=1).max()
    return float(e) if np.ndim(e) == 0 else e


def attention_entropy(counts: np.ndarray, sampled: bool = False) -> np.ndarray | float:
    """Normalised entropy H(p) / log M of attention weights or memory-neuron spike counts.

    p is the histogram of ``counts`` over the M memories (of spikes: the
    spiking estimate of softmax(beta X^T xi), Ramsauer et al. 2020): 0 when
    one memory takes everything, 1 when it is uniform. ``sampled``: the counts
    are n samples (spikes), which can show at most log n of entropy, so the
    entropy is divided by log min(M, n): with fewer spikes than memories a
    uniform posterior reads 1 (n spikes on n different memories), not
    log n / log M. ``counts`` is (M,) or (n_bins x M); rows summing to 0 give
    NaN. With M = 1 (or a single sampled spike) the entropy is 0.
    """
    c = np.asarray(counts, dtype=float)
    c2 = np.atleast_2d(c)
    total = c2.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = c2 / total
        h = -np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0).sum(axis=1)
    reach = np.minimum(c2.shape[1], np.maximum(total[:, 0], 1.0)) if sampled else np.full(len(c2), c2.shape[1])
    most = np.log(reach)  # the largest entropy the counts can show
    h = np.where(most > 0, h / np.where(most > 0, most, 1.0), 0.0)
    h[total[:, 0] <= 0] = np.nan
    return float(h[0]) if c.ndim == 1 else h


# ------------------------------------------------------------------ regimes

LABELS = ("quiescent", "runaway", "oscillatory", "itinerant", "retrieval",
          "metastable", "global_average", "unclassified")


@dataclass(frozen=True)
class RegimeThresholds:
    """Documented thresholds of :func:`classify` (see its docstring for the rule order).

    rate_floor_hz: below this mean rate (Hz per neuron) a run is quiescent.
    saturation: peak population rate / maximal rate at or above this is runaway.
    chi_sync: Golomb chi at or above this is synchronous (~1/sqrt(N) when asynchronous).
    oscillation_index: share of spectral power in the peak +-1 bin for oscillatory
        (white noise ~0.01 at 1 Hz resolution; a 20 Hz pulse train with 1 ms jitter
        ~0.15, since its harmonics take the rest; a sinusoidal rate modulation more).
    cv_irregular: ISI CV at or above this is irregular (Brunel 2000 naming).
    min_switches: switches between different attractors for itinerant.
    hold_fraction: share of the final part's bins in one attractor for retrieval.
    mixture_overlap: overlap above which a pattern takes part in a mixture.
    entropy_single: attention entropy below this is a single-pattern posterior.
    entropy_global: attention entropy at or above this is a global average.
    retrieval_overlap: overlap at which a bin counts as held (``readout.SUCCESS_OVERLAP``).
    """

    rate_floor_hz: float = 0.5
    saturation: float = 0.8
    chi_sync: float = 0.5
    oscillation_index: float = 0.1
    cv_irregular: float = 0.5
    min_switches: int = 2
    hold_fraction: float = 0.6
    mixture_overlap: float = 0.3
    entropy_single: float = 0.3
    entropy_global: float = 0.85
    retrieval_overlap: float = SUCCESS_OVERLAP


DEFAULT_THRESHOLDS = RegimeThresholds()


def _get(m: dict, key: str) -> float:
    v = m.get(key)
    return float("nan") if v is None else float(v)


def classify(m: dict, thresholds: RegimeThresholds = DEFAULT_THRESHOLDS) -> str:
    """Name the regime of one run from its measures ``m`` (as from :func:`summarise_run`).

    Rules, first match wins (defaults of :class:`RegimeThresholds` in brackets;
    a missing or NaN measure never satisfies a rule):

    1. ``quiescent``: ``rate_hz`` < rate_floor_hz [0.5 Hz].
    2. ``runaway``: ``rate_max_frac`` (peak population rate / maximal rate)
       >= saturation [0.8].
    3. ``oscillatory``: ``chi`` >= chi_sync [0.5] and ``osc_index`` >=
       oscillation_index [0.1]: the synchronous states of Brunel 2000
       (J Comput Neurosci 8:183); see :func:`brunel_state` for SR / SI.
    4. ``itinerant``: ``n_switches`` >= min_switches [2] switches between
       different attractors.
    5. ``retrieval``: ``retrieved_fraction`` (largest share of bins of the
       final part held by one pattern) >= hold_fraction [0.6]: a single-pattern
       fixed point (Ramsauer et al. 2020).
    6. ``metastable``: ``n_mixed`` (patterns with final overlap >=
       mixture_overlap [0.3]) >= 2, or entropy_single [0.3] <=
       ``attention_entropy`` < entropy_global [0.85]: a metastable state
       averaging a subset of patterns (Ramsauer et al. 2020).
    7. ``global_average``: ``attention_entropy`` >= entropy_global [0.85] and
       ``max_overlap`` < mixture_overlap [0.3]: the fixed point averaging all
       patterns (Ramsauer et al. 2020).
    8. ``unclassified`` otherwise.
    """
    th = thresholds
    h = _get(m, "attention_entropy")
    if _get(m, "rate_hz") < th.rate_floor_hz:
        return "quiescent"
    if _get(m, "rate_max_frac") >= th.saturation:
        return "runaway"
    if _get(m, "chi") >= th.chi_sync and _get(m, "osc_index") >= th.oscillation_index:
        return "oscillatory"
    if _get(m, "n_switches") >= th.min_switches:
        return "itinerant"
    if _get(m, "retrieved_fraction") >= th.hold_fraction:
        return "retrieval"
    if _get(m, "n_mixed") >= 2 or th.entropy_single <= h < th.entropy_global:
        return "metastable"
    if h >= th.entropy_global and _get(m, "max_overlap") < th.mixture_overlap:
        return "global_average"
    return "unclassified"


def brunel_state(cv: float, chi: float, thresholds: RegimeThresholds = DEFAULT_THRESHOLDS) -> str:
    """Brunel 2000 (J Comput Neurosci 8:183) naming: 'SR', 'SI', 'AR' or 'AI'.

    Synchronous when ``chi`` >= chi_sync, irregular when ``cv`` >= cv_irregular;
    'unknown' when either is NaN.
    """
    if not (np.isfinite(cv) and np.isfinite(chi)):
        return "unknown"
    return ("S" if chi >= thresholds.chi_sync else "A") + ("I" if cv >= thresholds.cv_irregular else "R")


def summarise_run(spikes: dict, sizes: dict, duration: float, *, population: str = "feature",
                  memory: str | None = "memory", trajectory: tuple | None = None,
                  start: float = 0.0, final_fraction: float = 0.5, max_rate: float | None = None,
                  bin_width: float = 1e-3, rate_window: float = 0.1,
                  thresholds: RegimeThresholds = DEFAULT_THRESHOLDS) -> dict:
    """The measure dict of one run for :func:`classify`.

    ``spikes`` maps population -> ``(i, t)`` and ``sizes`` population -> size
    (as ``Simulator`` / ``model.sizes()``). Everything is measured over
    [start, duration) (e.g. from the cue on); the "final part" is its last
    ``final_fraction``. ``trajectory`` is ``(t_end, overlaps)`` as returned by
    ``readout.overlap_trajectory`` (uniform bins).

    Keys: ``rate_hz``, ``rate_max_frac`` (peak rate in ``rate_window`` bins /
    ``max_rate``, NaN without it), ``cv``, ``fano`` (windows of
    ``rate_window``), ``chi``, ``peak_hz``, ``osc_index`` of ``population``;
    with a trajectory ``n_switches``, ``mean_dwell_s``, ``retrieved_pattern``,
    ``retrieved_fraction``, ``max_overlap`` and ``n_mixed`` (from the mean
    overlaps of the final part); with ``memory`` spikes ``attention_entropy``
    of the memory spike counts summed over the final part.
    """
    th = thresholds
    span = duration - start
    final_start = start + (1.0 - final_fraction) * span
    i, t = restrict(*spikes[population], start, duration)
    n = sizes[population]
    _, rate = population_rate(i, t, n, span, rate_window)
    peak_hz, osc = dominant_frequency(i, t, n, span, bin_width)
    out = {
        "rate_hz": i.size / (n * span),
        "rate_max_frac": float(rate.max() / max_rate) if max_rate else float("nan"),
        "cv": finite_mean(isi_cv(i, t, n)),
        "fano": fano_factor(i, t, n, span, rate_window) if span >= 2 * rate_window else float("nan"),
        "chi": golomb_synchrony(i, t, n, span, dt=bin_width),
        "peak_hz": peak_hz,
        "osc_index": osc,
    }
    if trajectory is not None:
        t_end, overlaps = np.asarray(trajectory[0], dtype=float), np.atleast_2d(trajectory[1])
        width = float(t_end[1] - t_end[0]) if t_end.size > 1 else float(t_end[0])
        after = t_end > start + _EPS
        labels = attractor_sequence(overlaps[after], th.retrieval_overlap)
        n_switches, dwell = switches_and_dwell(labels, width)
        final = t_end[after] > final_start + _EPS
        held = labels[final]
        counts = np.bincount(held[held >= 0], minlength=overlaps.shape[1])
        mean_final = np.array([finite_mean(col) for col in overlaps[after][final].T])
        out.update({
            "n_switches": n_switches,
            "mean_dwell_s": float(dwell.mean()) if dwell.size else float("nan"),
            "retrieved_pattern": int(np.argmax(counts)) if counts.any() else -1,
            "retrieved_fraction": float(counts.max() / held.size) if held.size else float("nan"),
            "max_overlap": float(np.max(mean_final, initial=-np.inf, where=np.isfinite(mean_final)))
            if np.isfinite(mean_final).any() else float("nan"),
            "n_mixed": int(np.sum(mean_final >= th.mixture_overlap)),
        })
    if memory is not None and memory in spikes:
        mi, _ = restrict(*spikes[memory], final_start, duration)
        out["attention_entropy"] = attention_entropy(np.bincount(mi, minlength=sizes[memory]), sampled=True)
    return out
