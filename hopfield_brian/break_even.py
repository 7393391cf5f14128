"""Break-even spike rates: the mean rate per neuron at which a spiking network costs as much per query as
softmax attention in fp32, fp16 or int8, counted at three levels.

The spiking network's energy per query is linear in its spikes,
E(nu) = fixed + nu x n_neurons x T x e_spike, where ``fixed`` holds what every time step costs (neuron
updates, exponentials, summed additions and, with traffic, the states read and written) and ``e_spike``
the mean cost of one spike (its fan-out in synaptic events and, with traffic, their weight reads and
accumulator reads and writes), the spikes being split between populations as ``shares`` says. Softmax
attention costs a constant per query (:func:`accountant.attention_operations`). The break-even rate is
where the two meet (:func:`energy.crossing_rate`): 0 where the spiking network costs more at any rate.
Spikes per neuron per time step (nu x dt) is the "spike rate" of Yan, Bai & Wong (arXiv 2409.08290),
who find that spiking networks with moderate time windows beat quantised ones only below ~6 %.

Levels (:data:`LEVELS`), the same for both systems:

* ``synaptic``: the spiking-transformer convention, table ``mac_ac``: synaptic events at E_AC (and the
  normaliser's additions) against the reference's MACs, nothing else;
* ``arithmetic``: table ``horowitz45`` without memory traffic: also neuron updates and exponentials;
* ``memory``: table ``horowitz45`` with memory traffic (:mod:`hopfield_brian.accountant`): weights,
  input accumulators and states for the spiking network, weights and activations for attention; weights
  in SRAM, or in DRAM (states and activations in SRAM).

Both systems are counted at the same precision (weights of 4, 2 or 1 bytes and their arithmetic).
"""

from __future__ import annotations

from . import energy
from .accountant import Accounting, attention_operations, operations, price
from . import lazy

pd = lazy.module("pandas")  # imported on first use (see hopfield_brian.lazy)

LEVELS = {"synaptic": ("mac_ac", False), "arithmetic": ("horowitz45", False), "memory": ("horowitz45", True)}


def _total(rows: pd.DataFrame, table: energy.EnergyTable, traffic: bool) -> float:
    priced = price(rows, table)
    return float(priced["pJ"].sum() if traffic else priced.loc[priced["kind"] != "memory", "pJ"].sum())


def spiking_line(network: dict, shares: dict, steps: int, table: energy.EnergyTable, accounting: Accounting,
                 traffic: bool) -> tuple[float, float]:
    """``(fixed pJ per query, pJ per spike)`` of a network (``neurons``, ``fanout``, ``per_step`` as for
    :func:`accountant.operations`) whose spikes fall on populations in proportions ``shares``."""
    def total(counts):
        return _total(operations(counts, network["fanout"], network["neurons"], steps,
                                 per_step=network.get("per_step"), accounting=accounting), table, traffic)

    fixed = total({})
    return fixed, total(shares) - fixed


def attention_pj(n_memories: int, n_features: int, table: energy.EnergyTable, accounting: Accounting,
                 traffic: bool) -> float:
    """Energy (pJ) of one softmax-attention query (values of the keys' length)."""
    return _total(attention_operations(n_memories, n_features, accounting=accounting), table, traffic)


def shares_at(spikes: dict, neurons: dict, to_neurons: dict) -> dict:
    """Shares of the spikes per population in a network of ``to_neurons`` whose populations fire, relative
    to one another, per neuron as in the one of ``neurons`` that fired ``spikes`` (uniform when it did not
    fire)."""
    per_neuron = {p: spikes.get(p, 0.0) / neurons[p] for p in to_neurons if p in neurons}
    if not sum(per_neuron.values()):
        per_neuron = {p: 1.0 for p in to_neurons}
    weights = {p: per_neuron.get(p, 0.0) * to_neurons[p] for p in to_neurons}
    total = sum(weights.values())
    return {p: w / total for p, w in weights.items() if w}


def table(cases: list[dict], duration: float, dt: float, precisions=energy.PRECISIONS) -> pd.DataFrame:
    """One row per case, level, precision and weight memory: attention's energy, the spiking line, the
    break-even rate (Hz and spikes per neuron per step) and, where measured, the spiking energy at the
    measured rate.

    ``cases``: dicts with ``size`` (a label), ``n_features``, ``n_patterns``, ``network`` (neurons,
    fanout, per_step), ``shares`` and ``measured_rate_Hz`` (NaN if not measured); ``duration``, ``dt``:
    the query's length and the time step (s).
    """
    steps = int(round(duration / dt))
    rows = []
    for case in cases:
        n_total = sum(case["network"]["neurons"].values())
        for level, (name, traffic) in LEVELS.items():
            tab = energy.TABLES[name]
            for precision in precisions:
                for memory in ("sram", "dram") if traffic else ("sram",):
                    acc = Accounting(precision=precision, weight_memory=memory)
                    reference = attention_pj(case["n_patterns"], case["n_features"], tab, acc, traffic)
                    fixed, per_spike = spiking_line(case["network"], case["shares"], steps, tab, acc, traffic)
                    per_hz = per_spike * n_total * duration
                    rate = energy.crossing_rate(fixed, per_spike, reference, n_total, duration)
                    measured = case["measured_rate_Hz"]
                    rows.append({"size": case["size"], "n_features": case["n_features"],
                                 "n_patterns": case["n_patterns"], "level": level, "table": name,
                                 "precision": precision, "weight_memory": memory if traffic else "none",
                                 "attention_nJ": reference / 1e3, "spiking_fixed_nJ": fixed / 1e3,
                                 "spiking_nJ_per_Hz": per_hz / 1e3, "break_even_Hz": rate,
                                 "break_even_spikes_per_step": rate * dt, "dt_ms": dt * 1e3,
                                 "duration_ms": duration * 1e3,
                                 "measured_rate_Hz": measured,
                                 "spiking_measured_nJ": (fixed + per_hz * measured) / 1e3})
    return pd.DataFrame(rows)
