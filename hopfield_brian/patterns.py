"""Stored patterns: generation, loading, corruption and overlaps.

Patterns are held as an ``(M, N)`` float array. Bipolar patterns take values in
{-1, +1}; sparse patterns take values in {0, 1} with coding level ``a`` (the
fraction of ones), as in Tsodyks & Feigel'man (1988).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from .errors import ConfigError

PATTERN_KINDS = ("bipolar", "sparse")


def random_bipolar(n_patterns: int, n_features: int, rng: np.random.Generator) -> np.ndarray:
    """``n_patterns`` i.i.d. random {-1, +1} patterns of length ``n_features``."""
    return rng.choice(np.array([-1.0, 1.0]), size=(n_patterns, n_features))


def random_sparse(
    n_patterns: int, n_features: int, coding_level: float, rng: np.random.Generator
) -> np.ndarray:
    """Random {0, 1} patterns with exactly ``round(a N)`` ones each."""
    n_active = max(1, int(round(coding_level * n_features)))
    out = np.zeros((n_patterns, n_features))
    for mu in range(n_patterns):
        out[mu, rng.choice(n_features, size=n_active, replace=False)] = 1.0
    return out


def generate(kind: str, n_patterns: int, n_features: int, coding_level: float, seed: int) -> np.ndarray:
    """Random patterns of ``kind`` ('bipolar' or 'sparse') from ``seed``."""
    rng = np.random.default_rng(seed)
    if kind == "bipolar":
        return random_bipolar(n_patterns, n_features, rng)
    if kind == "sparse":
        return random_sparse(n_patterns, n_features, coding_level, rng)
    raise ConfigError(f"unknown pattern kind {kind!r}; choose from {', '.join(PATTERN_KINDS)}")


def read_array(path, what: str = "patterns") -> np.ndarray:
    """A numeric array from ``.npy`` or ``.csv`` (comma-separated, no header), as floats; a numpy
    array (or :class:`Patterns`) given instead of a file is checked the same way.

    Every problem is one ConfigError naming ``what`` and the file: missing
    file, other suffix, unreadable content, values that are not numbers (a
    .npy of strings), no values at all (an empty .csv, a 0 x N array). numpy's
    warnings (an empty .csv) are never printed.
    """
    if isinstance(path, Patterns):
        path = path.array
    if isinstance(path, (np.ndarray, list, tuple)):
        arr = np.asarray(path)
        if arr.dtype.kind not in "biuf":
            raise ConfigError(f"{what} must be numbers, the array holds {arr.dtype} values")
        if arr.size == 0:
            raise ConfigError(f"no {what} in the array (shape {arr.shape})")
        if not np.all(np.isfinite(arr)):
            raise ConfigError(f"{what} must be finite numbers, the array holds nan or inf")
        return arr.astype(float)
    path = Path(path)
    if path.is_symlink() and not path.exists():
        raise ConfigError(f"{what} file {path} is a broken or looping symbolic link")
    if path.exists() and not path.is_file():
        raise ConfigError(f"{what} file {path} is not a regular file ({'a folder' if path.is_dir() else 'a FIFO, '
                          'socket or device'})")
    if not path.is_file():
        raise ConfigError(f"{what} file not found: {path}")
    if path.suffix not in (".npy", ".csv"):
        raise ConfigError(f"{what} file must be .npy or .csv, got {path.name}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # loadtxt warns about an empty file: refused below instead
            arr = (np.load(path, allow_pickle=False) if path.suffix == ".npy"
                   else np.loadtxt(path, delimiter=",", ndmin=2))
    except Exception as exc:  # unreadable numbers, corrupt file
        raise ConfigError(f"cannot read {what} from {path}: {(str(exc) or type(exc).__name__).splitlines()[0]}") \
            from None
    if not isinstance(arr, np.ndarray):  # an .npz archive saved under a .npy name
        arr.close()
        raise ConfigError(f"{path} is an .npz archive, not a .npy array; save one array with numpy.save")
    if arr.dtype.kind not in "biuf":
        raise ConfigError(f"{path}: {what} must be numbers, the file holds {arr.dtype} values")
    if arr.size == 0:
        raise ConfigError(f"{path}: no {what} in the file (an empty array, shape {arr.shape})")
    return arr.astype(float)


def load(path, what: str = "patterns") -> tuple[np.ndarray, str]:
    """Load user patterns from ``.npy`` or ``.csv`` (shape M x N, no header), or take them from an array.

    Returns the array and its kind: 'bipolar' for {-1, +1} values, 'sparse'
    for {0, 1} values. ``what`` names them in error messages (e.g. 'values').
    """
    arr = read_array(path, what)
    return arr, validate(arr, source=source_name(path, what))


def source_name(source, what: str = "patterns") -> str:
    """How messages name an input: the file's path, or 'the <what> array'."""
    return str(source) if isinstance(source, (str, Path)) else f"the {what} array"


class Patterns:
    """A set of M stored patterns of length N, to pass wherever a patterns file is accepted.

    ``Patterns.random('bipolar', 50, 200, seed=1)``, ``Patterns.from_file('my.npy')``
    or ``Patterns(array)``: the array is checked at once (M x N, all values in
    {-1, +1} or all in {0, 1}; ``kind`` says which).
    """

    def __init__(self, array):
        self.array = read_array(array)
        self.kind = validate(self.array, "the patterns array")

    @classmethod
    def random(cls, kind: str, n_patterns: int, n_features: int, coding_level: float = 0.1,
               seed: int = 0) -> "Patterns":
        """Random patterns, the same as a protocol draws from ``seed`` (``kind``: 'bipolar' or 'sparse')."""
        return cls(generate(kind, n_patterns, n_features, coding_level, seed))

    @classmethod
    def from_file(cls, path) -> "Patterns":
        """Patterns from a ``.npy`` or ``.csv`` file."""
        return cls(load(path)[0])

    @property
    def shape(self) -> tuple:
        return self.array.shape

    def __array__(self, dtype=None, copy=None):
        return self.array if dtype is None else self.array.astype(dtype)

    def __repr__(self) -> str:
        return f"Patterns({self.kind}, M={self.shape[0]}, N={self.shape[1]})"


def validate(patterns: np.ndarray, source: str = "patterns") -> str:
    """Check shape (M x N, M >= 1, N >= 2) and values; return the kind."""
    arr = np.asarray(patterns)
    if arr.ndim != 2 or arr.shape[0] < 1 or arr.shape[1] < 2:
        raise ConfigError(f"{source}: expected a 2-D array of shape M x N (M >= 1, N >= 2), got shape {arr.shape}")
    values = set(np.unique(arr).tolist())
    if values <= {-1.0, 1.0}:
        return "bipolar"
    if values <= {0.0, 1.0}:
        return "sparse"
    bad = sorted(values - {-1.0, 0.0, 1.0})[:3] or sorted(values)[:3]
    raise ConfigError(f"{source}: values must be all in {{-1,+1}} or all in {{0,1}}; found {bad}")


def check_active(patterns: np.ndarray, source: str = "patterns") -> None:
    """Every sparse {0, 1} pattern needs an active unit (the classical network's coding level and overlaps)."""
    silent = np.flatnonzero(~np.any(np.asarray(patterns) != 0, axis=1))
    if silent.size:
        raise ConfigError(f"{source}: {silent.size} pattern(s) with no active unit (all 0; row {silent[0]} "
                          f"first); sparse {{0,1}} patterns need at least one 1 each")


def coding_level(patterns: np.ndarray) -> float:
    """Fraction of active entries of {0, 1} patterns."""
    return float(np.mean(patterns))


def flip(pattern: np.ndarray, fraction: float, rng: np.random.Generator, kind: str = "bipolar") -> np.ndarray:
    """Copy of ``pattern`` with exactly ``round(fraction * N)`` entries flipped."""
    out = pattern.copy()
    idx = rng.choice(out.size, size=int(round(fraction * out.size)), replace=False)
    out[idx] = -out[idx] if kind == "bipolar" else 1.0 - out[idx]
    return out


def mask(pattern: np.ndarray, fraction: float, rng: np.random.Generator, kind: str = "bipolar") -> np.ndarray:
    """Copy of ``pattern`` with ``round(fraction * N)`` entries set to 'unknown'.

    Unknown is 0 for bipolar patterns (no evidence either way) and the coding
    level's complement 0 for sparse ones (silent).
    """
    out = pattern.copy()
    idx = rng.choice(out.size, size=int(round(fraction * out.size)), replace=False)
    out[idx] = 0.0
    return out


def to_bipolar(patterns: np.ndarray, kind: str) -> np.ndarray:
    """Map {0,1} patterns to {-1,+1}; bipolar ones are returned unchanged."""
    return patterns if kind == "bipolar" else 2.0 * patterns - 1.0


def overlap(patterns: np.ndarray, state: np.ndarray, kind: str = "bipolar") -> np.ndarray:
    """Overlap of ``state`` with every stored pattern.

    Bipolar: m_mu = (1/N) sum_i x_mu,i s_i (Amit et al. 1985), in [-1, 1].
    Sparse: m_mu = sum_i (x_mu,i - a) s_i / (N a (1 - a)) with s in {0, 1}
    (Tsodyks & Feigel'man 1988), which is 1 for s = x_mu. ``state`` may hold
    several states as rows; the result then has shape (n_states, M).
    """
    patterns = np.asarray(patterns, dtype=float)
    state = np.asarray(state, dtype=float)
    n = patterns.shape[1]
    if kind == "bipolar":
        return state @ patterns.T / n
    a = coding_level(patterns)
    return state @ (patterns - a).T / (n * a * (1.0 - a))
