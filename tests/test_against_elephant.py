"""The package's spike-train measures against Elephant on the same spike trains.

SCIENCE.md section 5: Elephant (the Electrophysiology Analysis Toolkit) is the
field's reference implementation of spike-train statistics; the package keeps
fast vectorised versions in ``measures.py`` and ``spatiotemporal.py`` and checks
them here. Trains come from a fixed numpy seed, in float64 seconds: the package
takes them as they are (plain SI), Elephant as ``neo.SpikeTrain`` in ms, the
unit of the package's spike tables (``t_ms``). Where the two follow different
documented conventions the test states the relation between them rather than
widening a tolerance.
"""

import numpy as np
import pytest

pytest.importorskip("elephant")
import neo  # noqa: E402  (installed with elephant)
import quantities as pq  # noqa: E402
from elephant import kernels, spectral, statistics  # noqa: E402
from elephant import spike_train_dissimilarity as dissimilarity  # noqa: E402

from hopfield_brian import measures as ms  # noqa: E402
from hopfield_brian import spatiotemporal as st  # noqa: E402
from test_measures import poisson  # noqa: E402  (the same thinned Poisson trains)

N, T = 40, 10.0  # neurons, duration (s)
EXACT = 1e-9  # rtol: every comparison here evaluates the same formula on both sides

# Elephant 1.2 with quantities 0.16 warns on its own internals; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:The 'copy' argument in Quantity is deprecated")


# ------------------------------------------------------------------ trains

def gamma(n, rate, shape, duration, seed):
    """Renewal trains with gamma ISIs (CV 1/sqrt(shape)), started at a random phase."""
    rng = np.random.default_rng(seed)
    k = int(2 * rate * duration) + 20
    t = np.cumsum(rng.gamma(shape, 1.0 / (shape * rate), (n, k)), axis=1)
    t -= rng.uniform(0.0, 1.0 / rate, (n, 1))
    i = np.repeat(np.arange(n), k)
    t = t.ravel()
    sel = (t >= 0) & (t < duration)
    return i[sel], t[sel]


def shared(n, rate, share, duration, seed):
    """Partly synchronous trains: each neuron copies a common Poisson train's spikes with
    probability ``share`` and adds its own Poisson spikes at rate (1 - share) rate."""
    rng = np.random.default_rng(seed)
    common = rng.uniform(0.0, duration, rng.poisson(rate * duration))
    take = rng.uniform(size=(n, common.size)) < share
    i_c, t_c = np.nonzero(take)[0], np.broadcast_to(common, take.shape)[take]
    i_o, t_o = poisson(n, rate * (1.0 - share), duration, seed + 1)
    return np.r_[i_c, i_o], np.r_[t_c, t_o]


def on_bin_centres(t, dt):
    """Times moved to the centre of their ``dt`` bin (a Brian2-like time grid, half a step on)."""
    return (np.floor(t / dt) + 0.5) * dt


def train(t, duration=T):
    """One ``neo.SpikeTrain`` in ms (the spike tables' unit) from times in s."""
    return neo.SpikeTrain(np.sort(np.asarray(t, dtype=float)) * 1e3, units="ms", t_start=0.0,
                          t_stop=duration * 1e3)


def trains(i, t, n=N, duration=T):
    """Per-neuron ``neo.SpikeTrain`` list of the population spikes ``(i, t in s)``."""
    return [train(t[i == k], duration) for k in range(n)]


def assert_off_edges(t, width):
    """No spike within 1e-6 bins of a bin edge: float rounding of t / width (s on the
    package's side, ms on Elephant's, whose BinnedSpikeTrain also moves spikes within
    1e-8 bins of an edge into the next bin) cannot then bin a spike differently."""
    x = np.asarray(t) / width
    assert np.min(np.abs(x - np.round(x))) > 1e-6


SETS = {
    "poisson": poisson(N, 20.0, T, seed=11),
    "gamma": gamma(N, 20.0, 4.0, T, seed=12),
    "modulated": poisson(N, 20.0, T, seed=13, modulation=0.5),
}


@pytest.fixture(scope="module", params=sorted(SETS))
def population(request):
    """(i, t in s, Elephant trains) of one spike-train set."""
    i, t = SETS[request.param]
    return i, t, trains(i, t)


# -------------------------------------------------------------- irregularity

def elephant_cv(spiketrain, min_spikes):
    """``elephant.statistics.cv`` (scipy.stats.variation, ddof = 0) of the train's ISIs;
    NaN below ``min_spikes`` spikes, the package's rule."""
    if len(spiketrain) < min_spikes:
        return np.nan
    return float(statistics.cv(statistics.isi(spiketrain).magnitude))


def test_isi_cv_equals_elephant_cv_of_isi(population):
    """Per-neuron CV std/mean of ISIs, both with the population std (ddof = 0)."""
    i, t, sts = population
    ours = ms.isi_cv(i, t, N)
    theirs = np.array([elephant_cv(s, 3) for s in sts])
    assert np.isfinite(ours).all()
    np.testing.assert_allclose(ours, theirs, rtol=EXACT)


def test_isi_cv_on_sparse_trains_and_its_nan_rule():
    """Few spikes per neuron: the package gives NaN below ``min_spikes`` where Elephant
    would still give a number (0 for a single ISI); above it both agree."""
    i, t = poisson(N, 0.2, T, seed=14)
    sts = trains(i, t)
    n_spikes = np.array([len(s) for s in sts])
    assert {0, 1, 2} <= set(n_spikes) and (n_spikes >= 3).any()
    for min_spikes in (2, 3):
        ours = ms.isi_cv(i, t, N, min_spikes=min_spikes)
        theirs = np.array([elephant_cv(s, min_spikes) for s in sts])
        np.testing.assert_allclose(ours, theirs, rtol=EXACT)  # NaNs must sit in the same places
    assert statistics.cv(statistics.isi(sts[np.argmax(n_spikes == 2)]).magnitude) == 0.0


def test_fano_factor_is_elephant_fanofactor_over_windows_with_ddof_one(population):
    """Both compute var / mean of spike counts; Elephant's ``fanofactor`` over a list of
    trains (one per window here) uses numpy's var with ddof = 0, the package ddof = 1
    (documented in ``fano_factor``), so per neuron ours = theirs * n_w / (n_w - 1),
    then the mean over neurons."""
    i, t, sts = population
    window = 0.25
    n_w = int(T / window)
    edges = window * np.arange(n_w + 1) * 1e3 * pq.ms
    assert_off_edges(t, window)  # neo's time_slice is closed [t0, t1], the package's windows half-open
    theirs = [statistics.fanofactor([s.time_slice(a, b) for a, b in zip(edges[:-1], edges[1:])]) for s in sts]
    ours = ms.fano_factor(i, t, N, T, window)
    assert ours == pytest.approx(np.mean(theirs) * n_w / (n_w - 1), rel=EXACT)


# ------------------------------------------------------------- rate, spectrum

def elephant_rate(sts, bin_width):
    """Population rate (Hz per neuron) from ``elephant.statistics.time_histogram``."""
    return statistics.time_histogram(sts, bin_size=bin_width * 1e3 * pq.ms, output="rate")


def test_population_rate_equals_elephant_time_histogram(population):
    """Counts / (n_neurons bin_width) in half-open bins, as ``time_histogram(output='rate')``;
    its time average is the mean of ``mean_firing_rate`` over neurons."""
    i, t, sts = population
    bin_width = 5e-3
    assert_off_edges(t, bin_width)
    centres, ours = ms.population_rate(i, t, N, T, bin_width)
    hist = elephant_rate(sts, bin_width)
    np.testing.assert_allclose(ours, hist.rescale(pq.Hz).magnitude[:, 0], rtol=EXACT)
    np.testing.assert_allclose(centres, hist.times.rescale(pq.s).magnitude + bin_width / 2, rtol=EXACT)
    mean_rates = [statistics.mean_firing_rate(s).rescale(pq.Hz).magnitude for s in sts]
    assert ours.mean() == pytest.approx(np.mean(mean_rates), rel=EXACT)


def test_rate_spectrum_equals_elephant_welch_psd_without_overlap(population):
    """``rate_spectrum`` is Bartlett's method: Welch (``elephant.spectral.welch_psd``, a
    wrapper of scipy.signal.welch) with no overlap, constant detrend and one-sided
    density scaling. The window is passed as samples: the package uses numpy's
    symmetric Hann window (np.hanning), scipy's 'hann' default is the periodic one
    (as a list: Elephant 1.2 tests ``window == 'hanning'``, which an ndarray breaks)."""
    i, t, sts = population
    bin_width, segment = 1e-3, 1.0
    assert_off_edges(t, bin_width)
    freqs, ours = ms.rate_spectrum(i, t, N, T, bin_width, segment)
    n_seg = int(round(segment / bin_width))
    f, psd = spectral.welch_psd(elephant_rate(sts, bin_width).rescale(pq.Hz), len_segment=n_seg,
                                overlap=0.0, window=np.hanning(n_seg).tolist(), detrend="constant")
    np.testing.assert_allclose(freqs, f.magnitude, rtol=EXACT)
    np.testing.assert_allclose(ours, psd.magnitude[0], rtol=EXACT)


# ------------------------------------------------------------------ synchrony

def golomb_chi_from_elephant(sts, duration, tau, dt):
    """Golomb's chi (Golomb 2007, Scholarpedia 2(1):1347), chi^2 = var_t(mean_i V_i) /
    mean_i var_t(V_i), on Elephant's ``instantaneous_rate`` with a causal exponential
    kernel (center_kernel=False) truncated at 18 tau, as the package truncates."""
    kernel = kernels.ExponentialKernel(sigma=tau * 1e3 * pq.ms)
    v = statistics.instantaneous_rate(sts, sampling_period=dt * 1e3 * pq.ms, kernel=kernel, cutoff=18.0,
                                      center_kernel=False, t_start=0.0 * pq.ms,
                                      t_stop=duration * 1e3 * pq.ms).magnitude
    return float(np.sqrt(np.var(v.mean(axis=1)) / np.mean(v.var(axis=0))))


@pytest.mark.parametrize("share", [0.0, 0.3, 0.8])
def test_golomb_synchrony_equals_golomb_chi_of_elephant_exponential_rates(share):
    """Elephant has no Golomb chi (its synchrony measure, spike_contrast, is another one),
    but its filtered trains give the formula. On spikes at bin centres both filters
    agree up to one constant factor, which cancels in chi: Elephant bins a spike and
    samples the kernel from 0 at its bin, the package decays each spike exactly to its
    bin end (here always half a bin). Off the grid the two estimators weight each spike
    differently, by a factor between exp(-dt/tau) and 1 (chi then differs by ~1e-3
    relative on these trains), so no exact comparison is made there."""
    tau, dt = 5e-3, 1e-3
    i, t = shared(N, 20.0, share, T, seed=15)
    t = on_bin_centres(t, dt)
    ours = ms.golomb_synchrony(i, t, N, T, tau=tau, dt=dt)
    assert ours == pytest.approx(golomb_chi_from_elephant(trains(i, t), T, tau, dt), rel=EXACT)


# -------------------------------------------------------------- distances

def pair(kind, seed, duration=2.0, rate=30.0):
    """Two spike trains (s): a Poisson train and, by ``kind``, a jittered copy with
    deletions and insertions, an independent Poisson train, or nothing."""
    rng = np.random.default_rng(seed)
    a = np.sort(rng.uniform(0.0, duration, rng.poisson(rate * duration)))
    if kind == "independent":
        return a, np.sort(rng.uniform(0.0, duration, rng.poisson(rate * duration)))
    if kind == "empty":
        return a, np.zeros(0)
    b = np.clip(a + rng.normal(0.0, 2e-3, a.size), 0.0, duration - 1e-9)[rng.uniform(size=a.size) > 0.1]
    return a, np.sort(np.r_[b, rng.uniform(0.0, duration, 5)])


PAIRS = ("jittered", "independent", "empty")


@pytest.mark.parametrize("kind", PAIRS)
@pytest.mark.parametrize("tau", [1e-3, 10e-3, 0.2])
def test_van_rossum_is_elephant_divided_by_sqrt_two(kind, tau):
    """Both use the causal exponential kernel and the closed form of the integral.
    The package keeps van Rossum's (2001, Neural Comput 13:751) normalisation
    D^2 = (1/tau) int (f - g)^2 dt (one lone spike: D = 1/sqrt 2); Elephant scales
    it to D = 1 for one lone spike and documents: divide by sqrt(2) for the paper's."""
    a, b = pair(kind, seed=16)
    theirs = dissimilarity.van_rossum_distance([train(a, 2.0), train(b, 2.0)], time_constant=tau * 1e3 * pq.ms)
    assert st.van_rossum(a, b, tau) == pytest.approx(theirs[0, 1] / np.sqrt(2.0), rel=EXACT)


def test_van_rossum_single_spike_anchors_the_two_normalisations():
    """One spike against none: D = 1 for Elephant, 1/sqrt 2 for van Rossum (2001) and the package."""
    d = dissimilarity.van_rossum_distance([train([0.5], 2.0), train([], 2.0)], time_constant=10.0 * pq.ms)
    assert d[0, 1] == pytest.approx(1.0, rel=EXACT)
    assert st.van_rossum([0.5], [], 10e-3) == pytest.approx(1.0 / np.sqrt(2.0), rel=EXACT)


@pytest.mark.parametrize("kind", PAIRS)
@pytest.mark.parametrize("q", [0.0, 10.0, 200.0, 2000.0])
def test_victor_purpura_equals_elephant(kind, q):
    """Same definition (Victor & Purpura 1996, J Neurophysiol 76:1310): cost 1 per
    insertion or deletion, q |dt| per shift; q in 1/s on both sides."""
    a, b = pair(kind, seed=17)
    theirs = dissimilarity.victor_purpura_distance([train(a, 2.0), train(b, 2.0)], cost_factor=q * pq.Hz)
    assert st.victor_purpura(a, b, q) == pytest.approx(theirs[0, 1], rel=EXACT)


@pytest.mark.parametrize("q", [10.0, 200.0, 2000.0])
def test_victor_purpura_equals_elephant_intuitive_dynamic_programme(q):
    """Elephant's 'intuitive' algorithm is the paper's plain dynamic programme (slow:
    a short pair)."""
    a, b = pair("jittered", seed=18, duration=0.5)
    theirs = dissimilarity.victor_purpura_distance([train(a, 0.5), train(b, 0.5)], cost_factor=q * pq.Hz,
                                                   algorithm="intuitive")
    assert st.victor_purpura(a, b, q) == pytest.approx(theirs[0, 1], rel=EXACT)


def test_population_distances_add_up_elephant_per_neuron_distances():
    """Labelled neurons never exchange spikes: the package's population van Rossum
    distance is sqrt(sum_n D_n^2) and Victor-Purpura sum_n D_n (Aronov et al. 2003,
    k = 2); per neuron D_n from Elephant (van Rossum divided by sqrt 2, as above)."""
    n, duration, tau, q = 8, 2.0, 5e-3, 200.0
    i1, t1 = poisson(n, 15.0, duration, seed=19)
    rng = np.random.default_rng(20)
    keep = rng.uniform(size=t1.size) > 0.1
    i2, t2 = i1[keep], np.clip(t1[keep] + rng.normal(0.0, 2e-3, keep.sum()), 0.0, duration - 1e-9)
    per = [[train(t1[i1 == k], duration), train(t2[i2 == k], duration)] for k in range(n)]
    vr = [dissimilarity.van_rossum_distance(p, time_constant=tau * 1e3 * pq.ms)[0, 1] for p in per]
    vp = [dissimilarity.victor_purpura_distance(p, cost_factor=q * pq.Hz)[0, 1] for p in per]
    assert st.van_rossum_population(i1, t1, i2, t2, tau) == pytest.approx(
        np.sqrt(np.sum(np.square(vr)) / 2.0), rel=EXACT)
    assert st.victor_purpura_population(i1, t1, i2, t2, q) == pytest.approx(np.sum(vp), rel=EXACT)
