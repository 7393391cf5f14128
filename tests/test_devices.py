"""Reproducibility and agreement between devices."""

import numpy as np

from conftest import recall

SMALL = dict(n_features=64, n_patterns=24, cue_noise=0.35, trials=30, t_free=150e-3)


def _small(device, **extra):
    import brian2 as b2

    cfg = SMALL | {"t_free": SMALL["t_free"] * b2.second} | extra
    return recall("modern", {"beta": 0.16}, device=device, **cfg)


def test_same_seed_same_device_gives_identical_spikes():
    a, b = _small("cpp_standalone", trials=3), _small("cpp_standalone", trials=3)
    assert a.spikes.equals(b.spikes)
    c = _small("cpp_standalone", trials=3, seed=1)
    assert not c.spikes["t_ms"].equals(a.spikes["t_ms"])


def test_runtime_and_cpp_standalone_agree_within_sampling_error():
    rt, cpp = _small("runtime").trials, _small("cpp_standalone").trials
    assert 0.1 < cpp["success"].mean() < 0.9  # a regime where a disagreement would show
    n = len(rt)
    p = (rt["success"].mean() + cpp["success"].mean()) / 2
    assert abs(rt["success"].mean() - cpp["success"].mean()) <= 3 * np.sqrt(2 * p * (1 - p) / n)
    se = np.sqrt((rt["final_overlap"].var() + cpp["final_overlap"].var()) / n)
    assert abs(rt["final_overlap"].mean() - cpp["final_overlap"].mean()) <= 3 * se + 1e-9
