"""Phase protocol: both models' phase diagrams against their mean-field theory.

Classical (``--model classical``): cued recall over the load alpha = M/N and
the temperature of the escape noise, next to the replica-symmetric theory of
Amit, Gutfreund & Sompolinsky (1985, Phys Rev Lett 55:1530; 1987, Ann Phys
173:30) computed in :mod:`hopfield_brian.theory`. The neurons fire at
rate_max / (1 + exp(-h / T)), i.e. at a mean activity (1 + tanh(h / 2T)) / 2:
the package's ``temperature`` T is T_AGS / 2, and the tables carry both. Each
trial also runs a finite-temperature numpy reference, asynchronous Glauber
dynamics at the same T from the same cue (``reference.glauber_activity``,
``glauber_sweeps`` sweeps, read out like the spiking network from its mean
activity over the last ``glauber_average``), besides the zero-temperature
reference every recall protocol runs. ``rate_overlap`` is the overlap of the
mean activity itself, (1/N) sum_i x_i (2 nu_i / rate_max - 1), the m of the
theory (the success criterion reads the thresholded state instead).
Defaults: N = 200, 8 % of the cue flipped, 15 loads (0.005 to 0.18) x 15
temperatures (T_AGS 0.02 to 1.12), 8 trials per point; plus, at T_AGS = 0.02,
the same loads at N = 100 and 400 and rate_max 200 and 800 Hz (finite size,
and shot noise: the spikes per synaptic time constant, rate_max tau_syn).
``load`` sets M = round(load N) (so that a sweep over N keeps the load).

Modern (``--model modern``): the dynamical regimes of :mod:`hopfield_brian.protocols.regimes`
(spiking label, and the numpy reference's fixed point: global average,
metastable, single pattern) over beta and the load M/N, next to the
separation condition of Ramsauer et al. (2021, ICLR, arXiv 2008.02217,
Theorem 3; :mod:`hopfield_brian.theory`): the beta from which a pattern's
separation Delta_i = x_i.x_i - max_{j != i} x_i.x_j satisfies
Delta_i >= 2 / (beta M) + ln(2 (M - 1) M beta N) / beta (their N is our M,
their M the patterns' norm sqrt(N)). Defaults: N = 64, random patterns
(``clusters`` 0), loads 0.25 to 8, beta 0.01 to 1 (12, log-spaced), 6 trials.

Writes, classical: ``phase.csv`` (per point: load, T and T_AGS, success of the
spiking network, of the Glauber and the zero-temperature references, rate
overlaps, and the theory's m and read-out overlap), ``boundary.csv`` (per
temperature and per N and rate_max: the load at which success falls through
1/2, spiking and references, next to the theory's alpha_M(T), the read-out
line and the shot-noise line), ``theory.csv`` (the lines) and
``phase.png``. Modern: ``regimes.csv`` and ``boundaries.csv`` as the regimes
protocol, ``separation.csv`` (per load: expected and median separation, the
separation beta, and the measured beta at which success rises through 1/2)
and ``phase.png``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np

from hopfield_brian import readout, reference, theory
from hopfield_brian.config import param
from hopfield_brian.configure import points_of
from hopfield_brian.errors import ConfigError
from hopfield_brian.rate_protocol import RateProtocol
from hopfield_brian.regimes_protocol import RegimesConfig, RegimesProtocol, crossing
from hopfield_brian.units import Hz
from hopfield_brian import lazy

pd = lazy.module("pandas")  # imported on first use (see hopfield_brian.lazy)

CLASSICAL_LOADS = (0.005, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.1, 0.11, 0.12, 0.13, 0.15, 0.18)
CLASSICAL_TEMPERATURES = (0.01, *np.round(np.arange(1, 15) * 0.04, 2))  # package units: T_AGS = 2 T
FINITE_SIZE = tuple({"n_features": n, "rate_max": r * Hz} for n in (100, 200, 400) for r in (200, 800)
                    if (n, r) != (200, 200))  # (200, 200 Hz) is the phase grid's lowest temperature
MODERN_LOADS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0)
MODERN_BETAS = tuple(float(b) for b in np.round(np.geomspace(0.01, 1.0, 12), 4))
CROSSING = 0.5  # a boundary: where the success rate passes through one half
FIT_SIZE = 200  # smallest N in the finite-size fits: at N = 100 every boundary lies 0.02-0.04 above the trend
THEORY_TEMPERATURES = np.r_[0.0, np.linspace(0.02, 0.99, 33), 1.0, 1.2]  # AGS units


@dataclass(frozen=True)
class PhaseConfig(RegimesConfig):
    """The regimes configuration plus the load axis and the classical network's Glauber reference."""

    load: float = param(0.0, "load M/N: when > 0, n_patterns = round(load x n_features)", low=0.0)
    glauber_sweeps: int = param(30, "classical: sweeps of the finite-temperature numpy reference", low=1)
    glauber_average: int = param(10, "classical: the reference is read from its mean activity over its last "
                                     "sweeps", low=1)


class Phase(RegimesProtocol):
    """Phase diagrams against theory: classical (load x temperature, AGS), modern (beta x load, Ramsauer)."""

    name = "phase"
    help = "phase diagrams against theory: classical load x temperature (AGS), modern beta x load (Ramsauer)"
    config_class = PhaseConfig

    @classmethod
    def defaults(cls, model: str) -> dict:
        if model == "classical":
            return {"n_features": "200", "cue_noise": "0.08", "trials": "8", "t_free": "200ms", "clusters": "0"}
        return {"n_features": "64", "cue_noise": "0.2", "trials": "6", "t_free": "300ms", "clusters": "0"}

    def default_grid(self, config, grid):
        """The user's sweep with the load axis (and temperature or beta) filled in where not swept; with
        no sweep, the default grid (classical: plus the finite-size and shot-noise points)."""
        classical = config.model == "classical"
        control = "temperature" if classical else "beta"
        names = {k for p in grid for k in p} if isinstance(grid, list) else set(grid or {})
        if "n_patterns" in names and ("load" in names or config.load > 0):
            raise ConfigError("give the number of patterns either as load (M / N) or as n_patterns, not both")
        if isinstance(grid, list):
            points = [dict(p) for p in grid]
        else:
            grid = dict(grid or {})
            if "n_patterns" not in grid and "load" not in grid and config.load == 0:
                grid = {"load": list(CLASSICAL_LOADS if classical else MODERN_LOADS), **grid}
            user = bool(set(grid) - {"load"})
            if control not in grid:
                grid[control] = list(CLASSICAL_TEMPERATURES if classical else MODERN_BETAS)
            points = points_of(grid)
            if classical and not user:
                points += [{"load": a, "temperature": CLASSICAL_TEMPERATURES[0], **extra}
                           for extra in FINITE_SIZE for a in CLASSICAL_LOADS]
        return _with_pattern_counts(points, config)

    def validate(self, config: PhaseConfig, params) -> None:
        if config.model == "modern":
            super().validate(config, params)
            return
        RateProtocol.validate(self, config, params)
        if config.pattern_kind != "bipolar" or config.clusters or config.kick_fraction > 0:
            raise ConfigError("the classical phase diagram is the AGS theory's: random +-1 patterns "
                              "(pattern_kind bipolar, clusters 0) and no kick")
        if config.glauber_average > config.glauber_sweeps:
            raise ConfigError(f"glauber_average ({config.glauber_average}) must not exceed glauber_sweeps "
                              f"({config.glauber_sweeps})")

    def load_patterns(self, config, saved=None, index: int = 0):
        stored, kind = super().load_patterns(config, saved, index)
        if config.model == "classical" and kind != "bipolar":
            raise ConfigError("the classical phase diagram is the AGS theory's: +-1 patterns")
        return stored, kind

    def prepare(self, config, params, grid, saved=None):
        if config.model == "modern":
            return super().prepare(config, params, grid, saved)
        return RateProtocol.prepare(self, config, params, grid, saved)

    # ---------------------------------------------------------------- scoring
    def score(self, point, repeat: int, key, spikes: dict, fanout: dict, wall: float) -> dict:
        row = super().score(point, repeat, key, spikes, fanout, wall)
        target, cue, _ = key
        if point.config.model == "classical":
            row.update(classical_columns(point, repeat, target, cue, spikes))
        else:
            row.update(separation_columns(point, target))
        return row

    def extra_columns(self, point, target, cue, spikes, fanout, trajectory) -> dict:
        if point.config.model == "classical":
            return {}
        return super().extra_columns(point, target, cue, spikes, fanout, trajectory)

    def summarise(self, trials: pd.DataFrame, swept: list[str]) -> pd.DataFrame:
        out = super().summarise(trials, swept)
        g = trials.groupby("point")
        for col in ("rate_overlap", "glauber_success", "glauber_rate_overlap", "well_separated"):
            if col in trials:
                out[f"{col}_mean"] = out["point"].map(g[col].mean())
        return out

    # ----------------------------------------------------------------- tables
    def tables(self, results) -> dict:
        if self.config.model == "modern":
            out = super().tables(results)
            rates = results.summary[["point", "success_rate", "reference_success_rate", "well_separated_mean"]]
            out["regimes"] = out["regimes"].merge(rates, on="point", how="left")
            out["separation"] = separation_table(results, out["boundaries"])
            return out
        phase = classical_table(results)
        lines = theory.retrieval_lines(THEORY_TEMPERATURES)
        boundary = boundary_table(phase, lines)
        out = {"phase": phase, "boundary": boundary, "theory": theory_table(lines, phase)}
        sizes = finite_size_table(boundary)
        if not sizes.empty:
            out["finite_size"] = sizes
        return out

    def figures(self, results) -> dict:
        from hopfield_brian import plotting

        t = results.tables
        if self.config.model == "modern":
            if t["regimes"].empty:
                return {}
            return {"phase": plotting.phase_modern_figure(t["regimes"], t["separation"], self.config)}
        return {"phase": plotting.phase_classical_figure(t["phase"], t["boundary"], t["theory"], self.config)}

    def report(self, results) -> str:
        head = RateProtocol.report(self, results).splitlines()[0]
        t = results.tables
        if self.config.model == "modern":
            return "\n".join([head, "regimes and separation (beta where success passes 1/2, spiking / reference, "
                              "and where Ramsauer's condition starts to hold):",
                              t["separation"].to_string(index=False, float_format=lambda v: f"{v:.3g}")])
        b = t["boundary"]
        cols = ["n_features", "rate_max_Hz", "ags_temperature", "alpha_spiking", "alpha_glauber",
                "alpha_reference", "alpha_theory", "alpha_shot_noise", "alpha_readout"]
        return "\n".join([head, "boundary loads (success through 1/2) against theory:",
                          b[cols].to_string(index=False, float_format=lambda v: f"{v:.3g}")])


def _with_pattern_counts(points: list[dict], config) -> list[dict]:
    """Points with n_patterns = round(load N) where a load is given (swept, or set), duplicates dropped."""
    out, seen = [], set()
    for p in points:
        load = p.get("load", config.load)
        if load > 0:
            p = {**p, "load": load, "n_patterns": max(1, int(round(load * p.get("n_features", config.n_features))))}
        key = tuple(sorted((k, repr(v)) for k, v in p.items() if k != "load"))
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


# ---------------------------------------------------------------- classical

def classical_columns(point, repeat: int, target: int, cue: np.ndarray, spikes: dict) -> dict:
    """The spiking network's rate overlap, and the Glauber reference's success and rate overlap."""
    c, model = point.config, point.model
    x = point.stored[target]
    t_end = float(c.t_cue + c.t_free)
    counts = readout.counts(spikes, model.neuron_counts(), t_end - float(c.readout_window), t_end)
    activity = counts["neuron"] / (float(model.params.rate_max) * counts["window"])
    rng = np.random.default_rng([c.seed, repeat, 3])
    glauber = reference.glauber_activity(model.couplings, model.bias, model.coding_level, (cue > 0).astype(float),
                                         rng, model.params.temperature, model.params.inhibition_gain,
                                         c.glauber_sweeps, c.glauber_average)
    state = model.decode_counts({"neuron": glauber, "window": 1.0 / float(model.params.rate_max)})
    m = float(np.mean(x * state))
    return {"rate_overlap": float(np.mean(x * (2 * activity - 1))), "glauber_final_overlap": m,
            "glauber_success": bool(m >= readout.SUCCESS_OVERLAP),
            "glauber_rate_overlap": float(np.mean(x * (2 * glauber - 1)))}


def classical_table(results) -> pd.DataFrame:
    """Per point: N, M, load, T (package and AGS units), rate_max, successes and overlaps, and the AGS
    retrieval state's m and read-out overlap at (load, T_AGS)."""
    s = results.summary.copy()
    pts = {pt.index: pt for pt in results.points}
    s["n_features"] = s["point"].map(lambda k: pts[k].config.n_features)
    s["n_patterns"] = s["point"].map(lambda k: pts[k].config.n_patterns)
    s["alpha"] = s["n_patterns"] / s["n_features"]
    s["temperature"] = s["point"].map(lambda k: pts[k].params.temperature)
    s["ags_temperature"] = theory.ags_temperature(s["temperature"])
    s["rate_max_Hz"] = s["point"].map(lambda k: float(pts[k].params.rate_max))
    # spikes of an active neuron per synaptic time constant, rate_max tau_syn
    s["spikes_per_tau"] = s["point"].map(lambda k: float(pts[k].params.rate_max * pts[k].params.tau_syn))
    s["theory_m"], s["theory_readout"] = 0.0, 0.0
    for t_ags, g in s.groupby("ags_temperature"):
        states = theory.retrieval_states(g["alpha"], t_ags)
        s.loc[g.index, "theory_m"] = [st["m"] for st in states]
        s.loc[g.index, "theory_readout"] = [theory.readout_overlap(st["m"], st["sigma"], t_ags) for st in states]
    keep = ["point", "n_features", "n_patterns", "alpha", "temperature", "ags_temperature", "rate_max_Hz",
            "spikes_per_tau", "trials", "success_rate", "success_ci_low", "success_ci_high", "final_overlap_mean",
            "rate_overlap_mean", "glauber_success_mean", "glauber_rate_overlap_mean", "reference_success_rate",
            "theory_m", "theory_readout"]
    return s[keep].rename(columns={"glauber_success_mean": "glauber_success_rate"})


def falls_through(x, y, level: float = CROSSING) -> float:
    """The x at which y first falls below ``level`` (x ascending, linear interpolation); the last x when
    it never does; NaN when it is below at the first x already."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    order = np.argsort(x)
    x, y = x[order], y[order]
    below = np.nonzero(y < level)[0]
    if below.size == 0:
        return float(x[-1])
    k = below[0]
    if k == 0:
        return float("nan")
    return float(x[k - 1] + (y[k - 1] - level) / (y[k - 1] - y[k]) * (x[k] - x[k - 1]))


def boundary_table(phase: pd.DataFrame, lines: dict) -> pd.DataFrame:
    """Per N, rate_max and temperature: the load at which success falls through 1/2 (spiking, Glauber
    and zero-temperature references), next to the theory's alpha_M(T_AGS), the read-out line and
    alpha_M with the shot noise of rate_max tau_syn spikes per time constant as extra temperature."""
    rows = []
    for (n, rate, k, temp), g in phase.groupby(["n_features", "rate_max_Hz", "spikes_per_tau", "temperature"]):
        t_ags = float(theory.ags_temperature(temp))
        row = {"n_features": n, "rate_max_Hz": rate, "spikes_per_tau": k, "temperature": temp,
               "ags_temperature": t_ags,
               "loads": len(g), "largest_load": float(g["alpha"].max()), "trials": int(g["trials"].min()),
               "alpha_spiking": falls_through(g["alpha"], g["success_rate"]),
               "alpha_glauber": falls_through(g["alpha"], g["glauber_success_rate"]),
               "alpha_reference": falls_through(g["alpha"], g["reference_success_rate"]),
               "alpha_theory": float(np.interp(t_ags, lines["temperature"], lines["alpha_m"])),
               "alpha_readout": float(np.interp(t_ags, lines["temperature"], lines["alpha_readout"]))}
        shot = theory.shot_noise_line(lines, k)
        above = shot["alpha"][shot["temperature"] >= t_ags]
        row["alpha_shot_noise"] = float(above.max()) if above.size else 0.0
        rows.append(row)
    return pd.DataFrame(rows)


def finite_size_table(boundary: pd.DataFrame) -> pd.DataFrame:
    """Per rate_max and temperature: the boundary loads extrapolated to N -> infinity by a least-squares
    fit alpha(N) = alpha_inf + b / sqrt(N) (a heuristic form: the fit's rms residual is reported with
    it), spiking and both references, next to the theory's. A system's fit needs three sizes of at least
    ``FIT_SIZE`` whose boundary lies inside the loads tested (success fell through 1/2 below the largest);
    NaN otherwise."""
    rows = []
    boundary = boundary[boundary["n_features"] >= FIT_SIZE]
    for (rate, temp), g in boundary.groupby(["rate_max_Hz", "temperature"]):
        if g["n_features"].nunique() < 3:
            continue
        row = {"rate_max_Hz": rate, "temperature": temp, "ags_temperature": g["ags_temperature"].iloc[0],
               "sizes": ",".join(str(int(n)) for n in sorted(g["n_features"]))}
        for system in ("spiking", "glauber", "reference"):
            inside = g[g[f"alpha_{system}"] < g["largest_load"]]  # NaN (below the grid) is not inside either
            row[f"alpha_inf_{system}"] = row[f"rms_{system}"] = float("nan")
            if inside["n_features"].nunique() >= 3:
                design = np.c_[np.ones(len(inside)), 1.0 / np.sqrt(inside["n_features"].to_numpy(dtype=float))]
                y = inside[f"alpha_{system}"].to_numpy(dtype=float)
                coef = np.linalg.lstsq(design, y, rcond=None)[0]
                row[f"alpha_inf_{system}"] = float(coef[0])
                row[f"rms_{system}"] = float(np.sqrt(np.mean((y - design @ coef) ** 2)))
        row["ratio_spiking_to_glauber"] = row["alpha_inf_spiking"] / row["alpha_inf_glauber"]
        row.update({k: g[k].iloc[0] for k in ("alpha_theory", "alpha_shot_noise")})
        row["ratio_theory"] = row["alpha_shot_noise"] / row["alpha_theory"]
        rows.append(row)
    return pd.DataFrame(rows)


def theory_table(lines: dict, phase: pd.DataFrame) -> pd.DataFrame:
    """The theory's lines in the (alpha, T_AGS) plane: 'ags' (alpha_M(T)), 'readout' (read-out overlap
    >= 0.9) and 'shot_noise_<k>' for each rate_max of the run (k spikes per synaptic time constant);
    and 'm' (column m): the retrieval state's overlap against T_AGS at the run's lowest load."""
    frames = [pd.DataFrame({"line": "ags", "alpha": lines["alpha_m"], "ags_temperature": lines["temperature"]}),
              pd.DataFrame({"line": "readout", "alpha": lines["alpha_readout"],
                            "ags_temperature": lines["temperature"]})]
    for k in sorted(phase["spikes_per_tau"].unique()):
        shot = theory.shot_noise_line(lines, k)
        frames.append(pd.DataFrame({"line": f"shot_noise_{k:g}", "alpha": shot["alpha"],
                                    "ags_temperature": shot["temperature"]}))
    alpha = float(phase["alpha"].min())
    temps = np.linspace(0.0, 1.2, 121)
    frames.append(pd.DataFrame({"line": "m", "alpha": alpha, "ags_temperature": temps,
                                "m": [theory.retrieval_states([alpha], t)[0]["m"] for t in temps]}))
    return pd.concat(frames, ignore_index=True)


# ------------------------------------------------------------------- modern

def separation_columns(point, target: int) -> dict:
    """The target's separation Delta and whether Ramsauer et al.'s condition holds at the point's beta
    (above the beta where it starts to hold: see :func:`hopfield_brian.theory.separation_beta`)."""
    if "separations" not in point.extra:
        point.extra["separations"] = theory.separations(point.stored)
    delta = float(point.extra["separations"][target])
    m, n = point.stored.shape
    held = m == 1 or point.params.beta >= theory.separation_beta(delta, m, n)
    return {"separation": delta, "well_separated": bool(held)}


def separation_table(results, boundaries: pd.DataFrame) -> pd.DataFrame:
    """Per load: N, M, the expected separation of random +-1 patterns and the median of the stored ones,
    the beta from which Ramsauer et al.'s condition holds for each, the measured beta at which success
    rises through 1/2 (spiking; numpy reference after its 3 updates) and the regimes' boundary into
    single-pattern retrieval (``retrieval_spiking``; ``retrieval_reference``: the reference's fixed
    point after 100 updates, on a fine beta grid)."""
    s = results.summary
    pts = {pt.index: pt for pt in results.points}
    s = s.assign(n_patterns=s["point"].map(lambda k: pts[k].config.n_patterns),
                 n_features=s["point"].map(lambda k: pts[k].config.n_features),
                 beta=s["point"].map(lambda k: pts[k].params.beta))
    rows = []
    for (n, m), g in s.groupby(["n_features", "n_patterns"]):
        stored = pts[int(g["point"].iloc[0])].stored
        expected = theory.expected_separation(m, n)
        median = float(np.median(theory.separations(stored))) if m > 1 else float(n)
        rows.append({"n_features": n, "n_patterns": m, "load": m / n, "expected_separation": expected,
                     "median_separation": median,
                     "beta_separation_expected": theory.separation_beta(expected, m, n),
                     "beta_separation_median": theory.separation_beta(median, m, n),
                     "beta_success_spiking": crossing(g["beta"], g["success_rate"], rising=True),
                     "beta_success_reference": crossing(g["beta"], g["reference_success_rate"], rising=True),
                     "well_separated_fraction_max": float(g["well_separated_mean"].max())})
    out = pd.DataFrame(rows)
    if {"n_patterns", "metastable_to_retrieval_spiking"} <= set(boundaries.columns):
        found = boundaries[["n_patterns", "metastable_to_retrieval_spiking", "metastable_to_retrieval_reference"]]
        out = out.merge(found.rename(columns={"metastable_to_retrieval_spiking": "beta_retrieval_spiking",
                                              "metastable_to_retrieval_reference": "beta_retrieval_reference"}),
                        on="n_patterns", how="left")
    return out


if __name__ == "__main__":
    from hopfield_brian.cli import main as cli_main

    sys.exit(cli_main(["run", "phase", *sys.argv[1:]]))
