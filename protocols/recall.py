"""Recall protocol: store M patterns, cue a corrupted target, let the network run free.

Each trial picks a target pattern, presents a corrupted cue (a fraction
``cue_noise`` of entries flipped, a fraction ``cue_mask`` masked) for ``t_cue``
with the network clamped to it, then releases the network for ``t_free``. The
final state is read from spike counts in the last ``readout_window`` and scored
by its overlap with the target (success: overlap >= 0.9). The numpy reference
of the same model is run from the same cue for comparison.

With a sweep the protocol runs every point of a parameter grid, ``trials``
trials each; trial r of every point uses the same target and cue draw
(common random numbers). All trials of a network structure run on one build.
Runnable as ``hopfield-brian run recall`` or ``python protocols/recall.py``.
"""

from __future__ import annotations

import sys

from hopfield_brian.rate_protocol import RateProtocol


class Recall(RateProtocol):
    """Store patterns, cue a corrupted one, read out the recalled state (figure: raster and overlaps of
    trial 0 for one point, success against the swept parameters for a grid)."""

    name = "recall"
    help = "store patterns, cue a corrupted one, read out the recalled state"

    def figures(self, results) -> dict:
        from hopfield_brian import plotting

        if len(results.summary) == 1:
            return {"recall": plotting.recall_figure(results.points[0], results.spike_table(trial=0),
                                                     results.trials)}
        return {"sweep": plotting.sweep_figure(results.trials, results.swept)}


if __name__ == "__main__":
    from hopfield_brian.cli import main as cli_main

    sys.exit(cli_main(["run", "recall", *sys.argv[1:]]))
