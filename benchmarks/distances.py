"""Van Rossum distance: the package's one-pass algorithm, the pairwise sums it replaced, and Elephant's,
side by side on the same trains in one run (checking that all three agree).

Usage: .venv/bin/python benchmarks/distances.py
"""

import time

import numpy as np
import quantities as pq
from elephant.spike_train_dissimilarity import van_rossum_distance
from neo import SpikeTrain

from hopfield_brian import spatiotemporal as st

TAU = 5e-3  # s


def pairwise(t1, t2, tau):
    def k(x, y):
        return np.exp(-np.abs(np.subtract.outer(x, y)) / tau).sum()

    return float(np.sqrt(max(0.0, 0.5 * (k(t1, t1) + k(t2, t2) - 2 * k(t1, t2)))))


def elephant(t1, t2, tau, t_stop):
    trains = [SpikeTrain(t * pq.s, t_stop=t_stop * pq.s) for t in (t1, t2)]
    return float(van_rossum_distance(trains, time_constant=tau * pq.s)[0, 1]) / np.sqrt(2.0)


def best_of(f, repeats=5):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        value = f()
        times.append(time.perf_counter() - t0)
    return min(times), value


def main():
    rng = np.random.default_rng(0)
    print(f"{'spikes per train':>17}{'one pass ms':>13}{'pairwise ms':>13}{'Elephant ms':>13}{'pairwise / one pass':>21}")
    for n in (20, 200, 2000, 10000):
        t_stop = n / 50.0  # 50 Hz
        a, b = np.sort(rng.uniform(0, t_stop, n)), np.sort(rng.uniform(0, t_stop, n))
        mine, d1 = best_of(lambda: st.van_rossum(a, b, TAU))
        old, d2 = best_of(lambda: pairwise(a, b, TAU), 1 if n > 2000 else 5)
        theirs, d3 = best_of(lambda: elephant(a, b, TAU, t_stop))
        assert np.isclose(d1, d2, rtol=1e-9) and np.isclose(d1, d3, rtol=1e-6), (d1, d2, d3)
        print(f"{n:>17}{1e3 * mine:>13.3f}{1e3 * old:>13.3f}{1e3 * theirs:>13.3f}{old / mine:>21.1f}")
    neurons, per = 400, 20
    i1, i2 = rng.integers(0, neurons, neurons * per), rng.integers(0, neurons, neurons * per)
    t1, t2 = rng.uniform(0, 0.4, i1.size), rng.uniform(0, 0.4, i2.size)
    mine, _ = best_of(lambda: st.van_rossum_population(i1, t1, i2, t2, TAU))
    print(f"population distance, {neurons} neurons x {per} spikes: {1e3 * mine:.1f} ms")


if __name__ == "__main__":
    main()
