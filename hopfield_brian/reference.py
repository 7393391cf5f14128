"""Non-spiking numpy references for both models.

* Classical Hopfield network (Hopfield 1982; Amit, Gutfreund & Sompolinsky
  1985) with Hebbian couplings, sparse patterns as in Tsodyks & Feigel'man
  (1988), zero-temperature asynchronous updates.
* Modern Hopfield retrieval (Ramsauer et al. 2020, arXiv 2008.02217):
  xi <- V softmax(beta K xi), i.e. softmax attention with query xi, keys K and
  values V (semantics of ml-jku/hopfield-layers ``hopfield_core_forward`` with
  ``scaling = beta`` and no projections).

Neurons of the classical network are binary units n in {0, 1}. The couplings
``J`` and biases ``b`` returned by :func:`hebbian_couplings` are scaled so that
the noiseless local field ``J n + b`` of a stored pattern is +-1; the spiking
network uses the very same ``J`` and ``b``.
"""

from __future__ import annotations

import math

import numpy as np


def hebbian_couplings(patterns: np.ndarray, kind: str) -> tuple[np.ndarray, np.ndarray, float]:
    """Hebbian couplings ``J`` (N x N, J[i, j] from j to i), biases ``b`` and coding level.

    Bipolar: W = (1/N) sum_mu x_mu x_mu^T; with s = 2n - 1 the field W s equals
    J n + b with J = 2W, b = -W 1.
    Sparse (coding level a): W = (1/N) sum_mu (x_mu - a)(x_mu - a)^T and
    threshold theta = a(1-a)(1-2a)/2, both divided by a(1-a)/2 so that the field
    of an active (inactive) pattern unit is +1 (-1).
    The diagonal is zero (no self-coupling).
    """
    x = np.asarray(patterns, dtype=float)
    m, n = x.shape
    if kind == "bipolar":
        w = x.T @ x / n
        np.fill_diagonal(w, 0.0)
        return 2.0 * w, -w.sum(axis=1), 0.5
    a = float(x.mean())
    if not 0.0 < a < 1.0:
        raise ValueError("sparse patterns need a coding level strictly between 0 and 1")
    d = x - a
    w = d.T @ d / n
    np.fill_diagonal(w, 0.0)
    scale = 2.0 / (a * (1.0 - a))
    return scale * w, np.full(n, -(1.0 - 2.0 * a)), a


def classical_recall(
    couplings: np.ndarray,
    bias: np.ndarray,
    coding_level: float,
    start: np.ndarray,
    rng: np.random.Generator,
    inhibition: float = 0.0,
    max_sweeps: int = 100,
    counts: dict | None = None,
) -> np.ndarray:
    """Zero-temperature asynchronous dynamics from binary state ``start`` (0/1).

    Each sweep visits the units in a fresh random order and sets
    n_i = 1 if J_i . n + b_i - g (A - a) > 0 (A = mean activity), until a sweep
    changes nothing. Returns the final 0/1 state. When ``counts`` is a dict it
    receives the number of sweeps (the last one changes nothing) and of flips.
    """
    n_state = np.asarray(start, dtype=float).copy()
    n = n_state.size
    field = couplings @ n_state + bias
    for _ in range(max_sweeps):
        changed = 0
        for i in rng.permutation(n):
            activity = n_state.sum() / n
            new = 1.0 if field[i] - inhibition * (activity - coding_level) > 0 else 0.0
            if new != n_state[i]:
                field += couplings[:, i] * (new - n_state[i])
                n_state[i] = new
                changed += 1
        if counts is not None:
            counts["sweeps"] = counts.get("sweeps", 0) + 1
            counts["flips"] = counts.get("flips", 0) + changed
        if changed == 0:
            break
    return n_state


def glauber_activity(
    couplings: np.ndarray,
    bias: np.ndarray,
    coding_level: float,
    start: np.ndarray,
    rng: np.random.Generator,
    temperature: float,
    inhibition: float = 0.0,
    sweeps: int = 30,
    average: int = 10,
) -> np.ndarray:
    """Asynchronous Glauber dynamics at temperature ``temperature`` from binary state ``start`` (0/1).

    Each sweep visits the units in a fresh random order and sets n_i = 1 with
    probability 1 / (1 + exp(-f_i / T)), f_i = J_i . n + b_i - g (A - a): the
    firing probability of the spiking network's escape-noise neurons
    (:mod:`hopfield_brian.equations.classical`), i.e. Glauber dynamics at
    T_AGS = 2 T in the +-1 convention of Amit, Gutfreund & Sompolinsky (1985).
    Returns the mean activity of each unit over the last ``average`` of
    ``sweeps`` sweeps. T = 0 is the deterministic rule of :func:`classical_recall`.
    """
    if not 1 <= average <= sweeps:
        raise ValueError(f"average must be in [1, sweeps], got {average} of {sweeps}")
    n_state = np.asarray(start, dtype=float).copy()
    n = n_state.size
    field = couplings @ n_state + bias
    active = n_state.sum()
    total = np.zeros(n)
    for sweep in range(sweeps):
        for i, u in zip(rng.permutation(n), rng.random(n)):
            f = field[i] - inhibition * (active / n - coding_level)
            if temperature > 0:  # u < sigma(f / T), written so that exp cannot overflow
                new = 1.0 if u * (1.0 + math.exp(min(-f / temperature, 700.0))) < 1.0 else 0.0
            else:
                new = 1.0 if f > 0 else 0.0
            if new != n_state[i]:
                field += couplings[:, i] * (new - n_state[i])
                active += new - n_state[i]
                n_state[i] = new
        if sweep >= sweeps - average:
            total += n_state
    return total / average


def softmax(z: np.ndarray) -> np.ndarray:
    """Numerically stable softmax along the last axis."""
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def attention_weights(keys: np.ndarray, query: np.ndarray, beta: float) -> np.ndarray:
    """softmax(beta K q): the posterior over memories (Ramsauer et al. 2020, eq. 3)."""
    return softmax(beta * (np.asarray(query, dtype=float) @ np.asarray(keys, dtype=float).T))


def modern_recall(
    keys: np.ndarray,
    query: np.ndarray,
    beta: float,
    values: np.ndarray | None = None,
    n_steps: int = 3,
) -> np.ndarray:
    """Iterated modern Hopfield update xi <- V^T softmax(beta K xi).

    ``keys`` and ``values`` are (M, N) arrays with one stored pattern per row
    (``values`` defaults to ``keys``: auto-association). Returns the state
    after ``n_steps`` updates (one update is single-step attention).
    """
    values = keys if values is None else values
    xi = np.asarray(query, dtype=float)
    for _ in range(n_steps):
        xi = attention_weights(keys, xi, beta) @ values
    return xi


def attention(queries: np.ndarray, keys: np.ndarray, values: np.ndarray | None, beta: float,
              n_steps: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Softmax attention / modern Hopfield retrieval with separate queries, keys and values.

    Semantics of ml-jku/hopfield-layers ``hopfield_core_forward`` (Ramsauer et
    al. 2020) with ``scaling = beta`` and no projections: the state pattern is
    updated ``n_steps - 1`` times in key space, q <- softmax(beta q K^T) K, then
    the attention weights p = softmax(beta q K^T) of the last state are applied
    to the values, output = p V. ``queries`` is (Q, N) or (N,), ``keys`` (M, N),
    ``values`` (M, D) (None: the keys). Returns (weights (Q, M), output (Q, D)).
    """
    keys = np.asarray(keys, dtype=float)
    values = keys if values is None else np.asarray(values, dtype=float)
    q = np.atleast_2d(np.asarray(queries, dtype=float))
    p = softmax(beta * q @ keys.T)
    for _ in range(n_steps - 1):
        q = p @ keys
        p = softmax(beta * q @ keys.T)
    return p, p @ values
