"""Operation counts and energy per query, for the spiking network and its references.

Counts are exact from the simulation: every spike delivered to every synapse
is one synaptic event (spikes x fan-out, per population), every neuron of
every population is updated once per time step, the memory neurons compute
one exponential each per time step, plastic updates are counted where
plasticity runs. The dense references are counted by hand: one modern
Hopfield / attention update costs 2 N M multiply-accumulates (Ramsauer et al.
2020; shared/SCIENCE.md section 6), the classical network N^2 per sweep.

Energy = sum over operations of count x energy per operation, from a named
table. Built-in tables (pJ per operation):

* ``mac_ac``: the spiking-network convention, E_MAC = 4.6 pJ for dense
  products and E_AC = 0.9 pJ per synaptic event (fp32 multiply 3.7 + add 0.9
  at 45 nm, Horowitz 2014). Counts arithmetic only.
* ``horowitz45``: Horowitz (ISSCC 2014, 45 nm): MAC 4.6 pJ, add 0.9 pJ and a
  read of one 32-bit weight from an 8 kB SRAM 10 pJ for every synaptic event and
  every dense weight; one neuron update = one MAC per neuron and time step;
  an exponential = 4 MACs (an assumption: no figure in the source).
* ``loihi``: Loihi (Davies et al. 2018, IEEE Micro 38:82, Table 2; 14 nm):
  23.6 pJ per synaptic spike operation (weight read included), 52 pJ per
  (inactive) neuron update at every step and, for each spike, the 81 - 52 pJ
  of an active update and 1.7 pJ within a tile; 120 pJ per plastic update.
  Loihi runs no dense products: its references are costed with
  ``horowitz45``'s figures.

No table counts data movement beyond the named reads, static or idle power,
or the cost of presenting the query (the feature layer's encoding spikes
*are* counted for the spiking network). Users add tables from a JSON file:
``{"name": {"source": "...", "synaptic_event": 1.0, "mac": 3.0, ...}}``
(pJ; operations left out cost nothing).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import ConfigError

OPERATIONS = ("synaptic_event", "weight_read", "neuron_update", "spike", "plastic_update", "mac", "add", "exp",
              "memory_read")


@dataclass(frozen=True)
class EnergyTable:
    """Energy per operation (pJ) and where the figures come from."""

    name: str
    source: str
    pj: dict = field(default_factory=dict)  # operation -> pJ; operations left out cost 0

    def cost(self, operation: str) -> float:
        return float(self.pj.get(operation, 0.0))


_HOROWITZ = {"synaptic_event": 0.9, "weight_read": 10.0, "neuron_update": 4.6, "mac": 4.6, "add": 0.9,
             "exp": 4 * 4.6, "memory_read": 10.0}
TABLES = {
    "mac_ac": EnergyTable("mac_ac", "E_MAC 4.6 pJ / E_AC 0.9 pJ convention (Horowitz 2014, fp32, 45 nm)",
                          {"synaptic_event": 0.9, "mac": 4.6, "add": 0.9}),
    "horowitz45": EnergyTable("horowitz45", "Horowitz 2014 (ISSCC), 45 nm, fp32, 8 kB SRAM reads", _HOROWITZ),
    # Loihi's synaptic operation includes its weight read; a neuron-step costs the inactive update,
    # a spike adds the active-minus-inactive update and the in-tile spike
    "loihi": EnergyTable("loihi", "Davies et al. 2018 (IEEE Micro), Loihi, 14 nm; references at Horowitz 45 nm",
                         {**_HOROWITZ, "synaptic_event": 23.6, "weight_read": 0.0, "neuron_update": 52.0,
                          "spike": 81.0 - 52.0 + 1.7, "plastic_update": 120.0}),
}
# What each system's count leaves out (written next to every energy table).
LEFT_OUT = "static and idle power, data movement beyond the counted weight reads, query presentation off-chip"


def load_tables(path: str | Path) -> dict[str, EnergyTable]:
    """Energy tables from a JSON file (see the module docstring), checked."""
    try:
        raw = json.loads(Path(path).read_text())
    except OSError as exc:
        raise ConfigError(f"cannot read energy tables {path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"energy tables {path} are not valid JSON: {exc.msg} (line {exc.lineno})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"energy tables {path} are not valid JSON: not UTF-8 text") from None
    if not isinstance(raw, dict) or not raw:
        raise ConfigError(f"energy tables {path} must be a JSON object of named tables")
    tables = {}
    for name, entry in raw.items():
        if not isinstance(entry, dict):
            raise ConfigError(f"energy table {name!r} in {path} must be an object of operation: pJ")
        entry = dict(entry)
        source = str(entry.pop("source", path))
        unknown = set(entry) - set(OPERATIONS)
        if unknown:
            raise ConfigError(f"energy table {name!r}: unknown operation(s) {', '.join(sorted(unknown))}; "
                              f"known: {', '.join(OPERATIONS)}")
        for op, value in entry.items():
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value <= sys.float_info.max:
                raise ConfigError(f"energy table {name!r}: {op} must be a number of pJ >= 0 and finite, got {value!r}")
        tables[name] = EnergyTable(name, source, {k: float(v) for k, v in entry.items()})
    return tables


def select(names: str, path: str = "") -> list[EnergyTable]:
    """The tables named in a comma-separated list, from the built-ins and the user's file."""
    known = dict(TABLES) | (load_tables(path) if path else {})
    chosen = [n.strip() for n in names.split(",") if n.strip()]
    unknown = [n for n in chosen if n not in known]
    if unknown or not chosen:
        raise ConfigError(f"unknown energy table {', '.join(unknown) or repr(names)}; "
                          f"choose from {', '.join(known)}")
    return [known[n] for n in chosen]


def synaptic_events(spikes: dict, fanout: dict, stop: float = np.inf) -> dict:
    """Synaptic events (spikes x fan-out) per population before ``stop`` (s)."""
    return {pop: int(np.sum(np.asarray(fanout[pop])[np.asarray(i)[np.asarray(t) < stop]]))
            for pop, (i, t) in spikes.items()}


def spiking_ops(spikes: dict, fanout: dict, n_neurons: int, steps: int, stop: float = np.inf,
                plastic_updates: int = 0, summed_terms: int = 0, exponentials: int = 0) -> dict:
    """Operations of a spiking run up to time ``stop`` (s).

    ``spikes``: population -> (neuron indices, times in s); ``fanout``:
    population -> synapses per neuron (array); ``n_neurons``: every neuron
    updated each step (all populations); ``steps``: time steps simulated;
    ``summed_terms``: terms of summed variables added every step (the exact
    normaliser's M); ``exponentials``: exponentials computed every step (the
    memory layer's M, as attention's softmax computes M per query). Every
    synaptic event reads its weight once.
    """
    events = sum(synaptic_events(spikes, fanout, stop).values())
    n_spikes = sum(int(np.sum(np.asarray(t) < stop)) for _, t in spikes.values())
    return {"synaptic_event": events, "spike": n_spikes, "neuron_update": int(n_neurons) * int(steps),
            "plastic_update": int(plastic_updates), "weight_read": events, "add": int(summed_terms) * int(steps),
            "exp": int(exponentials) * int(steps)}


def attention_ops(n_memories: int, n_features: int, n_values: int | None = None, n_steps: int = 1) -> dict:
    """Operations of softmax attention for one query (see :func:`reference.attention`).

    Per step M N MACs for the scores, M exponentials, M additions for the
    normaliser and M multiplications by its inverse (counted as MACs); M N MACs
    per query update between steps; M D MACs for the output. Every dense
    weight used is read once per use.
    """
    m, n = int(n_memories), int(n_features)
    d = n if n_values is None else int(n_values)
    dense = n_steps * m * n + (n_steps - 1) * m * n + m * d
    return {"mac": dense + n_steps * m, "exp": n_steps * m, "add": n_steps * m, "memory_read": dense}


def classical_ops(n_neurons: int, sweeps: float) -> dict:
    """Operations of the classical network: N MACs per unit update, N updates per sweep (``sweeps``
    may be a mean over trials)."""
    n = int(n_neurons)
    return {"mac": sweeps * n * n, "memory_read": sweeps * n * n}


def energy_pj(ops: dict, table: EnergyTable) -> float:
    """Total energy (pJ) of an operation count under a table."""
    return float(sum(count * table.cost(op) for op, count in ops.items()))


PER_SPIKE = ("synaptic_event", "weight_read", "spike")  # operations that scale with the spikes


def break_even_rate(ops: dict, table: EnergyTable, reference_pj: float, n_neurons: int, duration: float) -> float:
    """Mean rate per neuron (Hz) below which the spiking run would cost less than ``reference_pj``.

    The spiking energy is a part proportional to the spikes (each spike
    costing its fan-out in synaptic events and weight reads as in ``ops``)
    plus a fixed part (everything else: neuron updates, summed-variable
    additions, exponentials, plastic updates). 0 when the fixed part alone costs more than
    the reference; NaN when the run has no spikes to scale; inf when spikes
    cost nothing under the table.
    """
    if ops.get("spike", 0) == 0:
        return float("nan")
    scaling = energy_pj({k: v for k, v in ops.items() if k in PER_SPIKE}, table)
    fixed = energy_pj(ops, table) - scaling
    if scaling <= 0:
        return float("inf")
    return max(0.0, (reference_pj - fixed) / (scaling / ops["spike"] * n_neurons * duration))
