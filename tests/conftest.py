"""Shared helpers: run recall trials in-process with explicit settings."""

import dataclasses

import pytest

from hopfield_brian import paradigm
from hopfield_brian.protocols.recall import RecallConfig, run_trials


def recall(model="modern", params=None, **config):
    """Trials table (and the rest) of a recall run, nothing written to disk."""
    defaults = dict(trials=20, device="cpp_standalone")
    cfg = RecallConfig(model=model, **(defaults | config))
    p = dataclasses.replace(paradigm.model_params(model), **(params or {}))
    return run_trials(cfg, p)


@pytest.fixture
def run_recall():
    return recall
