"""Setting up brian2cuda's ``cuda_standalone`` device, with or without a GPU.

brian2cuda 1.0b1 (Alevi et al. 2022, Front. Neuroinform. 16:883700) normally
queries the GPU for its compute capability and links cuRAND from the CUDA
install. To generate and compile CUDA projects on a machine without a GPU
(shared/SCIENCE.md, section 8) this module:

* turns GPU detection off and compiles for a fixed compute capability
  (``HOPFIELD_BRIAN_CUDA_CC``, default 9.0 = H100) and the runtime version
  read from ``nvcc --version``;
* takes cuRAND's headers and library from the ``nvidia-curand`` wheel when the
  CUDA install lacks them (a ``libcurand.so`` link is made in the build cache);
* compiles with ``-std=c++17`` (CUDA 13's Thrust needs it).

With a GPU (``nvidia-smi -L`` lists one) detection stays on.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
from pathlib import Path

import brian2 as b2

from .build_cache import gpus
from .errors import ConfigError


def have_gpu() -> bool:
    """True when nvidia-smi lists at least one GPU."""
    return "GPU" in gpus()


def nvcc_version() -> float:
    """CUDA release of the nvcc on PATH (e.g. 13.0)."""
    nvcc = shutil.which("nvcc")
    if not nvcc:
        raise ConfigError("cuda_standalone needs nvcc (the CUDA toolkit) on PATH")
    text = subprocess.run([nvcc, "--version"], capture_output=True, text=True).stdout
    match = re.search(r"release (\d+\.\d+)", text)
    if not match:
        raise ConfigError(f"cannot read the CUDA version from `nvcc --version`: {text[-200:]}")
    return float(match.group(1))


def _curand_from_wheel(link_dir: Path) -> tuple[str, str] | None:
    """(include dir, library dir) of cuRAND from the nvidia-curand wheel, if installed."""
    spec = importlib.util.find_spec("nvidia")
    if spec is None or not spec.submodule_search_locations:
        return None
    for root in spec.submodule_search_locations:
        for header in Path(root).glob("*/include/curand.h"):
            libs = sorted(header.parent.parent.glob("lib/libcurand.so*"))
            if libs:
                link_dir.mkdir(parents=True, exist_ok=True)
                link = link_dir / "libcurand.so"
                if not link.exists():
                    link.symlink_to(libs[0])
                return str(header.parent), str(link_dir)
    return None


def configure(build_root: Path) -> None:
    """Set brian2cuda's preferences for this machine (call after set_device)."""
    import brian2cuda  # noqa: F401  (registers the cuda_standalone device)

    backend = b2.prefs.devices.cuda_standalone.cuda_backend
    cuda_version = nvcc_version()
    if not have_gpu():
        backend.detect_gpus = False
        backend.gpu_id = 0
        try:
            backend.compute_capability = float(os.environ.get("HOPFIELD_BRIAN_CUDA_CC", "9.0"))
        except ValueError:
            raise ConfigError("HOPFIELD_BRIAN_CUDA_CC must be a number such as 9.0") from None
        backend.cuda_runtime_version = cuda_version
    nvcc_flags = [f for f in backend.extra_compile_args_nvcc if not f.startswith("-std=")] + ["-std=c++17"]
    cuda_home = Path(shutil.which("nvcc")).resolve().parent.parent
    if not (cuda_home / "include" / "curand.h").exists():
        found = _curand_from_wheel(build_root / "curand")
        if found is None:
            raise ConfigError("cuRAND not found: install the cuda extra (pip install 'hopfield-brian[cuda]')")
        include, libdir = found
        nvcc_flags.append(f"-I{include}")
        b2.prefs.codegen.cpp.library_dirs = [*b2.prefs.codegen.cpp.library_dirs, libdir]
        b2.prefs.codegen.cpp.runtime_library_dirs = [*b2.prefs.codegen.cpp.runtime_library_dirs, libdir]
    backend.extra_compile_args_nvcc = nvcc_flags
    b2.prefs.codegen.cpp.extra_compile_args_gcc = [
        *[f for f in b2.prefs.codegen.cpp.extra_compile_args_gcc if not f.startswith("-std=")], "-std=c++17"]
