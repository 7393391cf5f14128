"""The energy accountant: operations, memory traffic and energy of a spiking network, from its spikes.

Input: a tidy spike table (one row per spike: time, neuron, population, trial; this package's
:attr:`Results.spikes`, or a CSV, parquet, Neo or NWB file read by :mod:`hopfield_brian.spike_io`), the
fan-out of every spiking population (a number, an array per neuron, or Brian2 ``Synapses`` objects, whose
presynaptic indices give it), the neurons of every population, the time step and the duration. Output:
one row per population and operation, with its stage (encoding, memory, read-out: the user's labels), its
kind, its count per trial, the bytes it moves and its energy under a named table
(:mod:`hopfield_brian.energy`). Counted, per trial:

* ``synaptic``: one synaptic event (an accumulate at the weights' precision) per spike and target
  synapse, spikes x fan-out (the SOP of the spiking-transformer papers, e.g. Zhou et al. 2023,
  Spikformer, ICLR);
* ``neuron``: one update per neuron and time step, one ``spike`` per spike (Loihi charges the active
  update and the in-tile spike), and the operations the user declares per time step (e.g. the memory
  layer's exponentials and the normaliser's summed additions);
* ``memory``: per synaptic event, the weight read (``weight_bytes``, plus ``index_bytes`` of the target's
  index where connectivity is not dense) and the target's input read and written back
  (``accumulator_bytes`` each); per neuron update, its state read and written back (``state_bytes``
  each). Priced per byte at the table's ``sram_byte`` or ``dram_byte`` (where :class:`Accounting` puts
  weights and states), except where the table's figure for the causing operation already includes its
  traffic (Loihi's synaptic operation and neuron update).

Counts that leave memory traffic out favour spiking networks, which read and write their targets'
state at every synaptic event where a dense product accumulates in a register (Yan, Bai & Wong 2024,
"Reconsidering the energy efficiency of spiking neural networks", arXiv 2409.08290). Not counted: spike
routing beyond the table's ``spike`` figure, static and idle power, the index and address logic of a
sparse event queue, and traffic of the per-step operations (their operands are read by the neuron
update).

The dense reference (softmax attention) is counted by :func:`attention_operations` in the same form.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import energy
from .config import check, param
from .errors import ConfigError
from .spike_io import SpikeColumns, tidy
from .units import ms, seconds
from . import lazy

pd = lazy.module("pandas")  # imported on first use (see hopfield_brian.lazy)

PRECISION_BYTES = {"fp32": 4, "fp16": 2, "int8": 1}
MEMORIES = ("sram", "dram")
ROW_COLUMNS = ["stage", "population", "kind", "operation", "of", "count", "bytes", "memory"]


@dataclass(frozen=True)
class Accounting:
    """Precision and memory-traffic assumptions of a count (bytes per access; reads and writes alike)."""

    precision: str = param("fp32", "precision of the weights and synaptic accumulates (and of a dense "
                           "reference's MACs and activations)", choices=energy.PRECISIONS)
    weight_bytes: float = param(0.0, "bytes per weight read; 0: the precision's (fp32 4, fp16 2, int8 1)",
                                low=0.0)
    index_bytes: float = param(0.0, "bytes of the target's index read per synaptic event; 0: dense "
                               "connectivity, where the target is implicit", low=0.0)
    accumulator_bytes: float = param(4.0, "bytes of the target's input read, and written back, per synaptic "
                                     "event", low=0.0)
    state_bytes: float = param(4.0, "bytes of a neuron's state read, and written back, per update", low=0.0)
    weight_memory: str = param("sram", "memory the weights are read from", choices=MEMORIES)
    state_memory: str = param("sram", "memory of the neuron states, input accumulators and activations",
                              choices=MEMORIES)

    @property
    def weight_size(self) -> float:
        """Bytes per weight."""
        return self.weight_bytes or PRECISION_BYTES[self.precision]


def _is_synapses(value) -> bool:
    """Whether ``value`` is a Brian2 Synapses object (without importing Brian2)."""
    return any(cls.__name__ == "Synapses" and cls.__module__.startswith("brian2") for cls in type(value).__mro__)


def _fanout_array(pop: str, value, n: int | None) -> np.ndarray:
    """Synapses per neuron of population ``pop`` (``n`` neurons, None: unknown) from a number, an array
    or Brian2 Synapses objects (a list of them adds up)."""
    if _is_synapses(value) or (isinstance(value, (list, tuple)) and value and all(map(_is_synapses, value))):
        groups = value if isinstance(value, (list, tuple)) else [value]
        size = len(groups[0].source)
        if any(len(s.source) != size for s in groups):
            raise ConfigError(f"fan-out of {pop}: its Synapses objects start from groups of different sizes")
        try:
            arr = sum(np.bincount(np.asarray(s.i[:], dtype=np.int64), minlength=size) for s in groups)
        except NotImplementedError:  # standalone devices know the synapses only after the run
            raise ConfigError(f"fan-out of {pop}: the Synapses' indices are not available before a standalone "
                              "run; give the fan-out as numbers or run first") from None
    else:
        try:
            arr = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            raise ConfigError(f"fan-out of {pop} must be a number, an array per neuron or Brian2 Synapses, "
                              f"got {value!r}") from None
        if arr.ndim == 0:
            if n is None:
                raise ConfigError(f"population {pop}: give its number of neurons (a scalar fan-out does not say)")
            arr = np.full(n, float(arr))
    arr = np.asarray(arr, dtype=float)
    if arr.ndim != 1 or (n is not None and arr.size != n):
        raise ConfigError(f"fan-out of {pop} has shape {arr.shape}; the population has {n} neurons")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise ConfigError(f"fan-out of {pop} must be finite and >= 0")
    return arr


def operations(spike_counts: dict, fanout: dict, neurons: dict, steps: int, *, stages: dict | None = None,
               per_step: dict | None = None, accounting: Accounting = Accounting()) -> pd.DataFrame:
    """Operations per trial of a spiking network (see the module docstring), unpriced.

    ``spike_counts``: population -> spikes per neuron per trial (an array) or spikes per trial in all
    (a number, spread over the population's fan-outs as their mean); ``fanout``: population -> synapses
    per neuron (arrays, see :func:`fanouts`); ``neurons``: population -> neurons, every one updated each
    of ``steps`` time steps; ``stages``: population -> stage label (default: its name); ``per_step``:
    population -> {operation: count per time step}.
    """
    check(accounting)
    stages, per_step = stages or {}, per_step or {}
    strangers = (set(stages) | set(per_step) | set(spike_counts)) - set(neurons)
    if strangers:
        raise ConfigError(f"unknown population(s) {', '.join(sorted(strangers))}; the populations: "
                          f"{', '.join(neurons)}")
    unknown = {op for ops in per_step.values() for op in ops} - set(energy.OPERATIONS)
    if unknown:
        raise ConfigError(f"unknown per-step operation(s) {', '.join(sorted(unknown))}; known: "
                          f"{', '.join(energy.OPERATIONS)}")
    synaptic = energy.precise("synaptic_event", accounting.precision)
    state = accounting.state_memory
    rows = []
    for pop, n in neurons.items():
        spikes = spike_counts.get(pop, 0.0)
        targets = fanout.get(pop, np.zeros(np.shape(spikes) or 1))  # no synapses: no events
        total = float(np.sum(spikes))
        events = float(np.dot(spikes, targets)) if np.ndim(spikes) else total * float(np.mean(targets))
        updates = float(n) * steps

        def row(kind, operation, count, of="", size=0.0, memory=""):
            rows.append((stages.get(pop, pop), pop, kind, operation, of, count, count * size, memory))

        if pop in fanout:
            row("synaptic", synaptic, events)
        row("neuron", "neuron_update", updates)
        row("neuron", "spike", total)
        for op, count in per_step.get(pop, {}).items():
            row("neuron", op, float(count) * steps)
        if pop in fanout:
            row("memory", "read_weight", events, "synaptic_event", accounting.weight_size, accounting.weight_memory)
            if accounting.index_bytes:
                row("memory", "read_index", events, "synaptic_event", accounting.index_bytes, accounting.weight_memory)
            row("memory", "read_accumulator", events, "synaptic_event", accounting.accumulator_bytes, state)
            row("memory", "write_accumulator", events, "synaptic_event", accounting.accumulator_bytes, state)
        row("memory", "read_state", updates, "neuron_update", accounting.state_bytes, state)
        row("memory", "write_state", updates, "neuron_update", accounting.state_bytes, state)
    return pd.DataFrame(rows, columns=ROW_COLUMNS)


def attention_operations(n_memories: int, n_features: int, n_values: int | None = None, n_steps: int = 1,
                         accounting: Accounting = Accounting()) -> pd.DataFrame:
    """Operations of softmax attention for one query (:func:`energy.attention_ops`'s counts) in the
    accountant's form: MACs at the accounting's precision, the softmax's exponentials and additions in
    fp32, every weight used read once (``weight_size`` bytes), and per step the query and the M scores read
    (twice: softmax and output) and the scores, the weights and the output written, in activations of the
    precision's bytes."""
    check(accounting)
    ops = energy.attention_ops(n_memories, n_features, n_values, n_steps)
    m, n = int(n_memories), int(n_features)
    d = n if n_values is None else int(n_values)
    act = PRECISION_BYTES[accounting.precision]
    reads = n_steps * (n + 2 * m)
    writes = n_steps * 2 * m + (n_steps - 1) * n + d
    rows = [("attention", "", "dense", energy.precise("mac", accounting.precision), "", ops["mac"], 0.0, ""),
            ("attention", "", "dense", "exp", "", ops["exp"], 0.0, ""),
            ("attention", "", "dense", "add", "", ops["add"], 0.0, ""),
            ("attention", "", "memory", "read_weight", "mac", ops["memory_read"],
             ops["memory_read"] * accounting.weight_size, accounting.weight_memory),
            ("attention", "", "memory", "read_activation", "mac", reads, reads * act, accounting.state_memory),
            ("attention", "", "memory", "write_activation", "mac", writes, writes * act, accounting.state_memory)]
    return pd.DataFrame(rows, columns=ROW_COLUMNS).astype({"count": float})


def price(rows: pd.DataFrame, table: energy.EnergyTable) -> pd.DataFrame:
    """``rows`` with their energy (``pJ``) under ``table`` and its name: operations at the table's cost per
    operation, memory traffic at its cost per byte of the memory named (none where the table's figure of the
    causing operation includes it)."""
    traffic = (rows["kind"] == "memory").to_numpy()
    per_op = np.array([table.cost(op) for op in rows["operation"]], dtype=float)
    per_byte = np.array([table.cost(f"{m}_byte") if m else 0.0 for m in rows["memory"]], dtype=float)
    included = traffic & rows["of"].isin(table.includes_traffic).to_numpy()
    pj = np.where(traffic, rows["bytes"].to_numpy(float) * per_byte, rows["count"].to_numpy(float) * per_op)
    return rows.assign(pJ=np.where(included, 0.0, pj), table=table.name)


def fanouts(fanout: dict, neurons: dict | None = None) -> dict[str, np.ndarray]:
    """Each population's fan-out as an array per neuron (see :func:`account`'s ``fanout``)."""
    neurons = neurons or {}
    return {pop: _fanout_array(pop, value, neurons.get(pop)) for pop, value in fanout.items()}


@dataclass(frozen=True)
class Account:
    """What :func:`account` found: the priced ``rows`` (per trial), the table, the trials and time steps
    counted, and the assumptions it made (``notes``)."""

    rows: pd.DataFrame
    table: energy.EnergyTable
    trials: int
    steps: int
    notes: tuple = ()

    def total_pj(self, traffic: bool = True) -> float:
        """Energy per trial (pJ), with or without the memory traffic."""
        rows = self.rows if traffic else self.rows[self.rows["kind"] != "memory"]
        return float(rows["pJ"].sum())

    def summary(self) -> pd.DataFrame:
        """Bytes moved and energy per trial by stage and kind of operation."""
        return self.rows.groupby(["stage", "kind"], sort=False)[["bytes", "pJ"]].sum().reset_index()


def account(spikes: pd.DataFrame, fanout: dict, *, neurons: dict | None = None, dt=None, duration=None,
            trials: int | None = None, stages: dict | None = None, per_step: dict | None = None,
            table: str | energy.EnergyTable = "horowitz45", tables_file: str = "",
            accounting: Accounting = Accounting(), columns: SpikeColumns = SpikeColumns()) -> Account:
    """Operations, memory traffic and energy per trial of the spikes in ``spikes`` before ``duration``.

    ``fanout``: population -> synapses per neuron (a number, an array per neuron, or Brian2 Synapses
    objects); every population that spikes needs one. ``neurons``: population -> neurons (default: the
    length of the population's fan-out array, else its highest spiking index + 1; populations that never
    spike, e.g. a normaliser, are updated too). ``dt``, ``duration``: Brian2 Quantities (default: 0.1 ms,
    Brian2's default clock, and the last spike, to the step). ``trials``: trials the table holds (default:
    those it names). ``stages``: population -> stage label; ``per_step``: population -> {operation: count
    per time step}; ``table``: an energy table or its name (built-in, or in ``tables_file``);
    ``columns``: which columns of ``spikes`` hold what.
    """
    notes = []
    if not isinstance(table, energy.EnergyTable):
        (table,) = energy.select(table, tables_file)
    data = tidy(spikes, columns)
    spiking = sorted(data["population"].unique())
    missing = [p for p in spiking if p not in fanout]
    if missing:
        raise ConfigError(f"no fan-out for population(s) {', '.join(missing)} (spiking in the table); "
                          f"give one for each of {', '.join(spiking)}")
    neurons = {p: int(n) for p, n in (neurons or {}).items()}
    if any(n < 1 for n in neurons.values()):
        raise ConfigError(f"every population needs at least one neuron, got {neurons}")
    highest = data.groupby("population")["neuron"].max()
    for pop in dict.fromkeys([*fanout, *spiking]):
        value = fanout.get(pop)
        sized = _is_synapses(value) or isinstance(value, (list, tuple)) or np.ndim(value) > 0
        if pop not in neurons and not sized and pop in highest:
            neurons[pop] = int(highest[pop]) + 1
            notes.append(f"{pop}: {neurons[pop]} neurons (its highest spiking index + 1; give neurons to count "
                         "silent ones)")
    fan = fanouts(fanout, neurons)
    neurons = {pop: neurons.get(pop, fan[pop].size if pop in fan else 0) for pop in dict.fromkeys([*fan, *neurons])}
    for pop in spiking:
        if highest[pop] >= neurons[pop]:
            raise ConfigError(f"population {pop} has {neurons[pop]} neurons but a spike of neuron {highest[pop]}")
    if dt is None:
        dt = 0.1 * ms
        notes.append("dt 0.1 ms (Brian2's default clock; give dt)")
    step = seconds(dt, "dt")
    if trials is None:
        trials = max(int(data["trial"].nunique()), 1)
        if columns.trial in spikes.columns and trials > 1:
            notes.append(f"{trials} trials (those with spikes; give trials to count silent ones)")
    elif trials < 1:
        raise ConfigError(f"trials must be >= 1, got {trials}")
    if duration is None:
        last = float(data["t_ms"].max()) * 1e-3 if len(data) else 0.0
        steps = int(np.floor(last / step + 1e-9)) + 1
        notes.append(f"duration {steps * step * 1e3:g} ms (to the last spike; give duration)")
    else:
        stop = seconds(duration, "duration")
        steps = int(round(stop / step))
        if steps < 1:
            raise ConfigError(f"duration ({duration}) is shorter than dt ({dt})")
        data = data[data["t_ms"] < stop * 1e3]  # as the simulation's own counts (energy.spiking_ops)
    counts = {pop: np.bincount(g["neuron"].to_numpy(), minlength=neurons[pop]) / trials
              for pop, g in data.groupby("population")}
    rows = operations(counts, fan, neurons, steps, stages=stages, per_step=per_step, accounting=accounting)
    return Account(price(rows, table), table, int(trials), steps, tuple(notes))
