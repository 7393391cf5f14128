"""The experiment engine: one loop that runs every protocol.

A :class:`Protocol` is a set of pure pieces (how to prepare the grid points,
the trials of a point, how to score a trial, summarise, tabulate, draw and
report); the engine owns everything they share:

    Protocol(**parameters)          validated at once (hopfield_brian.configure)
      -> prepare(points)            patterns and models, no Brian2 build yet
      -> one Simulator per structure (build once, run many)
      -> batches of trials          Protocol.jobs -> Simulator.run_batches
      -> Protocol.score             one trials-table row per trial
      -> Store                      journal entries, resume, lock (hopfield_brian.sweep)
      -> Results                    trials, summary, spikes, tables, figures (hopfield_brian.results)

A protocol written outside the package subclasses :class:`Protocol` (or one
of the two trial families, :class:`~hopfield_brian.rate_protocol.RateProtocol`
and :class:`~hopfield_brian.delay_protocol.DelayProtocol`) and gets sweeps,
resume, devices, batching and progress from here (``examples/custom_protocol.py``).
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

from . import configure as conf
from . import resources
from .errors import ConfigError


class Protocol:
    """A memory paradigm: parameters, trial, scoring, tables, figures.

    Make one with its parameters (the names of ``--set``/``--sweep`` on the
    command line; strings are read as typed there, Quantities and numbers
    as they are, numpy arrays wherever a file is accepted)::

        exp = Recall(model="modern", n_patterns=20, beta=0.05, trials=10, sweep={"cue_noise": [0.1, 0.3]})
        res = exp.run()                       # in memory; run(out="folder") writes and resumes

    Everything is validated when the object is made, before anything is built.
    Subclasses set the class attributes and override the pieces they need.
    """

    name = ""  # command-line name and results folder
    help = ""  # one line for --help
    config_class: type = None  # frozen dataclass of the protocol's parameters (see config.param)
    default_model = "modern"
    uses_model_params = True  # takes the rate models' parameters (beta, temperature, ...)
    results_label = None  # results/<name>/<label>-<time>; None: the model's name

    def __init__(self, sweep=None, **parameters):
        self.config, self.params, self.grid, self.user_swept = conf.configure(self, parameters, sweep)

    @classmethod
    def from_config(cls, config, params=None, sweep=None):
        """The protocol made from a config dataclass instance (``config_class``) and model parameters,
        used as they are: no per-model defaults applied; validated like the keyword form."""
        obj = cls.__new__(cls)
        obj.config, obj.params, obj.grid, obj.user_swept = conf.from_config(obj, config, params, sweep)
        return obj

    @classmethod
    def restored(cls, config, params, grid):
        """The protocol as a finished run described it (no files re-read, no defaults re-applied)."""
        obj = cls.__new__(cls)
        obj.config, obj.params, obj.grid, obj.user_swept = config, params, grid, set()
        return obj

    def __repr__(self) -> str:
        swept = f", sweep over {', '.join(conf.swept_names(self.grid))}" if self.grid else ""
        return f"<{type(self).__name__} {self.config.model if hasattr(self.config, 'model') else ''}{swept}>"

    # ------------------------------------------------------------- pieces
    @classmethod
    def defaults(cls, model: str) -> dict:
        """Defaults of this protocol that differ from its config class's, per model (strings or values)."""
        return {}

    def default_grid(self, config, grid):
        """The grid the protocol runs for the user's sweep (default: just that)."""
        return grid

    def validate(self, config, params) -> None:
        """Checks across parameters (single-parameter ranges are in the declarations)."""

    def prepare(self, config, params, grid, saved=None) -> list:
        """The grid's points, each with its patterns and model (``saved``: the patterns of a finished run,
        to rebuild points for figures without learning or reading input files)."""
        raise NotImplementedError

    def groups(self, points: list) -> list[list]:
        """Points grouped so that each group runs on one build (one network structure)."""
        raise NotImplementedError

    def simulator(self, base, workers: int | None, batch: int | None, compile: bool = True):
        """The build serving every point of ``base``'s group (``compile`` False: sources only)."""
        raise NotImplementedError

    def duration_of(self, point) -> float:
        """Simulated time of one trial of ``point`` (s)."""
        raise NotImplementedError

    def jobs(self, point, repeats, base):
        """``(key, Trial)`` for each repeat of ``point``, in order."""
        raise NotImplementedError

    def score(self, point, repeat: int, key, spikes: dict, fanout: dict, wall: float) -> dict:
        """The trials-table row of one finished trial."""
        raise NotImplementedError

    def summarise(self, trials, swept: list[str]):
        """One row per grid point."""
        raise NotImplementedError

    def info(self, points: list) -> dict:
        """Extra entries of config.json."""
        return {"device": self.config.device, "seed": self.config.seed}

    def inputs(self, points: list) -> dict:
        """Arrays saved in ``patterns.npz`` (what the figures of a reloaded run need)."""
        return {}

    def tables(self, results) -> dict:
        """The protocol's own tables, ``{name: DataFrame}``, written as ``<name>.csv``."""
        return {}

    def figures(self, results) -> dict:
        """``{name: matplotlib Figure}`` drawn from the results' tables, written as ``<name>.png``."""
        return {}

    def report(self, results) -> str:
        """What the command line prints after a run."""
        return f"{self.name}: {len(results.trials)} trials; results in {results.folder}"

    # ------------------------------------------------------------ running
    def run(self, out=None, *, workers: int | None = None, batch: int | None = None, progress: bool = False,
            figures: bool = True, client=None):
        """Run every trial of every grid point and return the :class:`~hopfield_brian.results.Results`.

        ``out``: a folder to write (and resume from: rerunning with the same folder skips what is
        done); default: the ``out`` parameter, else nothing is written (``Results.save`` later).
        ``workers``: binaries at once (default one per core); ``batch``: trials per binary run
        (default 16 on cpp_standalone). Neither changes the results. ``figures``: draw the figures into
        ``out`` (after the tables are written; ``hopfield-brian plot`` draws them later). ``client``: a
        ``dask.distributed.Client`` whose workers run the batches (:mod:`hopfield_brian.cluster`; the
        same tables, spike for spike); ``workers`` is then ignored.
        """
        return run(self, out, workers=workers, batch=batch, progress=progress, figures=figures, client=client)

    def build(self, compile: bool = True, batch: int | None = None) -> list:
        """Generate (and compile) every network structure's standalone project, run nothing:
        ``[(project folder, seconds)]``. Each folder holds the sources and a Makefile; with ``compile``
        its ``main`` binary too, which ``main --results_dir DIR`` runs. ``batch``: as :meth:`run`'s (it
        shapes the project: the trial loop's size, cuda_standalone's replicas)."""
        if self.config.device == "runtime":
            raise ConfigError("building ahead needs a standalone device (cpp_standalone or cuda_standalone): "
                              "runtime compiles nothing ahead of the run")
        from .build_cache import default_build_root

        resources.check_build_root(default_build_root())
        built = []
        for group in self.groups(self.prepare(self.config, self.params, self.grid)):
            sim = self.simulator(group[0], None, batch, compile)
            sim.close()
            built.append((sim.build_dir, sim.build_time))
        return built


def run(protocol: Protocol, out=None, *, workers=None, batch=None, progress=False, figures=True, client=None):
    """Run ``protocol`` (see :meth:`Protocol.run`)."""
    from . import results as res_mod
    from . import sweep

    if workers is not None and workers < 1:
        raise ConfigError(f"--workers must be >= 1, got {workers}")
    if batch is not None and batch < 1:
        raise ConfigError(f"--batch must be >= 1, got {batch}")
    config = protocol.config
    out = out if out is not None else (getattr(config, "out", "") or None)
    t0 = time.perf_counter()
    _check_device(config.device)
    points = protocol.prepare(config, protocol.params, protocol.grid)
    resources.check(protocol, points, out, workers, batch)
    sizes = sweep.store_sizes(points)
    identity = res_mod.identity(protocol, points)
    store = sweep.FolderStore(out, identity, **sizes) if out else sweep.MemoryStore(**sizes)
    try:
        resumed = len(store.done())
        repaired = list(getattr(store, "repaired", []))
        stats = run_trials(protocol, points, store, workers, batch, progress, client)
        trials = store.trials()
        results = res_mod.Results(protocol, trials, protocol.summarise(trials, conf.swept_names(protocol.grid)),
                                  points=points, store=store, folder=Path(out) if out else None,
                                  info={**identity, **protocol.info(points), "out": str(out or ""), **stats,
                                        "trials_resumed": resumed, "trials_run": len(trials) - resumed,
                                        **({"repaired": repaired} if repaired else {})})
        results.tables = protocol.tables(results)
        results.info["wall_time_s"] = time.perf_counter() - t0  # config.json's: up to the final write
        if out:
            res_mod.write(results, Path(out), figures)
    finally:
        if out:
            store.close()
    results.info["wall_time_s"] = results.wall_s = time.perf_counter() - t0  # the write included
    return results


def builds_text(info: dict) -> str:
    """How a run's builds are reported: ``1 build, 1 compilation`` or ``2 builds, 0 compilations (reused)``."""
    builds, compiled = info.get("builds", 0), info.get("compilations", 0)
    text = f"{builds} build{'s' * (builds != 1)}, {compiled} compilation{'s' * (compiled != 1)}"
    return text + (f" (reused build{'s' * (builds != 1)})" if builds and not compiled else "")


def _batches_of(sim, trials, total: int):
    """The simulator's finished batches; a binary that stops names the trials of its batch."""
    from .simulator import SimulationError
    from .sweep import trial_number

    try:
        yield from sim.run_batches(trials, total=total)
    except SimulationError as exc:
        numbers = sorted(trial_number(pt, r) for pt, r, _ in exc.keys)
        span = f"trial {numbers[0]}" if len(numbers) == 1 else f"trials {numbers[0]}-{numbers[-1]}"
        raise SimulationError(f"{exc} while running {span}; the trials finished before are kept: free disk or "
                              "memory if it ran out, then rerun the same command to resume", exc.keys) from None


def _check_device(device: str) -> None:
    """What a device needs before anything is built: a writable build folder; a GPU for cuda_standalone."""
    from .build_cache import default_build_root

    if device == "runtime":
        return
    resources.check_build_root(default_build_root())
    if device == "cuda_standalone":
        from .cuda import have_gpu

        if not have_gpu():
            raise ConfigError("cuda_standalone needs a GPU to run, and none is visible (nvidia-smi lists none); "
                              "--build-only (Protocol.build) generates and compiles the project without one")


def run_trials(protocol: Protocol, points: list, store, workers=None, batch=None, progress=False, client=None) -> dict:
    """Run every unfinished trial of ``points``, one simulator (one build) per group of the protocol
    (on the workers of a Dask ``client`` if given).

    The trials of one binary run (a batch, see :mod:`hopfield_brian.simulator`)
    are stored together as one journal entry, so a kill loses at most the batch
    being scored. Returns build statistics.
    """
    from .results import package_versions, spike_metadata
    from .sweep import progress_bar

    done = store.done()
    groups = protocol.groups(points)
    versions = package_versions()
    todo = {pt.index: [r for r in range(pt.config.trials) if (pt.index, r) not in done] for g in groups for pt in g}
    stats = {"builds": 0, "compilations": 0, "build_time_s": 0.0, "run_seconds": 0.0}
    bar = progress_bar(sum(len(v) for v in todo.values()), progress)
    with contextlib.ExitStack() as stack:
        stack.callback(bar.close)
        if client is not None:
            from . import cluster

            stack.enter_context(cluster.simulators_on(client))
        for pts in groups:
            if not any(todo[pt.index] for pt in pts):
                continue
            base = pts[0]
            if client is None:
                bar.set_postfix_str("building")
                sim = protocol.simulator(base, workers, batch)
                bar.unpause()  # the build's time is not the trials': left out of elapsed time, rate and ETA
                bar.set_postfix_str("")
            else:
                sim = cluster.DaskRunner(client, protocol, pts, batch)
                bar.set_postfix_str(f"{sim.workers} Dask workers")
            stats["workers"] = sim.workers
            metadata = spike_metadata(protocol, base, versions)
            pending = []  # scored trials of the batch not yet stored
            try:
                trials = (((pt, r, key), trial) for pt in pts
                          for r, (key, trial) in zip(todo[pt.index], protocol.jobs(pt, todo[pt.index], base)))
                t_last = time.perf_counter()
                for finished in _batches_of(sim, trials, sum(len(todo[pt.index]) for pt in pts)):
                    now = time.perf_counter()
                    share = (now - t_last) / len(finished)  # each trial's share of the wall time
                    t_last = now
                    for (pt, r, key), spikes, *scored in finished:  # scored: the row, from Dask workers
                        row = scored[0] if scored else protocol.score(pt, r, key, spikes, sim.fanout, share)
                        pending.append((row, spikes))
                        bar.update()
                    store.add_many(pending, metadata)
                    pending = []
            finally:
                store.add_many(pending, metadata)  # also on Ctrl-C: what was scored is kept
                sim.close()
            stats["builds"] += 1  # per structure (on Dask: whatever number of workers built it)
            stats["compilations"] += sim.compilations
            stats["build_time_s"] += sim.build_time
            stats["run_seconds"] += sim.run_seconds
    return stats
