"""Trials batched in one binary run: the same spikes as one trial per run."""

import dataclasses

import brian2 as b2
import numpy as np
import pytest

from hopfield_brian import paradigm
from hopfield_brian import patterns as pat
from hopfield_brian.models import ClassicalModel, ModernModel
from hopfield_brian.simulator import Simulator, Trial, _batches, batches, split_replicas


def _model(kind: str, stored: np.ndarray):
    if kind == "modern":
        return ModernModel(paradigm.model_params("modern"), stored)
    if kind == "modern-wta-poisson-noisy":  # lateral inhibition, Poisson coders, membrane noise (a normal draw per step)
        params = dataclasses.replace(paradigm.model_params("modern"), normalisation="wta", feature_coding="poisson")
        return ModernModel(params, stored, noisy=True)
    return ClassicalModel(paradigm.model_params("classical"), stored, "bipolar", noisy=True)


@pytest.mark.parametrize("kind", ["modern", "modern-wta-poisson-noisy", "classical"])
def test_a_trial_has_the_same_spikes_in_any_batch_and_replica(kind):
    """Each pass of the binary's trial loop restores the initial state and loads the trial's seed and
    cue, and every draw is counter-based (seed, stream, neuron, step): each of 7 trials equals, spike for
    spike, the same trial run alone, in batches of 6 taken in two orders (trial 5 at position 5 of the
    first batch, then at position 0), and as one of 3 replicas of the network in a pass (two passes per
    batch, the last padded), with normal draws (jitter, membrane noise), spike deletion and background
    spikes in play."""
    stored = pat.generate("bipolar", 8, 48, 0.5, seed=2)
    model = _model(kind, stored)
    rng = np.random.default_rng(5)
    noise = {"deletion": 0.1, "background_rate": 5 * b2.Hz} | (
        {"jitter": 1 * b2.ms} if kind == "modern" else {"membrane_noise": 0.2})
    values = model.runtime_values() | {"t_cue": 20 * b2.ms} | noise
    trials = [Trial(paradigm.make_cue(stored, "bipolar", k % 8, 0.25, 0.0, rng), 100 + k) for k in range(7)]
    orders = {(1, 1): [list(range(7))], (6, 1): [list(range(7)), [5, 6, 0, 1, 2, 3, 4]],
              (6, 3): [list(range(7)), [5, 6, 0, 1, 2, 3, 4]]}
    spikes = {}
    for (batch, replicas), runs in orders.items():
        sim = Simulator(model, "cpp_standalone", 60 * b2.ms, 0.1 * b2.ms, values, batch=batch, workers=1,
                        replicas=replicas)
        assert (sim.batch, sim.replicas) == (batch, replicas)
        for order in runs:
            spikes[batch, replicas, tuple(order)] = dict(sim.run_many([(k, trials[k]) for k in order]))
        sim.close()
    alone = spikes[1, 1, tuple(range(7))]
    for run, got in spikes.items():
        for k in range(7):
            for pop in alone[k]:
                assert np.array_equal(alone[k][pop][0], got[k][pop][0]), (run, k, pop)
                assert np.array_equal(alone[k][pop][1], got[k][pop][1]), (run, k, pop)
    counts = [sum(i.size for i, _ in alone[k].values()) for k in range(7)]
    assert min(counts) > 50 and len(set(counts)) > 1  # real, different trials


def test_replicas_spikes_are_split_back_into_their_trials():
    """Two passes of 3 replicas of 4 neurons, 5 trials (the last replica padding): each trial gets its own
    spikes, in their order, numbered within its replica; the padding's are dropped."""
    i = np.array([0, 5, 9, 4, 11, 1, 2, 6, 10, 3], dtype=np.int32)  # pass 0: 5 spikes, pass 1: 5
    t = np.arange(10) * 1e-3
    ends = np.array([5, 10])
    got = list(split_replicas(i, t, ends, 4, 3, 5))
    want = [([0], [0]), ([1, 0], [1, 3]), ([1, 3], [2, 4]), ([1, 2, 3], [5, 6, 9]), ([2], [7])]
    assert len(got) == 5
    for (neurons, times), (w_i, w_t) in zip(got, want):
        assert neurons.tolist() == w_i and np.allclose(times, np.array(w_t) * 1e-3)


def test_batches_are_whole_passes_of_replicas():
    """A short run's batches shrink so that each worker gets two, but never below a pass of the replicas."""
    jobs = [(k, Trial(np.ones(2), k)) for k in range(10)]
    assert [len(b) for b in batches(iter(jobs), 16, total=10, workers=2)] == [3, 3, 3, 1]
    assert [len(b) for b in batches(iter(jobs), 16, total=10, workers=2, replicas=4)] == [4, 4, 2]
    assert [len(b) for b in batches(iter(jobs), 8, total=10, workers=1, replicas=8)] == [8, 2]


def test_batches_hold_only_trials_that_share_values_and_arrays():
    shared = {"keys": np.ones(3)}
    cue = np.ones(2)
    jobs = [(k, Trial(cue, k, values={"beta": 0.1 if k < 5 else 0.2}, arrays=shared if k != 2 else {"keys": np.ones(3)}))
            for k in range(9)]
    sizes = [[key for key, _ in b] for b in _batches(iter(jobs), 3)]
    assert sizes == [[0, 1], [2], [3, 4], [5, 6, 7], [8]]


def test_delay_memory_trials_have_the_same_spikes_in_any_batch():
    """The delay-line memory keeps spikes in flight in its queues: each pass empties them, so a
    batched trial still equals the trial run alone (background spikes and cue jitter in play)."""
    import hopfield_brian as hb

    exp = hb.Spatiotemporal(trials=6, n_features=40, n_patterns=8, background_rate=10 * b2.Hz, compare_rate=False,
                            sweep=[{}])
    spikes = {batch: exp.run(batch=batch).spikes for batch in (1, 4)}
    assert len(spikes[1]) > 100 and spikes[1]["trial"].nunique() == 6
    assert spikes[1].equals(spikes[4])
