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
import inspect
import re

import brian2 as b2
from brian2.units import allunits, stdunits

from .errors import ConfigError

_NUMBER_UNIT = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*\*?\s*([A-Za-z]*)\s*$")


def parse_quantity(text: str, like: b2.Quantity, name: str) -> b2.Quantity:
    """Parse ``text`` (e.g. '300ms') as a Quantity with the dimensions of ``like``."""
    match = _NUMBER_UNIT.match(text)
    if not match:
        raise ConfigError(f"{name}: cannot read {text!r} as a number with a unit (e.g. {like!s})")
    number, unit_name = float(match.group(1)), match.group(2)
    if not math.isfinite(number):
        raise ConfigError(f"{name}: expected a finite number, got {text!r}")
    if not unit_name:
        raise ConfigError(f"{name}: {text!r} needs a unit, e.g. {_example(like)}")
    unit = getattr(stdunits, unit_name, None) or getattr(allunits, unit_name, None)
    if not isinstance(unit, b2.Quantity):
        raise ConfigError(f"{name}: unknown unit {unit_name!r}")
    value = number * unit
    if not b2.have_same_dimensions(value, like):
        raise ConfigError(f"{name}: {text!r} has the wrong unit; expected one like {_example(like)}")
    return value


def _example(like: b2.Quantity) -> str:
    """A Quantity as it can be typed back, in its display unit: ``0.2ms``, ``500Hz``."""
    if b2.is_dimensionless(like):
        return f"{float(like):g}"
    unit = display_unit(like)
    return f"{float(like / unit):g}{unit}"


def show(value) -> str:
    """A parameter value for a message: Quantities as they can be typed back (``0.1ms``, not ``100. us``)."""
    return _example(value) if isinstance(value, b2.Quantity) else str(value)


def unknown_name(name: str, valid) -> ConfigError:
    """The error for a parameter name that is not one of ``valid``, with the closest valid name if any."""
    close = difflib.get_close_matches(name, list(valid), n=1, cutoff=0.75)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return ConfigError(f"unknown parameter {name!r}{hint}; valid names: {', '.join(sorted(valid))}")


def parse_value(text: str, default, name: str):
    """Parse ``text`` to the type of ``default``."""
    if isinstance(default, b2.Quantity) and not b2.is_dimensionless(default):
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


def override(instances: list, assignments: dict[str, str]) -> list:
    """Apply ``assignments`` to a list of frozen dataclass instances.

    Each name must be a field of exactly one of them (the first that has it
    wins); an unknown name is an error listing the valid ones.
    """
    updates = [dict() for _ in instances]
    for name, text in assignments.items():
        for k, inst in enumerate(instances):
            fields = {f.name: f for f in dataclasses.fields(inst)}
            if name in fields:
                updates[k][name] = parse_value(text, getattr(inst, name), name)
                break
        else:
            raise unknown_name(name, {f.name for inst in instances for f in dataclasses.fields(inst)})
    return [dataclasses.replace(inst, **upd) for inst, upd in zip(instances, updates)]


_DISPLAY_UNITS = {b2.ms.dim: b2.ms, b2.Hz.dim: b2.Hz}


def display_unit(value: b2.Quantity):
    """The unit a Quantity is shown in: ms for times, Hz for rates, else Brian2's best."""
    return _DISPLAY_UNITS.get(value.dim) or value.get_best_unit()


def describe(instance) -> dict:
    """JSON-ready dict of a dataclass: Quantities as {'value', 'unit'}."""
    out = {}
    for f in dataclasses.fields(instance):
        v = getattr(instance, f.name)
        if isinstance(v, b2.Quantity) and not b2.is_dimensionless(v):
            unit = display_unit(v)
            out[f.name] = {"value": round(float(v / unit), 12), "unit": str(unit)}
        else:
            out[f.name] = v
    return out


def _field_docs(cls) -> dict[str, str]:
    """The trailing ``# comment`` of each field line in the dataclass source (base classes too)."""
    docs = {}
    for klass in reversed([k for k in cls.__mro__ if dataclasses.is_dataclass(k)]):
        for line in inspect.getsource(klass).splitlines():
            m = re.match(r"\s+(\w+)\s*:[^=]+=[^#]+#\s*(.+)$", line)
            if m:
                docs[m.group(1)] = m.group(2).strip()
    return docs


def help_lines(instance) -> list[str]:
    """One line per field: name, default with its unit, and what it means."""
    docs = _field_docs(type(instance))
    lines = []
    for f in dataclasses.fields(instance):
        v = getattr(instance, f.name)
        shown = _example(v) if isinstance(v, b2.Quantity) else repr(v) if isinstance(v, str) else str(v)
        lines.append(f"  {f.name:<18} {shown:<12} {docs.get(f.name, '')}")
    return lines


def qty(value: b2.Quantity):
    """Dataclass field holding a Quantity (an array, so it needs a factory)."""
    return dataclasses.field(default_factory=lambda: value)
