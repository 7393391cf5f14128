"""Build a network once on the chosen device, then run many trials on it.

Every random number of a trial is a counter-based draw from its seed
(:mod:`hopfield_brian.equations.counter_random`): it depends on the seed, the
place that draws, the neuron and the time step only, so a trial's spikes do
not depend on what else its process runs, nor on the device's generators.

* ``runtime``: the network is built in Python, stored once, and each trial
  restores it and sets the trial's values.
* ``cpp_standalone``: the network is generated and compiled once; each run of
  the binary takes a *batch* of up to ``batch`` trials that share parameters
  and pattern arrays (``run_args``) and differ in cue and seed. The binary
  loops over them in one process: before each trial it restores the state the
  network had after initialisation and loads the trial's seed and cue, then
  runs it from t = 0. A trial is therefore the same spike for spike whatever
  batch it runs in (spike queues are emptied between trials, so models with
  synaptic delays batch too), and start-up (process, synapse creation, array
  loading) is paid once per batch. Several binaries run at once (``workers``),
  each with its own results folder.
* ``cuda_standalone``: a batch is K trials run at once as K *replicas* of the
  network in one Brian2 network (:mod:`hopfield_brian.models`), so that every
  kernel launch serves K trials; their cues and seeds are arrays passed
  through ``run_args`` and each replica's spikes are split back into its
  trial's. K is ``batch`` when given, else as many as half the GPU's memory
  holds, at most ``AUTO_REPLICAS``. The same trial loop runs on the GPU
  (restoring the device's arrays), so ``Simulator(replicas=K, batch=P K)``
  runs P passes of K replicas per binary run: the synapses of K replicas are
  made once for P K trials.

A trial's spikes are the same whatever its batch, its position in it or its
replica (tested), and on runtime as on cpp_standalone up to floating-point
splits (tested: at most 3 of 30 trials may split; none did); brian2cuda's
device maths may differ from the CPU's in the last bits of a normal draw.
cpp_standalone can run replicas too (``replicas``, each pass of the loop then
runs K trials at once); it does not by default (BENCHMARKS.md: the loop of
single networks was faster on this project's CPUs).

The device is chosen here and only here; protocols pass its name.

Standalone builds are cached by content (:mod:`hopfield_brian.build_cache`):
on a warm build folder the binary runs directly with its run_args, and
neither Brian2 nor its code generation is touched; Brian2 is imported only
to build (and for the runtime device).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections import OrderedDict, deque
from pathlib import Path

import numpy as np

from .build_cache import (Recipe, cache_key, default_build_root, finish_build, folder_name, open_build, run_arg,
                          share, start_build)
from .errors import ConfigError
from .resources import default_workers, gpu_replicas
from .units import to_brian2

DEVICES = ("runtime", "cpp_standalone", "cuda_standalone")

AUTO_BATCH = 16  # trials per binary run of a batchable model on cpp_standalone, unless chosen
AUTO_REPLICAS = 64  # replicas per run on cuda_standalone, unless chosen (fewer when the GPU's memory is short)


def _remove_dead_results(folder: Path) -> None:
    """Remove the results folders that processes of this host left behind when they were killed."""
    host = socket.gethostname()
    for stale in folder.glob(f"results-{host}-*-*"):
        pid = stale.name[len(f"results-{host}-"):].split("-", 1)[0]
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(stale, ignore_errors=True)
        except (ValueError, PermissionError):
            pass  # not a pid of ours, or a live process of another user


def replicas_for(model, device: str, batch: int | None, replicas: int | None = None) -> int:
    """Copies of the network per pass of a binary's trial loop: on cuda_standalone ``replicas``, else
    ``batch``, else as many as half the GPU's memory holds (at most AUTO_REPLICAS); on cpp_standalone
    ``replicas`` (default 1); 1 for a model without replicas and on runtime."""
    if not getattr(model, "replicable", False):
        return 1
    if device == "cuda_standalone":
        return replicas or batch or gpu_replicas(model, AUTO_REPLICAS)
    return (replicas or 1) if device == "cpp_standalone" else 1


def batch_size(model, device: str, batch: int | None, replicas: int = 1) -> int:
    """Trials per binary run, in whole passes of ``replicas`` trials: on cpp_standalone ``batch`` (default 16)
    for a batchable model; on cuda_standalone ``batch`` (default: one pass) for a model with replicas (the
    GPU's loop does not empty spike queues: the delay-line memory runs one trial per run); else 1."""
    if device == "cpp_standalone" and getattr(model, "batchable", False):
        return -(-(batch or AUTO_BATCH) // replicas) * replicas
    if device == "cuda_standalone" and getattr(model, "replicable", False):
        return -(-(batch or replicas) // replicas) * replicas
    return 1


class SimulationError(RuntimeError):
    """A simulation binary stopped before it finished (killed, crashed, disk full); ``keys``: its batch's trials."""

    def __init__(self, message: str, keys=()):
        super().__init__(message)
        self.keys = list(keys)


class Trial:
    """What one trial sets: cue, seed, tunable values and (optional) pattern arrays."""

    def __init__(self, cue: np.ndarray, seed: int, values: dict | None = None, arrays: dict | None = None):
        self.cue, self.seed, self.values, self.arrays = cue, int(seed), values or {}, arrays


class Simulator:
    """One compiled (or built) network and the means to run trials on it.

    ``duration`` and ``dt``: Quantities or seconds; ``defaults``: the tunable
    values every trial starts from (a trial's ``values`` override them).
    """

    def __init__(self, model, device: str, duration, dt, defaults: dict,
                 build_dir: str | os.PathLike | None = None, workers: int | None = None,
                 batch: int | None = None, compile: bool = True, replicas: int | None = None):
        """``batch``: trials per binary run; ``replicas``: copies of the network per pass of the binary's trial
        loop (default: 1 on cpp_standalone; on cuda_standalone ``batch``, else :func:`replicas_for`'s)."""
        if batch is not None and batch < 1:
            raise ConfigError(f"--batch must be >= 1, got {batch}")
        if replicas is not None and replicas < 1:
            raise ConfigError(f"replicas must be >= 1, got {replicas}")
        if device not in DEVICES:
            raise ConfigError(f"unknown device {device!r}; choose from {', '.join(DEVICES)}")
        self.model = model
        self.device = device
        self.duration, self.dt = float(duration), float(dt)  # s
        self.workers = max(1, workers or default_workers(device))
        # batching needs the binary's trial loop (cpp_standalone) or replicas, and a model whose state
        # is all in its groups' arrays and spike queues (no plastic synapses)
        self.replicas = replicas_for(model, device, batch, replicas)
        self.batch = batch_size(model, device, batch, self.replicas)
        self.defaults = dict(defaults)
        self.compilations = 0  # binaries compiled or linked (0: a warm build folder was reused as it was)
        self.run_seconds = 0.0  # simulation time reported by the binaries (standalone)
        self.built = self.recipe = self._lock = None
        self.warm = False  # True: a cached standalone build ran as it was, without Brian2
        t0 = time.perf_counter()
        if device == "runtime":
            self._build_runtime()
        else:
            key = cache_key(model, device, self.dt, self.duration, self.batch, self.replicas)
            self.build_dir, self._lock, self.recipe = open_build(
                Path(build_dir) if build_dir else default_build_root() / folder_name(model, device, key),
                key if compile else None)
            self.warm = self.recipe is not None  # then shared with any other process that runs it
            try:
                if self.recipe is None:
                    self.recipe = self._build_standalone(key, compile)
                    share(self._lock)
                _remove_dead_results(self.build_dir)
            except BaseException:  # a failed build (or Ctrl-C) leaves the folder to the next process at once
                self.close()
                raise
            # the build's own pattern arrays are passed on every run too: a warm binary's static
            # arrays are those of whichever build compiled it
            weights = getattr(model, "weight_values", dict)()
            self._base_arrays = {k: v for k, v in weights.items() if k in self.recipe.arrays}
            self._array_args = OrderedDict()  # (argument, id(array)) -> (array, text): recent arrays' files
        self.build_time = time.perf_counter() - t0

    @property
    def fanout(self) -> dict:
        """Synapses per neuron of each recorded population (synaptic events = sum over spikes)."""
        return self.recipe.fanout if self.recipe is not None else self.built.fanout

    def close(self) -> None:
        """Release the build folder for other processes, and the Brian2 objects: while they
        live, the next build's objects get other names (and so other sources) than in a
        fresh process."""
        if self._lock is not None:
            for folder in self._results_folders():
                shutil.rmtree(folder, ignore_errors=True)
            self._lock.close()
            self._lock = None
        self.built = None

    def _results_folders(self) -> list[Path]:
        """This process's own results folders in the (possibly shared, possibly by several hosts) build folder."""
        return [self.build_dir / f"results-{socket.gethostname()}-{os.getpid()}-{k}" for k in range(self.workers)]

    # ------------------------------------------------------------ building
    def _build_runtime(self) -> None:
        import brian2 as b2

        from . import brian2_compat as compat

        compat.select_device("runtime")
        b2.defaultclock.dt = self.dt * b2.second
        self.built = built = self.model.build()
        for g, v, value in self._runtime_tunables(self.defaults):
            setattr(g, v, value)
        built.network.store("initial")
        built.network.run(0 * b2.ms, namespace=built.namespace)  # resolve and compile code objects once

    def _build_standalone(self, key: str, compile: bool) -> Recipe:
        """Generate the project with Brian2 (and compile it); the recipe of the build."""
        import brian2 as b2

        from . import brian2_compat as compat

        compat.select_device(self.device, default_build_root())
        b2.defaultclock.dt = self.dt * b2.second
        # only a model with replicas (``replicable``) takes them
        built = self.model.build(replicas=self.replicas) if self.replicas > 1 else self.model.build()
        duration = self.duration * b2.second
        batch_groups = compat.batch_loop(built, duration, self.batch // self.replicas,
                                         cuda=self.device == "cuda_standalone")
        compat.one_dt_setting()
        # sources only (compile False): the folder's binary and its records stay as they are
        before = start_build(self.build_dir) if compile else None
        b2.device.build(directory=str(self.build_dir), compile=compile, run=False, with_output=False)
        # a warm build folder whose sources did not change keeps its binary: no compilation
        self.compilations = int(compile and finish_build(self.build_dir, before))
        recipe = compat.recipe(built, key, batch_groups)
        if compile:
            recipe.save(self.build_dir)
        return recipe

    # ------------------------------------------------------------ settings
    def _run_args(self, trial: Trial) -> list:
        """(argument, dtype, value, copies) of the values a batch shares (those of ``trial``), sizes checked
        before any run; an array is passed ``copies`` times over (once per replica)."""
        r, out = self.recipe, []
        # standalone builds leave tunables at zero (so that the compiled code does not depend on
        # them): every trial passes all of them
        for name, value in (self.defaults | trial.values).items():
            if name not in r.tunables:
                raise ConfigError(f"{name!r} cannot be varied without rebuilding the network")
            out.extend((argument, dtype, value, 1) for argument, dtype in r.tunables[name])
        for name, value in (self._base_arrays | (trial.arrays or {})).items():
            argument, dtype, size, copies = r.arrays[name]
            if np.size(value) != size:  # the binary would silently ignore an array of the wrong length
                raise ConfigError(f"{name} has {np.size(value)} entries, the network expects {size}")
            out.append((argument, dtype, value, copies))
        return out

    def _cue_values(self, trial: Trial, size: int):
        """The cue variable's values (the model's encoding, with its unit) of one trial."""
        values = self.model.encode_cue(trial.cue)
        if np.shape(values) != (size,):
            raise ConfigError(f"cue has {np.size(trial.cue)} entries, the network expects {self.model.n_features}")
        return values

    def _runtime_tunables(self, values: dict) -> list:
        out = []
        for name, value in values.items():
            if name not in self.built.tunables:
                raise ConfigError(f"{name!r} cannot be varied without rebuilding the network")
            out.extend((g, v, to_brian2(value)) for g, v in self.built.tunables[name])
        return out

    # ------------------------------------------------------------- running
    def run_trial(self, trial: Trial) -> dict:
        """Run one trial; return ``{population: (neuron indices, spike times in s)}``."""
        return next(iter(self.run_many([trial])))[1]

    def run_many(self, trials):
        """Run trials (an iterable of :class:`Trial`, or of ``(key, Trial)``), yielding
        ``(key, spikes)`` as they finish, in order of submission."""
        for finished in self.run_batches(trials):
            yield from finished

    def run_batches(self, trials, total: int | None = None):
        """As :meth:`run_many`, a list of ``(key, spikes)`` per binary run (one trial each on runtime).

        ``total``, the number of trials to come, if known, keeps batches small enough
        that at least two are in flight per worker (the caller scores one batch while
        the binaries run the next).
        """
        jobs = keyed(trials)
        if self.device == "runtime":
            for key, trial in jobs:
                yield [(key, self._run_runtime(trial))]
            return
        for batch, spikes in self._run_standalone(batches(jobs, self.batch, total, self.workers, self.replicas)):
            yield list(zip((key for key, _ in batch), spikes))

    def _run_runtime(self, trial: Trial) -> dict:
        import brian2 as b2

        built = self.built
        group, var = built.cue
        # the cue in SI units (a delay memory's cue is spike times): Brian2's unit-free view, var_
        settings = [(group, f"{var}_", self._cue_values(trial, len(group))), (*built.seed, trial.seed),
                    *self._runtime_tunables(self.defaults | trial.values)]
        for name, value in (trial.arrays or {}).items():
            g, v, size, _ = built.arrays[name]
            if np.size(value) != size:
                raise ConfigError(f"{name} has {np.size(value)} entries, the network expects {size}")
            settings.append((g, v, value))
        net = built.network
        net.restore("initial")
        for g, v, value in settings:
            setattr(g, v, value)
        built.initialise_trial()  # after the seed: it may draw
        net.run(self.duration * b2.second, namespace=built.namespace)
        # copies: the monitors' views die with the network (a closed simulator's spikes were garbage)
        return {pop: (np.array(mon.i[:], dtype=np.int32), np.array(mon.t_[:], dtype=np.float64))
                for pop, mon in built.monitors.items()}

    def _command(self, batch: list, results_dir: Path) -> list[str]:
        """The binary's command line for a batch of (key, Trial) sharing values and arrays: their seeds and
        cues one after the other (padded with zeros to the batch's size), in files of this worker's own."""
        trials = [t for _, t in batch]
        r, cue_size = self.recipe, self.recipe.cue[2]
        pad = self.batch - len(trials)
        seeds = np.r_[[t.seed for t in trials], np.zeros(pad)]
        cues = np.concatenate([np.asarray(self._cue_values(t, cue_size), dtype=float) for t in trials]
                              + [np.zeros(pad * cue_size)])
        loop = r.batch
        args = []
        for (argument, dtype), value in ((loop["seed"], seeds), (loop["cue"], cues)):
            path = results_dir / f"{argument.replace('.', '_')}.dat"  # rewritten every batch
            np.asarray(value, dtype=dtype).tofile(path)
            args.append(f"{argument}={path}")
        settings = [*self._run_args(trials[0]), (*loop["count"], -(-len(trials) // self.replicas), 1)]  # passes
        return self._binary(results_dir, settings, args)

    def _binary(self, results_dir: Path, settings: list, args: list | None = None) -> list[str]:
        """Command line of the binary: ``settings`` as run_args (arrays content-addressed in
        static_arrays, so that a point's pattern arrays are written once), then ``args``."""
        out = [str(self.build_dir / "main"), "--results_dir", f"{results_dir}/"]
        for argument, dtype, value, copies in settings:
            out.append(f"{argument}={self._arg_text(argument, dtype, value, copies)}")
        return out + (args or [])

    def _arg_text(self, argument: str, dtype: str, value, copies: int = 1) -> str:
        """The text after ``argument=``; an array (``copies`` times over) is written once to static_arrays
        (recent ones remembered, so a point's pattern arrays are hashed once, not once per batch)."""
        if np.ndim(value) == 0:
            return run_arg(argument, dtype, value)[0]
        memo = (argument, id(value))
        if memo in self._array_args and self._array_args[memo][0] is value:
            self._array_args.move_to_end(memo)
            return self._array_args[memo][1]
        text, file_name, array = run_arg(argument, dtype, np.tile(value, copies) if copies > 1 else value)
        if file_name:
            target = self.build_dir / "static_arrays" / file_name
            if not target.exists():
                partial = target.with_name(f"{file_name}.{os.getpid()}")
                array.tofile(partial)
                os.replace(partial, target)
        self._array_args[memo] = (value, text)
        while len(self._array_args) > 16:
            self._array_args.popitem(last=False)
        return text

    def _run_standalone(self, batches):
        """Yield ``(batch, [spikes of each trial])`` per batch, in order, ``workers`` binaries at once."""
        free = deque(self._results_folders())
        for folder in free:
            folder.mkdir(exist_ok=True)
        running = deque()

        def launch():  # fill the free slots; the caller scores a batch while the next ones run
            while free:
                batch = next(batches, None)
                if batch is None:
                    return
                folder = free.popleft()
                for f in folder.iterdir():  # a binary that failed to write must not leave the last batch's
                    f.unlink()
                proc = subprocess.Popen(self._command(batch, folder), cwd=self.build_dir,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                running.append((batch, folder, proc))

        try:
            launch()
            while running:
                batch, folder, proc = running.popleft()
                _, err = proc.communicate()
                # Brian2's binary reports an unreadable run_args file on stderr and goes on with zeros
                if proc.returncode or any(m in err for m in (b"Could not read", b"Error reading", b"Cannot set")):
                    how = (f"was killed by signal {-proc.returncode}" if proc.returncode < 0 else
                           f"exited with status {proc.returncode}" if proc.returncode else "could not read its input")
                    last = next((line for line in reversed(err.decode(errors="replace").splitlines()) if line.strip()),
                                "no message")
                    raise SimulationError(f"the simulation binary {how} ({last.strip()[:200]})",
                                          [key for key, _ in batch])
                spikes = self._read(folder, len(batch))
                free.append(folder)
                launch()
                yield batch, spikes
        finally:
            for _, _, proc in running:
                proc.kill()
                proc.wait()

    def _read(self, folder: Path, count: int) -> list[dict]:
        """Spikes of each trial of a finished batch (neurons numbered within their replica), times from each
        trial's start."""
        info = (folder / "last_run_info.txt").read_text().split()
        self.run_seconds += float(info[0])
        per_trial = [{} for _ in range(count)]
        for pop, (i_file, t_file) in self.recipe.results.items():
            i = np.fromfile(folder / i_file, dtype=np.int32)
            t = np.fromfile(folder / t_file, dtype=np.float64)
            ends = np.fromfile(folder / f"{pop}_trial_ends", dtype=np.int64)
            size = len(self.recipe.fanout[pop])  # neurons of one replica
            for k, (local, times) in enumerate(split_replicas(i, t, ends, size, self.replicas, count)):
                per_trial[k][pop] = (local, times)
        return per_trial


def split_replicas(i: np.ndarray, t: np.ndarray, ends: np.ndarray, size: int, replicas: int, count: int):
    """``(neurons, times)`` of each of ``count`` trials from the spikes of a binary run: pass p of its trial
    loop (spikes up to ``ends[p]``) ran trials p K .. p K + K - 1 as replicas of ``size`` neurons each (K =
    ``replicas``); a trial's spikes keep their order, its neurons are numbered within its replica."""
    passes = np.repeat(np.arange(len(ends)), np.diff(np.r_[0, ends]))
    trial = passes * replicas + i // size
    order = np.argsort(trial, kind="stable")
    bounds = np.searchsorted(trial[order], np.arange(count + 1))
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        chosen = order[lo:hi]
        yield (i[chosen] % size).astype(np.int32), t[chosen]


def batches(jobs, size: int, total: int | None = None, workers: int = 1, replicas: int = 1):
    """Consecutive ``(key, Trial)`` jobs in lists of up to ``size`` that share values and arrays; with ``total``
    (the jobs to come) small enough that each of ``workers`` gets at least two, in whole passes of
    ``replicas`` trials (a pass costs the same however many of its replicas are used)."""
    if total is not None:
        smaller = max(1, min(size, -(-total // (2 * workers))))
        size = min(size, -(-smaller // replicas) * replicas)
    return _batches(jobs, size)


def _batches(jobs, size: int):
    batch = []
    for job in jobs:
        if batch and (len(batch) == size or not _same_run_args(batch[0][1], job[1])):
            yield batch
            batch = []
        batch.append(job)
    if batch:
        yield batch


def _same_run_args(a: Trial, b: Trial) -> bool:
    arrays_a, arrays_b = a.arrays or {}, b.arrays or {}
    return (a.values.keys() == b.values.keys() and all(bool(np.all(a.values[k] == b.values[k])) for k in a.values)
            and arrays_a.keys() == arrays_b.keys() and all(arrays_a[k] is arrays_b[k] for k in arrays_a))


def keyed(trials):
    """``(key, Trial)`` pairs: Trials alone are keyed by their position."""
    for k, t in enumerate(trials):
        yield (k, t) if isinstance(t, Trial) else t
