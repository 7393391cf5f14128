"""Parameters from the command line: ``NAME=VALUE`` strings with units.

Values are parsed against the type of the dataclass field they override: a
Quantity field takes a number with a unit of the same dimension (``300ms``,
``0.3 second``, ``20Hz``), a float or int field a plain number, a string field
a word. Anything else is a :class:`~hopfield_brian.errors.ConfigError`.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re

import numpy as np

from . import units
from .errors import ConfigError
from .units import Quantity, as_quantity, is_quantity

_NUMBER_UNIT = units.NUMBER_UNIT


def parse_quantity(text: str, like: Quantity, name: str) -> Quantity:
    """Parse ``text`` (e.g. '300ms') as a Quantity with the dimensions of ``like``."""
    match = _NUMBER_UNIT.match(text)
    if not match:
        raise ConfigError(f"{name}: cannot read {text!r} as a number with a unit (e.g. {_example(like)})")
    number, unit_name = float(match.group(1)), match.group(2)
    if not math.isfinite(number):
        raise ConfigError(f"{name}: expected a finite number, got {text!r}")
    if not unit_name:
        raise ConfigError(f"{name}: {text!r} needs a unit, e.g. {_example(like)}")
    try:
        value = number * units.unit(unit_name)
    except KeyError:
        raise ConfigError(f"{name}: unknown unit {unit_name!r}") from None
    if value.dim != like.dim:
        raise ConfigError(f"{name}: {text!r} has the wrong unit; expected one like {_example(like)}")
    return value


def _example(like: Quantity) -> str:
    """A Quantity as it can be typed back, in its display unit: ``0.2ms``, ``500Hz``."""
    unit_name, scale = like.unit()
    return f"{like.si / scale:g}{unit_name}"


def show(value) -> str:
    """A parameter value for a message: Quantities as they can be typed back (``0.1ms``, not ``100. us``)."""
    return _example(as_quantity(value)) if is_quantity(value) else str(value)


def unknown_name(name: str, valid) -> ConfigError:
    """The error for a parameter name that is not one of ``valid``, with the closest valid name if any."""
    close = difflib.get_close_matches(name, list(valid), n=1, cutoff=0.75)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return ConfigError(f"unknown parameter {name!r}{hint}; valid names: {', '.join(sorted(valid))}")


def parse_value(text: str, default, name: str):
    """Parse ``text`` to the type of ``default``."""
    if isinstance(default, Quantity):
        return parse_quantity(text, default, name)
    if isinstance(default, bool):
        if text.lower() in ("1", "true", "yes", "on"):
            return True
        if text.lower() in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{name}: expected true or false, got {text!r}")
    if isinstance(default, int):
        try:
            return int(text)
        except ValueError:
            raise ConfigError(f"{name}: expected an integer, got {text!r}") from None
    if isinstance(default, float):
        if _NUMBER_UNIT.match(text) and _NUMBER_UNIT.match(text).group(2):
            raise ConfigError(f"{name}: is dimensionless, got {text!r}")
        try:
            value = float(text)
        except ValueError:
            raise ConfigError(f"{name}: expected a number, got {text!r}") from None
        if not math.isfinite(value):  # nan and inf pass every range check written as x < 0
            raise ConfigError(f"{name}: expected a finite number, got {text!r}")
        return value
    return text


def parse_assignments(items: list[str] | None) -> dict[str, str]:
    """``['a=1', 'b=2ms']`` -> ``{'a': '1', 'b': '2ms'}``."""
    out = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise ConfigError(f"--set expects NAME=VALUE, got {item!r}")
        out[name.strip()] = value.strip()
    return out


def override(instances: list, assignments: dict) -> list:
    """Apply ``assignments`` (strings as typed on the command line, or Python values) to a list of
    frozen dataclass instances.

    Each name must be a field of exactly one of them (the first that has it
    wins); an unknown name is an error listing the valid ones.
    """
    updates = [dict() for _ in instances]
    for name, text in assignments.items():
        for k, inst in enumerate(instances):
            fields = {f.name: f for f in dataclasses.fields(inst)}
            if name in fields:
                updates[k][name] = coerce(text, getattr(inst, name), name)
                break
        else:
            raise unknown_name(name, {f.name for inst in instances for f in dataclasses.fields(inst)})
    return [dataclasses.replace(inst, **upd) for inst, upd in zip(instances, updates)]


def display_unit(value: Quantity) -> tuple[str, float]:
    """(name, SI scale) of the unit a Quantity is shown in: ms for times, Hz for rates, else the SI
    prefix that puts it in [1, 1000)."""
    return as_quantity(value).unit()


def describe(instance) -> dict:
    """JSON-ready dict of a dataclass: Quantities as {'value', 'unit'}."""
    out = {}
    for f in dataclasses.fields(instance):
        v = getattr(instance, f.name)
        if isinstance(v, Quantity):
            unit_name, scale = v.unit()
            out[f.name] = {"value": round(v.si / scale, 12), "unit": unit_name}
        elif isinstance(v, np.ndarray):
            out[f.name] = array_label(v)
        else:
            out[f.name] = v
    return out


def columns(*instances, skip=("out",)) -> dict:
    """Every parameter of ``instances`` as flat table columns, units in the names (``t_cue_ms``)."""
    cols = {}
    for inst in instances:
        for name, v in describe(inst).items():
            if name not in skip:
                cols[f"{name}_{v['unit']}" if isinstance(v, dict) else name] = v["value"] if isinstance(v, dict) else v
    return cols


def array_label(array: np.ndarray) -> str:
    """How an array given in place of a file is named in tables and run identities: its shape and the
    sha256 of its bytes (as float64), e.g. ``array 50x200 sha256:1f3a...``."""
    import hashlib

    data = np.ascontiguousarray(array, dtype=float)
    digest = hashlib.sha256(data.tobytes() + repr(data.shape).encode()).hexdigest()
    return f"array {'x'.join(map(str, data.shape))} sha256:{digest[:16]}"


def parameter_rows(instance) -> list[tuple[str, str, str]]:
    """``(name, default with its unit, meaning [valid values])`` of every field, from its declaration."""
    rows = []
    for f in dataclasses.fields(instance):
        v = getattr(instance, f.name)
        shown = _example(v) if isinstance(v, Quantity) else repr(v) if isinstance(v, str) else str(v)
        spec = spec_of(f)
        rows.append((f.name, shown, spec.doc + (f" [{spec.range_text()}]" if spec.range_text() else "")))
    return rows


def help_lines(instance) -> list[str]:
    """One line per field for ``--help``: name, default with its unit, and what it means."""
    return [f"  {name:<18} {shown:<12} {doc}" for name, shown, doc in parameter_rows(instance)]


@dataclasses.dataclass(frozen=True)
class Spec:
    """What a parameter declares besides its default: meaning, valid values and role.

    ``low``/``high`` bound it (``strict``: the bounds themselves are excluded,
    as in (0, 1)); ``choices`` lists the accepted words; ``structural``: a
    change rebuilds the network (everything else varies at run time);
    ``resolved``: a duration that the time step dt must resolve;
    ``file``: names an input file (a numpy array is accepted instead);
    ``sweepable``: may be varied over a grid.
    """

    doc: str = ""
    low: object = None
    high: object = None
    strict: bool = False
    choices: tuple | None = None
    structural: bool = False
    resolved: bool = False
    file: bool = False
    sweepable: bool = True

    def range_text(self) -> str:
        if self.choices:
            return "one of " + ", ".join(self.choices)
        lo = "" if self.low is None else _bound(self.low)
        hi = "" if self.high is None else _bound(self.high)
        if lo and hi:
            return f"{'(' if self.strict else '['}{lo}, {hi}{')' if self.strict else ']'}"
        if lo:
            return f"{'>' if self.strict else '>='} {lo}"
        if hi:
            return f"{'<' if self.strict else '<='} {hi}"
        return ""

    def check(self, name: str, value) -> None:
        """Raise a one-line :class:`ConfigError` when ``value`` is outside what is declared."""
        if self.choices is not None and value not in self.choices:
            raise ConfigError(f"unknown {name} {value!r}; choose from {', '.join(self.choices)}")
        if self.low is None and self.high is None:
            return
        below = self.low is not None and (value <= self.low if self.strict else value < self.low)
        above = self.high is not None and (value >= self.high if self.strict else value > self.high)
        if below or above:
            if self.low is not None and self.high is not None:
                raise ConfigError(f"{name} must lie in {self.range_text()}, got {show(value)}")
            raise ConfigError(f"{name} must be {self.range_text()}, got {show(value)}")


def _bound(value) -> str:
    return show(value) if isinstance(value, Quantity) else f"{value:g}"


_SPEC_KEY = "hopfield_brian"


def param(default, doc: str, **spec):
    """Declare one parameter of a frozen dataclass: its default (with its unit), what it means and the
    :class:`Spec` of its valid values and role. Help, validation, the structure / run-time split and
    input files are derived from these declarations."""
    if is_quantity(default):  # a Brian2 Quantity declared by a user's protocol: held as the package's units
        default = as_quantity(default)
    return dataclasses.field(default=default, metadata={_SPEC_KEY: Spec(doc, **spec)})


def spec_of(f: dataclasses.Field) -> Spec:
    """The declaration of a dataclass field (an empty one for undeclared fields)."""
    return f.metadata.get(_SPEC_KEY, Spec())


def specs(cls) -> dict[str, Spec]:
    """``{name: Spec}`` of a parameter dataclass (class or instance)."""
    return {f.name: spec_of(f) for f in dataclasses.fields(cls)}


def names_where(cls, flag: str) -> tuple[str, ...]:
    """Fields of ``cls`` whose declaration sets ``flag`` (e.g. 'structural', 'file', 'resolved')."""
    return tuple(name for name, s in specs(cls).items() if getattr(s, flag))


def check(instance) -> None:
    """Every declared range and choice of a parameter dataclass instance (one line per error)."""
    for f in dataclasses.fields(instance):
        value = getattr(instance, f.name)
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(f"{f.name}: expected a finite number, got {value}")
        spec_of(f).check(f.name, value)


def coerce(value, default, name: str):
    """A value given from Python for a parameter whose default is ``default``: strings are parsed as on
    the command line, Quantities must have the default's dimensions, numbers the default's type."""
    if isinstance(value, str) and not isinstance(default, str):
        return parse_value(value, default, name)
    if isinstance(default, Quantity):
        quantity = as_quantity(value)  # Brian2 Quantities are accepted and converted
        if quantity is None or quantity.dim != default.dim:
            raise ConfigError(f"{name}: {value!r} has the wrong unit; expected one like {_example(default)}")
        if not math.isfinite(quantity.si):
            raise ConfigError(f"{name}: expected a finite number, got {value!r}")
        return quantity
    if isinstance(default, bool):
        if not isinstance(value, (bool, np.bool_)):
            raise ConfigError(f"{name}: expected true or false, got {value!r}")
        return bool(value)
    if isinstance(default, int):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
            if isinstance(value, (float, np.floating)) and float(value).is_integer():
                return int(value)
            raise ConfigError(f"{name}: expected an integer, got {value!r}")
        return int(value)
    if isinstance(default, float):
        if is_quantity(value):
            raise ConfigError(f"{name}: is dimensionless, got {value!r}")
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)) and \
                as_quantity(value) is None:
            raise ConfigError(f"{name}: expected a number, got {value!r}")
        value = float(value)
        if not math.isfinite(value):
            raise ConfigError(f"{name}: expected a finite number, got {value!r}")
        return value
    return value


def restore(cls, described: dict):
    """An instance of ``cls`` from :func:`describe`'s dict (Quantities from ``{'value', 'unit'}``)."""
    values = {}
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for name, v in described.items():
        if name not in fields:
            continue
        values[name] = restore_value(getattr(cls(), name), v)
    return cls(**values)


def restore_value(default, value):
    """A parameter value as :func:`describe` or a grid description wrote it, typed like ``default``."""
    if isinstance(value, dict) and set(value) == {"value", "unit"}:
        return parse_quantity(f"{value['value']!r}{value['unit']}", default, "value")
    if isinstance(default, Quantity) and isinstance(value, (int, float)):
        return value * units.unit(default.unit()[0])
    return value
