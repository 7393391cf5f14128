"""Shared helpers: run recall trials in-process with explicit settings, through the public API."""

import pytest

import hopfield_brian as hb


def recall(model="modern", params=None, **config):
    """The Results of a recall run (nothing written to disk); ``params``: model parameters."""
    defaults = dict(trials=20, device="cpp_standalone")
    return hb.Recall(model=model, **(defaults | config | (params or {}))).run()


@pytest.fixture
def run_recall():
    return recall
