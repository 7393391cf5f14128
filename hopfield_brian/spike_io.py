"""Spike tables from other tools, in the package's tidy form: one row per spike, columns trial, population,
neuron and t_ms (ms from the trial's start), as :attr:`Results.spikes` gives them.

* CSV or parquet files of any column names (:class:`SpikeColumns` maps them; times in ms or s); the
  package's own ``spikes.parquet`` parts also give each population's size, the time step and the trial
  length (:func:`hopfield_brian.results.read_spike_metadata`);
* Neo (Garcia et al. 2014, Front. Neuroinform. 8:27): a ``Block`` (one trial per ``Segment``), a
  ``Segment`` or a list of ``SpikeTrain`` objects, read from a pickle (``neo.io.PickleIO``, as
  :mod:`hopfield_brian.export` writes it); each train's ``population`` and ``neuron`` annotations name its
  neuron (without them: population ``all``, neurons numbered in order), silent trains count as neurons,
  times are taken from the train's ``t_start``;
* NWB (Rübel et al. 2022, eLife 11:e78362): the units table's spike times, with ``population`` and
  ``neuron`` columns where present, cut into the trials table's trials (times from each trial's start).

Each reader returns a :class:`SpikeData`: the table and what the file says about the neurons, the time
step, the trial length and the number of trials (None where it says nothing). A pickle runs code when
read: open only files you trust.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .config import param
from .errors import ConfigError
from . import lazy

pd = lazy.module("pandas")  # imported on first use (see hopfield_brian.lazy)

TIDY = ("trial", "population", "neuron", "t_ms")
TIME_UNITS = {"ms": 1.0, "s": 1e3}  # to ms


@dataclass(frozen=True)
class SpikeColumns:
    """Which columns of a spike table hold what (the defaults are the package's own)."""

    time: str = param("t_ms", "column of the spike times")
    neuron: str = param("neuron", "column of the neuron indices (integers from 0 within each population)")
    population: str = param("population", "column of the population names; '' for one population, 'all'")
    trial: str = param("trial", "column of the trial numbers; absent or '': one trial")
    time_unit: str = param("ms", "unit of the time column", choices=tuple(TIME_UNITS))


@dataclass(frozen=True)
class SpikeData:
    """A tidy spike table and what its source says about it: ``neurons`` per population (silent ones
    included; empty: unknown), ``dt_ms``, ``duration_ms`` (the length of every trial) and ``trials``
    (None: unknown)."""

    spikes: pd.DataFrame
    neurons: dict = field(default_factory=dict)
    dt_ms: float | None = None
    duration_ms: float | None = None
    trials: int | None = None


def tidy(frame: pd.DataFrame, columns: SpikeColumns = SpikeColumns()) -> pd.DataFrame:
    """``frame`` with the package's column names and types (times in ms), checked."""
    from .config import check

    check(columns)
    needed = {"time": columns.time, "neuron": columns.neuron, **({"population": columns.population}
                                                                 if columns.population else {})}
    missing = [f"{role} column {name!r}" for role, name in needed.items() if name not in frame.columns]
    if missing:
        raise ConfigError(f"the spike table has no {', no '.join(missing)}; its columns: "
                          f"{', '.join(map(str, frame.columns))}")
    time = pd.to_numeric(frame[columns.time], errors="coerce").to_numpy(float) * TIME_UNITS[columns.time_unit]
    neuron = pd.to_numeric(frame[columns.neuron], errors="coerce").to_numpy(float)
    if not np.all(np.isfinite(time)):
        raise ConfigError(f"spike times in column {columns.time!r} must be finite numbers")
    if not np.all(np.isfinite(neuron)) or np.any(neuron < 0) or np.any(neuron != np.round(neuron)):
        raise ConfigError(f"neuron indices in column {columns.neuron!r} must be integers >= 0")
    trial = (pd.to_numeric(frame[columns.trial], errors="coerce").to_numpy(float)
             if columns.trial and columns.trial in frame.columns else np.zeros(len(frame)))
    if not np.all(np.isfinite(trial)):
        raise ConfigError(f"trial numbers in column {columns.trial!r} must be numbers")
    population = frame[columns.population].astype(str).to_numpy() if columns.population else "all"
    return pd.DataFrame({"trial": trial.astype(np.int64), "population": population,
                         "neuron": neuron.astype(np.int64), "t_ms": time})


def read(path, columns: SpikeColumns = SpikeColumns()) -> SpikeData:
    """The spikes of a CSV, parquet (file or folder of parts), Neo pickle (.pkl, .pickle) or NWB file."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"no spike file {path}")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        try:
            frame = pd.read_csv(path)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path} is not a readable CSV table: {str(exc).splitlines()[0]}") from None
        return SpikeData(tidy(frame, columns))
    if suffix == ".parquet" or path.is_dir():
        return _parquet(path, columns)
    if suffix in (".pkl", ".pickle"):
        return from_neo(_neo_pickle(path))
    if suffix == ".nwb":
        return _nwb_file(path)
    raise ConfigError(f"cannot read spikes from {path}: expected .csv, .parquet, .pkl (Neo) or .nwb")


def _parquet(path: Path, columns: SpikeColumns) -> SpikeData:
    from .results import read_spike_metadata

    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow's errors have no common base class
        raise ConfigError(f"{path} is not a readable parquet table: {str(exc).splitlines()[0]}") from None
    parts = sorted(path.glob("*.parquet")) if path.is_dir() else [path]
    metas = [read_spike_metadata(p) for p in parts]
    # what every part says alike (the package's parts differ where the points of a sweep do)
    same = {key: metas[0].get(key) for key in ("populations", "dt_ms", "t_stop_ms")
            if metas and all(m.get(key) == metas[0].get(key) for m in metas)}
    return SpikeData(tidy(frame, columns), dict(same.get("populations") or {}), same.get("dt_ms"),
                     same.get("t_stop_ms"))


def _neo_pickle(path: Path):
    try:
        from neo.io import PickleIO
    except ImportError:
        raise ConfigError("reading Neo files needs neo: pip install 'hopfield-brian[export]'") from None
    try:
        return PickleIO(str(path)).read_block()
    except Exception as exc:  # unpickling raises anything
        raise ConfigError(f"{path} is not a pickled Neo Block: {type(exc).__name__}: "
                          f"{(str(exc) or 'no message').splitlines()[0]}") from None


def _trains(obj) -> list[tuple[int, list]]:
    """``[(trial, spike trains)]`` of a Neo Block, Segment or list of SpikeTrains."""
    if hasattr(obj, "segments"):
        return [(k if seg.index is None else int(seg.index), list(seg.spiketrains))
                for k, seg in enumerate(obj.segments)]
    if hasattr(obj, "spiketrains"):
        return [(0 if obj.index is None else int(obj.index), list(obj.spiketrains))]
    trains = list(obj)
    if not all(hasattr(t, "t_start") and hasattr(t, "rescale") for t in trains):
        raise ConfigError("expected a neo Block, Segment or a list of neo SpikeTrain objects")
    return [(0, trains)]


def from_neo(obj, population: str = "population", neuron: str = "neuron") -> SpikeData:
    """The spikes of a Neo Block (a trial per Segment), Segment or list of SpikeTrains (see the module
    docstring); ``population``, ``neuron``: the annotations that name each train's neuron."""
    frames, sizes, lengths = [], {}, set()
    trials = _trains(obj)
    segments = getattr(obj, "segments", None) or [obj]
    dts = {getattr(seg, "annotations", {}).get("dt_ms") for seg in segments}  # the package's trials carry dt
    for trial, trains in trials:
        numbered: dict[str, int] = {}
        for train in trains:
            pop = str(train.annotations.get(population, "all"))
            index = int(train.annotations.get(neuron, numbered.get(pop, 0)))
            numbered[pop] = max(numbered.get(pop, 0), index + 1)
            start = float(train.t_start.rescale("ms").magnitude)
            times = np.asarray(train.rescale("ms").magnitude, dtype=float) - start
            lengths.add(round(float(train.t_stop.rescale("ms").magnitude) - start, 9))
            frames.append(pd.DataFrame({"trial": trial, "population": pop, "neuron": index, "t_ms": times}))
        for pop, n in numbered.items():
            sizes[pop] = max(sizes.get(pop, 0), n)
    spikes = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(TIDY))
    dt = dts.pop() if len(dts) == 1 else None
    return SpikeData(tidy(spikes), sizes, None if dt is None else float(dt),
                     lengths.pop() if len(lengths) == 1 else None, len(trials))


def _nwb_file(path: Path) -> SpikeData:
    try:
        from pynwb import NWBHDF5IO
    except ImportError:
        raise ConfigError("reading NWB files needs pynwb: pip install 'hopfield-brian[export]'") from None
    try:
        with NWBHDF5IO(str(path), "r") as io:
            return from_nwb(io.read())
    except (OSError, ValueError, KeyError) as exc:
        raise ConfigError(f"{path} is not a readable NWB file: {(str(exc) or type(exc).__name__).splitlines()[0]}") \
            from None


def from_nwb(nwb) -> SpikeData:
    """The spikes of an NWB file's units table, cut into its trials (see the module docstring)."""
    if nwb.units is None or not len(nwb.units):
        raise ConfigError("the NWB file has no units table")
    units = nwb.units.to_dataframe()
    pops = units["population"].astype(str) if "population" in units else pd.Series("all", index=units.index)
    neurons = (units["neuron"].astype(np.int64) if "neuron" in units
               else pops.groupby(pops).cumcount().astype(np.int64))
    counts = units["spike_times"].map(len).to_numpy()
    times = np.concatenate([np.asarray(t, dtype=float) for t in units["spike_times"]]) if len(units) else np.zeros(0)
    table = pd.DataFrame({"population": np.repeat(pops.to_numpy(), counts),
                          "neuron": np.repeat(neurons.to_numpy(), counts), "t_s": times})
    sizes = {p: int(n) + 1 for p, n in neurons.groupby(pops).max().items()}
    trials = nwb.trials.to_dataframe() if nwb.trials is not None and len(nwb.trials) else None
    if trials is None:
        table["trial"] = 0
        return SpikeData(tidy(table.assign(t_ms=table["t_s"] * 1e3)), sizes, trials=1)
    starts, stops = trials["start_time"].to_numpy(float), trials["stop_time"].to_numpy(float)
    order = np.argsort(starts)
    k = order[np.clip(np.searchsorted(starts[order], table["t_s"].to_numpy(), side="right") - 1, 0, None)]
    inside = (table["t_s"].to_numpy() >= starts[k]) & (table["t_s"].to_numpy() < stops[k])
    number = trials["trial"].to_numpy() if "trial" in trials else np.arange(len(trials))
    table = table.assign(trial=number[k], t_ms=(table["t_s"].to_numpy() - starts[k]) * 1e3)[inside]
    lengths = np.unique(np.round((stops - starts) * 1e3, 9))
    dts = np.unique(trials["dt_ms"]) if "dt_ms" in trials else []
    return SpikeData(tidy(table), sizes, float(dts[0]) if len(dts) == 1 else None,
                     float(lengths[0]) if len(lengths) == 1 else None, len(trials))
