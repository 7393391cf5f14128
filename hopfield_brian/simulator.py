"""Build a network once on the chosen device, then run many trials on it.

* ``runtime``: the network is built in Python, stored once, and each trial
  restores it, reseeds Brian2's generators and sets the trial's values.
* ``cpp_standalone``: the network is generated and compiled once; each trial
  reruns the binary with the trial's cue, seed, parameters and (when they
  differ from the build's) pattern arrays passed through ``run_args``. The
  random generators are reseeded inside the binary from the trial's
  ``trial_seed`` variable, so a trial is reproducible from its seed without
  recompiling. Several binaries run at once (``workers``), each with its own
  results folder.

The device is chosen here and only here; protocols pass its name.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import subprocess
import time
from collections import deque
from pathlib import Path

import brian2 as b2
import numpy as np

from .errors import ConfigError

DEVICES = ("runtime", "cpp_standalone", "cuda_standalone")


def default_build_root() -> Path:
    """Where standalone projects are built (``$HOPFIELD_BRIAN_BUILD`` or ~/.cache)."""
    root = os.environ.get("HOPFIELD_BRIAN_BUILD") or Path.home() / ".cache" / "hopfield_brian" / "build"
    return Path(root)


ACTIVATIONS = [0]  # how often a device was (re)selected: builds of earlier activations are gone


def _activate(device: str) -> None:
    """Select ``device`` afresh (repeated builds in one process need a reset)."""
    ACTIVATIONS[0] += 1
    if device not in DEVICES:
        raise ConfigError(f"unknown device {device!r}; choose from {', '.join(DEVICES)}")
    b2.device.reinit()
    b2.prefs.logging.console_log_level = "WARNING"
    if device == "runtime":
        b2.set_device("runtime")
        b2.prefs.codegen.target = "cython"
    elif device == "cuda_standalone":
        from . import cuda

        cuda.configure(default_build_root())
        b2.set_device(device, build_on_run=False)
    else:
        b2.set_device(device, build_on_run=False)


def _claim(base: Path):
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


class Trial:
    """What one trial sets: cue, seed, tunable values and (optional) pattern arrays."""

    def __init__(self, cue: np.ndarray, seed: int, values: dict | None = None, arrays: dict | None = None):
        self.cue, self.seed, self.values, self.arrays = cue, int(seed), values or {}, arrays


class Simulator:
    """One compiled (or built) network and the means to run trials on it."""

    def __init__(self, model, device: str, duration, dt, defaults: dict,
                 build_dir: str | os.PathLike | None = None, workers: int | None = None):
        _activate(device)
        self.model = model
        self.device = device
        self.duration = duration
        # default: one core is left to the Python process that scores the trials; on CUDA one
        # binary at a time, since concurrent contexts time-slice the one GPU (BENCHMARKS.md)
        default = 1 if device == "cuda_standalone" else (os.cpu_count() or 2) - 1
        self.workers = max(1, workers or default)
        b2.defaultclock.dt = dt
        t0 = time.perf_counter()
        self.built = built = model.build()
        self.defaults = dict(defaults)
        net = built.network
        self.compilations = 0
        if device == "runtime":
            for g, v, value in self._tunable_settings(defaults):
                setattr(g, v, value)
            net.store("initial")
            net.run(0 * b2.ms, namespace=built.namespace)  # resolve and compile code objects once
        else:
            b2.device.apply_run_args()
            group, var = built.seed
            seed_array = b2.device.get_array_name(group.variables[var])
            if device == "cuda_standalone":
                reseed = f"random_number_buffer.set_seed((unsigned long long) {seed_array}[0]);"
            else:
                reseed = (f"for (int _i = 0; _i < std::max(1, {b2.prefs.devices.cpp_standalone.openmp_threads});"
                          f" _i++) brian::_random_generators[_i].seed((unsigned long) {seed_array}[0] + _i);")
            b2.device.insert_code("main", reseed)
            for g, v, expr in built.trial_init:
                setattr(g, v, expr)
            net.run(duration, namespace=built.namespace)
            if device == "cpp_standalone":
                b2.device.insert_code("before_end", _write_only_monitors(built.monitors))
            self.build_dir, self._lock = _claim(Path(build_dir) if build_dir else
                                                default_build_root() / self.structure_key())
            b2.device.build(directory=str(self.build_dir), compile=True, run=False, with_output=False)
            self.compilations = 1
            self._result_files = {
                pop: (b2.device.get_array_filename(mon.variables["i"]),
                      b2.device.get_array_filename(mon.variables["t"]))
                for pop, mon in built.monitors.items()}
        self.build_time = time.perf_counter() - t0
        self.run_seconds = 0.0  # simulation time reported by the binaries (standalone)

    def close(self) -> None:
        """Release the build folder for other processes."""
        if getattr(self, "_lock", None) is not None:
            self._lock.close()
            self._lock = None

    def structure_key(self) -> str:
        """A name for the build folder, unique per network structure."""
        tunable = set(self.built.tunables)
        structural = {k: v for k, v in vars(self.model.params).items() if k not in tunable}
        text = repr((self.model.structure(), sorted(structural.items()), float(b2.defaultclock.dt),
                     float(self.duration)))
        return f"{self.model.name}-{self.device}-{hashlib.sha1(text.encode()).hexdigest()[:12]}"

    def _settings(self, trial: Trial) -> list:
        """(group, variable, value) triples for one trial, sizes checked before any run."""
        group, var = self.built.cue
        cue_values = self.model.encode_cue(trial.cue)
        if cue_values.shape != (len(group),):
            raise ConfigError(f"cue has {np.size(trial.cue)} entries, the network expects {self.model.n_features}")
        # standalone builds leave tunables at zero (so that the compiled code does not depend on
        # them): every trial passes all of them
        values = self.defaults | trial.values
        out = [(group, var, cue_values), (*self.built.seed, trial.seed), *self._tunable_settings(values)]
        for name, value in (trial.arrays or {}).items():
            g, v, size = self.built.arrays[name]
            if np.size(value) != size:  # the binary would silently ignore an array of the wrong length
                raise ConfigError(f"{name} has {np.size(value)} entries, the network expects {size}")
            out.append((g, v, value))
        return out

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
        jobs = _keyed(trials)
        if self.device == "runtime":
            for key, trial in jobs:
                yield key, self._run_runtime(trial)
            return
        yield from self._run_standalone(jobs)

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

    def _command(self, trial: Trial, results_dir: Path) -> list[str]:
        args = []
        for g, v, value in self._settings(trial):
            name, text, file_name, array = b2.device._prepare_variableview_run_arg(getattr(g, v), value)
            if file_name:
                target = self.build_dir / "static_arrays" / file_name
                if not target.exists():
                    partial = target.with_name(f"{file_name}.{os.getpid()}")
                    array.tofile(partial)
                    os.replace(partial, target)
            args.append(f"{name}={text}")
        return [str(self.build_dir / "main"), "--results_dir", f"{results_dir}/", *args]

    def _run_standalone(self, jobs):
        free = deque(self.build_dir / f"results-{k}" for k in range(self.workers))
        for folder in free:
            folder.mkdir(exist_ok=True)
        running = deque()
        jobs = iter(jobs)

        def launch():  # fill the free slots; the caller scores a trial while the next ones run
            while free:
                job = next(jobs, None)
                if job is None:
                    return
                folder = free.popleft()
                proc = subprocess.Popen(self._command(job[1], folder), cwd=self.build_dir,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                running.append((job[0], folder, proc))

        try:
            launch()
            while running:
                key, folder, proc = running.popleft()
                _, err = proc.communicate()
                if proc.returncode:
                    raise RuntimeError(f"simulation binary failed ({proc.returncode}): {err.decode()[-500:]}")
                spikes = self._read(folder)
                free.append(folder)
                launch()
                yield key, spikes
        finally:
            for _, _, proc in running:
                proc.kill()
                proc.wait()

    def _read(self, folder: Path) -> dict:
        out = {}
        for pop, (i_file, t_file) in self._result_files.items():
            out[pop] = (np.fromfile(folder / i_file, dtype=np.int32), np.fromfile(folder / t_file, dtype=np.float64))
        info = (folder / "last_run_info.txt").read_text().split()
        self.run_seconds += float(info[0])
        return out


def _write_only_monitors(monitors: dict) -> str:
    """C++ that writes the spike monitors' arrays and the run info, then leaves main().

    Brian2's binary otherwise writes every array at the end, synapses included
    (128 MB per trial for N = M = 1000); the protocols read the spikes only.
    """
    lines = ["{", "using namespace brian;"]
    for mon in monitors.values():
        for var in ("i", "t"):
            name = b2.device.get_array_name(mon.variables[var], access_data=False)
            file_name = b2.device.get_array_filename(mon.variables[var])
            lines.append(f'{{ std::ofstream f(results_dir + "{file_name}", std::ios::binary); if (!{name}.empty()) '
                         f"f.write(reinterpret_cast<char*>(&{name}[0]), {name}.size() * sizeof({name}[0])); }}")
    lines.append('{ std::ofstream f(results_dir + "last_run_info.txt"); '
                 'f << Network::_last_run_time << " " << Network::_last_run_completed_fraction << std::endl; }')
    lines.append("return 0;")
    lines.append("}")
    return "\n".join(lines)


def _keyed(trials):
    for k, t in enumerate(trials):
        yield (k, t) if isinstance(t, Trial) else t
