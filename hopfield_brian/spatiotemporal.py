"""Spatio-temporal spike patterns: generation, loading, cues, matching, distances.

A pattern over N feature neurons and a cycle of length T gives every neuron at
most one spike per cycle, at a pattern-specific latency t_i in [0, T), or none.
Patterns are held as an ``(M, N)`` float array of latencies in seconds, NaN for
a silent neuron. A delay-based memory detects a pattern by coincidence through
input delays d_i = T - t_i and replays it through feedback delays t_i
(SCIENCE.md section 4). Recalled spikes are compared with the stored pattern by
a one-to-one match within a tolerance and by the spike-train distances of van
Rossum (2001, Neural Comput 13:751) and Victor & Purpura (1996, J Neurophysiol
76:1310). Everything here is plain SI: seconds, and q in 1/s.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import ConfigError
from . import lazy

pd = lazy.module("pandas")  # imported on first use (see hopfield_brian.lazy)

GRID_TOL = 1e-6  # a time is on the dt grid when t/dt is this close to an integer

SUCCESS = {"completeness": 0.9, "median_error": 2e-3, "false_fraction": 0.1}


def _ms(t: float) -> str:
    return f"{t * 1e3:g} ms"


def _grid_range(lo: float, hi: float, dt: float) -> tuple[int, int]:
    """Integers k with lo <= k dt < hi, as the half-open range [k_lo, k_hi)."""
    return int(np.ceil(lo / dt - GRID_TOL)), int(np.ceil(hi / dt - GRID_TOL))


def random_patterns(n_patterns: int, n_features: int, cycle: float, active_fraction: float,
                    seed, dt: float | None = None, min_latency: float = 0.0) -> np.ndarray:
    """``(n_patterns, n_features)`` latencies (s), NaN for silent neurons.

    Each pattern has exactly ``round(active_fraction * n_features)`` active
    neurons, chosen at random, with latencies uniform in [min_latency, cycle);
    with ``dt`` they are uniform over the grid points k dt in that interval.
    Replay through feedback delays t_i needs t_i >= dt: pass min_latency = dt.
    """
    if n_patterns < 1 or n_features < 1:
        raise ConfigError(f"need n_patterns >= 1 and n_features >= 1, got {n_patterns} and {n_features}")
    if not cycle > 0:
        raise ConfigError(f"cycle must be > 0 s, got {cycle}")
    if not 0.0 <= min_latency < cycle:
        raise ConfigError(f"min_latency must lie in [0, cycle) = [0, {_ms(cycle)}), got {_ms(min_latency)}")
    if not 0.0 < active_fraction <= 1.0:
        raise ConfigError(f"active_fraction must lie in (0, 1], got {active_fraction}")
    n_active = int(round(active_fraction * n_features))
    if n_active < 1:
        raise ConfigError(f"active_fraction {active_fraction} of {n_features} neurons rounds to no active neuron")
    rng = np.random.default_rng(seed)
    if dt is not None:
        if not dt > 0:
            raise ConfigError(f"dt must be > 0 s, got {dt}")
        k_lo, k_hi = _grid_range(min_latency, cycle, dt)
        if k_hi <= k_lo:
            raise ConfigError(f"no multiple of dt={_ms(dt)} lies in [{_ms(min_latency)}, {_ms(cycle)})")
    out = np.full((n_patterns, n_features), np.nan)
    for mu in range(n_patterns):
        idx = rng.choice(n_features, size=n_active, replace=False)
        if dt is None:
            out[mu, idx] = rng.uniform(min_latency, cycle, size=n_active)
        else:
            out[mu, idx] = rng.integers(k_lo, k_hi, size=n_active) * dt
    return out


def validate_latencies(latencies, cycle: float, dt: float | None = None,
                       source: str = "latencies") -> np.ndarray:
    """Check a latency array and return it as a 2-D float copy.

    Latencies must be NaN (silent) or finite in [0, cycle), every pattern must
    have at least one spike, and with ``dt`` the cycle and all latencies must be
    multiples of dt (to ``GRID_TOL``); they are then snapped to exactly k dt. A
    1-D array is one pattern.
    """
    arr = np.array(latencies, dtype=float, ndmin=2)
    if arr.ndim != 2 or arr.size == 0:
        raise ConfigError(f"{source}: expected an M x N array of latencies, got shape {np.shape(latencies)}")
    if not cycle > 0:
        raise ConfigError(f"{source}: cycle must be > 0 s, got {cycle}")
    if np.isinf(arr).any():
        mu, i = np.argwhere(np.isinf(arr))[0]
        raise ConfigError(f"{source}: pattern {mu} neuron {i}: latency is infinite (use NaN for silent)")
    for bad, what in ((arr < 0, "is negative"), (arr >= cycle, f"is outside the cycle [0, {_ms(cycle)})")):
        if bad.any():
            mu, i = np.argwhere(bad)[0]
            raise ConfigError(f"{source}: pattern {mu} neuron {i}: latency {_ms(arr[mu, i])} {what}")
    empty = np.flatnonzero(np.isnan(arr).all(axis=1))
    if empty.size:
        raise ConfigError(f"{source}: pattern {empty[0]} has no spikes")
    if dt is not None:
        if not dt > 0:
            raise ConfigError(f"{source}: dt must be > 0 s, got {dt}")
        if abs(cycle / dt - round(cycle / dt)) > GRID_TOL:
            raise ConfigError(f"{source}: cycle {_ms(cycle)} is not a multiple of dt={_ms(dt)}")
        k = arr / dt
        off = np.abs(k - np.round(k)) > GRID_TOL
        if off.any():
            mu, i = np.argwhere(off)[0]
            raise ConfigError(f"{source}: pattern {mu} neuron {i}: latency {_ms(arr[mu, i])} "
                              f"is not a multiple of dt={_ms(dt)}")
        arr = np.round(k) * dt
    return arr


def check_delays(delays, dt: float, name: str = "delay") -> None:
    """Raise ConfigError when a (non-NaN) delay is below one time step ``dt``.

    A synaptic delay shorter than dt cannot be represented: Brian2 rounds it to
    the grid, and replay or coincidence timing breaks. NaN entries (no synapse)
    are ignored.
    """
    d = np.asarray(delays, dtype=float)
    bad = d < dt * (1 - GRID_TOL)
    if bad.any():
        where = np.argwhere(bad)[0]
        at = f" at index {tuple(int(w) for w in where) if d.ndim > 1 else int(where[0])}" if d.ndim else ""
        raise ConfigError(f"{name} {_ms(d[tuple(where)])}{at} is below dt = {_ms(dt)}")


def detection_delays(latencies, cycle: float) -> np.ndarray:
    """Coincidence-detector input delays d_i = T - t_i (NaN stays NaN)."""
    return cycle - np.asarray(latencies, dtype=float)


def _read_int(col: pd.Series, name: str, source: str) -> np.ndarray:
    num = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(num) | (num != np.round(num))
    if bad.any():
        r = int(np.flatnonzero(bad)[0])
        raise ConfigError(f"{source} line {r + 2}: {name} id {col.iloc[r]!r} is not an integer")
    return num.astype(np.int64)


MAX_FEATURES = 1_000_000  # feature neurons implied by a spike-pattern file's largest neuron id


def load_patterns(path: str | Path, n_features: int | None = None, *, cycle: float,
                  dt: float | None = None) -> np.ndarray:
    """Latencies ``(M, N)`` (s) from a CSV table with columns ``pattern, neuron, t_ms``.

    One row per spike, with a header line; further columns are ignored. A file
    without a ``pattern`` column is one pattern. Pattern ids must be 0..M-1
    (row mu of the result is pattern mu) and every pattern needs a spike;
    ``n_features`` defaults to the largest neuron id + 1. Times must lie in
    [0, cycle); each neuron spikes at most once per pattern. ``dt`` adds the
    grid check of :func:`validate_latencies`. Every problem is a ConfigError.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"spike pattern file not found: {path}")
    try:
        with warnings.catch_warnings():  # more fields than header names: an error, not a silent index
            warnings.simplefilter("error", pd.errors.ParserWarning)
            table = pd.read_csv(path, skipinitialspace=True, index_col=False)
    except pd.errors.EmptyDataError:
        raise ConfigError(f"{path}: file is empty; expected columns pattern, neuron, t_ms") from None
    except Exception as exc:  # undecodable bytes, ragged rows
        raise ConfigError(f"cannot read spike patterns from {path}: {str(exc).splitlines()[0]}") from None
    table.columns = [str(c).strip() for c in table.columns]
    missing = [c for c in ("neuron", "t_ms") if c not in table.columns]
    if missing:
        raise ConfigError(f"{path}: missing column(s) {', '.join(missing)}; "
                          f"expected pattern, neuron, t_ms (pattern optional), found {', '.join(table.columns)}")
    if len(table) == 0:
        raise ConfigError(f"{path}: no spikes (header only)")
    src = str(path)
    if n_features is not None and n_features < 1:
        raise ConfigError(f"n_features must be >= 1, got {n_features}")
    neuron = _read_int(table["neuron"], "neuron", src)
    pattern = _read_int(table["pattern"], "pattern", src) if "pattern" in table.columns \
        else np.zeros(len(table), dtype=np.int64)
    t_ms = pd.to_numeric(table["t_ms"], errors="coerce").to_numpy(dtype=float)
    checks = [
        (~np.isfinite(t_ms), lambda r: f"t_ms {table['t_ms'].iloc[r]!r} is not a finite number"),
        (pattern < 0, lambda r: f"pattern id {pattern[r]} is negative"),
        (neuron < 0, lambda r: f"neuron {neuron[r]} is negative"),
        (np.zeros(len(table), bool) if n_features is None else neuron >= n_features,
         lambda r: f"neuron {neuron[r]} is out of range 0..{n_features - 1} (n_features={n_features})"),
        (t_ms < 0, lambda r: f"negative spike time t_ms={t_ms[r]:g}"),
        (t_ms / 1e3 >= cycle, lambda r: f"t_ms={t_ms[r]:g} is outside the cycle [0, {cycle * 1e3:g}) ms"),
    ]
    for bad, message in checks:
        if bad.any():
            r = int(np.flatnonzero(bad)[0])
            raise ConfigError(f"{src} line {r + 2}: {message(r)}")
    dup = pd.Series(list(zip(pattern, neuron))).duplicated(keep=False).to_numpy()
    if dup.any():
        rows = np.flatnonzero(dup)
        first = rows[0]
        second = rows[1:][(pattern[rows[1:]] == pattern[first]) & (neuron[rows[1:]] == neuron[first])][0]
        raise ConfigError(f"{src} lines {first + 2} and {second + 2}: neuron {neuron[first]} "
                          f"spikes twice in pattern {pattern[first]}")
    ids = np.unique(pattern)
    if ids[-1] + 1 != ids.size:  # a gap (or a huge id) would allocate rows for patterns that do not exist
        missing = int(np.setdiff1d(np.arange(ids.size + 1), ids)[0])
        raise ConfigError(f"{src}: pattern ids must be 0..M-1 without gaps; the largest is {int(ids[-1])} for "
                          f"{ids.size} pattern(s), and pattern {missing} has no spikes")
    n = int(neuron.max()) + 1 if n_features is None else int(n_features)
    if n_features is None and n > MAX_FEATURES:
        raise ConfigError(f"{src}: neuron id {n - 1} implies {n:,} feature neurons (at most {MAX_FEATURES:,}); "
                          "give n_features, or number neurons from 0")
    out = np.full((ids.size, n), np.nan)
    out[pattern, neuron] = t_ms / 1e3
    return validate_latencies(out, cycle, dt, source=src)


def pattern_table(latencies) -> pd.DataFrame:
    """Tidy table ``pattern, neuron, t_ms`` of the active entries (the loader's format)."""
    arr = np.array(latencies, dtype=float, ndmin=2)
    mu, i = np.nonzero(~np.isnan(arr))
    return pd.DataFrame({"pattern": mu, "neuron": i, "t_ms": arr[mu, i] * 1e3})


def save_patterns(path: str | Path, latencies) -> None:
    """Write latencies as a CSV that :func:`load_patterns` reads back."""
    pattern_table(latencies).to_csv(path, index=False)


def pattern_spikes(latencies_row) -> tuple[np.ndarray, np.ndarray]:
    """Neuron indices and times (s) of the active neurons of one pattern."""
    row = np.asarray(latencies_row, dtype=float)
    i = np.flatnonzero(~np.isnan(row))
    return i, row[i]


# --- cues -------------------------------------------------------------------

def partial_cue(latencies_row, keep_fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Copy of a pattern keeping a random ``round(keep_fraction * K)`` of its K spikes."""
    if not 0.0 <= keep_fraction <= 1.0:
        raise ConfigError(f"keep_fraction must lie in [0, 1], got {keep_fraction}")
    row = np.array(latencies_row, dtype=float)
    active = np.flatnonzero(~np.isnan(row))
    drop = rng.choice(active, size=active.size - int(round(keep_fraction * active.size)), replace=False)
    row[drop] = np.nan
    return row


def jitter(latencies_row, sigma: float, rng: np.random.Generator, cycle: float,
           dt: float | None = None) -> np.ndarray:
    """Copy with Gaussian jitter N(0, sigma^2) added to every spike, clipped into [0, cycle).

    With ``dt`` the jittered times are rounded to the grid and clipped to the
    largest grid point below the cycle.
    """
    if not sigma >= 0:
        raise ConfigError(f"jitter sigma must be >= 0 s, got {sigma}")
    row = np.array(latencies_row, dtype=float)
    active = ~np.isnan(row)
    t = row[active] + (rng.normal(0.0, sigma, size=int(active.sum())) if sigma > 0 else 0.0)
    if dt is None:
        t = np.clip(t, 0.0, np.nextafter(cycle, -np.inf))
    else:
        t = np.clip(np.round(t / dt), 0, _grid_range(0.0, cycle, dt)[1] - 1) * dt
    row[active] = t
    return row


def delete(latencies_row, p: float, rng: np.random.Generator) -> np.ndarray:
    """Copy with each spike deleted independently with probability ``p``."""
    if not 0.0 <= p <= 1.0:
        raise ConfigError(f"deletion probability must lie in [0, 1], got {p}")
    row = np.array(latencies_row, dtype=float)
    row[(rng.random(row.size) < p) & ~np.isnan(row)] = np.nan
    return row


# --- matching and success ---------------------------------------------------

@dataclass(frozen=True)
class SpikeMatch:
    """One-to-one match of recalled spikes to the spikes of a stored pattern.

    ``neuron``, ``target``: the pattern's active neurons and latencies (s);
    ``recalled``: the matched recalled time per pattern spike, NaN if none;
    ``used``: per recalled spike, whether it was matched.
    """

    neuron: np.ndarray
    target: np.ndarray
    recalled: np.ndarray
    used: np.ndarray


def match_spikes(pattern_row, i, t, tolerance: float) -> SpikeMatch:
    """Match recalled spikes (neuron ``i``, time ``t`` in s, cycle start at 0) to a pattern.

    Each active pattern neuron takes, among the recalled spikes of that same
    neuron with |t - t_i| <= tolerance, the nearest one (ties: the earlier).
    A neuron has one pattern spike, so every recalled spike is used at most
    once. Times are not wrapped around the cycle.
    """
    row = np.asarray(pattern_row, dtype=float)
    i = np.asarray(i, dtype=np.int64)
    t = np.asarray(t, dtype=float)
    if i.shape != t.shape or i.ndim != 1:
        raise ValueError(f"i and t must be 1-D of one length, got {i.shape} and {t.shape}")
    if i.size and (i.min() < 0 or i.max() >= row.size):
        raise ValueError(f"recalled neuron index out of range 0..{row.size - 1}")
    neuron, target = pattern_spikes(row)
    err = np.abs(t - row[i])
    cand = np.flatnonzero(err <= tolerance)  # NaN (silent neuron) compares False
    order = cand[np.lexsort((t[cand], err[cand], i[cand]))]
    best = order[np.r_[True, i[order][1:] != i[order][:-1]]] if order.size else order
    recalled = np.full(row.size, np.nan)
    recalled[i[best]] = t[best]
    used = np.zeros(i.size, bool)
    used[best] = True
    return SpikeMatch(neuron, target, recalled[neuron], used)


def timing_errors(match: SpikeMatch) -> np.ndarray:
    """Absolute timing errors |t_recalled - t_i| (s) of the matched pairs."""
    ok = ~np.isnan(match.recalled)
    return np.abs(match.recalled[ok] - match.target[ok])


def completeness(match: SpikeMatch) -> float:
    """Fraction of the pattern's spikes that were matched (NaN for an empty pattern)."""
    return float(np.mean(~np.isnan(match.recalled))) if match.neuron.size else float("nan")


def false_spikes(match: SpikeMatch) -> int:
    """Number of recalled spikes left unmatched, silent-neuron spikes included."""
    return int(np.sum(~match.used))


def trial_success(completeness: float, median_error: float, false_fraction: float,
                  thresholds: dict | None = None) -> bool:
    """Whether one recall trial reproduced the pattern.

    Success means all three: completeness >= 0.9 (at least 90% of the
    pattern's spikes matched within the tolerance), median timing error of the
    matched spikes <= 2 ms, and false spikes (unmatched recalled spikes) <= 10%
    of the pattern's spike count. ``thresholds`` overrides any of the keys of
    ``SUCCESS`` ('completeness', 'median_error' in s, 'false_fraction'). A NaN
    median (nothing matched) fails.
    """
    th = dict(SUCCESS)
    unknown = set(thresholds or {}) - set(th)
    if unknown:
        raise ConfigError(f"unknown success threshold(s) {', '.join(sorted(unknown))}; "
                          f"valid: {', '.join(SUCCESS)}")
    th.update(thresholds or {})
    return bool(completeness >= th["completeness"] and median_error <= th["median_error"]
                and false_fraction <= th["false_fraction"])


def recall_scores(pattern_row, i, t, tolerance: float, thresholds: dict | None = None) -> dict:
    """All match metrics of one trial and its success (see :func:`trial_success`)."""
    m = match_spikes(pattern_row, i, t, tolerance)
    err = timing_errors(m)
    n_pat = m.neuron.size
    out = {
        "n_pattern": n_pat,
        "n_recalled": int(m.used.size),
        "n_matched": int(err.size),
        "completeness": completeness(m),
        "median_error": float(np.median(err)) if err.size else float("nan"),
        "mean_error": float(np.mean(err)) if err.size else float("nan"),
        "false_spikes": false_spikes(m),
        "false_fraction": false_spikes(m) / n_pat if n_pat else float("nan"),
    }
    out["success"] = trial_success(out["completeness"], out["median_error"], out["false_fraction"], thresholds)
    return out


# --- spike-train distances --------------------------------------------------

def van_rossum(t1, t2, tau: float) -> float:
    """Van Rossum (2001) distance between two spike trains (times in s).

    Each spike is filtered by the causal kernel e^{-t/tau}; the normalisation
    is van Rossum's D^2 = (1/tau) * integral (f - g)^2 dt, which for
    exponential kernels has the exact closed form
    D^2 = (1/2)[sum_ij e^{-|t1i-t1j|/tau} + sum_ij e^{-|t2i-t2j|/tau}
    - 2 sum_ij e^{-|t1i-t2j|/tau}].
    One unmatched spike gives D^2 = 1/2; one spike shifted by s gives
    D^2 = 1 - e^{-s/tau}, saturating at 1. Returns D.

    Computed in one pass over the two trains merged in time (Houghton & Kreuz
    2012, Network 23:48): with signs s = +1 (first train) and -1 (second), the
    double sum is n + 2 sum_k s_k M_k, where M_k = e^{-(z_k - z_{k-1})/tau}
    (M_{k-1} + s_{k-1}) carries the decayed past. O(n log n) for the sort,
    against O(n^2) for the pairwise sums; Elephant's ``van_rossum_distance``
    gives the same up to its normalisation (tests/test_against_elephant.py)
    but costs a Neo SpikeTrain per train, which dominates for the short
    per-neuron trains of population distances (BENCHMARKS.md).
    """
    if not tau > 0:
        raise ConfigError(f"van Rossum tau must be > 0 s, got {tau}")
    a = np.asarray(t1, dtype=float).ravel()
    b = np.asarray(t2, dtype=float).ravel()
    times = np.concatenate([a, b])
    if times.size == 0:
        return 0.0
    order = np.argsort(times, kind="stable")
    signs = np.concatenate([np.ones(a.size), -np.ones(b.size)])[order].tolist()
    decay = np.exp(-np.diff(times[order]) / tau).tolist()
    carried, cross = 0.0, 0.0
    for k in range(1, len(signs)):
        carried = decay[k - 1] * (carried + signs[k - 1])
        cross += signs[k] * carried
    return float(np.sqrt(max(0.0, 0.5 * (times.size + 2.0 * cross))))


def victor_purpura(t1, t2, q: float) -> float:
    """Victor & Purpura (1996) spike-time distance D^spike[q] (times in s, q in 1/s); equal to Elephant's
    ``victor_purpura_distance`` and x2.8 faster on two 200-spike trains (benchmarks/measures_vs_elephant.py).

    Minimal cost to turn one train into the other: 1 per inserted or deleted
    spike, q |dt| per shift by dt. Dynamic programming; each row of the table
    is one vectorised step, as G[i, j] = j + cummin_k(c_k - k) over the
    deletion/shift candidates c_k.
    """
    if not (q >= 0 and np.isfinite(q)):
        raise ConfigError(f"Victor-Purpura q must be finite and >= 0 per s, got {q}")
    a = np.sort(np.asarray(t1, dtype=float).ravel())
    b = np.sort(np.asarray(t2, dtype=float).ravel())
    if a.size > b.size:
        a, b = b, a
    j = np.arange(b.size + 1, dtype=float)
    g = j.copy()
    for n, ta in enumerate(a, start=1):
        c = np.empty_like(g)
        c[0] = n
        c[1:] = np.minimum(g[1:] + 1.0, g[:-1] + q * np.abs(ta - b))
        g = j + np.minimum.accumulate(c - j)
    return float(g[-1])


def _by_neuron(i, t) -> dict:
    i = np.asarray(i, dtype=np.int64).ravel()
    t = np.asarray(t, dtype=float).ravel()
    order = np.argsort(i, kind="stable")
    keys, start = np.unique(i[order], return_index=True)
    return dict(zip(keys.tolist(), np.split(t[order], start[1:])))


def van_rossum_population(i1, t1, i2, t2, tau: float) -> float:
    """Population van Rossum distance: sqrt of the sum over neurons of D_n^2.

    Neurons are labelled and never exchange spikes (Houghton & Sen 2008 with
    orthogonal labels), so D^2 adds up over neurons.
    """
    a, b = _by_neuron(i1, t1), _by_neuron(i2, t2)
    empty = np.zeros(0)
    d2 = sum(van_rossum(a.get(n, empty), b.get(n, empty), tau) ** 2 for n in set(a) | set(b))
    return float(np.sqrt(d2))


def victor_purpura_population(i1, t1, i2, t2, q: float) -> float:
    """Population Victor-Purpura distance: the sum over neurons of D_n^spike[q]
    (the multi-unit distance with relabelling cost k = 2, Aronov et al. 2003)."""
    a, b = _by_neuron(i1, t1), _by_neuron(i2, t2)
    empty = np.zeros(0)
    return float(sum(victor_purpura(a.get(n, empty), b.get(n, empty), q) for n in set(a) | set(b)))
