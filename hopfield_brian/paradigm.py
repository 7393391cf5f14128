"""Composable pieces of the memory paradigms: storage, cue, trial scoring.

Protocols (``hopfield_brian.protocols``) assemble these; each piece is a
plain function of a config and explicit inputs.
"""

from __future__ import annotations


import numpy as np

from hopfield_brian.equations.classical import ClassicalParams
from hopfield_brian.equations.modern import ModernParams

from . import patterns as pat
from . import readout, reference
from .errors import ConfigError
from .models import MODELS, ClassicalModel, ModernModel

MAX_BETA_TIMES_N = 600.0  # exp(beta u) stays finite in double precision (|u| <= ~N)


def model_params(model: str):
    """Default parameter dataclass of ``model``."""
    if model == "modern":
        return ModernParams()
    if model == "classical":
        return ClassicalParams()
    raise ConfigError(f"unknown model {model!r}; choose from {', '.join(MODELS)}")


def check_model_params(params, n_features: int) -> None:
    """Checks of model parameters across the run's size (single ranges are in their declarations)."""
    if isinstance(params, ModernParams) and params.beta * n_features > MAX_BETA_TIMES_N:
        raise ConfigError(f"beta * n_features must be <= {MAX_BETA_TIMES_N:g} "
                          f"(got {params.beta * n_features:g}); exp(beta u) would overflow")


STORAGES = ("analytic", "hebbian")


def store(model: str, params, stored: np.ndarray, kind: str, noisy: bool = False, storage: str = "analytic",
          seed: int = 0, storage_params=None, jittered: bool = False, learner=None, fixed=(False, False)):
    """The network model holding ``stored`` patterns.

    ``storage``: 'analytic' couplings, or 'hebbian': learned from spikes
    (:mod:`hopfield_brian.storage`): the classical network's couplings by the
    covariance rule, the modern network's keys and values by recruiting one
    memory neuron per pattern. Returns the model and the patterns in the
    coding it works in: the modern network codes every pattern in {-1, +1}.
    ``noisy`` adds input-noise terms, ``jittered`` the jitter filters of the Poisson populations.
    ``learner`` (a :class:`hopfield_brian.storage.Learner`) keeps one storage build for a run's points.
    ``fixed``: the fixed-point switches (state rounded, decay explicit) of :func:`hopfield_brian.fixed_point.modes`.
    """
    if storage not in STORAGES:
        raise ConfigError(f"unknown storage {storage!r}; choose from {', '.join(STORAGES)}")
    if model == "modern":
        bipolar = pat.to_bipolar(stored, kind)
        if storage == "hebbian":
            from .storage import Learner

            keys, values = (learner or Learner()).learn_modern(bipolar, seed, storage_params)
            return ModernModel(params, keys, values, noisy=noisy, jittered=jittered, quantised_state=fixed[0],
                               explicit_decay=fixed[1]), bipolar, "bipolar"
        return ModernModel(params, bipolar, noisy=noisy, jittered=jittered, quantised_state=fixed[0],
                           explicit_decay=fixed[1]), bipolar, "bipolar"
    learned = None
    if storage == "hebbian":
        from .storage import Learner

        learned = (learner or Learner()).learn(stored, kind, seed, storage_params)
    return ClassicalModel(params, stored, kind, noisy=noisy, learned=learned, jittered=jittered,
                          quantised_state=fixed[0], explicit_decay=fixed[1]), stored, kind


def trial_rng(seed: int, trial: int) -> np.random.Generator:
    """Independent random stream of one trial, from the run seed."""
    return np.random.default_rng([seed, trial])


def trial_seed(seed: int, trial: int) -> int:
    """31-bit seed (a Brian2 int32 variable) for the simulator's generators in one trial."""
    return int(np.random.SeedSequence([seed, trial, 1]).generate_state(1)[0] & 0x7FFFFFFF)


def make_cue(stored: np.ndarray, kind: str, target: int, flip: float, masked: float,
             rng: np.random.Generator) -> np.ndarray:
    """Corrupted version of pattern ``target``: a fraction flipped, then a fraction masked."""
    cue = pat.flip(stored[target], flip, rng, kind)
    return pat.mask(cue, masked, rng, kind) if masked > 0 else cue


def reference_state(model, kind: str, cue: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Final state of the numpy reference from the same cue, in the patterns' coding."""
    if isinstance(model, ModernModel):
        return np.sign(reference.modern_recall(model.keys, cue, model.params.beta, model.values))
    start = (cue > 0).astype(float)
    final = reference.classical_recall(model.couplings, model.bias, model.coding_level, start, rng,
                                       inhibition=model.params.inhibition_gain)
    return 2.0 * final - 1.0 if kind == "bipolar" else final


def score(stored: np.ndarray, kind: str, target: int, state: np.ndarray) -> dict:
    """Overlap with the target, best-matching pattern and success of a final state."""
    m = pat.overlap(stored, state, kind)
    return {"final_overlap": float(m[target]), "retrieved": int(np.argmax(m)),
            "success": bool(m[target] >= readout.SUCCESS_OVERLAP)}
