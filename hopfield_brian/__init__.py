"""Spiking classical and Bayesian (modern) Hopfield networks in Brian2."""

__version__ = "0.1.0"
