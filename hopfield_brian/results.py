"""A run's results, in memory and in its folder: the one place that knows the results format.

:class:`Results` is what every run returns and what :func:`load` gives back
from a results folder: trials, summary and spikes as pandas DataFrames, the
protocol's own tables, the parameters and versions that made them, and the
figures, drawn from those tables (and the saved patterns), never from
simulator state. A folder holds:

| file | content |
|---|---|
| ``trials.csv`` | one row per trial (scores, spikes, every parameter) |
| ``summary.csv`` | one row per grid point |
| ``<table>.csv`` | the protocol's own tables (capacity, robustness, ...) |
| ``spikes.parquet/`` | tidy spikes: trial, population, neuron, t_ms (one part per journal entry) |
| ``patterns.npz`` | the stored patterns of every point (rate-model protocols) |
| ``config.json`` | parameters, grid, seed, device, build statistics, versions |
| ``<figure>.png`` | the figures |
| ``trials/``, ``run.json`` | the journal a resumed run starts from, and the run's identity |
| ``complete.json`` | written last: the files above are all there and belong together |

Every file appears complete or not at all (written in a staging folder and
moved with atomic renames), and ``complete.json`` is written after all of
them (removed first when a run resumes): :func:`load` reads only complete runs.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import importlib
import json
import os
import shutil
import time
from pathlib import Path

import numpy as np

from . import config as cfg
from .errors import ConfigError
from . import lazy

pd = lazy.module("pandas")  # imported on first use (see hopfield_brian.lazy)

PACKAGES = ("hopfield-brian", "brian2", "brian2cuda", "numpy", "pandas", "pyarrow", "seaborn")
FIXED_FILES = ("trials.csv", "summary.csv", "config.json")
BUILTIN = {"recall": "Recall", "capacity": "Capacity", "robustness": "Robustness", "storage": "Storage",
           "attention": "Attention", "spatiotemporal": "Spatiotemporal", "sequence": "Sequence",
           "shared": "Shared", "regimes": "Regimes", "phase": "Phase"}  # command-line name -> class in hopfield_brian.protocols.<name>


class Results:
    """Tables, spikes, parameters and figures of one run.

    ``trials``, ``summary``: DataFrames; ``tables``: ``{name: DataFrame}``
    (the protocol's own); ``spikes`` (or ``spike_table(trial)``): the tidy
    spike table; ``config``, ``params``, ``grid``: what made them; ``info``:
    the contents of config.json (seed, device, build statistics, versions);
    ``figures()``: ``{name: matplotlib Figure}``; ``save(folder)``.
    """

    def __init__(self, protocol, trials: pd.DataFrame, summary: pd.DataFrame, *, points=None, store=None,
                 folder: Path | None = None, info: dict | None = None, tables: dict | None = None,
                 inputs: dict | None = None):
        self.protocol, self.trials, self.summary = protocol, trials, summary
        self.tables = tables or {}
        self.folder = Path(folder) if folder else None
        self.info = info or {}
        self.wall_s = float(self.info.get("wall_time_s", float("nan")))
        self._points, self._store, self._inputs = points, store, inputs

    def __repr__(self) -> str:
        where = f" in {self.folder}" if self.folder else ""
        return (f"<Results of {self.protocol.name}: {len(self.summary)} point(s), {len(self.trials)} trials"
                f"{where}; tables: {', '.join(['trials', 'summary', *self.tables]) }>")

    @property
    def config(self):
        """The protocol's parameters (a frozen dataclass)."""
        return self.protocol.config

    @property
    def params(self):
        """The model's parameters (a frozen dataclass)."""
        return self.protocol.params

    @property
    def grid(self):
        """The grid that ran: a dict of value lists (their product) or a list of points."""
        return self.protocol.grid

    @property
    def swept(self) -> list[str]:
        """Names of the swept parameters."""
        from .configure import swept_names

        return swept_names(self.grid)

    @property
    def versions(self) -> dict:
        return self.info.get("versions") or package_versions()

    @property
    def inputs(self) -> dict:
        """The arrays of patterns.npz (stored patterns of every point), ``{}`` for protocols without."""
        if self._inputs is None:
            if self._points is not None:
                self._inputs = self.protocol.inputs(self._points)
            elif self.folder is not None and (self.folder / "patterns.npz").exists():
                with np.load(self.folder / "patterns.npz") as f:
                    self._inputs = {k: f[k] for k in f.files}
            else:
                self._inputs = {}
        return self._inputs

    @property
    def points(self) -> list:
        """The grid's points with their patterns and models (rebuilt from the saved patterns for a loaded
        run: no learning, no input file read, nothing simulated)."""
        if self._points is None:
            self._points = self.protocol.prepare(self.config, self.params, self.grid, saved=self.inputs)
        return self._points

    @property
    def spikes(self) -> pd.DataFrame:
        """Every spike of the run: trial, population, neuron, t_ms (from each trial's start)."""
        return self.spike_table()

    def spike_table(self, trial: int | None = None) -> pd.DataFrame:
        """The spikes of one trial, or of all (``trial`` None)."""
        if self._store is not None:
            return self._store.spike_table(trial)
        folder = self.folder / "spikes.parquet"
        if not folder.exists():
            return pd.DataFrame(columns=["trial", "population", "neuron", "t_ms"])
        if trial is None:
            return pd.read_parquet(folder)
        return pd.read_parquet(folder, filters=[("trial", "==", trial)])

    def figures(self) -> dict:
        """``{name: matplotlib Figure}`` of the protocol, drawn from these tables."""
        return self.protocol.figures(self)

    def report(self) -> str:
        """The summary the command line prints."""
        return self.protocol.report(self)

    def to_neo(self):
        """The spikes as a ``neo.Block``: a Segment per trial, a SpikeTrain per neuron (:mod:`hopfield_brian.export`)."""
        from .export import to_neo

        return to_neo(self)

    def to_nwb(self):
        """The spikes, trials and patterns as a ``pynwb.NWBFile`` (:mod:`hopfield_brian.export`)."""
        from .export import to_nwb

        return to_nwb(self)

    def export(self, fmt: str, path=None) -> Path:
        """Write the spikes as ``neo`` (pickled Block) or ``nwb``, by default into the run's folder."""
        from .export import export

        return export(self, fmt, path)

    def save(self, folder, figures: bool = True) -> Path:
        """Write every table, the spikes, patterns, config.json and (``figures``) the figures to ``folder``
        (which must not hold another run); returns the folder."""
        folder = Path(folder)
        if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
            raise ConfigError(f"{folder} exists and is not empty; choose another folder")
        folder.mkdir(parents=True, exist_ok=True)
        with staged_files(folder) as stage:
            import pyarrow.parquet as pq

            from .sweep import arrow_table

            (stage / "spikes.parquet").mkdir()
            spikes, versions = self.spike_table(), self.versions
            for pt in self.points:  # one self-describing part per grid point
                trials = self.trials.loc[self.trials["point"] == pt.index, "trial"]
                part = spikes[spikes["trial"].isin(trials)]
                if len(part):
                    pq.write_table(arrow_table(part.reset_index(drop=True), spike_metadata(self.protocol, pt, versions)),
                                   stage / "spikes.parquet" / f"point-{pt.index:05d}.parquet")
            _write_tables(self, stage)
        if figures:
            write_figures(self, folder)
        _mark_complete(folder)
        return folder


def load(folder, protocol=None) -> Results:
    """The :class:`Results` of a finished run from its folder (what ``run(out=...)`` or ``save`` wrote).

    ``protocol``: the protocol class, for a protocol defined outside the package whose module cannot
    be imported by the name config.json records (by default the class is found from that name)."""
    from .sweep import COMPLETE

    folder = Path(folder)
    marker = folder / "config.json"
    if not (folder / COMPLETE).is_file():
        if folder.is_dir() and ((folder / "run.json").exists() or marker.exists()):
            raise ConfigError(f"{folder} holds an unfinished run (no {COMPLETE}): rerun its command with the same "
                              "--out to finish it")
        raise ConfigError(f"{folder} is not a results folder (no {COMPLETE})")
    try:
        info = json.loads(marker.read_text())
    except (ValueError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{marker} is not valid JSON ({exc})") from None
    if not isinstance(info, dict) or "protocol" not in info or "config" not in info:
        raise ConfigError(f"{marker} does not describe a run (no protocol or config)")
    protocol = restored_protocol(info, protocol)
    tables = {f.stem: pd.read_csv(f) for f in sorted(folder.glob("*.csv"))
              if f.name not in ("trials.csv", "summary.csv")}
    return Results(protocol, pd.read_csv(folder / "trials.csv"), pd.read_csv(folder / "summary.csv"),
                   folder=folder, info=info, tables=tables)


def protocol_class(info: dict):
    """The protocol class that wrote config.json ``info``: a built-in one, or the class it names."""
    name = info.get("protocol_class") or ""
    module, _, qualname = name.partition(":")
    if info["protocol"] in BUILTIN and (not module or module.startswith("hopfield_brian.")):
        module = f"hopfield_brian.protocols.{info['protocol']}"
        qualname = BUILTIN[info["protocol"]]
    try:
        obj = importlib.import_module(module)
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError, ValueError):
        raise ConfigError(f"the protocol {info['protocol']!r} ({name or 'no class recorded'}) cannot be imported; "
                          "import the module that defines it first") from None
    return obj


def restored_protocol(info: dict, cls=None):
    """The protocol, with its parameters and grid, that config.json ``info`` describes."""
    from . import paradigm

    cls = cls or protocol_class(info)
    config = cfg.restore(cls.config_class, info["config"])
    model = getattr(config, "model", "modern")
    params = paradigm.model_params(model if model in ("modern", "classical") else "modern")
    if "model_params" in info:
        params = cfg.restore(type(params), info["model_params"])
    grid = restore_grid(info.get("sweep"), [config, params])
    return cls.restored(config, params, grid)


def restore_grid(described, instances: list):
    """A grid as :func:`hopfield_brian.sweep.describe_grid` wrote it, its values typed again."""
    def typed(name, value):
        for inst in instances:
            if name in {f.name for f in dataclasses.fields(inst)}:
                return cfg.restore_value(getattr(inst, name), value)
        return value

    if isinstance(described, list):
        return [{k: typed(k, v) for k, v in point.items()} for point in described]
    return {k: [typed(k, v) for v in vs] for k, vs in (described or {}).items()}


def identity(protocol, points) -> dict:
    """What makes a run the same run (``run.json``): protocol, parameters, grid, input files' sha256."""
    from .sweep import describe_grid

    config = protocol.config
    out = {"protocol": protocol.name, "config": cfg.describe(dataclasses.replace(config, out=""))}
    if protocol.uses_model_params:
        out["model_params"] = cfg.describe(protocol.params)
    out["sweep"] = describe_grid(protocol.grid)
    return {**out, **input_digests(config, [pt.swept for pt in points])}


def spike_metadata(protocol, point, versions: dict) -> dict:
    """What a spike part says about itself (its schema's ``hopfield_brian`` entry): every population and
    its size (silent neurons and empty trials still exist), time step and trial window, column meanings and
    units, the protocol, model, seed and every parameter of the point, and the versions that made it."""
    config = point.config
    params = getattr(point, "params", None)
    return {
        "columns": {"trial": "run-wide trial number (the trials table's trial column)",
                    "population": "population name", "neuron": "neuron index within its population",
                    "t_ms": "spike time from the trial's start"},
        "units": {"t_ms": "ms"},
        "populations": {pop: int(n) for pop, n in point.model.neuron_counts().items()},
        "dt_ms": float(config.dt) * 1e3, "t_start_ms": 0.0,
        "t_stop_ms": round(float(protocol.duration_of(point)) * 1e3, 9),
        "protocol": protocol.name, "model": getattr(config, "model", None), "seed": config.seed,
        "point": point.index, "parameters": cfg.describe(config) | (cfg.describe(params) if params else {}),
        "versions": versions,
    }


def read_spike_metadata(path) -> dict:
    """The self-description of a spike part (``spikes.parquet/<part>.parquet``), read from the file alone."""
    import pyarrow.parquet as pq

    from .sweep import SCHEMA_KEY

    meta = pq.read_schema(path).metadata or {}
    return json.loads(meta[SCHEMA_KEY]) if SCHEMA_KEY in meta else {}


def write(results: Results, folder: Path, figures: bool = True) -> None:
    """Write a run's tables, patterns and config.json into its folder, then (``figures``) its figures, then
    its completion marker: the numbers are on disk before matplotlib is imported."""
    with staged_files(folder) as stage:
        _write_tables(results, stage)
    if figures:
        write_figures(results, folder)
    _mark_complete(folder)


def write_figures(results: Results, folder: Path) -> list[str]:
    """Draw the run's figures into ``folder`` (each file appears complete or not at all); their names."""
    figures = results.figures()
    with staged_files(folder) as stage:
        for name, fig in figures.items():
            fig.savefig(stage / f"{name}.png")
    return [f"{name}.png" for name in figures]


def _mark_complete(folder: Path) -> None:
    from .sweep import COMPLETE, write_atomic

    files = sorted(f.name for f in folder.iterdir() if not f.name.startswith(".") and f.name != COMPLETE)
    write_atomic(folder / COMPLETE, json.dumps({"files": files, "written": time.strftime("%Y-%m-%dT%H:%M:%S")},
                                              indent=2) + "\n")


def _write_tables(results: Results, stage: Path) -> None:
    results.trials.to_csv(stage / "trials.csv", index=False)
    results.summary.to_csv(stage / "summary.csv", index=False)
    for name, table in results.tables.items():
        table.to_csv(stage / f"{name}.csv", index=False)
    if results.inputs:
        np.savez_compressed(stage / "patterns.npz", **results.inputs)
    cls = type(results.protocol)
    write_json(stage / "config.json", {**results.info, "protocol_class": f"{cls.__module__}:{cls.__qualname__}",
                                       "versions": results.versions})


def package_versions() -> dict:
    """Versions of the packages a result depends on, plus Python's."""
    from .build_cache import installed_versions

    return installed_versions(PACKAGES)


def default_run_dir(protocol: str, label: str, root: str | os.PathLike = "results") -> Path:
    """``results/<protocol>/<label>-<timestamp>``."""
    return Path(root) / protocol / f"{label}-{time.strftime('%Y%m%d-%H%M%S')}"


@contextlib.contextmanager
def staged_files(folder: str | os.PathLike):
    """Yield a staging folder; on success each file in it is moved into ``folder``
    with an atomic rename, so a reader sees every file complete or not at all.
    On error nothing is moved and the staging folder is removed."""
    folder = Path(folder)
    stage = folder / f".staging-{os.getpid()}"
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir(parents=True)
    try:
        yield stage
        for f in stage.iterdir():
            os.replace(f, folder / f.name)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def write_json(path: Path, obj: dict) -> None:
    path.write_text(json.dumps(obj, indent=2, default=str) + "\n")


def input_digests(config, points=()) -> dict:
    """``{"input_sha256": {path: sha256 of its bytes}}`` for every input file the run reads (named in
    ``config`` or in a grid point), so that a run identity changes with the files' content; ``{}``
    when the run reads none (its identity keeps its form). Arrays given instead of files are named
    by their own sha256 in the parameters already."""
    names = cfg.names_where(type(config), "file")
    paths = {getattr(config, name, "") for name in names if isinstance(getattr(config, name, ""), str)}
    paths |= {point[name] for point in points for name in names if isinstance(point.get(name), str)}
    digests = {path: hashlib.sha256(Path(path).read_bytes()).hexdigest() for path in sorted(paths) if path}
    return {"input_sha256": digests} if digests else {}
