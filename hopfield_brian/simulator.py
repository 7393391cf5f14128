"""Build a network once on the chosen device, then run many trials on it.

* ``runtime``: the network is built in Python, stored once, and each trial
  restores it, reseeds Brian2's generators and sets the trial's values.
* ``cpp_standalone``: the network is generated and compiled once; each run of
  the binary takes a *batch* of up to ``batch`` trials that share parameters
  and pattern arrays (``run_args``) and differ in cue and seed. The binary
  loops over them in one process: before each trial it restores the state the
  network had after initialisation, reseeds the random generators from the
  trial's seed and loads the trial's cue, then runs it from t = 0. A trial is
  therefore the same spike for spike whatever batch it runs in (spike queues
  are emptied between trials, so models with synaptic delays batch too), and start-up
  (process, synapse creation, array loading) is paid once per batch. Several
  binaries run at once (``workers``), each with its own results folder.
* ``cuda_standalone``: one trial per binary run, the cue and seed passed
  through ``run_args`` and the generators reseeded from the ``trial_seed``
  variable (the batch loop restores host arrays, which the GPU does not see).

The device is chosen here and only here; protocols pass its name.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import time
from collections import deque
from pathlib import Path

import brian2 as b2
import numpy as np

from . import brian2_compat as compat
from .brian2_compat import DEVICES  # noqa: F401  (the device names, for callers)
from .errors import ConfigError


def default_build_root() -> Path:
    """Where standalone projects are built (``$HOPFIELD_BRIAN_BUILD`` or ~/.cache)."""
    root = os.environ.get("HOPFIELD_BRIAN_BUILD") or Path.home() / ".cache" / "hopfield_brian" / "build"
    return Path(root).resolve()  # the binaries run with the build folder as working directory


AUTO_BATCH = 16  # trials per binary run of a batchable model on cpp_standalone, unless chosen


BUILT = ".built"  # sha256 of a finished build's binary (a build without it is unfinished or damaged)


def start_build(folder: Path) -> str | None:
    """Before building in ``folder``: a build that never finished (killed while compiling or linking) or
    whose binary changed since (truncated, emptied) is removed, so that it is made again from scratch
    rather than failing on every run; a sound one stays (the next build reuses its object files).
    Returns the sound binary's sha256 (None when there is none)."""
    marker, binary = folder / BUILT, folder / "main"
    recorded = marker.read_text().strip() if marker.is_file() else None
    sound = recorded is not None and binary.is_file() and recorded == _sha256(binary)
    marker.unlink(missing_ok=True)
    if not sound:
        for f in folder.iterdir():
            if f.name != ".lock":
                shutil.rmtree(f) if f.is_dir() and not f.is_symlink() else f.unlink()
    return recorded if sound else None


def finish_build(folder: Path, before: str | None = None) -> bool:
    """After a build in ``folder`` compiled: record its binary's sha256; True when the binary is new
    (compiled or linked), False when the build found it up to date (``before``: its sha256 then)."""
    digest = _sha256(folder / "main")
    partial = folder / f"{BUILT}.partial"
    partial.write_text(digest + "\n")
    os.replace(partial, folder / BUILT)
    return digest != before


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def claim_build_folder(base: Path):
    """A build folder for this process alone: ``base``, or ``base-1``, ``base-2``...
    if another process holds it (the lock lasts as long as the returned file)."""
    for k in range(1000):
        folder = base if k == 0 else base.with_name(f"{base.name}-{k}")
        folder.mkdir(parents=True, exist_ok=True)
        lock = open(folder / ".lock", "w")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return folder, lock
        except BlockingIOError:
            lock.close()
    raise RuntimeError(f"no free build folder next to {base}")


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
    """One compiled (or built) network and the means to run trials on it."""

    def __init__(self, model, device: str, duration, dt, defaults: dict,
                 build_dir: str | os.PathLike | None = None, workers: int | None = None,
                 batch: int | None = None, compile: bool = True):
        if batch is not None and batch < 1:
            raise ConfigError(f"--batch must be >= 1, got {batch}")
        compat.select_device(device, default_build_root())
        self.model = model
        self.device = device
        self.duration = duration
        # default: one core is left to the Python process that scores the trials; on CUDA one
        # binary at a time, since concurrent contexts time-slice the one GPU (BENCHMARKS.md)
        default = 1 if device == "cuda_standalone" else (os.cpu_count() or 2) - 1
        self.workers = max(1, workers or default)
        # batching needs the binary's trial loop (cpp_standalone) and a model whose state is all
        # in its groups' arrays and spike queues (no plastic synapses)
        self.batch = (batch or AUTO_BATCH) if device == "cpp_standalone" and getattr(model, "batchable", False) else 1
        b2.defaultclock.dt = dt
        t0 = time.perf_counter()
        self.built = built = model.build()
        self.defaults = dict(defaults)
        net = built.network
        self.compilations = 0  # binaries compiled or linked (0: a warm build folder was reused as it was)
        if device == "runtime":
            for g, v, value in self._tunable_settings(defaults):
                setattr(g, v, value)
            net.store("initial")
            net.run(0 * b2.ms, namespace=built.namespace)  # resolve and compile code objects once
        elif device == "cpp_standalone":
            self._batch_groups = compat.batch_loop(built, duration, self.batch)
        else:
            b2.device.apply_run_args()
            compat.reseed_from(*built.seed)
            for g, v, expr in built.trial_init:
                setattr(g, v, expr)
            net.run(duration, namespace=built.namespace)
        if device != "runtime":
            compat.one_dt_setting()
            self.build_dir, self._lock = claim_build_folder(Path(build_dir) if build_dir else
                                                default_build_root() / self.structure_key())
            before = start_build(self.build_dir)
            b2.device.build(directory=str(self.build_dir), compile=compile, run=False, with_output=False)
            # a warm build folder whose sources did not change keeps its binary: no compilation
            self.compilations = int(compile and finish_build(self.build_dir, before))
            self._result_files = {
                pop: (b2.device.get_array_filename(mon.variables["i"]),
                      b2.device.get_array_filename(mon.variables["t"]))
                for pop, mon in built.monitors.items()}
        self.build_time = time.perf_counter() - t0
        self.run_seconds = 0.0  # simulation time reported by the binaries (standalone)

    def close(self) -> None:
        """Release the build folder for other processes, and the Brian2 objects: while they
        live, the next build's objects get other names (and so other sources) than in a
        fresh process."""
        if getattr(self, "_lock", None) is not None:
            self._lock.close()
            self._lock = None
        self.built = self._batch_groups = None

    def structure_key(self) -> str:
        """A name for the build folder, unique per network structure."""
        tunable = set(self.built.tunables)
        structural = {k: v for k, v in vars(self.model.params).items() if k not in tunable}
        text = repr((self.model.structure(), sorted(structural.items()), float(b2.defaultclock.dt),
                     float(self.duration), self.batch))
        return f"{self.model.name}-{self.device}-{hashlib.sha1(text.encode()).hexdigest()[:12]}"

    def _settings(self, trial: Trial, cue_and_seed: bool = True) -> list:
        """(group, variable, value) triples for one trial, sizes checked before any run.
        Without ``cue_and_seed``: only the values a whole batch shares."""
        out = []
        if cue_and_seed:
            out = [(*self.built.cue, self._cue_values(trial)), (*self.built.seed, trial.seed)]
        # standalone builds leave tunables at zero (so that the compiled code does not depend on
        # them): every trial passes all of them
        out.extend(self._tunable_settings(self.defaults | trial.values))
        for name, value in (trial.arrays or {}).items():
            g, v, size = self.built.arrays[name]
            if np.size(value) != size:  # the binary would silently ignore an array of the wrong length
                raise ConfigError(f"{name} has {np.size(value)} entries, the network expects {size}")
            out.append((g, v, value))
        return out

    def _cue_values(self, trial: Trial) -> np.ndarray:
        group, _ = self.built.cue
        values = self.model.encode_cue(trial.cue)
        if values.shape != (len(group),):
            raise ConfigError(f"cue has {np.size(trial.cue)} entries, the network expects {self.model.n_features}")
        return values

    def _tunable_settings(self, values: dict) -> list:
        out = []
        for name, value in values.items():
            if name not in self.built.tunables:
                raise ConfigError(f"{name!r} cannot be varied without rebuilding the network")
            out.extend((g, v, value) for g, v, _ in self.built.tunables[name])
        return out

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
        jobs = _keyed(trials)
        if self.device == "runtime":
            for key, trial in jobs:
                yield [(key, self._run_runtime(trial))]
            return
        size = self.batch if total is None else max(1, min(self.batch, -(-total // (2 * self.workers))))
        for batch, spikes in self._run_standalone(_batches(jobs, size)):
            yield list(zip((key for key, _ in batch), spikes))

    def _run_runtime(self, trial: Trial) -> dict:
        settings = self._settings(trial)
        net = self.built.network
        net.restore("initial")
        b2.seed(trial.seed)
        for g, v, expr in self.built.trial_init:
            setattr(g, v, expr)
        for g, v, value in settings:
            setattr(g, v, value)
        net.run(self.duration, namespace=self.built.namespace)
        return {pop: (np.asarray(mon.i[:], dtype=np.int32), np.asarray(mon.t_[:], dtype=np.float64))
                for pop, mon in self.built.monitors.items()}

    def _command(self, batch: list, results_dir: Path) -> list[str]:
        """The binary's command line for a batch of (key, Trial) sharing values and arrays."""
        trials = [t for _, t in batch]
        if self.device == "cuda_standalone":
            return self._binary(results_dir, self._settings(trials[0]))
        seeds, cues = self._batch_groups
        pad = self.batch - len(trials)
        args = []
        for g, v, value in ((seeds, "seed", np.r_[[t.seed for t in trials], np.zeros(pad)]),
                            (cues, "value", np.concatenate([self._cue_values(t) for t in trials]
                                                           + [np.zeros(pad * len(self.built.cue[0]))]))):
            path = results_dir / f"{g.name}_{v}.dat"  # this worker's own file, rewritten every batch
            np.asarray(value, dtype=getattr(g, v).dtype).tofile(path)
            args.append(f"{g.name}.{v}={path}")
        settings = [*self._settings(trials[0], cue_and_seed=False), (seeds, "count", len(trials))]
        return self._binary(results_dir, settings, args)

    def _binary(self, results_dir: Path, settings: list, args: list | None = None) -> list[str]:
        """Command line of the binary: ``settings`` as run_args (arrays content-addressed in
        static_arrays, so that a point's pattern arrays are written once), then ``args``."""
        out = [str(self.build_dir / "main"), "--results_dir", f"{results_dir}/"]
        for g, v, value in settings:
            name, text, file_name, array = compat.run_arg(getattr(g, v), value)
            if file_name:
                target = self.build_dir / "static_arrays" / file_name
                if not target.exists():
                    partial = target.with_name(f"{file_name}.{os.getpid()}")
                    array.tofile(partial)
                    os.replace(partial, target)
            out.append(f"{name}={text}")
        return out + (args or [])

    def _run_standalone(self, batches):
        """Yield ``(batch, [spikes of each trial])`` per batch, in order, ``workers`` binaries at once."""
        free = deque(self.build_dir / f"results-{k}" for k in range(self.workers))
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
        """Spikes of each trial of a finished batch, times from each trial's start."""
        info = (folder / "last_run_info.txt").read_text().split()
        self.run_seconds += float(info[0])
        per_trial = [{} for _ in range(count)]
        for pop, (i_file, t_file) in self._result_files.items():
            i = np.fromfile(folder / i_file, dtype=np.int32)
            t = np.fromfile(folder / t_file, dtype=np.float64)
            ends = np.fromfile(folder / f"{pop}_trial_ends", dtype=np.int64) if self.device == "cpp_standalone" \
                else np.array([i.size])
            for k, (lo, hi) in enumerate(zip(np.r_[0, ends[:-1]], ends)):
                per_trial[k][pop] = (i[lo:hi], t[lo:hi])
        return per_trial


def _batches(jobs, size: int):
    """Consecutive (key, Trial) jobs in lists of up to ``size`` that share values and arrays."""
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


def _keyed(trials):
    for k, t in enumerate(trials):
        yield (k, t) if isinstance(t, Trial) else t
