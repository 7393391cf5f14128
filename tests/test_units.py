"""The light units of parameter declarations: dimensions follow the arithmetic, conversion to Brian2 is exact."""

import brian2 as b2
import numpy as np
import pytest

from hopfield_brian import config as cfg
from hopfield_brian.units import DimensionError, Hz, Quantity, kHz, mV, ms, second, to_brian2, unit


def test_arithmetic_follows_the_dimensions():
    assert 150 * ms / ms == pytest.approx(150.0) and isinstance(150 * ms / ms, float)
    assert (2 * Hz) * (0.5 * second) == pytest.approx(1.0)
    assert (1 / ms).dim == Hz.dim and float(1 / ms) == pytest.approx(1000.0)
    assert 10 * ms + 0.5 * second == 510 * ms and 1 * kHz == 1000 * Hz
    assert -(3 * ms) < 0 * ms < 1 * ms and 0 * ms == 0 * ms and 1 * ms != 1 * Hz
    with pytest.raises(DimensionError):
        _ = 1 * ms + 1 * Hz
    with pytest.raises(DimensionError):
        _ = 1 * ms < 1 * Hz
    assert {10 * ms, 0.01 * second} == {10 * ms}  # hashable, equal values hash alike


def test_brian2_quantities_mix_in_and_conversion_is_exact():
    assert 150 * ms / b2.ms == pytest.approx(150.0)
    assert b2.ms * 3 / (3 * ms) == pytest.approx(1.0)  # numpy defers to the reflected operation
    for q in (150 * ms, 0.2 * ms, 500 * Hz, 12.5 * mV, 1e-9 * unit("amp")):
        converted = to_brian2(q)
        assert isinstance(converted, b2.Quantity) and float(converted) == q.si
        assert b2.have_same_dimensions(converted, {"s": b2.second, "Hz": b2.Hz, "V": b2.volt,
                                                   "A": b2.amp}[{ms.dim: "s", Hz.dim: "Hz", mV.dim: "V"}.get(q.dim, "A")])
    assert to_brian2(0.5) == 0.5 and to_brian2("exact") == "exact"


def test_display_and_parsing_round_trip():
    assert str(150 * ms) == "150 ms" and str(0.5 * kHz) == "500 Hz" and str(12.5 * mV) == "12.5 mV"
    for text, expected in [("150ms", 150 * ms), ("0.3 second", 300 * ms), ("1e-2s", 10 * ms), ("2 msecond", 2 * ms),
                           ("20us", 0.02 * ms), ("0.5 kHz", 500 * Hz)]:
        parsed = cfg.parse_quantity(text, 1 * ms if expected.dim == ms.dim else 1 * Hz, "x")
        assert parsed.dim == expected.dim and parsed.si == pytest.approx(expected.si, rel=1e-12)
        assert cfg.parse_quantity(cfg.show(parsed), parsed, "x").si == pytest.approx(parsed.si, rel=1e-12)  # typed back
    assert np.asarray(3 * ms, dtype=float) == pytest.approx(0.003)


def test_a_declared_brian2_default_is_held_in_the_package_units():
    import dataclasses

    @dataclasses.dataclass(frozen=True)
    class Mine:
        tau: Quantity = cfg.param(20 * b2.ms, "a time constant", low=0 * ms)

    assert isinstance(Mine().tau, Quantity) and Mine().tau == 20 * ms
    assert cfg.override([Mine()], {"tau": "30ms"})[0].tau == 30 * ms
    assert cfg.override([Mine()], {"tau": 40 * b2.ms})[0].tau == 40 * ms
