"""The cache of standalone builds, addressed by content, readable without Brian2.

A build folder is named by, and its ``recipe.json`` records, a hash of
everything that shapes the generated code: the model's structure and every
parameter that is not varied at run time, dt, the trial duration, the batch
size and the replicas per run, the device, the versions of Brian2 (and brian2cuda), the source of the
modules that write the equations and the network, and the compiler found on
PATH with the environment variables that steer it. The key is computed
without running Brian2's code generation, so a warm folder (a sound binary,
see :func:`start_build`, and a recipe with the same key) runs at once.

The recipe holds what the binary needs on its command line and what it
writes (:class:`Recipe`); :func:`run_arg` formats a value for the command
line exactly as Brian2 does (``device._prepare_variableview_run_arg``, checked
in tests/test_brian2_compat.py), without importing Brian2.
"""

from __future__ import annotations

import dataclasses
import fcntl
import functools
import hashlib
import importlib.util
import json
import os
import platform
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import numpy as np

BUILT = ".built"  # sha256 of a finished build's binary (a build without it is unfinished or damaged)
RECIPE = "recipe.json"
RECIPE_VERSION = 2

# modules whose code shapes the generated sources (the model's own module is added per model)
_CODE_SHAPING = ("models.py", "delay_model.py", "brian2_compat.py", "simulator.py", "cuda.py", "build_cache.py")
_TOOLCHAIN_ENV = ("CC", "CXX", "CFLAGS", "CXXFLAGS", "CPPFLAGS", "LDFLAGS", "CUDA_PATH", "CUDA_HOME",
                  "HOPFIELD_BRIAN_CUDA_CC")


def default_build_root() -> Path:
    """Where standalone projects are built (``$HOPFIELD_BRIAN_BUILD`` or ~/.cache)."""
    root = os.environ.get("HOPFIELD_BRIAN_BUILD") or Path.home() / ".cache" / "hopfield_brian" / "build"
    return Path(root).resolve()  # the binaries run with the build folder as working directory


def cache_key(model, device: str, dt: float, duration: float, batch: int, replicas: int = 1) -> str:
    """The text whose hash names a build: every input of the generated code (see the module's docstring)."""
    tunable = set(model.runtime_values())
    structural = sorted((k, repr(v)) for k, v in vars(model.params).items() if k not in tunable)
    return repr({
        "recipe": RECIPE_VERSION, "model": model.structure(), "parameters": structural, "dt": float(dt),
        "duration": float(duration), "batch": batch, "replicas": replicas, "device": device,
        "versions": _versions(device),
        "sources": _sources_digest(type(model)), "toolchain": _toolchain(device),
    })


def folder_name(model, device: str, key: str) -> str:
    return f"{model.name}-{device}-{hashlib.sha1(key.encode()).hexdigest()[:12]}"


def _versions(device: str) -> dict:
    return installed_versions(("brian2", "brian2cuda") if device == "cuda_standalone" else ("brian2",))


def installed_versions(names) -> dict:
    """Python's version and each named distribution's (None when not installed), read without importing it."""
    out = {"python": platform.python_version()}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def _sources_digest(model_class) -> str:
    here = Path(__file__).parent
    files = [here / name for name in _CODE_SHAPING]
    equations = importlib.util.find_spec("hopfield_brian.equations")  # located, not imported
    for folder in equations.submodule_search_locations or ():
        files += sorted(Path(folder).glob("*.py"))
    module = sys.modules.get(model_class.__module__)
    if module is not None and getattr(module, "__file__", None):
        files.append(Path(module.__file__))
    digest = hashlib.sha256()
    for f in dict.fromkeys(files):  # in order, once each
        if f.is_file():
            digest.update(f.name.encode() + b"\0" + f.read_bytes())
    return digest.hexdigest()


def _toolchain(device: str) -> dict:
    """The compilers on PATH (path, size, modification time), the environment and preference files that steer
    them, the CPU (Brian2 compiles with -march=native: a binary may not run on another CPU sharing the build
    folder) and, for CUDA, the GPUs or the compute capability compiled for."""
    out = {name: os.environ.get(name) for name in _TOOLCHAIN_ENV if os.environ.get(name)}
    for tool in ("c++", "g++", "gcc") + (("nvcc",) if device == "cuda_standalone" else ()):
        path = shutil.which(tool)
        if path:
            st = os.stat(path)
            out[tool] = (os.path.realpath(path), st.st_size, int(st.st_mtime))
    out["cpu"] = _cpu()
    for prefs in (Path.home() / ".brian" / "user_preferences", Path("brian_preferences")):
        if prefs.is_file():
            out[str(prefs)] = hashlib.sha256(prefs.read_bytes()).hexdigest()
    if device == "cuda_standalone":
        out["gpus"] = gpus() or f"none; compute capability {os.environ.get('HOPFIELD_BRIAN_CUDA_CC', '9.0')}"
    return out


@functools.lru_cache(maxsize=None)
def nvidia_smi(*args: str) -> str:
    """What ``nvidia-smi ARGS`` prints ("" without nvidia-smi or when it fails); asked once per process."""
    smi = shutil.which("nvidia-smi")
    if not smi:
        return ""
    try:
        out = subprocess.run([smi, *args], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""


def gpus() -> str:
    """The GPUs ``nvidia-smi -L`` lists ("" when none is visible)."""
    return nvidia_smi("-L")


def _cpu() -> str:
    """The CPU's model and instruction-set flags (Linux), or the platform's description."""
    try:
        first = Path("/proc/cpuinfo").read_text().split("\n\n", 1)[0]
    except OSError:
        return platform.processor() or platform.machine()
    fields = dict(line.split(":", 1) for line in first.splitlines() if ":" in line)
    keep = ("model name", "flags", "Features", "CPU part")  # x86 and ARM names
    return repr(sorted((k.strip(), v.strip()) for k, v in fields.items() if k.strip() in keep))


@dataclasses.dataclass
class Recipe:
    """How to drive a compiled binary without Brian2 (written by a build, read by a warm run).

    ``tunables``: parameter -> [(argument, dtype)] (one name can set several
    variables); ``cue``: (argument, dtype, size of one trial's cue); ``seed``:
    (argument, dtype); ``arrays``: name -> (argument, dtype, size, copies: one
    per replica); ``batch`` (cpp_standalone): the arguments of the batch loop's
    seeds, count and cues; ``results``: population -> (file of neuron indices,
    file of spike times); ``fanout``: population -> synapses per neuron of one
    replica (its length: the population's neurons per replica).
    """

    key: str
    tunables: dict
    cue: tuple
    seed: tuple
    arrays: dict
    batch: dict | None
    results: dict
    fanout: dict

    def save(self, folder: Path) -> None:
        fields = dataclasses.asdict(self)
        fields["fanout"] = {pop: np.asarray(v).tolist() for pop, v in self.fanout.items()}
        partial = folder / f"{RECIPE}.partial"
        partial.write_text(json.dumps(fields))
        os.replace(partial, folder / RECIPE)

    @classmethod
    def load(cls, folder: Path, key: str) -> Recipe | None:
        """The recipe of a warm build in ``folder`` for ``key``; None when there is none to trust."""
        path, marker, binary = folder / RECIPE, folder / BUILT, folder / "main"
        try:
            fields = json.loads(path.read_text())
            recorded = marker.read_text().strip()
        except (OSError, ValueError):
            return None
        if fields.get("key") != key or not binary.is_file() or recorded != sha256(binary):
            return None
        fields["fanout"] = {pop: np.asarray(v, dtype=np.int64) for pop, v in fields["fanout"].items()}
        return cls(**fields)


def run_arg(argument: str, dtype: str, value) -> tuple[str, str | None, np.ndarray]:
    """``(text, file name or None, array)``: ``argument=text`` on the binary's command line sets a variable to
    ``value`` (in SI units); an array travels as ``static_arrays/<file name>``, which the caller writes."""
    array = np.asarray(value, dtype=dtype)
    if array.ndim == 0 or array.size == 1:
        return repr(array.item()), None, array
    group, var = argument.split(".", 1)
    file_name = f"init_{group}_{var}_{hashlib.md5(array.data).hexdigest()}.dat"
    return os.path.join("static_arrays", file_name), file_name, array


def start_build(folder: Path) -> str | None:
    """Before building in ``folder``: a build that never finished (killed while compiling or linking) or
    whose binary changed since (truncated, emptied) is removed, so that it is made again from scratch
    rather than failing on every run; a sound one stays (the next build reuses its object files).
    Returns the sound binary's sha256 (None when there is none)."""
    marker, binary = folder / BUILT, folder / "main"
    recorded = marker.read_text().strip() if marker.is_file() else None
    sound = recorded is not None and binary.is_file() and recorded == sha256(binary)
    marker.unlink(missing_ok=True)
    (folder / RECIPE).unlink(missing_ok=True)
    if not sound:
        for f in folder.iterdir():
            if f.name != ".lock":
                shutil.rmtree(f) if f.is_dir() and not f.is_symlink() else f.unlink()
    return recorded if sound else None


def finish_build(folder: Path, before: str | None = None) -> bool:
    """After a build in ``folder`` compiled: record its binary's sha256; True when the binary is new
    (compiled or linked), False when the build found it up to date (``before``: its sha256 then)."""
    digest = sha256(folder / "main")
    partial = folder / f"{BUILT}.partial"
    partial.write_text(digest + "\n")
    os.replace(partial, folder / BUILT)
    return digest != before


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def open_build(base: Path, key: str | None):
    """``(folder, lock, recipe)``: a warm build of ``key`` shared with other processes (``recipe`` set,
    shared lock), or a folder this process alone builds in (``recipe`` None, exclusive lock; a warm
    recipe is not looked for when ``key`` is None). ``base`` first, else ``base-1``, ``base-2``...
    The lock lasts as long as the returned file; :func:`share` turns a finished build's into a shared one."""
    for k in range(1000):
        folder = base if k == 0 else base.with_name(f"{base.name}-{k}")
        folder.mkdir(parents=True, exist_ok=True)
        lock = open(folder / ".lock", "a")
        try:
            # another process building the same key here: wait for it rather than compile it again elsewhere
            fcntl.flock(lock, fcntl.LOCK_SH | (0 if k == 0 and key is not None else fcntl.LOCK_NB))
            recipe = Recipe.load(folder, key) if key is not None else None
            if recipe is not None:
                return folder, lock, recipe
            fcntl.flock(lock, fcntl.LOCK_UN)  # not converted in place: two converting processes would both fail
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # fails while others run or build here
            return folder, lock, None
        except BlockingIOError:
            lock.close()
    raise RuntimeError(f"no free build folder next to {base}")


def share(lock) -> None:
    """Let other processes run the build this process finished (exclusive lock -> shared)."""
    fcntl.flock(lock, fcntl.LOCK_SH)
