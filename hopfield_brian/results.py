"""Writing a run's outputs so that they appear complete or not at all.

Everything is written into a hidden staging folder next to the destination
and renamed into place in one step at the end; on any error the staging
folder is removed.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import time
from importlib import metadata
from pathlib import Path

PACKAGES = ("hopfield-brian", "brian2", "brian2cuda", "numpy", "pandas", "pyarrow", "seaborn")


def package_versions() -> dict:
    """Versions of the packages a result depends on, plus Python's."""
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def default_run_dir(protocol: str, label: str, root: str | os.PathLike = "results") -> Path:
    """``results/<protocol>/<label>-<timestamp>``."""
    return Path(root) / protocol / f"{label}-{time.strftime('%Y%m%d-%H%M%S')}"


@contextlib.contextmanager
def staged_dir(final: str | os.PathLike):
    """Yield a staging folder that becomes ``final`` only if the block succeeds."""
    final = Path(final)
    if final.exists() and any(final.iterdir()):
        from .errors import ConfigError

        raise ConfigError(f"output folder {final} exists and is not empty")
    final.parent.mkdir(parents=True, exist_ok=True)
    stage = final.parent / f".{final.name}.partial-{os.getpid()}"
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir()
    try:
        yield stage
        if final.exists():
            final.rmdir()
        os.replace(stage, final)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def write_json(path: Path, obj: dict) -> None:
    path.write_text(json.dumps(obj, indent=2, default=str) + "\n")
