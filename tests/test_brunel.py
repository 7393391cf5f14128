"""Feature-layer check against a known map: Brunel's (2000) E/I network, SR and AI points."""

import numpy as np
import pytest

from hopfield_brian import brunel


def test_voltage_synchrony_analytic_cases():
    rng = np.random.default_rng(0)
    common = np.sin(np.linspace(0, 20, 2000))
    assert brunel.voltage_synchrony(np.repeat(common[:, None], 50, axis=1)) == pytest.approx(1.0)
    independent = rng.normal(size=(4000, 400))
    assert brunel.voltage_synchrony(independent) == pytest.approx(1 / np.sqrt(400), rel=0.15)
    half = common[:, None] + rng.normal(size=(2000, 400)) * np.std(common)  # equal shared and private variance
    assert brunel.voltage_synchrony(half) == pytest.approx(np.sqrt(0.5), abs=0.03)
    assert np.isnan(brunel.voltage_synchrony(np.ones((10, 5))))


@pytest.mark.slow
def test_brunel_sr_and_ai_points_are_classified_as_in_brunel_2000():
    """g = 3, eta = 2: synchronous regular (oscillatory); g = 5, eta = 2: asynchronous irregular."""
    sr, ai = brunel.run_points([brunel.SR_POINT, brunel.AI_POINT])
    assert sr["state"] == "SR" and sr["label"] == "oscillatory"
    assert sr["cv"] < 0.5 and sr["osc_index"] > 0.1
    assert ai["state"] == "AI" and ai["label"] != "oscillatory"
    assert ai["cv"] > 0.5 and ai["chi"] < 0.3
