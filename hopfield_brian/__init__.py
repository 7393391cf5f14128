"""hopfield-brian: spiking classical and Bayesian (modern) Hopfield networks in Brian2, next to attention.

The public API (everything in ``__all__``; importing the package is cheap:
Brian2, pandas and matplotlib load on first use)::

    import numpy as np
    import hopfield_brian as hb

    patterns = np.sign(np.random.default_rng(0).normal(size=(20, 100)))
    res = hb.Recall(patterns=patterns, beta=0.05, trials=10).run()      # in memory
    res.trials, res.summary, res.spikes                                 # pandas DataFrames
    res.save("results/mine"); hb.load("results/mine").figures()        # matplotlib Figures

Protocols: :class:`Recall`, :class:`Capacity`, :class:`Robustness`,
:class:`Storage`, :class:`Attention`, :class:`Regimes`, :class:`Phase` (rate-coded models)
and :class:`Spatiotemporal`, :class:`Sequence` (spike-time patterns in
delays), :class:`Shared` (spike-time patterns sharing one pool of delay
detectors). Each takes the parameters of ``hopfield-brian run NAME --help``;
bad values raise :class:`ConfigError` with the command line's one-line
message, before anything is built. A protocol of one's own subclasses
:class:`RateProtocol`, :class:`DelayProtocol` or :class:`Protocol`.
:func:`to_nir` and :func:`from_nir` carry networks to and from NIR, the
neuromorphic toolchains' exchange format (``pip install 'hopfield-brian[nir]'``).
"""

from __future__ import annotations

import importlib

__version__ = "0.2.0"

_EXPORTS = {
    "ConfigError": "hopfield_brian.errors",
    "ModernParams": "hopfield_brian.equations.modern",
    "ClassicalParams": "hopfield_brian.equations.classical",
    "DelayParams": "hopfield_brian.equations.delay_memory",
    "Patterns": "hopfield_brian.patterns",
    "param": "hopfield_brian.config",
    "Protocol": "hopfield_brian.engine",
    "RateProtocol": "hopfield_brian.rate_protocol",
    "RecallConfig": "hopfield_brian.rate_protocol",
    "DelayProtocol": "hopfield_brian.delay_protocol",
    "Results": "hopfield_brian.results",
    "load": "hopfield_brian.results",
    "Recall": "hopfield_brian.protocols.recall",
    "Capacity": "hopfield_brian.protocols.capacity",
    "Robustness": "hopfield_brian.protocols.robustness",
    "Storage": "hopfield_brian.protocols.storage",
    "Attention": "hopfield_brian.protocols.attention",
    "Regimes": "hopfield_brian.protocols.regimes",
    "Phase": "hopfield_brian.protocols.phase",
    "Spatiotemporal": "hopfield_brian.protocols.spatiotemporal",
    "Sequence": "hopfield_brian.protocols.sequence",
    "to_nir": "hopfield_brian.nir_export",
    "from_nir": "hopfield_brian.nir_import",
    "Shared": "hopfield_brian.protocols.shared",
    "SharedParams": "hopfield_brian.equations.shared_delay",
}
PROTOCOLS = ("recall", "capacity", "robustness", "storage", "attention", "spatiotemporal", "sequence", "shared",
             "regimes", "phase")

__all__ = [*_EXPORTS, "PROTOCOLS", "protocol", "__version__"]


def protocol(name: str, sweep=None, **parameters):
    """The built-in protocol ``name`` (as on the command line) made with ``parameters``:
    ``protocol("capacity", model="classical", trials=5)`` is ``Capacity(model="classical", trials=5)``."""
    from .errors import ConfigError

    if name not in PROTOCOLS:
        raise ConfigError(f"unknown protocol {name!r}; choose from {', '.join(PROTOCOLS)}")
    return __getattr__(name.capitalize())(sweep=sweep, **parameters)


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'hopfield_brian' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
