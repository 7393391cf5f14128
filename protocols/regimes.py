"""Regimes protocol: dynamical regimes of the spiking modern Hopfield network, phase diagrams, stability.

Each trial cues a corrupted stored pattern for ``t_cue`` and lets the network
run free for ``t_free``. Over the free phase (after ``settle``) the trial's
measures come from :func:`hopfield_brian.measures.summarise_run` on the
feature layer (rate, CV, Fano factor, Golomb synchrony, rate spectrum; the
overlap trajectory's switches, dwell times and held pattern) and on the memory
layer (entropy of the attention it samples), and
:func:`hopfield_brian.measures.classify` names the regime (quiescent, runaway,
oscillatory, itinerant, retrieval, metastable, global average).

The numpy reference iterates xi <- X softmax(beta X^T xi) from the same cue
(``reference_steps`` updates) and names its fixed point after Ramsauer et al.
2020 (arXiv 2008.02217, the three kinds of fixed points): ``retrieval``
(single pattern) when the largest attention weight is >= ``single_weight``,
``global_average`` when the normalised attention entropy is >=
``global_entropy``, ``metastable`` (an average over a subset) otherwise.

Stability: points with ``kick_fraction`` > 0 start on a stored pattern
(``cue_noise`` 0), and ``kick_at`` after the release clamp the first
``kick_fraction`` of the features to the opposite sign for ``kick_duration``
(the kick of :mod:`hopfield_brian.equations.modern`). The trial returns when
the final overlap with the pattern is >= 0.9; the basin is the largest kicked
fraction from which >= 90 % of the trials return. The numpy reference's basin
is measured from the same flipped states.

Default grid (N = 100, M = 20 in 4 clusters of 5 patterns, each member 10 % away from its
prototype: random patterns have no metastable fixed points from a corrupted cue): beta log-spaced over 0.003 .. 0.5 x
condition in {feedback_gain 0; feedback_gain 1; feedback_gain 1 with
membrane_noise 0.3}, plus kicks of 10 .. 50 % at beta 0.15, 0.25 and 0.5 (retrieval).
``--sweep`` replaces the grid (kick points are those with kick_fraction > 0).

Writes ``regimes.csv`` (one row per regime point: swept values, majority
label, label fractions, mean measures, reference label and fractions),
``boundaries.csv`` (beta of the global-average -> metastable and metastable
-> retrieval boundaries, spiking and reference, and their ratio, per value
of the other controls), ``stability.csv`` (per kick point: return rate, time
to return, reference return rate; basin rows), ``phase.png`` (heatmaps of
the label and key measures over the controls) and ``examples.png`` (a raster
and overlap trace for each regime found).
"""

from __future__ import annotations

import sys

import numpy as np

from hopfield_brian.errors import ConfigError
from hopfield_brian.regimes_protocol import RegimesProtocol, swept_controls
from hopfield_brian import lazy

pd = lazy.module("pandas")  # imported on first use (see hopfield_brian.lazy)

DEFAULT_BETAS = tuple(float(b) for b in np.round(np.geomspace(0.003, 0.5, 12), 4))
DEFAULT_CONDITIONS = ({"feedback_gain": 0.0}, {"feedback_gain": 1.0},
                      {"feedback_gain": 1.0, "membrane_noise": 0.3})
DEFAULT_KICK_BETAS = (0.15, 0.25, 0.5)
DEFAULT_KICKS = (0.1, 0.2, 0.3, 0.4, 0.5)


class Regimes(RegimesProtocol):
    """Dynamical regimes over beta and a second control: phase diagrams, boundaries, stability to kicks."""

    name = "regimes"
    help = "dynamical regimes over beta and a second control: phase diagrams, boundaries, stability to kicks"

    @classmethod
    def defaults(cls, model: str) -> dict:
        return {"n_features": "100", "n_patterns": "20", "t_cue": "100ms", "t_free": "500ms", "trials": "6"}

    def default_grid(self, config, grid):
        """The user's sweep, or beta x condition plus the kick points."""
        if config.model != "modern":
            raise ConfigError("the regimes protocol runs the modern model: use --model modern")
        if grid:
            return grid
        points = [{"beta": b, **cond} for cond in DEFAULT_CONDITIONS for b in DEFAULT_BETAS]
        points += [{"beta": b, "kick_fraction": k, "cue_noise": 0.0} for b in DEFAULT_KICK_BETAS
                   for k in DEFAULT_KICKS]
        return points

    def figures(self, results) -> dict:
        from hopfield_brian import plotting

        if results.tables["regimes"].empty:
            return {}
        figs = {"phase": plotting.regimes_phase_figure(results.tables["regimes"], swept_controls(results)),
                "examples": plotting.regimes_examples_figure(results)}
        return {k: v for k, v in figs.items() if v is not None}

    def report(self, results) -> str:
        return "\n".join([super().report(results).splitlines()[0], report(results)])


def report(results) -> str:
    lines = []
    table = results.tables.get("regimes", pd.DataFrame())
    if not table.empty:
        found = sorted(set(table["label"]))
        lines.append(f"regimes found ({len(found)}): {', '.join(found)}")
        controls = [c for c in swept_controls(results) if c in table]
        lines.append(table[[*controls, "label", "reference_label", "max_overlap", "attention_entropy", "rate_hz",
                            "cv", "chi", "n_switches"]].to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    b = results.tables.get("boundaries", pd.DataFrame())
    if not b.empty:
        lines.append("boundaries in beta (spiking / reference / ratio):")
        lines.append(b.to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    s = results.tables.get("stability", pd.DataFrame())
    if not s.empty:
        lines.append("stability to kicks:")
        lines.append(s.to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    return "\n".join(lines)


if __name__ == "__main__":
    from hopfield_brian.cli import main as cli_main

    sys.exit(cli_main(["run", "regimes", *sys.argv[1:]]))
