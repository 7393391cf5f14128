"""From a protocol's parameters (Python values or command-line strings) to a validated run.

:func:`configure` is what ``Protocol(**parameters)`` and the command line
both call: it applies the protocol's per-model defaults, reads the file (or
array) that fixes M and N, parses the sweep, derives the protocol's full
grid and checks every point against the parameter declarations
(:func:`hopfield_brian.config.param`) and the protocol's own cross-checks,
so that bad input is refused in one line before anything is built or written.
"""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np

from . import config as cfg
from .errors import ConfigError

# run settings that cannot vary over a grid, and the options that name them on the command line
NOT_SWEPT = ("model", "device", "out", "trials")


def configure(protocol, parameters: dict, sweep=None):
    """``(config, model params, full grid, names the user swept)`` of ``protocol`` with ``parameters``
    (``{name: value}``) and ``sweep`` (``{name: values}``, a string ``'START:STOP:COUNT'`` or
    ``'V1,V2'`` per name, or a list of ``--sweep`` strings)."""
    from . import paradigm

    parameters = dict(parameters)
    items = _sweep_items(sweep)
    model = parameters.get("model", protocol.default_model)
    swept = set(items) if isinstance(items, dict) else {k for point in items for k in point}
    check_model_params(protocol, model, set(parameters) | swept)
    defaults = {"model": model} | protocol.defaults(model) if model in ("modern", "classical") else {}
    config, params = cfg.override([protocol.config_class(), paradigm.model_params(model)], defaults | parameters)
    config = _fix_sizes(config, parameters)
    return finish(protocol, config, params, items, set(parameters))


def from_config(protocol, config, params=None, sweep=None):
    """As :func:`configure`, from a config dataclass instance and model parameters used as they are
    (no protocol defaults applied)."""
    from . import paradigm

    if not isinstance(config, protocol.config_class):
        raise ConfigError(f"{type(config).__name__} is not {protocol.config_class.__name__}, the "
                          f"{protocol.name} protocol's configuration")
    model = getattr(config, "model", protocol.default_model)
    params = params if params is not None else paradigm.model_params(model)
    return finish(protocol, _fix_sizes(config, {}), params, _sweep_items(sweep), set())


def finish(protocol, config, params, items, given: set):
    """The grid of ``items`` (a dict of values per name or a list of points), the protocol's full grid,
    and every point checked."""
    grid = parse_sweep(items, [config, params])
    names = set(swept_names(grid))
    clash = names & (given - {"model", "device", "out", "trials", "patterns"}) | set(NOT_SWEPT) & names
    if clash:
        raise ConfigError(f"cannot sweep {', '.join(sorted(clash))}"
                          " (set it, or sweep it, not both; model, device, out and trials cannot be swept)")
    if getattr(config, "seed", 0) < 0:
        raise ConfigError(f"--seed must be >= 0, got {config.seed}")
    grid = protocol.default_grid(config, grid)
    _check_not_overridden(protocol.name, given - set(NOT_SWEPT) - {"patterns", "seed"}, names, grid)
    _check_patterns_fix_sizes(protocol.name, config, grid)
    for point in points_of(grid):
        c, p = split_point(config, params, point)
        cfg.check(c)
        cfg.check(p)
        protocol.validate(c, p)
    return config, params, grid, names


def split_point(config, params, point: dict):
    """The config and model parameters of one grid point."""
    names = {f.name for f in dataclasses.fields(config)}
    return (dataclasses.replace(config, **{k: v for k, v in point.items() if k in names}),
            dataclasses.replace(params, **{k: v for k, v in point.items() if k not in names}))


def points_of(grid) -> list[dict]:
    """The points of a grid: a list of points as is, a dict of value lists as their product."""
    if isinstance(grid, list):
        return grid
    names = list(grid or {})
    return [dict(zip(names, combo)) for combo in itertools.product(*(grid[n] for n in names))]


def swept_names(grid) -> list[str]:
    """Names of the swept parameters, in order of first appearance."""
    if isinstance(grid, list):
        return list(dict.fromkeys(k for point in grid for k in point))
    return list(grid or {})


def _sweep_items(sweep) -> dict | list:
    """``{name: values or text}`` from a dict or a list of ``NAME=VALUES`` strings (names given twice
    refused); a list of dicts is a list of explicit grid points, kept as such."""
    if sweep is None:
        return {}
    if isinstance(sweep, dict):
        return dict(sweep)
    if sweep and all(isinstance(point, dict) for point in sweep):
        return [dict(point) for point in sweep]
    names = [item.partition("=")[0].strip() for item in sweep]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ConfigError(f"--sweep {', '.join(twice)} given more than once; give all values in one --sweep")
    return cfg.parse_assignments(sweep)


def parse_sweep(items, instances: list):
    """``{'beta': '0.05,0.1', 'cue_noise': [0, 0.2]}`` -> ``{'beta': [0.05, 0.1], 'cue_noise': [0.0, 0.2]}``;
    a string ``START:STOP:COUNT`` gives COUNT evenly spaced values (units allowed: ``50ms:150ms:3``).
    A list of points is checked value by value and stays a list; a list of ``NAME=VALUES`` strings is
    read as the command line's ``--sweep`` options."""
    if isinstance(items, list) and all(isinstance(item, str) for item in items):
        items = _sweep_items(items)
    if isinstance(items, list):
        return [{name: cfg.coerce(v, _default_of(name, instances), name) for name, v in point.items()}
                for point in items]
    out = {}
    for name, spec in items.items():
        default = _default_of(name, instances)
        if isinstance(spec, str):
            values = _parse_values(name, spec, default)
        else:
            values = [cfg.coerce(v, default, name) for v in (spec if np.ndim(spec) else [spec])]
        if not values:
            raise ConfigError(f"--sweep {name}: no values")
        twice = [v for k, v in enumerate(values) if any(_same(v, w) for w in values[:k])]
        if twice:
            raise ConfigError(f"--sweep {name}: {cfg.show(twice[0])} is given more than once (points would repeat)")
        if name == "seed" and min(values) < 0:
            raise ConfigError(f"--sweep seed: seeds must be >= 0, got {min(values)}")
        out[name] = values
    points = int(np.prod([len(v) for v in out.values()])) if out else 1
    if points > MAX_POINTS:
        raise ConfigError(f"the sweep has {points:,} points; at most {MAX_POINTS:,} in one run (split it)")
    return out


MAX_POINTS = 1_000_000  # points of one grid (each holds its patterns and model in memory)


def _same(a, b) -> bool:
    try:
        return bool(a == b)
    except (TypeError, ValueError):  # a Quantity against another dimension
        return False


def _parse_values(name: str, text: str, default) -> list:
    if text.count(":") == 2 and "," not in text:
        start, stop, count = text.split(":")
        try:
            count = int(count)
        except ValueError:
            raise ConfigError(f"--sweep {name}: COUNT in START:STOP:COUNT must be an integer") from None
        if not 1 <= count <= MAX_POINTS:
            raise ConfigError(f"--sweep {name}: COUNT must be >= 1 and <= {MAX_POINTS:,}, got {count:,}")
        lo, hi = cfg.parse_value(start, default, name), cfg.parse_value(stop, default, name)
        if isinstance(default, (str, bool)):
            raise ConfigError(f"--sweep {name}: a range needs numbers")
        values = [lo + (hi - lo) * k / max(count - 1, 1) for k in range(count)]
        if isinstance(default, int) and not isinstance(default, bool):
            values = [int(round(v)) for v in values]
        return values
    items = [v.strip() for v in text.split(",")]
    if "" in items and len(items) > 1:
        raise ConfigError(f"--sweep {name}: an empty value in {text!r}")
    return [cfg.parse_value(v, default, name) for v in items if v]


def _default_of(name: str, instances: list):
    for inst in instances:
        fields = {f.name for f in dataclasses.fields(inst)}
        if name in fields:
            if not cfg.specs(inst)[name].sweepable:
                raise ConfigError(f"cannot sweep {name} (set it, or sweep it, not both; model, device, out and "
                                  f"trials cannot be swept)")
            return getattr(inst, name)
    raise cfg.unknown_name(name, {f.name for inst in instances for f in dataclasses.fields(inst)})


def check_model_params(protocol, model: str, names: set[str]) -> None:
    """Model parameters (set or swept) that the run would ignore: refuse them, naming them. A protocol
    without a rate model uses none; a run of one model cannot take the other's."""
    from .equations.classical import ClassicalParams
    from .equations.modern import ModernParams

    own = {"modern": _fields(ModernParams), "classical": _fields(ClassicalParams)}
    names = names - _fields(protocol.config_class)
    if not protocol.uses_model_params:
        unused = sorted(names & (own["modern"] | own["classical"]))
        if unused:
            raise ConfigError(f"{', '.join(unused)}: rate-model parameter(s) not used by the {protocol.name} "
                              f"protocol (its parameters are listed by: hopfield-brian run {protocol.name} --help)")
    elif model in own:
        other = "classical" if model == "modern" else "modern"
        foreign = sorted(names & own[other] - own[model])
        if foreign:
            raise ConfigError(f"{', '.join(foreign)}: parameter(s) of --model {other}, not of the {model} model "
                              f"this run uses")


def _fields(cls) -> set[str]:
    return {f.name for f in dataclasses.fields(cls)}


def size_source(config) -> tuple:
    """The input that fixes M and N and what it holds: the keys (``patterns``), or else a values file
    (attention); ``("", "")`` when neither is given."""
    for name in ("patterns", "values"):
        source = getattr(config, name, "")
        if isinstance(source, np.ndarray) or source:
            return source, name
    return "", ""


def _fix_sizes(config, parameters: dict):
    """n_patterns and n_features from a patterns (or values) file or array, refusing contradicting ones."""
    from . import patterns as pat

    source, what = size_source(config)
    if isinstance(source, np.ndarray) or source:
        stored, _ = pat.load(source, what)
        m, n = stored.shape
        shown = source if isinstance(source, str) else f"the {what} array"
        for name, size in (("n_patterns", m), ("n_features", n)):
            if name in parameters and getattr(config, name) != size:
                raise ConfigError(f"{name}={getattr(config, name)} does not match {shown} "
                                  f"({m} {what} x {n} features)")
        config = dataclasses.replace(config, n_patterns=m, n_features=n)
    return config


def _check_not_overridden(protocol: str, given: set, user_swept: set, grid) -> None:
    """A value that the protocol's default grid sweeps would be silently replaced: refuse it."""
    points = points_of(grid)
    everywhere = set.intersection(*(set(p) for p in points)) if points else set()  # swept at every point
    overridden = (given & everywhere) - user_swept
    if overridden:
        names = ", ".join(sorted(overridden))
        raise ConfigError(f"{names}: swept by the {protocol} protocol's default grid, so --set would be "
                          f"ignored; give the values with --sweep {sorted(overridden)[0]}=V1,V2,... instead")


def _check_patterns_fix_sizes(protocol: str, config, grid) -> None:
    """A patterns file fixes n_patterns and n_features: refuse a grid (the user's or the protocol's
    default one) that varies them."""
    source = getattr(config, "patterns", "")
    if not (isinstance(source, np.ndarray) or source):
        return
    varied = sorted({name for point in points_of(grid) for name in ("n_patterns", "n_features")
                     if name in point and point[name] != getattr(config, name)})
    if varied:
        shown = source if isinstance(source, str) else "the patterns array"
        raise ConfigError(f"{', '.join(varied)}: fixed by --patterns {shown} ({config.n_patterns} "
                          f"patterns x {config.n_features} features), but the {protocol} run sweeps it "
                          f"(--sweep or the protocol's default grid); drop --patterns or sweep other parameters")
