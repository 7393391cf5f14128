"""Mean-field theory of both models' phase diagrams (numpy only).

Classical network: the replica-symmetric theory of Amit, Gutfreund &
Sompolinsky (1985, Phys Rev Lett 55:1530; 1987, Ann Phys 173:30) for +-1
patterns with Hebbian couplings J = (1/N) sum_mu x_mu x_mu^T at load
alpha = M/N and temperature T (Glauber: P(S_i = +1) = 1 / (1 + exp(-2 h_i / T))).
The retrieval state (overlap m with one pattern) satisfies

    m = <tanh(beta (m + sqrt(alpha r) z))>_z
    q = <tanh^2(beta (m + sqrt(alpha r) z))>_z
    r = q / (1 - beta (1 - q))^2

with z standard normal and beta = 1 / T. It exists below the retrieval line
T_M(alpha): T_M(0) = 1 (the Curie-Weiss transition) and T_M = 0 at
alpha_c = 0.1379 (AGS 1987), where m jumps from 0.968 to 0. The
replica-symmetric line is slightly re-entrant near alpha_c (alpha_M reaches
0.1382 at T ~ 0.02), so it is computed here as the largest load alpha_M(T) at
each temperature, which stays single-valued, by Newton continuation in alpha.

The package's classical neurons fire at rate_max / (1 + exp(-h / T_pkg))
(:mod:`hopfield_brian.equations.classical`): their mean activity is
(1 + tanh(h / (2 T_pkg))) / 2, so T_AGS = 2 T_pkg (:func:`ags_temperature`).

Modern network: the separation condition of Ramsauer et al. (2021, ICLR,
arXiv 2008.02217, Theorem 3 and its Lemma): in their notation, N stored
patterns x_1..x_N of dimension d, M = max_i |x_i|, the separation of pattern
i is Delta_i = min_{j != i} (x_i . x_i - x_i . x_j), and x_i is *well
separated* when

    Delta_i >= 2 / (beta N) + (1 / beta) ln(2 (N - 1) N beta M^2);

then the update xi <- X softmax(beta X^T xi) has a fixed point within
1 / (beta N M) of x_i. In this package's notation (M patterns of N entries,
+-1, so that their norm is sqrt(N)) the condition reads
Delta_i >= 2 / (beta M) + (1 / beta) ln(2 (M - 1) M beta N).
It guarantees that a single-pattern fixed point exists near x_i; it says
nothing about the basin a corrupted cue has to start from.
"""

from __future__ import annotations

import math

import numpy as np

# Gaussian averages by the trapezoid rule on a fine z grid: tanh(beta h) turns into a step at low T,
# which a Gauss-Hermite rule of a few dozen nodes cannot resolve. The grid resolves T_AGS / sigma
# down to ~0.01 (sigma = sqrt(alpha r) of the crosstalk noise); below T_MIN the T = 0 limit is used.
_Z = np.linspace(-8.0, 8.0, 2001)
_W = np.exp(-_Z ** 2 / 2) / math.sqrt(2 * math.pi) * (_Z[1] - _Z[0])
T_MIN = 0.01


def ags_temperature(package_temperature):
    """AGS temperature of the package's classical escape noise, T_AGS = 2 T_pkg (module docstring)."""
    return 2.0 * np.asarray(package_temperature, dtype=float)


# ------------------------------------------------------------------ classical: AGS replica symmetry

def _zero_temperature_root(alpha: float) -> float:
    """The T = 0 retrieval state (AGS 1987) in y = m / sqrt(2 alpha r): the largest root of
    y (sqrt(2 alpha) + 2 exp(-y^2) / sqrt(pi)) = erf(y); then m = erf(y) and sqrt(alpha r) = m / (sqrt(2) y).
    0 when there is none (alpha > alpha_c)."""
    def g(y):
        return y * (math.sqrt(2 * alpha) + 2 / math.sqrt(math.pi) * math.exp(-y * y)) - math.erf(y)

    ys = np.linspace(0.05, max(6.0, 2.0 / math.sqrt(2 * alpha)), 8000)  # the root y ~ 1 / sqrt(2 alpha)
    values = np.array([g(y) for y in ys])
    rising = np.nonzero((values[:-1] < 0) & (values[1:] >= 0))[0]  # g rises through 0 at the stable root
    if rising.size == 0:
        return 0.0
    lo, hi = ys[rising[-1]], ys[rising[-1] + 1]
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if g(mid) < 0 else (lo, mid)
    return float(0.5 * (lo + hi))


def critical_load_zero_temperature() -> float:
    """alpha_c(T = 0) = max_y (erf(y) / y - 2 exp(-y^2) / sqrt(pi))^2 / 2 (AGS 1987): 0.1379."""
    def f(y):
        return (math.erf(y) / y - 2 / math.sqrt(math.pi) * math.exp(-y * y)) ** 2 / 2

    lo, hi = 0.5, 3.0  # golden-section search for the maximum
    g = (math.sqrt(5) - 1) / 2
    for _ in range(100):
        a, b = hi - g * (hi - lo), lo + g * (hi - lo)
        if f(a) > f(b):
            hi = b
        else:
            lo = a
    return f(0.5 * (lo + hi))


def _averages(m: float, sigma: float, beta: float) -> np.ndarray:
    """Gaussian averages over z of t = tanh(beta (m + sigma z)) and s = 1 - t^2:
    <t>, <s>, <s z>, <t s>, <t s z>."""
    t = np.tanh(beta * (m + sigma * _Z))
    s = 1.0 - t * t
    return _W @ np.stack([t, s, s * _Z, t * s, t * s * _Z], axis=1)


def _solve(x: np.ndarray, alpha: float, beta: float, tol: float = 1e-12, max_iter: int = 12):
    """Newton's method on the fixed-point equations in the unknowns (m, C = beta (1 - q)), with
    r = q / (1 - C)^2 and sigma = sqrt(alpha r), and the analytic Jacobian. None unless it converges
    to a physical solution (0 < m <= 1, 0 <= C < 1, 0 <= q <= 1)."""
    m, c = x
    for _ in range(max_iter):
        q = 1.0 - c / beta
        sigma = math.sqrt(alpha * q) / (1.0 - c)
        t, s, sz, ts, tsz = _averages(m, sigma, beta)
        f = np.array([t - m, beta * s - c])
        if np.max(np.abs(f)) < tol:
            return np.array([m, c])
        dsigma_dc = sigma * (1.0 / (1.0 - c) - 1.0 / (2.0 * beta * q))
        jac = np.array([[beta * s - 1.0, beta * sz * dsigma_dc],
                        [-2.0 * beta ** 2 * ts, -2.0 * beta ** 2 * tsz * dsigma_dc - 1.0]])
        try:
            dm, dc = np.linalg.solve(jac, -f)
        except np.linalg.LinAlgError:
            return None
        m, c = m + dm, c + dc
        if not (0.0 < m <= 1.0 and 0.0 <= c < 1.0 and c <= beta):
            return None
    return None


def _start(temperature: float) -> np.ndarray:
    """Retrieval state at alpha = 0: the Curie-Weiss magnetisation m = tanh(m / T), C = beta (1 - m^2)."""
    m = 1.0
    for _ in range(10000):
        m_new = math.tanh(m / temperature)
        if abs(m_new - m) < 1e-14:
            break
        m = m_new
    return np.array([m, (1.0 - m * m) / temperature])


def _branch(temperature: float, alphas=None, d_alpha: float = 0.004, tol: float = 1e-4, edge: bool = True):
    """Follow the retrieval state from alpha = 0 up in load at fixed T (natural continuation, the step
    halved where Newton, started from the last solution, fails or the overlap jumps). Returns the largest
    load reached (alpha_M(T) to a relative ``tol`` of the step) and ``{alpha: (m, C)}`` for those of
    ``alphas`` below it; ``edge`` False stops once they are all found."""
    beta = 1.0 / temperature
    d_alpha = min(d_alpha, (1.0 - temperature) ** 2 / 20)  # alpha_M ~ ((1 - T) / 1.95)^2 near T = 1
    x, alpha, step = _start(temperature), 0.0, d_alpha
    wanted = sorted(alphas) if alphas is not None else []
    found = {}
    while step > tol * d_alpha and (edge or wanted):
        target = alpha + step
        if wanted and wanted[0] < target:
            target = wanted[0]
        y = _solve(x, target, beta)
        if y is None or y[0] < 0.7 * x[0]:  # no solution, or a jump off the branch (to m = 0)
            step /= 2
            continue
        x, alpha = y, target
        while wanted and wanted[0] <= alpha + 1e-15:
            found[wanted.pop(0)] = x
        step = min(2 * step, d_alpha)
    return float(alpha), found


def critical_load(temperature: float) -> float:
    """alpha_M(T): the largest load at which the AGS retrieval state exists at AGS temperature T
    (T = 0: the closed form, 0.1379; T >= 1: 0)."""
    if temperature >= 1.0:
        return 0.0
    if temperature < T_MIN:
        return critical_load_zero_temperature()
    return _branch(temperature)[0]


def retrieval_state(alpha: float, temperature: float) -> dict:
    """m, q, r and sigma = sqrt(alpha r) (sd of the crosstalk field) of the retrieval state at load alpha
    and AGS temperature T; m = 0 (the rest NaN) where none exists."""
    return retrieval_states([alpha], temperature)[0]


def retrieval_states(alphas, temperature: float) -> list[dict]:
    """:func:`retrieval_state` at each of ``alphas`` and one temperature (one continuation in load)."""
    none = {"m": 0.0, "q": float("nan"), "r": float("nan"), "sigma": float("nan")}
    alphas = [float(a) for a in alphas]
    if temperature >= 1.0:
        return [dict(none) for _ in alphas]
    if temperature < T_MIN:
        out = []
        for a in alphas:
            y = _zero_temperature_root(a) if a > 0 else float("inf")
            if y == 0.0:
                out.append(dict(none))
                continue
            m = math.erf(y)
            sigma = m / (math.sqrt(2) * y)
            out.append({"m": m, "q": 1.0, "r": sigma ** 2 / a if a else float("nan"), "sigma": sigma})
        return out
    _, found = _branch(temperature, [a for a in alphas if 0 < a <= 0.2], edge=False)  # alpha_M < 0.139
    m0, _ = _start(temperature)
    return [{"m": float(m0), "q": float(m0 * m0), "r": float("nan"), "sigma": 0.0} if a == 0 else
            _state_of(found[a], a, temperature) if a in found else dict(none) for a in alphas]


def boundary_temperature(alpha: float, tol: float = 1e-5) -> float:
    """T_M(alpha): the largest AGS temperature at which the retrieval state exists at load alpha
    (bisection on the decreasing part of alpha_M(T)); 0 beyond alpha_c."""
    if alpha <= 0:
        return 1.0
    lo, hi = 0.1, 1.0  # alpha_M(T) decreases on [0.1, 1] (the re-entrance lies below T ~ 0.1)
    if critical_load(lo) < alpha:
        lo = 0.0
        if critical_load_zero_temperature() < alpha:
            return 0.0
    while hi - lo > tol:
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if critical_load(mid) >= alpha else (lo, mid)
    return 0.5 * (lo + hi)


def readout_overlap(m: float, sigma: float, temperature: float, threshold: float = 0.25) -> float:
    """Overlap with the pattern of the state read out as 'active where the mean activity
    (1 + <S_i>) / 2 reaches ``threshold``' (the classical network's decoder with an infinite window),
    in the AGS retrieval state: local fields h_i = m xi_i + sigma z, <S_i> = tanh(h_i / T). A unit is
    read active iff h_i >= -c, c = T atanh(1 - 2 threshold), so the overlap is
    Phi((m + c) / sigma) + Phi((m - c) / sigma) - 1."""
    if m <= 0:
        return 0.0
    cut = temperature * math.atanh(1.0 - 2.0 * threshold)
    sigma = max(sigma, 1e-12)  # alpha = 0: no crosstalk, a step at m = c
    return 0.5 * (math.erf((m + cut) / (sigma * math.sqrt(2))) + math.erf((m - cut) / (sigma * math.sqrt(2))))


def retrieval_lines(temperatures, alphas=None, threshold: float = 0.25, level: float = 0.9) -> dict:
    """The classical phase diagram's lines at each AGS temperature: ``alpha_m`` (alpha_M(T), where the
    retrieval state ceases to exist) and ``alpha_readout`` (the largest load up to which the state read
    out by the network's decoder, :func:`readout_overlap`, keeps an overlap >= ``level`` with the
    pattern; 0 when it never does). ``alphas``: the loads at which the read-out is evaluated."""
    alphas = np.linspace(0.002, 0.14, 70) if alphas is None else np.sort(np.asarray(alphas, dtype=float))
    temperatures = np.asarray(temperatures, dtype=float)
    alpha_m, alpha_readout = np.zeros(temperatures.size), np.zeros(temperatures.size)
    for k, t in enumerate(temperatures):
        if t >= 1.0:
            continue
        if t < T_MIN:
            alpha_m[k] = critical_load_zero_temperature()
            states = retrieval_states(alphas, 0.0)
        else:
            alpha_m[k], found = _branch(t, list(alphas))
            states = [_state_of(found[a], a, t) if a in found else {"m": 0.0, "sigma": 0.0} for a in alphas]
        ok = np.array([readout_overlap(st["m"], st["sigma"], t, threshold) >= level for st in states])
        passed = np.logical_and.accumulate(ok)
        alpha_readout[k] = float(alphas[passed].max()) if passed.any() else 0.0
    return {"temperature": temperatures, "alpha_m": alpha_m, "alpha_readout": alpha_readout}


def _state_of(x, alpha: float, temperature: float) -> dict:
    m, c = x
    q = 1.0 - c * temperature
    r = q / (1.0 - c) ** 2
    return {"m": float(m), "q": float(q), "r": float(r), "sigma": math.sqrt(alpha * r)}


def shot_noise_variance(alpha, spikes_per_tau: float, activity: float = 0.5):
    """Variance of the local field added by spike-count (shot) noise in the spiking classical network.

    Neuron j's contribution to h_i is J_ij n_j with n_j its spike train filtered by exp(-t / tau) and
    scaled by 1 / (rate_max tau); for Poisson spikes at rate nu_j its variance is
    nu_j / (2 rate_max^2 tau) = a_j / (2 rate_max tau) (Campbell's theorem), a_j = nu_j / rate_max.
    With J = 2 W and sum_j W_ij^2 = M / N on average for random +-1 patterns, the field's
    variance is 4 alpha a / (2 rate_max tau) = 2 alpha a / (rate_max tau): alpha / (rate_max tau) in a
    retrieval state of +-1 patterns (half the neurons active). ``spikes_per_tau`` = rate_max tau.
    """
    return 2.0 * np.asarray(alpha, dtype=float) * activity / spikes_per_tau


def shot_noise_line(lines: dict, spikes_per_tau: float, activity: float = 0.5, n: int = 200) -> dict:
    """The retrieval line of the spiking network predicted by AGS with its shot noise as extra
    temperature. Escape noise at T and Gaussian field noise of variance s^2 act together like
    T_eff = sqrt(T^2 + pi s^2 / 2) (matching tanh(h / T) to erf(sqrt(pi) h / (2 T)), a probit
    approximation of the logistic, so that the two noises add in variance); retrieval needs
    T_eff <= T_M(alpha), i.e. T <= sqrt(T_M(alpha)^2 - pi s^2(alpha) / 2). T_M(alpha) is read from ``lines``
    (:func:`retrieval_lines`) on the part where alpha_M(T) decreases. Returns ``alpha`` and
    ``temperature`` arrays (the line ends where the bound reaches T = 0)."""
    t, a = np.asarray(lines["temperature"]), np.asarray(lines["alpha_m"])
    peak = int(np.argmax(a))
    t_dec, a_dec = t[peak:], a[peak:]  # alpha_M decreasing in T: invert it
    order = np.argsort(a_dec)
    alphas = np.linspace(0.0, a_dec.max(), n)
    t_m = np.interp(alphas, a_dec[order], t_dec[order])
    bound = t_m ** 2 - np.pi / 2 * shot_noise_variance(alphas, spikes_per_tau, activity)
    keep = bound >= 0
    return {"alpha": alphas[keep], "temperature": np.sqrt(bound[keep])}


# ------------------------------------------------------------------------- modern: Ramsauer et al.

def separations(patterns: np.ndarray) -> np.ndarray:
    """Delta_i = x_i . x_i - max_{j != i} x_i . x_j for each stored pattern (rows), Ramsauer et al. 2021."""
    x = np.asarray(patterns, dtype=float)
    g = x @ x.T
    own = np.diag(g).copy()
    np.fill_diagonal(g, -np.inf)
    return own - g.max(axis=1)


def separation_needed(beta, n_patterns: int, n_features: int, norm: float | None = None):
    """Right-hand side of Ramsauer et al.'s condition in this package's notation:
    2 / (beta M) + ln(2 (M - 1) M beta norm^2) / beta, norm = largest pattern norm (sqrt(N) for +-1)."""
    beta = np.asarray(beta, dtype=float)
    norm2 = float(n_features) if norm is None else norm ** 2
    m = n_patterns
    return 2.0 / (beta * m) + np.log(2.0 * (m - 1) * m * beta * norm2) / beta


def separation_beta(delta: float, n_patterns: int, n_features: int, norm: float | None = None) -> float:
    """The beta from which a pattern of separation ``delta`` is well separated, for every larger beta:
    beta (delta - right side) = beta delta - 2 / M - ln(2 (M - 1) M beta N) is convex in beta and
    negative between two roots; this is the upper one. (Below the lower one, beta < ~1 / (2 M^2 N), the
    logarithm turns negative and the condition holds vacuously: the sphere of radius 1 / (beta M sqrt(N))
    around x_i then holds every pattern.) inf when delta <= 0; nan for a single pattern."""
    if n_patterns < 2:
        return float("nan")
    if delta <= 0:
        return float("inf")
    def gap(b):
        return delta - float(separation_needed(b, n_patterns, n_features, norm))
    hi = 1.0 / delta
    while gap(hi) < 0:
        hi *= 2.0
    lo = hi / 2.0
    while gap(lo) >= 0 and lo > 1e-12:  # move left into the negative stretch, above the lower root
        lo /= 2.0
    for _ in range(100):
        mid = math.sqrt(lo * hi)
        lo, hi = (mid, hi) if gap(mid) < 0 else (lo, mid)
    return hi


def expected_separation(n_patterns: int, n_features: int) -> float:
    """E[Delta_i] for M random +-1 patterns of N entries: N - E[max of M - 1 overlaps x_i . x_j], each
    N - 2 Binomial(N, 1/2), independent for a fixed x_i (exact binomial order statistic)."""
    if n_patterns < 2:
        return float(n_features)
    n = n_features
    k = np.arange(n + 1)
    log_pmf = (np.array([math.lgamma(n + 1) - math.lgamma(j + 1) - math.lgamma(n - j + 1) for j in k])
               - n * math.log(2))
    pmf = np.exp(log_pmf)
    # overlap = n - 2 k: the max overlap is at the min k over the M - 1 others
    survival = np.clip(1.0 - np.cumsum(pmf) + pmf, 0.0, 1.0)  # P(k_j >= k)
    p_min_ge = survival ** (n_patterns - 1)  # P(min k >= k)
    p_min_eq = p_min_ge - np.r_[p_min_ge[1:], 0.0]
    expected_max_overlap = float(np.sum(p_min_eq * (n - 2 * k)))
    return n - expected_max_overlap
