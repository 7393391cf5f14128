"""From spikes to tidy tables, decoded states and overlap trajectories."""

from __future__ import annotations

import numpy as np

from . import patterns as pat
from . import lazy

pd = lazy.module("pandas")  # imported on first use (see hopfield_brian.lazy)

SUCCESS_OVERLAP = 0.9  # a retrieval succeeds when the final overlap with the target reaches this


def spike_table(trial: int, spikes: dict) -> pd.DataFrame:
    """Tidy spikes of one trial: ``trial``, ``population``, ``neuron``, ``t_ms``
    (``spikes``: ``{population: (neuron indices, times in s)}``)."""
    return spike_tables([(trial, spikes)])


def spike_tables(trials: list, dtypes: dict | None = None) -> pd.DataFrame:
    """One tidy table of the spikes of several trials, ``[(trial, spikes), ...]``, in that order.

    Compact dtypes: ``trial`` and ``neuron`` in the unsigned types ``dtypes``
    names (the stores pass the smallest that hold every trial number and every
    neuron of the run, so that all parts of a run share them; by default the
    smallest for the spikes given, at least uint16 for neurons);
    ``population`` categorical (int8 codes); ``t_ms`` float32. 8 bytes per
    spike in memory for runs of up to 256 trials, 9 up to 65,536.
    """
    pops = list(dict.fromkeys(p for _, spikes in trials for p in spikes))
    parts = [(trial, spikes[p], k) for trial, spikes in trials for k, p in enumerate(pops) if p in spikes]
    sizes = [i.size for _, (i, _), _ in parts]
    i = np.concatenate([i for _, (i, _), _ in parts]) if parts else np.zeros(0, dtype=np.int32)
    t = np.concatenate([t for _, (_, t), _ in parts]) if parts else np.zeros(0)
    trial = np.repeat(np.array([tr for tr, _, _ in parts], dtype=np.int64), sizes)
    codes = np.repeat(np.array([k for _, _, k in parts], dtype=np.int8), sizes)
    largest = {"trial": max((tr for tr, _, _ in parts), default=0), "neuron": int(i.max(initial=0))}
    types = {"trial": smallest_uint(largest["trial"]), "neuron": smallest_uint(max(largest["neuron"], 2**8))}
    types |= {k: v for k, v in (dtypes or {}).items() if v is not None}
    for column, value in largest.items():
        if value > np.iinfo(types[column]).max:
            raise ValueError(f"{column} {value} does not fit the run's {column} dtype {np.dtype(types[column])}")
    return pd.DataFrame({
        "trial": trial.astype(types["trial"]),
        "population": pd.Categorical.from_codes(codes, categories=pops),
        "neuron": i.astype(types["neuron"]),
        "t_ms": (t * 1e3).astype(np.float32),
    })


def smallest_uint(largest: int) -> type:
    """The smallest unsigned numpy integer type that holds ``largest``."""
    return next(t for t in (np.uint8, np.uint16, np.uint32, np.uint64) if largest <= np.iinfo(t).max)


def counts(spikes: dict, sizes: dict, start: float, stop: float) -> dict:
    """Spike counts per neuron of each population in [start, stop) seconds."""
    out = {"window": stop - start}
    for pop, (i, t) in spikes.items():
        sel = (t >= start) & (t < stop)
        out[pop] = np.bincount(i[sel], minlength=sizes[pop]).astype(float)
    return out


def binned_counts(spikes: dict, sizes: dict, duration: float, bin_width: float) -> dict:
    """Counts per (time bin, neuron) for each population over [0, duration)."""
    n_bins = int(round(duration / bin_width))
    out = {"window": bin_width}
    for pop, (i, t) in spikes.items():
        b = np.minimum((t / bin_width).astype(np.int64), n_bins - 1)
        flat = np.bincount(b * sizes[pop] + i, minlength=n_bins * sizes[pop])
        out[pop] = flat.reshape(n_bins, sizes[pop]).astype(float)
    return out


def overlap_trajectory(model, patterns: np.ndarray, kind: str, spikes: dict, sizes: dict,
                       duration: float, bin_width: float, window: float) -> tuple[np.ndarray, np.ndarray]:
    """Overlaps m_mu(t) (n_bins x M) of the state decoded, at each bin end t, from the
    spikes in the trailing ``window`` (a whole number of bins), with the same rule as
    the final read-out. Returns bin end times (s) and overlaps."""
    binned = binned_counts(spikes, sizes, duration, bin_width)
    k = max(1, int(round(window / bin_width)))
    trailing = {"window": k * bin_width}
    for pop in spikes:
        c = np.cumsum(binned[pop], axis=0)
        c[k:] -= c[:-k].copy()
        trailing[pop] = c
    states = model.decode_counts(trailing)
    t_end = bin_width * np.arange(1, states.shape[0] + 1)
    return t_end, pat.overlap(patterns, states, kind)


def time_to_retrieval(t_end: np.ndarray, target_overlap: np.ndarray, t_cue: float) -> float:
    """First bin end after the cue at which the target overlap reaches the threshold, minus t_cue (ms).

    NaN when it never does.
    """
    after = t_end > t_cue + 1e-12
    hit = np.nonzero(after & (target_overlap >= SUCCESS_OVERLAP))[0]
    return round(float((t_end[hit[0]] - t_cue) * 1e3), 6) if hit.size else float("nan")


def first_split(a: dict, b: dict, dt: float) -> float | None:
    """Time (s) of the first spike at which two simulations of one trial differ, ``{population: (neuron
    indices, times in s)}`` each, their spikes ordered by time step and neuron (None: the same spikes).
    Devices, replicas and batches of one trial draw the same numbers, so they differ only where
    floating-point differences first flip a spike (a "split")."""
    first = None
    for pop in a.keys() | b.keys():
        (ia, sa), (ib, sb) = ((np.asarray(s[0]), np.round(np.asarray(s[1], dtype=float) / dt).astype(np.int64))
                              for s in (a.get(pop, ((), ())), b.get(pop, ((), ()))))
        ka, kb = np.lexsort((ia, sa)), np.lexsort((ib, sb))
        ia, sa, ib, sb = ia[ka], sa[ka], ib[kb], sb[kb]
        n = min(ia.size, ib.size)
        differ = np.flatnonzero((ia[:n] != ib[:n]) | (sa[:n] != sb[:n]))
        step = min(sa[differ[0]], sb[differ[0]]) if differ.size else sa[n] if sa.size > n else sb[n] if sb.size > n \
            else None
        if step is not None:
            first = step * dt if first is None else min(first, step * dt)
    return first
