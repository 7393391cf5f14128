"""Energy tables, and operation counts of the spiking network and of its dense references.

Counts are exact from the simulation: every spike delivered to every synapse
is one synaptic event (spikes x fan-out, per population), every neuron of
every population is updated once per time step, the memory neurons compute
one exponential each per time step, plastic updates are counted where
plasticity runs. The dense references are counted by hand: one modern
Hopfield / attention update costs 2 N M multiply-accumulates (Ramsauer et al.
2020; shared/SCIENCE.md section 6), the classical network N^2 per sweep.
The accountant of any spike table, with memory traffic, is
:mod:`hopfield_brian.accountant`; the break-even rates against fp32, fp16 and
int8 attention are :mod:`hopfield_brian.break_even`.

Energy = sum over operations of count x energy per operation, from a named
table. Built-in tables (pJ per operation):

* ``mac_ac``: the spiking-network convention, E_MAC = 4.6 pJ for dense
  products and E_AC = 0.9 pJ per synaptic event (fp32 multiply 3.7 + add 0.9
  at 45 nm, Horowitz 2014). Counts arithmetic only (its fp16 and int8 MACs and
  adds from the same source); no memory traffic.
* ``horowitz45``: Horowitz (ISSCC 2014, 45 nm): MAC 4.6 pJ, add 0.9 pJ and a
  read of one 32-bit weight from an 8 kB SRAM 10 pJ for every synaptic event and
  every dense weight; one neuron update = one MAC per neuron and time step;
  an exponential = 4 MACs (an assumption: no figure in the source). For the
  accountant's memory traffic, per byte: 8 kB SRAM 10 pJ per 64-bit access,
  1.25 pJ/byte; DRAM 1.3-2.6 nJ per 64-bit access, the lower end, 162.5
  pJ/byte (writes costed as reads: the source gives reads). fp16 add 0.4,
  multiply 1.1 pJ; int8 add 0.03, multiply 0.2 pJ (an int8 MAC = 0.23 pJ
  accumulates in 8 bits: a lower bound, which favours the dense baseline).
* ``loihi``: Loihi (Davies et al. 2018, IEEE Micro 38:82, Table 2; 14 nm):
  23.6 pJ per synaptic spike operation (weight read included), 52 pJ per
  (inactive) neuron update at every step and, for each spike, the 81 - 52 pJ
  of an active update and 1.7 pJ within a tile; 120 pJ per plastic update.
  Its synaptic operations and neuron updates include their core-SRAM traffic
  (``includes_traffic``). Loihi runs no dense products: its references are
  costed with ``horowitz45``'s figures.

The per-access ``weight_read`` / ``memory_read`` operations (one 64-bit SRAM
access, 10 pJ, per weight used) are those of :func:`spiking_ops`,
:func:`attention_ops` and the attention protocol's energy columns; the
accountant counts bytes instead (``sram_byte``, ``dram_byte``), so that a
fp32 weight costs 5 pJ and an int8 weight 1.25 pJ.

No table counts static or idle power, or the cost of presenting the query (the
feature layer's encoding spikes *are* counted for the spiking network). Users
add tables from a TOML file (a ``source`` is required):

    [mychip]
    source = "Datasheet of my chip, rev. 2 (2024), table 3"
    synaptic_event = 1.0     # pJ; operations left out cost nothing
    neuron_update = 3.0
    sram_byte = 0.5
    includes_traffic = ["synaptic_event"]   # its figure includes the weight read

or from a JSON file ``{"name": {"source": "...", "synaptic_event": 1.0, ...}}``.
"""

from __future__ import annotations

import json
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import ConfigError

PRECISIONS = ("fp32", "fp16", "int8")  # of weights and dense arithmetic; fp32 operations carry no suffix
OPERATIONS = ("synaptic_event", "weight_read", "neuron_update", "spike", "plastic_update", "mac", "add", "exp",
              "memory_read", "synaptic_event_fp16", "synaptic_event_int8", "mac_fp16", "mac_int8", "add_fp16",
              "add_int8", "sram_byte", "dram_byte")


@dataclass(frozen=True)
class EnergyTable:
    """Energy per operation (pJ) and where the figures come from; ``includes_traffic``: operations whose
    figure already includes their memory traffic (the accountant charges none for it)."""

    name: str
    source: str
    pj: dict = field(default_factory=dict)  # operation -> pJ; operations left out cost 0
    includes_traffic: tuple = ()

    def cost(self, operation: str) -> float:
        return float(self.pj.get(operation, 0.0))


def precise(operation: str, precision: str) -> str:
    """The table's name of ``operation`` (synaptic_event, mac, add) at ``precision``: ``mac_int8``."""
    return operation if precision == "fp32" else f"{operation}_{precision}"


# Horowitz 2014 (ISSCC, 45 nm, 0.9 V), Fig. 1.1.9: adds and multiplies by type, 64-bit memory accesses
_ARITHMETIC = {"synaptic_event": 0.9, "mac": 4.6, "add": 0.9, "synaptic_event_fp16": 0.4, "mac_fp16": 1.5,
               "add_fp16": 0.4, "synaptic_event_int8": 0.03, "mac_int8": 0.23, "add_int8": 0.03}
_HOROWITZ = {**_ARITHMETIC, "weight_read": 10.0, "neuron_update": 4.6, "exp": 4 * 4.6, "memory_read": 10.0,
             "sram_byte": 10.0 / 8, "dram_byte": 1300.0 / 8}
TABLES = {
    "mac_ac": EnergyTable("mac_ac", "E_MAC 4.6 pJ / E_AC 0.9 pJ convention (Horowitz 2014, fp32, 45 nm; fp16 and "
                          "int8 from the same source); arithmetic only", _ARITHMETIC),
    "horowitz45": EnergyTable("horowitz45", "Horowitz 2014 (ISSCC), 45 nm: arithmetic, 8 kB SRAM 10 pJ and DRAM "
                              "1.3 nJ per 64-bit access", _HOROWITZ),
    # Loihi's synaptic operation includes its weight read; a neuron-step costs the inactive update,
    # a spike adds the active-minus-inactive update and the in-tile spike; Loihi's weights are at most
    # 8 bits, so every precision's synaptic event is its one synaptic operation
    "loihi": EnergyTable("loihi", "Davies et al. 2018 (IEEE Micro), Loihi, 14 nm; references at Horowitz 45 nm",
                         {**_HOROWITZ, "synaptic_event": 23.6, "synaptic_event_fp16": 23.6,
                          "synaptic_event_int8": 23.6, "weight_read": 0.0, "neuron_update": 52.0,
                          "spike": 81.0 - 52.0 + 1.7, "plastic_update": 120.0},
                         includes_traffic=("synaptic_event", "neuron_update")),
}
# What each system's count leaves out (written next to every energy table).
LEFT_OUT = "static and idle power, data movement beyond the counted weight reads, query presentation off-chip"


def load_tables(path: str | Path) -> dict[str, EnergyTable]:
    """Energy tables from a TOML (``.toml``, ``source`` required) or JSON file (see the module docstring),
    checked."""
    path = Path(path)
    toml = path.suffix.lower() == ".toml"
    kind = "TOML" if toml else "JSON"
    try:
        text = path.read_text()
        raw = tomllib.loads(text) if toml else json.loads(text)
    except OSError as exc:
        raise ConfigError(f"cannot read energy tables {path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"energy tables {path} are not valid JSON: {exc.msg} (line {exc.lineno})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"energy tables {path} are not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"energy tables {path} are not valid {kind}: not UTF-8 text") from None
    if not isinstance(raw, dict) or not raw:
        shape = "file of [name] tables" if toml else "object of named tables"
        raise ConfigError(f"energy tables {path} must be a {kind} {shape}")
    tables = {}
    for name, entry in raw.items():
        if not isinstance(entry, dict):
            raise ConfigError(f"energy table {name!r} in {path} must be {'a [table]' if toml else 'an object'} "
                              "of operation: pJ")
        entry = dict(entry)
        if toml and not (isinstance(entry.get("source"), str) and entry["source"].strip()):
            raise ConfigError(f"energy table {name!r} in {path} needs a source (where its figures come from)")
        source = str(entry.pop("source", path))
        included = entry.pop("includes_traffic", [])
        if not isinstance(included, list) or not set(included) <= set(OPERATIONS):
            raise ConfigError(f"energy table {name!r}: includes_traffic must be a list of operations "
                              f"({', '.join(OPERATIONS)}), got {included!r}")
        unknown = set(entry) - set(OPERATIONS)
        if unknown:
            raise ConfigError(f"energy table {name!r}: unknown operation(s) {', '.join(sorted(unknown))}; "
                              f"known: {', '.join(OPERATIONS)}")
        for op, value in entry.items():
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value <= sys.float_info.max:
                raise ConfigError(f"energy table {name!r}: {op} must be a number of pJ >= 0 and finite, got {value!r}")
        tables[name] = EnergyTable(name, source, {k: float(v) for k, v in entry.items()}, tuple(included))
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
    additions, exponentials, plastic updates); see :func:`crossing_rate`.
    NaN when the run has no spikes to scale.
    """
    if ops.get("spike", 0) == 0:
        return float("nan")
    scaling = energy_pj({k: v for k, v in ops.items() if k in PER_SPIKE}, table)
    fixed = energy_pj(ops, table) - scaling
    return crossing_rate(fixed, scaling / ops["spike"], reference_pj, n_neurons, duration)


def crossing_rate(fixed_pj: float, pj_per_spike: float, reference_pj: float, n_neurons: float,
                  duration: float) -> float:
    """Mean rate per neuron (Hz) at which ``fixed_pj`` + spikes x ``pj_per_spike`` equals ``reference_pj``,
    the spikes being rate x ``n_neurons`` x ``duration`` (s). 0 when the fixed part alone costs more than
    the reference (no rate breaks even); inf when spikes cost nothing under the table."""
    if pj_per_spike <= 0:
        return float("inf") if fixed_pj <= reference_pj else 0.0
    return max(0.0, (reference_pj - fixed_pj) / (pj_per_spike * n_neurons * duration))
