"""The package's spike-train measures against Elephant's, timed side by side in one run on the same trains.

Each measure is computed on a population of Poisson trains (``--neurons`` at 20
Hz for ``--duration`` s) by the package (plain arrays of neuron indices and
times, as the spike tables hold them) and by Elephant (one ``neo.SpikeTrain``
per neuron; building them is timed apart, since a user starting from the
spike table pays it once). The agreement of the values is tested in
tests/test_against_elephant.py; this script prints the speed, which decides
where the package keeps its own code (measures.py says so per function).

Usage: .venv/bin/python benchmarks/measures_vs_elephant.py [--neurons 400] [--duration 10]
"""

import argparse
import time
import warnings

import neo
import numpy as np
import quantities as pq
from elephant import kernels, spectral, statistics
from elephant import spike_train_dissimilarity as dissimilarity

from hopfield_brian import measures as ms
from hopfield_brian import spatiotemporal as st


def best_of(f, repeats=3):
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        f()
        out.append(time.perf_counter() - t0)
    return min(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--neurons", type=int, default=400)
    ap.add_argument("--duration", type=float, default=10.0)
    a = ap.parse_args()
    warnings.filterwarnings("ignore")
    n, T = a.neurons, a.duration
    rng = np.random.default_rng(0)
    i = rng.integers(0, n, rng.poisson(20.0 * n * T))
    t = rng.uniform(0.0, T, i.size)
    t0 = time.perf_counter()
    sts = [neo.SpikeTrain(np.sort(t[i == k]) * 1e3, units="ms", t_start=0.0, t_stop=T * 1e3) for k in range(n)]
    build = time.perf_counter() - t0
    window, bin_width, tau, dt = 0.25, 1e-3, 5e-3, 1e-3
    edges = window * np.arange(int(T / window) + 1) * 1e3 * pq.ms
    rate = lambda: statistics.time_histogram(sts, bin_size=bin_width * 1e3 * pq.ms, output="rate")  # noqa: E731
    n_seg = int(round(1.0 / bin_width))
    kernel = kernels.ExponentialKernel(sigma=tau * 1e3 * pq.ms)
    rows = [
        ("ISI CV (per neuron)", lambda: ms.isi_cv(i, t, n),
         lambda: [statistics.cv(statistics.isi(s).magnitude) for s in sts]),
        ("Fano factor (windows)", lambda: ms.fano_factor(i, t, n, T, window),
         lambda: [statistics.fanofactor([s.time_slice(x, y) for x, y in zip(edges[:-1], edges[1:])]) for s in sts]),
        ("population rate", lambda: ms.population_rate(i, t, n, T, bin_width), rate),
        ("rate spectrum (Bartlett)", lambda: ms.rate_spectrum(i, t, n, T, bin_width, 1.0),
         lambda: spectral.welch_psd(rate().rescale(pq.Hz), len_segment=n_seg, overlap=0.0,
                                    window=np.hanning(n_seg).tolist(), detrend="constant")),
        ("Golomb synchrony chi", lambda: ms.golomb_synchrony(i, t, n, T, tau=tau, dt=dt),
         lambda: statistics.instantaneous_rate(sts, sampling_period=dt * 1e3 * pq.ms, kernel=kernel, cutoff=18.0,
                                               center_kernel=False, t_start=0.0 * pq.ms, t_stop=T * 1e3 * pq.ms)),
        ("Victor-Purpura, 2 trains", lambda: st.victor_purpura(t[i == 0], t[i == 1], 200.0),
         lambda: dissimilarity.victor_purpura_distance(sts[:2], 200.0 / pq.s)),
    ]
    print(f"{n} Poisson neurons at 20 Hz for {T:g} s ({i.size:,} spikes), best of 3, "
          f"measured {time.strftime('%Y-%m-%d %H:%M')}; Elephant also pays {1e3 * build:.0f} ms to build "
          f"the {n} neo.SpikeTrains")
    print(f"{'measure':<28}{'package ms':>12}{'Elephant ms':>13}{'Elephant / package':>20}")
    for name, ours, theirs in rows:
        mine, other = best_of(ours), best_of(theirs)
        print(f"{name:<28}{1e3 * mine:>12.2f}{1e3 * other:>13.2f}{other / mine:>20.1f}")


if __name__ == "__main__":
    main()
