"""Spike-time patterns stored in delays: the trial family of the delay-line memory.

Patterns of precise spike times are stored in the delay memory of
:mod:`hopfield_brian.equations.delay_memory`. A point's build holds the
largest pattern set of its structure; a point with fewer memories silences
the others through a run-time array, so that every load of a capacity curve
runs on one build. A trial presents a cue in cycle 0 and scores the replay
(:mod:`hopfield_brian.spatiotemporal`): completeness, timing error, false
spikes, van Rossum and Victor-Purpura distances.

:class:`DelayProtocol` implements the engine's pieces shared by the
spatio-temporal and sequence protocols; each declares its configuration
class (the delay model's parameters included), its points and its scoring.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from . import config as cfg
from . import paradigm, sweep
from . import spatiotemporal as st
from .config import show
from .delay_model import DelayModel
from .engine import Protocol
from .units import ms
from .equations.delay_memory import DelayParams
from .errors import ConfigError
from .simulator import Simulator, Trial

DISTANCE_TAU = 5 * ms  # van Rossum time constant
VP_Q = 1 / ms  # Victor-Purpura cost per second of shift (1 per ms)
REPLAY_MEASURE = ("completeness", "completeness of the replay")  # per-trial measure of a --sweep's figure


@dataclass
class Point:
    """One point of the grid: its configuration and the build (model) that serves it."""

    index: int
    swept: dict
    config: object
    model: DelayModel | None = None
    n_stored: int = 0  # memories taking part (the first n_stored of the build)
    alive: np.ndarray | None = None  # per-memory 0/1 mask when not all of the build's memories take part
    length: int = 0  # sequence length L of this point (sequence protocol)
    build_length: int = 0  # L of the build (sequence protocol)

    def structure(self) -> tuple:
        """The structural parameters of the point's configuration (one build per distinct tuple)."""
        return tuple(repr(getattr(self.config, k)) for k in cfg.names_where(type(self.config), "structural"))


def delay_params(config) -> DelayParams:
    """The model's parameters out of a protocol configuration."""
    return DelayParams(**{f.name: getattr(config, f.name) for f in dataclasses.fields(DelayParams)})


class DelayProtocol(Protocol):
    """Engine pieces shared by the delay-memory protocols; subclasses give ``models`` (the builds of a
    group of points), ``trial_cue``, ``score_trial``, ``summarise`` and ``duration_of``."""

    uses_model_params = False  # the rate models' parameters (--set beta=...) are refused
    results_label = "delay"

    def validate(self, config, params=None) -> None:
        """Checks across the parameters of the delay-memory protocols, before anything is built or written."""
        if float(config.dt) > float(config.cycle) / 2:
            raise ConfigError(f"dt ({show(config.dt)}) must be below half the cycle ({show(config.cycle)})")

    def prepare(self, config, params, grid, saved=None) -> list[Point]:
        """Validated points, grouped by structure; each group's points share one model (build)."""
        from .configure import points_of

        points = []
        names = {f.name for f in dataclasses.fields(config)}
        for index, swept in enumerate(points_of(grid)):
            unknown = set(swept) - names
            if unknown:
                raise ConfigError(f"unknown parameter(s) {', '.join(sorted(unknown))}")
            pt = Point(index, swept, dataclasses.replace(config, **swept))
            self.validate(pt.config)
            points.append(pt)
        for pts in self.groups(points):
            self.models(pts)
        return points

    def models(self, points: list[Point]) -> None:
        """Give every point of one structure its model, ``n_stored`` and ``alive`` mask."""
        raise NotImplementedError

    def groups(self, points: list[Point]) -> list[list[Point]]:
        groups: dict[tuple, list[Point]] = {}
        for pt in points:
            groups.setdefault(pt.structure(), []).append(pt)
        return list(groups.values())

    def simulator(self, base: Point, workers=None, batch=None, compile: bool = True) -> Simulator:
        c = base.config
        return Simulator(base.model, c.device, self.duration_of(base), c.dt, run_values(base),
                         workers=workers, batch=batch, compile=compile)

    def trial_cue(self, point: Point, repeat: int) -> tuple:
        """``(what the trial cues, cue latencies)`` of trial ``repeat`` (the same draw at every point)."""
        raise NotImplementedError

    def jobs(self, point: Point, repeats, base=None):
        arrays = {"alive_memory": point.alive} if point.alive is not None else None
        for r in repeats:
            cued, cue = self.trial_cue(point, r)
            yield (cued, cue), Trial(cue, paradigm.trial_seed(point.config.seed, r), run_values(point), arrays)

    def score(self, point: Point, repeat: int, key, spikes: dict, fanout: dict, wall: float) -> dict:
        row = self.score_trial(point, repeat, key, spikes)
        row.update({"trial": sweep.trial_number(point, repeat), "point": point.index, "repeat": repeat, "wall_s": wall})
        row.update({k: v for k, v in cfg.columns(point.config).items() if k not in row})
        return row

    def score_trial(self, point: Point, repeat: int, key, spikes: dict) -> dict:
        """The protocol's columns of one trial."""
        raise NotImplementedError


def run_values(point: Point) -> dict:
    return {"detection_threshold": point.config.detection_threshold, "background_rate": point.config.background_rate}


def replay_scores(stored_row, fi, ft, start: float, stop: float, origin: float, tolerance: float) -> dict:
    """Scores of the feature spikes in [start, stop), latencies measured from ``origin``."""
    sel = (ft >= start) & (ft < stop)
    i, lat = fi[sel], ft[sel] - origin
    row = st.recall_scores(stored_row, i, lat, tolerance)
    ti, tt = st.pattern_spikes(stored_row)
    row["van_rossum"] = st.van_rossum_population(ti, tt, i, lat, float(DISTANCE_TAU))
    row["victor_purpura"] = st.victor_purpura_population(ti, tt, i, lat, float(VP_Q))
    return row


def synaptic_events(point: Point, spikes: dict) -> int:
    """Synaptic events of a trial, counting only the synapses of the memories that take part
    (the build may hold more)."""
    model = point.model
    alive = np.ones(model.n_patterns, bool) if point.alive is None else point.alive > 0
    feature_fanout = (~np.isnan(model.keys[alive])).sum(axis=0)
    memory_fanout = (~np.isnan(model.values)).sum(axis=1) + 1
    return int(feature_fanout[spikes["feature"][0]].sum() + memory_fanout[spikes["memory"][0]].sum())


def cue_spikes(keys_row, config, rng) -> np.ndarray:
    """A cue from a stored pattern: ``cue_keep`` of its spikes, each deleted with ``cue_deletion``, jittered."""
    cue = st.partial_cue(keys_row, config.cue_keep, rng)
    cue = st.delete(cue, config.cue_deletion, rng)
    return st.jitter(cue, float(config.cue_jitter), rng, float(config.cycle), float(config.dt))
