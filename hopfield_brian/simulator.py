"""Build a network once on the chosen device, then run many trials on it.

* ``runtime``: the network is built in Python, stored once, and each trial
  restores it, reseeds Brian2's generators and sets the trial's values.
* ``cpp_standalone`` (and ``cuda_standalone``, issue #3): the network is
  generated and compiled once; each trial reruns the binary with the trial's
  cue, seed and parameters passed through ``run_args``. The random generators
  are reseeded inside the binary from the trial's ``trial_seed`` variable, so
  a trial is reproducible from its seed without recompiling.

The device is chosen here and only here; protocols pass its name.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import time
from pathlib import Path

import brian2 as b2
import numpy as np

from .errors import ConfigError

DEVICES = ("runtime", "cpp_standalone")


def default_build_root() -> Path:
    """Where standalone projects are built (``$HOPFIELD_BRIAN_BUILD`` or ~/.cache)."""
    root = os.environ.get("HOPFIELD_BRIAN_BUILD") or Path.home() / ".cache" / "hopfield_brian" / "build"
    return Path(root)


def _activate(device: str) -> None:
    """Select ``device`` afresh (repeated builds in one process need a reset)."""
    if device not in DEVICES:
        raise ConfigError(f"unknown device {device!r}; choose from {', '.join(DEVICES)}")
    b2.device.reinit()
    if device == "runtime":
        b2.set_device("runtime")
        b2.prefs.codegen.target = "cython"
    else:
        b2.set_device(device, build_on_run=False)
    b2.prefs.logging.console_log_level = "WARNING"


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


class Simulator:
    """One compiled (or built) network and the means to run trials on it."""

    def __init__(self, model, device: str, duration, dt, defaults: dict,
                 build_dir: str | os.PathLike | None = None):
        _activate(device)
        self.model = model
        self.device = device
        self.duration = duration
        b2.defaultclock.dt = dt
        t0 = time.perf_counter()
        self.built = built = model.build()
        net = built.network
        for g, v, value in self._tunable_settings(defaults):
            setattr(g, v, value)
        self.compilations = 0
        if device == "runtime":
            net.store("initial")
            net.run(0 * b2.ms, namespace=built.namespace)  # resolve and compile code objects once
        else:
            b2.device.apply_run_args()
            group, var = built.seed
            seed_array = b2.device.get_array_name(group.variables[var])
            b2.device.insert_code(
                "main",
                f"for (int _i = 0; _i < std::max(1, {b2.prefs.devices.cpp_standalone.openmp_threads}); _i++)"
                f" brian::_random_generators[_i].seed((unsigned long) {seed_array}[0] + _i);",
            )
            for g, v, expr in built.trial_init:
                setattr(g, v, expr)
            net.run(duration, namespace=built.namespace)
            self.build_dir, self._lock = _claim(Path(build_dir) if build_dir else
                                                default_build_root() / self.structure_key())
            b2.device.build(directory=str(self.build_dir), compile=True, run=False, with_output=False)
            self.compilations = 1
        self.build_time = time.perf_counter() - t0

    def structure_key(self) -> str:
        """A name for the build folder, unique per network structure."""
        tunable = set(self.built.tunables)
        structural = {k: v for k, v in vars(self.model.params).items() if k not in tunable}
        text = repr((self.model.name, self.model.n_features, self.model.n_patterns, sorted(structural.items()),
                     float(b2.defaultclock.dt), float(self.duration)))
        return f"{self.model.name}-{hashlib.sha1(text.encode()).hexdigest()[:12]}"

    def _trial_values(self, cue: np.ndarray, seed: int, values: dict) -> list:
        """(group, variable, value) triples for one trial, sizes checked."""
        group, var = self.built.cue
        cue_values = self.model.encode_cue(cue)
        if cue_values.shape != (len(group),):
            raise ConfigError(f"cue has {cue.size} entries, the network expects {self.model.n_features}")
        return [(group, var, cue_values), (*self.built.seed, int(seed)), *self._tunable_settings(values)]

    def _tunable_settings(self, values: dict) -> list:
        out = []
        for name, value in values.items():
            if name not in self.built.tunables:
                raise ConfigError(f"{name!r} cannot be varied without rebuilding the network")
            out.extend((g, v, value) for g, v, _ in self.built.tunables[name])
        return out

    def run_trial(self, cue: np.ndarray, seed: int, values: dict) -> dict:
        """Run one trial; return ``{population: (neuron indices, spike times in s)}``."""
        settings = self._trial_values(cue, seed, values)
        net = self.built.network
        if self.device == "runtime":
            net.restore("initial")
            b2.seed(int(seed))
            for g, v, expr in self.built.trial_init:
                setattr(g, v, expr)
            for g, v, value in settings:
                setattr(g, v, value)
            net.run(self.duration, namespace=self.built.namespace)
        else:
            run_args = {getattr(g, v): value for g, v, value in settings}
            b2.device.run(directory=str(self.build_dir), with_output=False, run_args=run_args)
        return {pop: (np.asarray(mon.i[:], dtype=np.int32), np.asarray(mon.t_[:], dtype=np.float64))
                for pop, mon in self.built.monitors.items()}
