"""The counter-based generator (hopfield_brian.equations.counter_random): Philox4x32-10 as published,
statistically sound draws, and the same numbers from numpy, Brian2's runtime targets and cpp_standalone."""

import numpy as np
import pytest
from scipy import stats

from hopfield_brian.equations import counter_random as cr

SEED = 20261203  # fixed: every bound below is checked on these draws, deterministically

# Random123 (D. E. Shaw Research), tests/kat_vectors, the three "philox4x32 10" lines: counter, key, output
KNOWN_ANSWERS = [
    ([0, 0, 0, 0], [0, 0], [0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8]),
    ([0xFFFFFFFF] * 4, [0xFFFFFFFF] * 2, [0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD]),
    ([0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344], [0xA4093822, 0x299F31D0],
     [0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1]),
]


def test_philox_gives_random123s_known_answers():
    for counter, key, expected in KNOWN_ANSWERS:
        assert cr.philox4x32_10(counter, key).tolist() == expected
    counters, keys = zip(*[(c, k) for c, k, _ in KNOWN_ANSWERS])  # vectorised the same
    assert cr.philox4x32_10(counters, keys).tolist() == [e for _, _, e in KNOWN_ANSWERS]


def _grid(stream=1, seed=SEED, shape=(1000, 1000)):
    """Uniform draws of ``shape[0]`` neurons (rows) over ``shape[1]`` time steps (columns)."""
    return cr.uniform(seed, stream, np.arange(shape[0])[:, None], np.arange(shape[1])[None, :])


@pytest.fixture(scope="module")
def grid():
    return _grid()


def test_a_million_uniforms_are_uniform(grid):
    """1e6 draws (1000 neurons x 1000 steps): chi-square over 1000 equal bins and Kolmogorov-Smirnov
    against U(0, 1), both with p > 0.001; strictly inside (0, 1). (With 1 to 3 Philox rounds instead
    of 10 the independence tests below fail, at p < 1e-300.)"""
    u = grid.ravel()
    assert 0 < u.min() and u.max() < 1
    counts = np.bincount((u * 1000).astype(int), minlength=1000)
    assert stats.chisquare(counts).pvalue > 1e-3
    assert stats.kstest(u, "uniform").pvalue > 1e-3
    assert abs(u.mean() - 0.5) < 4 * np.sqrt(1 / 12 / u.size)


@pytest.mark.parametrize("pair", ["neighbouring neurons", "consecutive steps", "streams", "seeds"])
def test_draws_that_differ_in_one_coordinate_are_independent(pair, grid):
    """Pairs that differ by one in the neuron index, the step, the stream or the seed: Pearson
    correlation |r| < 4 / sqrt(n) and a chi-square test of the pairs' joint histogram (10 x 10 bins:
    any dependence, not only linear) with p > 0.001, over ~1e6 pairs."""
    u = grid
    a, b = {"neighbouring neurons": (u[:-1], u[1:]), "consecutive steps": (u[:, :-1], u[:, 1:]),
            "streams": (u, _grid(stream=2)), "seeds": (u, _grid(seed=SEED + 1))}[pair]
    a, b = a.ravel(), b.ravel()
    assert abs(np.corrcoef(a, b)[0, 1]) < 4 / np.sqrt(a.size)
    joint = np.bincount((a * 10).astype(int) * 10 + (b * 10).astype(int), minlength=100)
    assert stats.chisquare(joint).pvalue > 1e-3


def test_normals_are_standard_normal():
    """1e5 Box-Muller draws: Kolmogorov-Smirnov against N(0, 1) with p > 0.001, mean and variance within
    4 standard errors, |z| below the 6.77 that a 32-bit uniform allows; neighbours uncorrelated."""
    z = cr.normal(SEED, 3, np.arange(1000)[:, None], np.arange(100)[None, :])
    flat = z.ravel()
    assert stats.kstest(flat, "norm").pvalue > 1e-3
    assert abs(flat.mean()) < 4 / np.sqrt(flat.size)
    assert abs(flat.var() - 1) < 4 * np.sqrt(2 / flat.size)
    assert np.abs(flat).max() < np.sqrt(-2 * np.log(2.0 ** -33))
    assert abs(np.corrcoef(z[:-1].ravel(), z[1:].ravel())[0, 1]) < 4 / np.sqrt(z[1:].size)


def test_uniform_and_normal_draws_use_separate_blocks():
    """Same seed, stream, neuron and step: the normal's uniforms are not the uniform draw."""
    u = cr.uniform(SEED, 1, np.arange(1000), 7)
    words = cr._words(SEED, 1, np.arange(1000), 7, 1)
    assert not np.any(cr._unit(words[..., 0]) == u)


@pytest.mark.slow
def test_every_target_draws_the_same_numbers(tmp_path):
    """A small network records its uniform and normal draws (per neuron and step, through a linked seed):
    Brian2's numpy and cython runtime targets and cpp_standalone give the numpy reference's numbers bit for
    bit."""
    import brian2 as b2

    from hopfield_brian import brian2_compat as compat

    n, steps, seeds = 6, 12, np.array([11, 2**31 - 1])
    local = np.arange(2 * n) % n
    want_u = cr.uniform(seeds.repeat(n)[:, None], 5, local[:, None], np.arange(steps)[None])
    want_z = cr.normal(seeds.repeat(n)[:, None], 6, local[:, None], np.arange(steps)[None])
    for device, target in (("runtime", "numpy"), ("runtime", "cython"), ("cpp_standalone", None)):
        compat.select_device(device)
        if target:
            b2.prefs.codegen.target = target
        b2.defaultclock.dt = 0.1 * b2.ms
        trials = b2.NeuronGroup(2, cr.SEED_EQS, name="trials")
        trials.trial_seed = seeds
        g = b2.NeuronGroup(2 * n, "u : 1\nz : 1" + cr.TRIAL_EQS.format(size=n), name="drawing")
        g.trial_seed = b2.linked_var(trials, "trial_seed", index=np.arange(2 * n) // n)
        g.run_regularly(f"u = {cr.uniform_draw(5)}\nz = {cr.normal_draw(6)}", when="start")
        mon = b2.StateMonitor(g, ["u", "z"], record=True, when="end", name="draws")
        b2.Network(trials, g, mon).run(steps * b2.defaultclock.dt, namespace=cr.functions())
        if device == "cpp_standalone":
            b2.device.build(directory=str(tmp_path / "cpp"), compile=True, run=True, with_output=False)
        assert np.array_equal(mon.u[:], want_u), (device, target)
        assert np.array_equal(mon.z[:], want_z), (device, target)


# Successes per point of the default runs with Brian2's global generator (the code before the
# counter-based draws, main at 555846c, run 2026-12-03): (n_patterns, beta) -> successes of 20 trials
BEFORE = {
    ("recall", "modern"): {(): 20},
    ("recall", "classical"): {(): 0},
    ("capacity", "modern"): {(16, 0.1): 19, (16, 0.2): 20, (16, 0.4): 20, (64, 0.1): 0, (64, 0.2): 20,
                             (64, 0.4): 20, (256, 0.1): 0, (256, 0.2): 20, (256, 0.4): 20, (640, 0.1): 0,
                             (640, 0.2): 20, (640, 0.4): 20, (1024, 0.1): 0, (1024, 0.2): 18, (1024, 0.4): 20},
    ("capacity", "classical"): {(8,): 20, (20,): 20, (32,): 20, (40,): 15, (48,): 0, (56,): 0, (68,): 0, (80,): 0,
                                (100,): 0, (120,): 0},
}


@pytest.mark.slow
@pytest.mark.parametrize("run", list(BEFORE), ids=lambda r: "-".join(r))
def test_success_rates_are_those_of_the_global_generator(run):
    """The default recall and capacity runs' success counts (20 trials per point; the same cues) against
    those recorded with Brian2's global generator: Fisher's exact test (two binomial samples) at every
    point, p > 0.01 / points (1 % family-wise), and over all points pooled."""
    import hopfield_brian as hb

    trials = hb.protocol(run[0], model=run[1]).run().trials
    swept = [c for c in ("n_patterns", "beta") if c in trials and trials[c].nunique() > 1]
    if swept:
        now = {k if isinstance(k, tuple) else (k,): int(v) for k, v in trials.groupby(swept)["success"].sum().items()}
    else:
        now = {(): int(trials["success"].sum())}
    before = BEFORE[run]
    assert now.keys() == before.keys() and len(trials) == 20 * len(before)
    for point, k in before.items():
        assert stats.fisher_exact([[k, 20 - k], [now[point], 20 - now[point]]]).pvalue > 0.01 / len(before), \
            (point, k, now[point])
    n, k_before, k_now = 20 * len(before), sum(before.values()), sum(now.values())
    assert stats.fisher_exact([[k_before, n - k_before], [k_now, n - k_now]]).pvalue > 0.01
