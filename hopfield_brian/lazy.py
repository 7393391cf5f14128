"""Modules loaded on first use.

``pandas`` costs ~0.35 s to import, which ``--help`` and input errors never
need; the modules that build tables bind it with :func:`module` so that it
loads when a table is first made (the standard library's
:class:`importlib.util.LazyLoader`). Anyone importing it afterwards gets the
same module.
"""

from __future__ import annotations

import importlib.util
import sys


def module(name: str):
    """The module ``name``, executed on its first attribute access (at once if it is already imported)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ImportError(f"no module named {name!r}")
    spec.loader = importlib.util.LazyLoader(spec.loader)
    lazy = importlib.util.module_from_spec(spec)
    sys.modules[name] = lazy
    spec.loader.exec_module(lazy)
    parent, _, child = name.rpartition(".")
    if parent:  # as an import of a submodule does: ``import a.b as c`` reads it from ``a``
        setattr(sys.modules[parent], child, lazy)
    return lazy
