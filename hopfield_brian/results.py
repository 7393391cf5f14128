"""Writing a run's outputs so that every file appears complete or not at all."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import shutil
import time
from importlib import metadata
from pathlib import Path

PACKAGES = ("hopfield-brian", "brian2", "brian2cuda", "numpy", "pandas", "pyarrow", "seaborn")
INPUT_FILES = ("patterns", "values", "queries", "energy_file", "spike_patterns")  # parameters naming input files


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
    when the run reads none (its identity keeps its form)."""
    paths = {getattr(config, name, "") for name in INPUT_FILES}
    paths |= {point[name] for point in points for name in INPUT_FILES if name in point}
    digests = {path: hashlib.sha256(Path(path).read_bytes()).hexdigest() for path in sorted(paths) if path}
    return {"input_sha256": digests} if digests else {}
