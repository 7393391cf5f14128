"""Export a run's spikes to the formats the field's tools read: Neo and NWB.

* :func:`to_neo`: a ``neo.Block`` with one ``Segment`` per trial and, in it,
  one ``SpikeTrain`` per neuron of every population, silent ones included
  (ms, ``t_start`` 0, ``t_stop`` the trial's duration; annotations: population,
  neuron); the segment carries the trial's row, the block the run's
  parameters (Garcia et al. 2014, Front. Neuroinform. 8:27). Elephant takes
  the trains as they are. Written with ``neo.io.PickleIO`` (read back by the
  same Neo major version): Neo's NIX format writes each train as its own
  object, ~20 ms per train here (3 minutes for the default 20-trial recall's
  9,000 trains), so NWB is the format to archive and share.
* :func:`to_nwb`: a ``pynwb.NWBFile`` (Rübel et al. 2022, eLife 11:e78362) whose
  trials lie end to end on the session clock; the units table holds one unit
  per neuron (spike times in s, population and neuron columns); the trials
  table holds every column of the trials table (the swept parameters among
  them); the stored patterns are in ``scratch`` (``patterns_point_<k>``).

``pip install 'hopfield-brian[export]'`` installs neo and pynwb.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .errors import ConfigError
from . import lazy

pd = lazy.module("pandas")  # imported on first use (see hopfield_brian.lazy)

FORMATS = {"neo": "spikes.neo.pkl", "nwb": "spikes.nwb"}


def _need(module: str):
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise ConfigError(f"exporting needs {module}: pip install 'hopfield-brian[export]'") from None


def _layout(results) -> tuple[dict, pd.DataFrame, dict]:
    """``{point: spike metadata}``, the trials table, and the spikes grouped by trial."""
    from .results import spike_metadata

    meta = {pt.index: spike_metadata(results.protocol, pt, results.versions) for pt in results.points}
    spikes = results.spike_table()
    by_trial = dict(tuple(spikes.groupby("trial", observed=True))) if len(spikes) else {}
    return meta, results.trials.sort_values("trial", ignore_index=True), by_trial


def _trains(meta: dict, trial_spikes: pd.DataFrame | None):
    """``(population, neuron, spike times in ms)`` of every neuron of one trial, silent ones included."""
    for pop, size in meta["populations"].items():
        if trial_spikes is None or not len(trial_spikes):
            mine = np.zeros(0, dtype=np.int64), np.zeros(0)
        else:
            sel = trial_spikes[trial_spikes["population"] == pop]
            mine = sel["neuron"].to_numpy(np.int64), sel["t_ms"].to_numpy(float)
        order = np.lexsort((mine[1], mine[0]))
        neurons, times = mine[0][order], mine[1][order]
        bounds = np.searchsorted(neurons, np.arange(size + 1))
        for n in range(size):
            yield pop, n, times[bounds[n]:bounds[n + 1]]


def _plain(value):
    """A value Neo's and NWB's annotations accept (numbers, strings, bools)."""
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if value is None:
        return float("nan")  # a missing number (pandas gives None or NaN): a float column stays one
    return value if isinstance(value, (int, float, str, bool)) else str(value)


def to_neo(results):
    """The run's spikes as a ``neo.Block`` (see the module's docstring)."""
    neo = _need("neo")
    import quantities as pq

    meta, trials, by_trial = _layout(results)
    block = neo.Block(name=f"hopfield-brian {results.protocol.name}",
                      description="spiking Hopfield network run (hopfield-brian)",
                      protocol=results.protocol.name, config=json.dumps(results.info, default=str))
    for _, row in trials.iterrows():
        m = meta[int(row["point"])]
        seg = neo.Segment(name=f"trial {int(row['trial'])}", index=int(row["trial"]),
                          **{str(k): _plain(v) for k, v in row.items()})
        t_stop = m["t_stop_ms"]
        for pop, n, times in _trains(m, by_trial.get(row["trial"])):
            seg.spiketrains.append(neo.SpikeTrain(times * pq.ms, t_start=0 * pq.ms, t_stop=t_stop * pq.ms,
                                                  name=f"{pop} {n}", population=pop, neuron=n))
        block.segments.append(seg)
    return block


def to_nwb(results, session_start=None):
    """The run's spikes as a ``pynwb.NWBFile`` (see the module's docstring)."""
    pynwb = _need("pynwb")
    import datetime

    meta, trials, by_trial = _layout(results)
    start = session_start or datetime.datetime.now(datetime.timezone.utc)
    nwb = pynwb.NWBFile(session_description=f"hopfield-brian {results.protocol.name}: simulated spiking "
                                            "Hopfield network", identifier=f"hopfield-brian-{start.isoformat()}",
                        session_start_time=start, source_script=json.dumps(results.info, default=str),
                        source_script_file_name="hopfield-brian")
    columns = [c for c in trials.columns]
    for c in columns:
        nwb.add_trial_column(c, f"trials table column {c}")
    units: dict[tuple, list] = {}
    offset = 0.0
    for _, row in trials.iterrows():
        m = meta[int(row["point"])]
        duration = m["t_stop_ms"] * 1e-3
        nwb.add_trial(start_time=offset, stop_time=offset + duration,
                      **{c: _nwb_value(row[c]) for c in columns})
        for pop, n, times in _trains(m, by_trial.get(row["trial"])):
            units.setdefault((pop, n), []).append(offset + times * 1e-3)
        offset += duration
    nwb.units = _units_table(units)
    for key, array in results.inputs.items():
        nwb.add_scratch(np.asarray(array), name=f"patterns_{key}", description=f"stored {key} of the run")
    return nwb


def _units_table(units: dict):
    """The NWB units table, built from whole arrays (``add_unit`` converts every spike time on its own:
    ~40 s for the 2.3 million spikes of 200 default trials)."""
    from hdmf.common import VectorData, VectorIndex
    from pynwb.misc import Units

    trains = [np.concatenate(chunks) for chunks in units.values()]
    times = VectorData(name="spike_times", description="the spike times for each unit in seconds",
                       data=np.concatenate(trains) if trains else np.zeros(0))
    index = VectorIndex(name="spike_times_index", target=times,
                        data=np.cumsum([t.size for t in trains], dtype=np.int64))
    population = VectorData(name="population", description="population of the neuron",
                            data=[pop for pop, _ in units])
    neuron = VectorData(name="neuron", description="index of the neuron within its population",
                        data=np.array([n for _, n in units], dtype=np.int64))
    return Units(name="units", description="simulated neurons, one unit per neuron of every population",
                 id=np.arange(len(trains)), columns=[times, index, population, neuron])


def _nwb_value(value):
    value = _plain(value)
    return float(value) if isinstance(value, bool) else value


def export(results, fmt: str, path=None) -> Path:
    """Write the run's spikes in ``fmt`` (``neo``: a pickled Neo Block, ``nwb``: an NWB file) to ``path``
    (default: ``spikes.neo.pkl`` or ``spikes.nwb`` in the run's folder), atomically; the file's path."""
    if fmt not in FORMATS:
        raise ConfigError(f"unknown export format {fmt!r}; choose from {', '.join(FORMATS)}")
    if path is None:
        if results.folder is None:
            raise ConfigError("this run has no folder: give the file to write")
        path = Path(results.folder) / FORMATS[fmt]
    path = Path(path)
    if not path.parent.is_dir():
        raise ConfigError(f"cannot write {path}: {path.parent} is not a folder")
    content = to_neo(results) if fmt == "neo" else to_nwb(results)
    partial = path.with_name(f".partial-{path.name}")
    try:
        if fmt == "neo":
            from neo.io import PickleIO

            PickleIO(str(partial)).write_block(content)
        else:
            from pynwb import NWBHDF5IO

            with NWBHDF5IO(str(partial), "w") as io:
                io.write(content)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return path
