"""Counter-based random numbers: a draw is a function of (trial seed, stream, index, time step).

The generator is Philox4x32-10 (Salmon, Moraes, Dror & Shaw 2011, "Parallel
random numbers: as easy as 1, 2, 3", Proc. SC'11, doi:10.1145/2063384.2063405):
ten rounds of two 32 x 32 -> 64-bit multiplications and xors that turn a
128-bit counter and a 64-bit key into 128 random bits. It passes TestU01's
BigCrush for every key and counter tried by its authors (with three rounds of
margin), it is the generator of cuRAND's ``CURAND_RNG_PSEUDO_PHILOX4_32_10``, JAX
and numpy's ``Philox`` family, and it needs no state: each draw is computed
from where it is used, so a trial's numbers do not depend on how many other
trials share its binary, its network (replicas), its process or its device.
An integer hash (e.g. a SplitMix64 finaliser) would be as cheap but has no
published statistical qualification for structured counters like these.

Layout: key = (trial seed, stream); counter = (index, step low word, step high
word, kind), with kind 0 for a uniform and 1 for a normal variate, so that no
two draws of a trial share a Philox block. ``stream`` numbers each place that
draws (a group's firing noise, its spike deletion...), unique within a model;
``index`` is the neuron's index within its trial; ``step`` the time step.

* uniform: the first output word x, (x + 1/2) / 2^32, in (0, 1) (both ends
  excluded, 2^32 equally spaced values, exactly representable in a double:
  every target computes the same number).
* normal: Box-Muller (Box & Muller 1958, Ann. Math. Stat. 29:610) from the
  first two words, sqrt(-2 ln u1) cos(2 pi u2); |z| <= 6.77 (u1 >= 2^-33).
  Host code calls the C library's log and cos outside any vectorised loop
  (the function is not inlined), so the cpp and cython targets and the numpy
  reference (Python's math module: the same C library) agree bit for bit;
  CUDA's device log and cos are within 1-2 ulp of them.

One C source serves cpp_standalone, the cython runtime (as verbatim C) and
brian2cuda (``__host__ __device__``); :func:`philox4x32_10`, :func:`uniform`
and :func:`normal` are the numpy reference. Checked against the known-answer
vectors of Random123 (D. E. Shaw Research, tests/kat_vectors) in
tests/test_counter_random.py.
"""

from __future__ import annotations

import math

import numpy as np

UNIFORM = "hb_uniform"  # the Brian2 function names the equations use
NORMAL = "hb_normal"

SEED_EQS = "trial_seed : integer (constant)  # random seed of the trial (one unit per trial holds it)\n"
# What a group that draws declares: its trial's seed (linked to the one unit each trial has) and the index its
# draws use, that of the neuron within its trial ({size}: the group's neurons per trial)
TRIAL_EQS = """
trial_seed : integer (linked)            # random seed of this neuron's trial
local_i = i % {size} : integer           # index of this neuron within its trial
"""

_M0, _M1 = 0xD2511F53, 0xCD9E8D57  # Philox4x32 multipliers (Salmon et al. 2011, table 2)
_W0, _W1 = 0x9E3779B9, 0xBB67AE85  # Weyl key increments: golden ratio, sqrt(3) - 1
ROUNDS = 10

C_SOURCE = """
#ifndef HB_COUNTER_RANDOM
#define HB_COUNTER_RANDOM
#include <stdint.h>
#include <math.h>
#ifdef __CUDACC__
#define HB_INLINE __host__ __device__ static inline
#define HB_OUTLINE __host__ __device__ static inline
#else
#define HB_INLINE static inline
#define HB_OUTLINE static __attribute__((noinline))
#endif
/* Philox4x32-10 (Salmon et al. 2011) of counter c, key (k0, k1), in place */
HB_INLINE void hb_philox4x32_10(uint32_t c[4], uint32_t k0, uint32_t k1)
{
    for (int r = 0; r < 10; r++) {
        if (r > 0) { k0 += 0x9E3779B9u; k1 += 0xBB67AE85u; }
        const uint64_t p0 = (uint64_t)0xD2511F53u * c[0];
        const uint64_t p1 = (uint64_t)0xCD9E8D57u * c[2];
        const uint32_t c1 = c[1], c3 = c[3];
        c[0] = (uint32_t)(p1 >> 32) ^ c1 ^ k0;
        c[1] = (uint32_t)p1;
        c[2] = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
        c[3] = (uint32_t)p0;
    }
}
HB_INLINE double hb_unit(uint32_t x)
{
    return ((double)x + 0.5) * 2.3283064365386963e-10;  /* (x + 1/2) / 2^32: exact */
}
HB_INLINE double hb_uniform(int64_t seed, int64_t stream, int64_t index, int64_t step)
{
    uint32_t c[4] = {(uint32_t)index, (uint32_t)step, (uint32_t)((uint64_t)step >> 32), 0u};
    hb_philox4x32_10(c, (uint32_t)seed, (uint32_t)stream);
    return hb_unit(c[0]);
}
HB_OUTLINE double hb_normal(int64_t seed, int64_t stream, int64_t index, int64_t step)
{
    uint32_t c[4] = {(uint32_t)index, (uint32_t)step, (uint32_t)((uint64_t)step >> 32), 1u};
    hb_philox4x32_10(c, (uint32_t)seed, (uint32_t)stream);
    return sqrt(-2.0 * log(hb_unit(c[0]))) * cos(6.283185307179586 * hb_unit(c[1]));
}
#endif
"""

_CYTHON = '''
cdef extern from *:
    """{source}"""
    double {name}(long long, long long, long long, long long) nogil
'''


def uniform_draw(stream: int, step: str = "t_in_timesteps") -> str:
    """Brian2 expression of a neuron's uniform draw from ``stream`` at time step ``step`` (a group with TRIAL_EQS)."""
    return f"{UNIFORM}(trial_seed, {stream}, local_i, {step})"


def normal_draw(stream: int, step: str = "t_in_timesteps") -> str:
    """Brian2 expression of a neuron's standard normal draw from ``stream`` at time step ``step``."""
    return f"{NORMAL}(trial_seed, {stream}, local_i, {step})"


def philox4x32_10(counter, key) -> np.ndarray:
    """Philox4x32-10 of ``counter`` (..., 4) uint32 and ``key`` (..., 2) uint32, broadcast; (..., 4) uint32."""
    c = [np.array(w, dtype=np.uint64) for w in np.moveaxis(np.asarray(counter, dtype=np.uint64), -1, 0)]
    k0, k1 = (np.array(w, dtype=np.uint64) for w in np.moveaxis(np.asarray(key, dtype=np.uint64), -1, 0))
    mask = np.uint64(0xFFFFFFFF)
    for r in range(ROUNDS):
        if r:
            k0, k1 = (k0 + np.uint64(_W0)) & mask, (k1 + np.uint64(_W1)) & mask
        p0, p1 = np.uint64(_M0) * c[0], np.uint64(_M1) * c[2]
        c = [(p1 >> np.uint64(32)) ^ c[1] ^ k0, p1 & mask, (p0 >> np.uint64(32)) ^ c[3] ^ k1, p0 & mask]
    return np.stack(np.broadcast_arrays(*c), axis=-1).astype(np.uint32)


def _words(seed, stream, index, step, kind: int) -> np.ndarray:
    seed, stream, index, step = (np.asarray(v, dtype=np.int64) for v in (seed, stream, index, step))
    seed, stream, index, step = np.broadcast_arrays(seed, stream, index, step)
    low = np.uint64(0xFFFFFFFF)
    counter = np.stack([index.astype(np.uint64) & low, step.astype(np.uint64) & low,
                        step.astype(np.uint64) >> np.uint64(32), np.full(index.shape, kind, dtype=np.uint64)], -1)
    return philox4x32_10(counter, np.stack([seed.astype(np.uint64) & low, stream.astype(np.uint64) & low], -1))


def _unit(x: np.ndarray) -> np.ndarray:
    return (x.astype(np.float64) + 0.5) * 2.0 ** -32


def uniform(seed, stream, index, step) -> np.ndarray:
    """Uniform draws in (0, 1) (numpy reference of ``hb_uniform``; arguments broadcast)."""
    return _unit(_words(seed, stream, index, step, 0)[..., 0])


def normal(seed, stream, index, step) -> np.ndarray:
    """Standard normal draws (numpy reference of ``hb_normal``): Box-Muller with the C library's log and cos
    (Python's math module), element by element, so that the numbers equal the C targets' bit for bit."""
    words = _words(seed, stream, index, step, 1)
    u1, u2 = _unit(words[..., 0]), _unit(words[..., 1])
    out = [math.sqrt(-2.0 * math.log(a)) * math.cos(6.283185307179586 * b) for a, b in zip(u1.ravel(), u2.ravel())]
    return np.asarray(out, dtype=np.float64).reshape(u1.shape)


def functions() -> dict:
    """``{name: brian2.Function}`` of the uniform and the normal draw, for a network's namespace, with
    implementations for the cpp, cython, numpy and cuda targets (all ``stateless``: pure functions)."""
    import brian2 as b2

    out = {}
    for name, reference in ((UNIFORM, uniform), (NORMAL, normal)):
        function = b2.Function(reference, arg_units=[1, 1, 1, 1], return_unit=1,
                               arg_types=["integer"] * 4, return_type="float", stateless=True)
        function.implementations.add_implementation("cpp", {"support_code": C_SOURCE}, name=name)
        function.implementations.add_implementation("cuda", {"support_code": C_SOURCE}, name=name)
        function.implementations.add_implementation("cython", _CYTHON.format(source=C_SOURCE, name=name), name=name)
        out[name] = function
    return out
