"""Where a sweep's trials go, and the tables of a grid.

* Trials are stored as they finish, those of one binary run together
  (:class:`FolderStore`, a journal of atomic entries): a sweep that is
  interrupted and rerun with the same output folder skips what is done;
  :class:`MemoryStore` keeps them in memory.
* Per-point summaries (success rate with its Wilson interval), grid
  descriptions and the parameter columns of the tables.

The loop that fills a store is the engine's (:mod:`hopfield_brian.engine`).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from pathlib import Path

import numpy as np

from . import config as cfg
from .errors import ConfigError
from .units import is_quantity
from . import lazy

pd = lazy.module("pandas")  # imported on first use (see hopfield_brian.lazy)
pa = lazy.module("pyarrow")
pq = lazy.module("pyarrow.parquet")


def describe_grid(grid) -> dict | list:
    """JSON-ready form of a grid (dict of value lists, or list of points)."""
    if isinstance(grid, list):
        return [{k: plain(v) for k, v in point.items()} for point in grid]
    return {k: [plain(v) for v in vs] for k, vs in (grid or {}).items()}


def parameter_columns(columns, swept: list[str]) -> list[str]:
    """The table columns of the swept parameters (a Quantity's column carries its unit: ``t_cue_ms``),
    in the order of ``swept``."""
    return [c for s in swept for c in columns if c == s or c.startswith(f"{s}_")]


def plain(value):
    """A JSON/CSV-friendly form of a parameter value (Quantities in their display unit)."""
    if is_quantity(value):
        _, scale = cfg.display_unit(value)
        return round(float(value) / scale, 12)
    if isinstance(value, np.generic):
        return value.item()
    return value


class MemoryStore:
    """Trials kept in memory (tests, benchmarks)."""

    def __init__(self, keep_spikes: bool = True, n_trials: int | None = None, n_neurons: int | None = None):
        self.rows, self.spikes, self.keep_spikes = [], [], keep_spikes
        self.dtypes = _dtypes(n_trials, n_neurons)

    def done(self) -> set:
        return {(r["point"], r["repeat"]) for r in self.rows}

    def add_many(self, items: list, metadata: dict | None = None) -> None:
        """Store ``(row, spikes or None)`` pairs (spikes: ``{population: (i, t in s)}``)."""
        self.rows.extend(row for row, _ in items)
        table = _spike_table(items, self.dtypes) if self.keep_spikes else None
        if table is not None:
            self.spikes.append((items[0][0]["trial"], table))

    def trials(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows).sort_values("trial", ignore_index=True)

    def spike_table(self, trial: int | None = None) -> pd.DataFrame:
        # in trial order, as a run folder's parts are read, whatever order the batches finished in
        frames = [s if trial is None else s[s["trial"] == trial] for _, s in sorted(self.spikes, key=lambda e: e[0])]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


class FolderStore:
    """Trials stored in a run folder as a journal of atomically written entries.

    Each entry holds several finished trials: ``trials/<entry>.jsonl`` (a
    manifest line, then one JSON row per trial) and
    ``spikes.parquet/<entry>.parquet`` (their spikes; ``pandas.read_parquet``
    reads the folder as one table). The spikes are written first and the rows
    last, so an entry counts once its rows exist. The manifest records what
    the entry's spike part must hold (rows, sha256): when the folder is
    reopened, an entry whose part is missing, truncated or different, or whose
    rows do not parse, is removed and its trials run again (``repaired`` says
    which), spikes of an entry whose rows never appeared (a kill in between)
    are removed, and leftovers of interrupted writes are cleaned up.
    ``identity`` (every parameter of the run) is kept in ``run.json``;
    reopening a folder with a different identity is an error, with the same
    identity it resumes. One process at a time holds the folder (a lock file,
    taken before anything is written). ``n_trials`` and ``n_neurons`` (the run's
    trials and its largest population) give every part the same compact
    ``trial`` and ``neuron`` dtypes (a resumed run keeps the dtypes of the parts
    it finds), so that the folder always reads as one table.
    """

    def __init__(self, folder: str | os.PathLike, identity: dict, keep_spikes: bool = True,
                 n_trials: int | None = None, n_neurons: int | None = None):
        from filelock import FileLock, Timeout

        self.folder = Path(folder)
        self.keep_spikes, self.dtypes = keep_spikes, _dtypes(n_trials, n_neurons)
        self.repaired: list[str] = []
        identity = json.loads(json.dumps(identity, default=str))
        created = make_folder(self.folder)
        self._lock = FileLock(self.folder / LOCK_NAME)
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            self._lock = None
            raise ConfigError(f"{self.folder} is in use by another run") from None
        try:
            self._open(identity)
        except BaseException:
            self.close()
            if created:
                shutil.rmtree(self.folder, ignore_errors=True)
            raise

    def _open(self, identity: dict) -> None:
        marker = self.folder / "run.json"
        if marker.exists() or marker.is_symlink():
            previous = _read_identity(marker)
            if previous != identity and not _without_digests(previous, identity):
                raise ConfigError(f"{self.folder} holds a run with other parameters ({_differences(previous, identity)});"
                                  " choose another --out")
            if previous != identity:  # a run begun before input files were hashed: it resumes, hashed from now on
                write_atomic(marker, json.dumps(identity, indent=2) + "\n")
        elif any(f.name != LOCK_NAME for f in self.folder.iterdir()):
            raise ConfigError(f"output folder {self.folder} exists and is not a run of this protocol")
        else:
            write_atomic(marker, json.dumps(identity, indent=2) + "\n")
        for name in ("trials", "spikes.parquet"):
            sub = self.folder / name
            if sub.exists() and not sub.is_dir():
                raise ConfigError(f"{sub} is damaged (a file where a folder should be); move {self.folder} away "
                                  "or choose another --out")
        (self.folder / COMPLETE).unlink(missing_ok=True)  # the final files are stale until rewritten
        (self.folder / "trials").mkdir(exist_ok=True)
        if any((self.folder / "trials").glob("*.json")):
            raise ConfigError(f"{self.folder} was written by an older hopfield-brian (one file per trial); "
                              "choose another --out")
        if self.keep_spikes:
            (self.folder / "spikes.parquet").mkdir(exist_ok=True)
        _remove_leftovers(self.folder)
        self._check_entries()
        if self.keep_spikes:
            written = next((self.folder / "spikes.parquet").glob("p*-r*-n*.parquet"), None)
            if written is not None:
                schema = pq.read_schema(written)
                self.dtypes = {c: schema.field(c).type.to_pandas_dtype() for c in self.dtypes}

    def _check_entries(self) -> None:
        """Remove damaged entries (so that their trials run again) and spike parts without an entry."""
        parts = self.folder / "spikes.parquet"
        for entry in sorted((self.folder / "trials").glob("*.jsonl")):
            problem = _entry_problem(entry, parts / f"{entry.stem}.parquet", self.keep_spikes)
            if problem:
                entry.unlink()
                self.repaired.append(f"{entry.stem}: {problem}")
        entries = {f.stem for f in (self.folder / "trials").glob("*.jsonl")}
        for part in parts.glob("*.parquet") if parts.is_dir() else ():
            if part.stem not in entries:  # spikes of an entry whose rows were never written, or damaged
                part.unlink()

    def close(self) -> None:
        """Let other runs open the folder."""
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def _rows(self) -> list[dict]:
        return [row for f in sorted((self.folder / "trials").glob("*.jsonl"))
                for row in map(json.loads, f.read_text().splitlines()) if MANIFEST not in row]

    def done(self) -> set:
        return {(r["point"], r["repeat"]) for r in self._rows()}

    def add_many(self, items: list, metadata: dict | None = None) -> None:
        """Store ``(row, spikes or None)`` pairs (spikes: ``{population: (i, t in s)}``) as one journal entry;
        ``metadata`` (JSON-ready) goes into the spike part's schema, so that the file describes itself."""
        if not items:
            return
        first = items[0][0]
        name = f"p{first['point']:05d}-r{first['repeat']:06d}-n{len(items)}"
        table = _spike_table(items, self.dtypes) if self.keep_spikes else None
        manifest = {MANIFEST: name, "rows": len(items), "trials": [row["trial"] for row, _ in items]}
        if table is not None:
            part = self.folder / "spikes.parquet" / f"{name}.parquet"
            partial = part.with_name(f".{part.name}.partial")
            pq.write_table(arrow_table(table, metadata), partial)
            manifest.update(part_rows=len(table), part_sha256=_sha256(partial))
            os.replace(partial, part)
        write_atomic(self.folder / "trials" / f"{name}.jsonl",
                     json.dumps(manifest) + "\n" + "".join(json.dumps(row, default=plain) + "\n" for row, _ in items))

    def trials(self) -> pd.DataFrame:
        return pd.DataFrame(self._rows()).sort_values("trial", ignore_index=True)

    def spike_table(self, trial: int | None = None) -> pd.DataFrame:
        folder = self.folder / "spikes.parquet"
        if trial is None:
            return pd.read_parquet(folder)
        return pd.read_parquet(folder, filters=[("trial", "==", trial)])


LOCK_NAME = ".lock"  # the lock file of a run folder (left in place: removing it would race a waiting run)
COMPLETE = "complete.json"  # written last: the run's final files are all there
MANIFEST = "entry"  # key of a journal entry's manifest line


def make_folder(folder: Path) -> bool:
    """Create the output folder (and its parents) or say in one line why it cannot be; True if created."""
    if any(len(part.encode()) > 255 for part in folder.parts):
        raise ConfigError(f"output folder name too long ({max(len(p.encode()) for p in folder.parts)} bytes, "
                          "at most 255 per name)")
    try:
        return _make_folder(folder)
    except OSError as exc:
        raise ConfigError(f"cannot create output folder {folder}: {exc.strerror or exc}") from None


def _make_folder(folder: Path) -> bool:
    if folder.is_symlink() and not folder.exists():
        raise ConfigError(f"output folder {folder} is a dangling symbolic link")
    if folder.exists():
        if not folder.is_dir():
            raise ConfigError(f"output folder {folder} is a file")
        if not os.access(folder, os.W_OK | os.X_OK):
            raise ConfigError(f"cannot write in output folder {folder} (permission denied)")
        return False
    ancestor = folder.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise ConfigError(f"cannot create output folder {folder}: {ancestor} is a file")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise ConfigError(f"cannot create output folder {folder}: {ancestor} is not writable")
    folder.mkdir(parents=True)
    return True


def _read_identity(marker: Path) -> dict:
    try:
        identity = json.loads(marker.read_text())
    except IsADirectoryError:
        identity = "a folder"
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        identity = f"not JSON: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
    if not isinstance(identity, dict) or not identity:
        what = identity if isinstance(identity, str) else f"a JSON {type(identity).__name__}, not a run identity"
        what = "empty: not a run identity" if identity == {} else what
        raise ConfigError(f"{marker} is damaged ({what}); move {marker.parent} away or choose another --out")
    return identity


def _entry_problem(entry: Path, part: Path, keep_spikes: bool) -> str:
    """What is wrong with a journal entry and its spike part ('' when nothing)."""
    try:
        lines = [json.loads(line) for line in entry.read_text().splitlines()]
    except (ValueError, UnicodeDecodeError):
        return "a journal line does not parse (truncated or garbled)"
    manifests = [x for x in lines if isinstance(x, dict) and MANIFEST in x]
    rows = [x for x in lines if isinstance(x, dict) and MANIFEST not in x]
    if not rows or len(manifests) + len(rows) != len(lines) or any(
            not {"trial", "point", "repeat"} <= set(row) for row in rows):
        return "journal rows without trial, point and repeat"
    if not manifests:  # an entry written before manifests: its part must at least be there and readable
        if keep_spikes and not part.is_file():
            return "its spike part is missing"
        return _part_problem(part, None, None) if keep_spikes else ""
    manifest = manifests[0]
    if manifest.get("rows") != len(rows) or manifest.get("trials") != [row["trial"] for row in rows]:
        return "its rows differ from its manifest"
    if "part_sha256" not in manifest:
        return ""
    if not part.is_file():
        return "its spike part is missing"
    return _part_problem(part, manifest["part_rows"], manifest["part_sha256"])


def _part_problem(part: Path, rows: int | None, sha256: str | None) -> str:
    if sha256 is not None and _sha256(part) != sha256:
        return "its spike part differs from the one written (truncated or changed)"
    try:
        found = pq.read_metadata(part).num_rows
    except Exception:  # pyarrow raises several kinds for a damaged file
        return "its spike part is not a parquet file"
    return f"its spike part holds {found} spikes, {rows} were written" if rows is not None and found != rows else ""


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _remove_leftovers(folder: Path) -> None:
    """Staging folders and partial files of writes that a kill interrupted."""
    for stage in folder.glob(".staging-*"):
        shutil.rmtree(stage, ignore_errors=True)
    for sub in (folder, folder / "trials", folder / "spikes.parquet"):
        for partial in sub.glob(".*.partial*") if sub.is_dir() else ():
            partial.unlink(missing_ok=True)


def _without_digests(there: dict, here: dict) -> bool:
    """Whether ``there`` is ``here`` as older versions wrote it: without the input files' sha256."""
    return "input_sha256" not in there and there == {k: v for k, v in here.items() if k != "input_sha256"}


def _differences(there: dict, here: dict, most: int = 3) -> str:
    """The first ``most`` entries in which two run identities differ, as ``name: A there, B here``."""
    flat_there, flat_here = _flatten(there), _flatten(here)
    names = [k for k in dict.fromkeys([*flat_there, *flat_here]) if flat_there.get(k) != flat_here.get(k)]
    shown = [f"{k}: {_brief(flat_there.get(k))} there, {_brief(flat_here.get(k))} here" for k in names[:most]]
    return "; ".join(shown) + (f"; and {len(names) - most} more" if len(names) > most else "")


def _brief(value, width: int = 60) -> str:
    """A value as JSON, cut to ``width`` characters (a whole grid of points would swamp one line)."""
    text = json.dumps(value)
    return text if len(text) <= width else text[:width - 3] + "..."


def _flatten(tree, prefix: str = "") -> dict:
    """``{'config': {'trials': 5}, 'sweep': {'beta': [..]}}`` -> ``{'trials': 5, 'sweep.beta': [..]}``:
    the fields of ``config`` and ``model_params`` by their own names, other nested keys dotted."""
    out = {}
    for key, value in tree.items():
        if isinstance(value, dict) and not set(value) <= {"value", "unit"}:
            out.update(_flatten(value, f"{prefix}{key}." if key not in ("config", "model_params") else prefix))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _dtypes(n_trials: int | None, n_neurons: int | None) -> dict:
    """The ``trial`` and ``neuron`` columns' dtypes for a run of ``n_trials`` trials whose largest
    population has ``n_neurons`` neurons (None: chosen per table)."""
    from . import readout

    return {"trial": readout.smallest_uint(n_trials - 1) if n_trials else None,
            "neuron": readout.smallest_uint(max(n_neurons - 1, 2**8)) if n_neurons else None}


def _spike_table(items: list, dtypes: dict) -> pd.DataFrame | None:
    """The tidy spike table of the ``(row, spikes or None)`` pairs of one entry (None: no spikes kept)."""
    from . import readout

    kept = [(row["trial"], spikes) for row, spikes in items if spikes is not None]
    return readout.spike_tables(kept, dtypes) if kept else None


def trial_number(point, repeat: int) -> int:
    """The run-wide number of a point's ``repeat``-th trial (the ``trial`` column)."""
    return point.index * point.config.trials + repeat


def trial_count(points: list) -> int:
    """How many trial numbers a run of ``points`` uses (one past the largest)."""
    return max((trial_number(pt, pt.config.trials) for pt in points), default=0)


def store_sizes(points: list) -> dict:
    """What fixes a run's spike-table dtypes: its trial count and its largest population."""
    sizes = [n for pt in points for n in pt.model.neuron_counts().values()]
    return {"n_trials": trial_count(points), "n_neurons": max(sizes, default=None)}


SCHEMA_KEY = b"hopfield_brian"  # the spike parts' schema metadata: populations, t_stop, units, parameters


def arrow_table(frame: pd.DataFrame, metadata: dict | None = None) -> pa.Table:
    """An Arrow table of a spike table, column by column (categoricals as dictionaries), with ``metadata``
    (JSON) under ``SCHEMA_KEY`` in its schema.

    ``pa.Table.from_pandas`` starts a thread pool on every call (~5 ms for a
    small table, longer than the rest of a trial's scoring).
    """
    columns = {}
    for name, col in frame.items():
        if isinstance(col.dtype, pd.CategoricalDtype):
            columns[name] = pa.DictionaryArray.from_arrays(pa.array(col.cat.codes.to_numpy()),
                                                           pa.array(list(col.cat.categories)))
        else:
            columns[name] = pa.array(col.to_numpy())
    table = pa.table(columns)
    if metadata is not None:
        table = table.replace_schema_metadata({SCHEMA_KEY: json.dumps(metadata, default=str).encode()})
    return table


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the whole new one."""
    partial = path.with_name(f".{path.name}.partial-{os.getpid()}")
    partial.write_text(text)
    os.replace(partial, path)


def progress_bar(total: int, enabled: bool, stream=None):
    """Progress on stderr: a tqdm bar with rate and ETA on a terminal, a plain line every few seconds
    (:class:`ProgressLines`) when stderr is a file or a pipe (a log, a batch job); a no-op when disabled."""
    from tqdm import tqdm

    stream = stream or sys.stderr
    if enabled and not (hasattr(stream, "isatty") and stream.isatty()):
        return ProgressLines(total, stream)
    return tqdm(total=total, unit="trial", file=stream, disable=not enabled, smoothing=0.1, leave=False)


class ProgressLines:
    """Progress for logs: ``hopfield-brian: 40/200 trials (20%), 12.3 trials/s, about 13 s left`` every
    ``every`` seconds and at the end; the time spent building is left out of the rate."""

    def __init__(self, total: int, stream, every: float = 5.0):
        import time

        self.total, self.stream, self.every, self.done = total, stream, every, 0
        self._clock = time.perf_counter
        self._start = self._last = self._clock()
        self._paused = 0.0
        self._pause_from = None

    def set_postfix_str(self, text: str) -> None:
        if text == "building" and self._pause_from is None:
            self._pause_from = self._clock()

    def unpause(self) -> None:
        if self._pause_from is not None:
            self._paused += self._clock() - self._pause_from
            self._pause_from = None

    def update(self, n: int = 1) -> None:
        self.done += n
        if self._clock() - self._last >= self.every:
            self._line()

    def _line(self) -> None:
        self._last = self._clock()
        elapsed = max(self._last - self._start - self._paused, 1e-9)
        rate = self.done / elapsed
        left = f", about {(self.total - self.done) / rate:.0f} s left" if rate and self.done < self.total else ""
        print(f"hopfield-brian: {self.done}/{self.total} trials ({self.done / max(self.total, 1):.0%}), "
              f"{rate:.3g} trials/s{left}", file=self.stream, flush=True)

    def close(self) -> None:
        if self.done:
            self._line()


def point_summary(trials: pd.DataFrame, swept: list[str]) -> tuple:
    """The common head of a per-point summary: the trials grouped by point and a table with the swept
    values, the number of trials, the success rate and its 95 % Wilson interval."""
    cols = parameter_columns(trials.columns, swept)
    g = trials.groupby("point")
    out = g[cols].first() if cols else pd.DataFrame(index=g.size().index)
    out["trials"] = g.size()
    out["success_rate"] = g["success"].mean()
    out["success_ci_low"], out["success_ci_high"] = wilson(g["success"].sum(), g.size())
    return g, out


def rate_span(rates: pd.Series) -> str:
    """The range of a rate over a grid's points: ``'40% to 100%'`` (``'100%'`` when all are equal)."""
    lo, hi = rates.min(), rates.max()
    return f"{lo:.0%}" if lo == hi else f"{lo:.0%} to {hi:.0%}"


def wilson(successes, n, z: float = 1.96):
    """95% Wilson score interval of a binomial proportion (Wilson 1927)."""
    successes, n = np.asarray(successes, dtype=float), np.asarray(n, dtype=float)
    p = successes / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    return np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)
