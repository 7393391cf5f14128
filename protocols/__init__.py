"""Runnable paradigms (installed as ``hopfield_brian.protocols``)."""
