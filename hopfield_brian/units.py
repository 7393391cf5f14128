"""Physical units for parameter declarations, without importing Brian2.

Importing Brian2 costs 1-2 s (it loads sympy, matplotlib and its code
generators), which a command's ``--help``, its input errors and a warm run
(a compiled binary run from its recipe) never need. Parameters are therefore
declared, parsed, checked and written with the small scalar
:class:`Quantity` of this module; :func:`hopfield_brian.brian2_compat.to_brian2`
turns them into Brian2 Quantities where a network is built.

A :class:`Quantity` is an immutable scalar held in SI with the seven SI base
dimensions in Brian2's order (length, mass, time, current, temperature,
substance, luminosity), so that conversion is exact. Arithmetic follows the
dimensions; a ratio of equal dimensions is a plain ``float``
(``t_cue / ms`` is 150.0); adding or comparing different dimensions raises
:class:`DimensionError`. Brian2 Quantities (and numpy scalars) mix in: the
result is this module's Quantity.
"""

from __future__ import annotations

import re

DIMENSIONLESS = (0, 0, 0, 0, 0, 0, 0)
_TIME = (0, 0, 1, 0, 0, 0, 0)
_RATE = (0, 0, -1, 0, 0, 0, 0)
_VOLTAGE = (2, 1, -3, -1, 0, 0, 0)
_CURRENT = (0, 0, 0, 1, 0, 0, 0)
_CONDUCTANCE = (-2, -1, 3, 2, 0, 0, 0)
_CAPACITANCE = (-2, -1, 4, 2, 0, 0, 0)
_RESISTANCE = (2, 1, -3, -2, 0, 0, 0)
_LENGTH = (1, 0, 0, 0, 0, 0, 0)

# base unit names (as Brian2 writes them, with their aliases) -> dimensions
_BASES = {
    "second": _TIME, "s": _TIME, "hertz": _RATE, "Hz": _RATE, "volt": _VOLTAGE, "V": _VOLTAGE,
    "amp": _CURRENT, "ampere": _CURRENT, "A": _CURRENT, "siemens": _CONDUCTANCE, "S": _CONDUCTANCE,
    "farad": _CAPACITANCE, "F": _CAPACITANCE, "ohm": _RESISTANCE, "metre": _LENGTH, "meter": _LENGTH,
    "m": _LENGTH,
}
_PREFIXES = {"p": 1e-12, "n": 1e-9, "u": 1e-6, "m": 1e-3, "": 1.0, "k": 1e3, "M": 1e6, "G": 1e9}
# how a dimension is shown: a fixed unit (times in ms, rates in Hz, as in the tables' column names),
# or the prefix that puts the number in [1, 1000)
_SHOWN = {_TIME: "ms", _RATE: "Hz"}
_SYMBOL = {_VOLTAGE: "V", _CURRENT: "A", _CONDUCTANCE: "S", _CAPACITANCE: "F", _RESISTANCE: "ohm", _LENGTH: "m"}


class DimensionError(ValueError):
    """An operation between quantities of different dimensions."""


def _dims_of(other):
    """(SI value, dimensions) of a number, this module's Quantity or a Brian2 Quantity; None otherwise."""
    if isinstance(other, Quantity):
        return other.si, other.dim
    dim = getattr(other, "dim", None)
    if dim is not None and hasattr(dim, "_dims"):  # a Brian2 Quantity (duck-typed: Brian2 stays unimported)
        if getattr(other, "shape", ()) != ():
            return None
        return float(other), tuple(int(d) if float(d).is_integer() else float(d) for d in dim._dims)
    if isinstance(other, (int, float)) and not isinstance(other, bool):
        return float(other), DIMENSIONLESS
    if type(other).__module__ == "numpy" and getattr(other, "shape", None) == ():
        return float(other), DIMENSIONLESS
    return None


def _make(si: float, dim: tuple):
    return float(si) if dim == DIMENSIONLESS else Quantity(si, dim)


class Quantity:
    """A scalar with a physical dimension (value in SI units)."""

    __slots__ = ("si", "dim")
    __array_ufunc__ = None  # numpy hands mixed operations to our reflected methods

    def __init__(self, si: float, dim: tuple = DIMENSIONLESS):
        object.__setattr__(self, "si", float(si))
        object.__setattr__(self, "dim", tuple(dim))

    def __setattr__(self, name, value):
        raise AttributeError("Quantity is immutable")

    def __reduce__(self):
        return Quantity, (self.si, self.dim)

    # arithmetic
    def __mul__(self, other):
        o = _dims_of(other)
        if o is None:
            return NotImplemented
        return _make(self.si * o[0], tuple(a + b for a, b in zip(self.dim, o[1])))

    __rmul__ = __mul__

    def __truediv__(self, other):
        o = _dims_of(other)
        if o is None:
            return NotImplemented
        return _make(self.si / o[0], tuple(a - b for a, b in zip(self.dim, o[1])))

    def __rtruediv__(self, other):
        o = _dims_of(other)
        if o is None:
            return NotImplemented
        return _make(o[0] / self.si, tuple(b - a for a, b in zip(self.dim, o[1])))

    def __pow__(self, power):
        return _make(self.si ** power, tuple(a * power for a in self.dim))

    def _same(self, other, op: str) -> float:
        o = _dims_of(other)
        if o is None:
            raise TypeError(f"cannot {op} {self} and {other!r}")
        if o[1] != self.dim and not (o[0] == 0 and op in ("add", "subtract", "compare")):
            raise DimensionError(f"cannot {op} {self} and {other!r}: different units")
        return o[0]

    def __add__(self, other):
        return Quantity(self.si + self._same(other, "add"), self.dim)

    __radd__ = __add__

    def __sub__(self, other):
        return Quantity(self.si - self._same(other, "subtract"), self.dim)

    def __rsub__(self, other):
        return Quantity(self._same(other, "subtract") - self.si, self.dim)

    def __neg__(self):
        return Quantity(-self.si, self.dim)

    def __pos__(self):
        return self

    def __abs__(self):
        return Quantity(abs(self.si), self.dim)

    # comparisons (a bare 0 compares with any dimension, as in Brian2)
    def __eq__(self, other):
        o = _dims_of(other)
        return o is not None and o[1] == self.dim and o[0] == self.si

    def __hash__(self):
        return hash((self.si, self.dim))

    def __lt__(self, other):
        return self.si < self._same(other, "compare")

    def __le__(self, other):
        return self.si <= self._same(other, "compare")

    def __gt__(self, other):
        return self.si > self._same(other, "compare")

    def __ge__(self, other):
        return self.si >= self._same(other, "compare")

    def __float__(self):
        return self.si

    def __bool__(self):
        return self.si != 0

    # display
    def unit(self) -> tuple[str, float]:
        """(name, scale) of the unit this quantity is shown in: ms for times, Hz for rates, else the
        SI prefix that puts the number in [1, 1000)."""
        return display_unit(self.dim, self.si)

    def __str__(self):
        name, scale = self.unit()
        return f"{self.si / scale:g} {name}".rstrip()

    def __repr__(self):
        name, scale = self.unit()
        return f"{self.si / scale!r} * {name}" if name else repr(self.si)

    def __format__(self, spec):
        return format(str(self), spec)


def display_unit(dim: tuple, si: float = 1.0) -> tuple[str, float]:
    """(name, scale) of the unit a value of dimensions ``dim`` is shown in."""
    if dim in _SHOWN:
        name = _SHOWN[dim]
        return name, unit_scale(name)
    if dim == DIMENSIONLESS:
        return "", 1.0
    symbol = _SYMBOL.get(dim)
    if symbol is None:
        return "SI", 1.0
    size = abs(si)
    for prefix, scale in sorted(_PREFIXES.items(), key=lambda e: e[1]):
        if size == 0 or size / scale < 1000:
            if size == 0:
                return symbol, 1.0
            return prefix + symbol, scale
    return "G" + symbol, 1e9


def _lookup(name: str):
    """(scale, dimensions) of a unit name such as ms, msecond, kHz, mV; None if unknown."""
    if name in _BASES:
        return 1.0, _BASES[name]
    prefix, rest = name[:1], name[1:]
    if prefix in _PREFIXES and rest in _BASES:
        return _PREFIXES[prefix], _BASES[rest]
    return None


def unit_scale(name: str) -> float:
    """SI value of one ``name`` (e.g. 1e-3 for ms)."""
    found = _lookup(name)
    if found is None:
        raise KeyError(name)
    return found[0]


def unit(name: str) -> Quantity:
    """The unit called ``name`` (``ms``, ``second``, ``kHz``, ``mV``, ``msecond``, ...); KeyError if unknown."""
    found = _lookup(name)
    if found is None:
        raise KeyError(name)
    return Quantity(found[0], found[1])


def is_quantity(value) -> bool:
    """Whether ``value`` is a dimensioned scalar (this module's, or a Brian2 Quantity)."""
    o = _dims_of(value)
    return o is not None and o[1] != DIMENSIONLESS and not isinstance(value, (int, float))


def as_quantity(value) -> Quantity | None:
    """``value`` (this module's or a scalar Brian2 Quantity) as this module's Quantity; None for others."""
    if isinstance(value, Quantity):
        return value
    o = _dims_of(value)
    if o is None or isinstance(value, (int, float)) or type(value).__module__ == "numpy":
        return None
    return Quantity(*o)


NUMBER_UNIT = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*\*?\s*([A-Za-z]*)\s*$")


second = unit("second")
ms = unit("ms")
us = unit("us")
Hz = unit("Hz")
kHz = unit("kHz")
mV = unit("mV")
volt = unit("volt")


def to_brian2(value):
    """``value`` with Brian2 units where it is one of this module's Quantities (anything else as it is).
    Exact: the SI value is kept and the dimensions are Brian2's own."""
    if not isinstance(value, Quantity):
        return value
    from brian2.units.fundamentalunits import Quantity as Brian2Quantity
    from brian2.units.fundamentalunits import get_or_create_dimension

    return Brian2Quantity(value.si, dim=get_or_create_dimension(value.dim))


def brian2_params(instance):
    """A parameter dataclass instance with its Quantities in Brian2 units, for a network's builder."""
    import dataclasses

    return dataclasses.replace(instance, **{f.name: to_brian2(getattr(instance, f.name))
                                            for f in dataclasses.fields(instance)
                                            if isinstance(getattr(instance, f.name), Quantity)})


def seconds(value, name: str) -> float:
    """A positive duration given with a time unit (the package's or Brian2's), in s; a one-line
    :class:`~hopfield_brian.errors.ConfigError` otherwise."""
    from .errors import ConfigError

    quantity = as_quantity(value)
    if quantity is None or quantity.dim != second.dim:
        raise ConfigError(f"{name} needs a time unit, e.g. 0.1*ms; got {value!r}")
    if not quantity.si > 0 or quantity.si == float("inf"):
        raise ConfigError(f"{name} must be positive and finite, got {value!r}")
    return quantity.si
