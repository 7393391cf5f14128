"""Attention protocol: the spiking memory against softmax attention, on accuracy, latency and energy.

Each trial presents one query (a corrupted key, or a row of the user's
``queries`` file) to the modern spiking network, clamped for ``t_cue``. The
memory neurons fire at R softmax(beta K q), so their spikes are samples of
the attention weights (Nessler et al. 2013; Ramsauer et al. 2020):

* attention-weight estimate: the memory-spike histogram in
  [settle, settle + w], for several read-out windows w (spikes before
  ``settle`` are dropped while the key filter rises);
* output: sign(V^T p_hat), the value read-out those spikes deliver to the
  feature layer (hetero-associative when ``values`` differ from the keys);
  after the query is released the feature layer runs free and iterates the
  update (the recall columns of the trials table);
* the answer is available at settle + w; the energy per query counts every
  operation in [0, settle + w]: the feature layer's encoding spikes, the
  memory spikes, every neuron update (:mod:`hopfield_brian.energy`).

References on the same keys, values and queries: single-step softmax
attention (``reference.attention``, ml-jku/hopfield-layers semantics) and the
classical Hopfield network with Hebbian couplings of the keys.

Default grid: load M in {25, 50, 100} x cue flips {0.2, 0.4} x beta in
{0.01, 0.02, 0.05, 0.1} (N = 200), plus a coding comparison at M = 50, 20 %
flips, beta 0.05: regular or Poisson feature coding at 200, 50 or 20 Hz and a
memory rate of 500 or 100 Hz. A ``--patterns`` file (the keys, M x N) or a
``values`` file fixes M: the grid then has no load axis (every point stores
the file's M). ``--sweep`` replaces the grid.

Writes ``attention.csv`` (one row per point, system and window: accuracy,
output overlap, total-variation error of the weights, time to answer, energy
per query under each table, break-even rate), ``attention.png`` (Pareto plot
of accuracy against energy, accuracy against time to answer, weight error
against window, feature coding), ``queries.png`` (softmax weights beside
the memory raster for a few queries), and ``energy_break_even.csv`` /
``energy_break_even.png``: the spiking network's energy per query against its
spike rate next to attention in fp32, fp16 and int8, with and without memory
traffic (:mod:`hopfield_brian.break_even`), at the default task's size (its
spikes counted by :mod:`hopfield_brian.accountant`, the operating point
marked) and, analytically, at N = M = 1000.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np

from hopfield_brian import accountant, break_even, energy, readout, reference, sweep
from hopfield_brian import patterns as pat
from hopfield_brian.config import param, show
from hopfield_brian.engine import builds_text
from hopfield_brian.errors import ConfigError
from hopfield_brian.models import ModernModel
from hopfield_brian.rate_protocol import Point, RateProtocol, RecallConfig
from hopfield_brian.units import Hz, Quantity, ms, second
from hopfield_brian import lazy

pd = lazy.module("pandas")  # imported on first use (see hopfield_brian.lazy)

LOADS = (25, 50, 100)  # numbers of stored patterns M of the default grid
WINDOWS_MS = (5, 10, 20, 50, 100)  # read-out windows of the error / latency / energy curves
SYSTEMS = ("spiking", "attention", "classical")
LARGE = 1000  # N = M of the break-even table's analytic case


@dataclass(frozen=True)
class AttentionConfig(RecallConfig):
    """A recall configuration plus the attention read-out and the energy tables."""

    values: str = param("", ".npy/.csv file (or array) of value patterns V (M x N); default: the keys "
                        "(auto-association)", file=True)
    queries: str = param("", ".npy/.csv file (or array) of queries (Q x N, entries in [-1, 1]); default: "
                         "corrupted keys", file=True)
    settle: Quantity = param(40 * ms, "memory spikes before this are not read (the key filter rises)")
    attention_window: Quantity = param(50 * ms, "default read-out window of the attention weights")
    energy_tables: str = param("mac_ac,horowitz45,loihi", "energy tables, comma-separated (see energy.py)")
    energy_file: str = param("", "TOML or JSON file of extra energy tables (pJ per operation)", file=True)


class Attention(RateProtocol):
    """Spiking attention against softmax attention: accuracy, time to answer, energy per query."""

    name = "attention"
    help = "spiking attention against softmax attention: accuracy, time to answer, energy per query"
    config_class = AttentionConfig

    @classmethod
    def defaults(cls, model: str) -> dict:
        return {"t_cue": "140ms", "t_free": "60ms", "trials": "10"}

    def default_grid(self, config, grid):
        """The user's sweep, or the default grid (load x noise x beta, then the coding comparison)."""
        if config.model != "modern":
            raise ConfigError("the attention protocol runs the modern (attention-like) model: use --model modern")
        if grid:
            return grid
        # a patterns or values file fixes M: no load axis then, every point stores the file's M (or n_patterns)
        fixed = _given(config.patterns) or _given(config.values)
        loads = [{}] if fixed else [{"n_patterns": m} for m in LOADS]
        points = [{**load, "cue_noise": f, "beta": beta}
                  for load in loads for f in (0.2, 0.4) for beta in (0.01, 0.02, 0.05, 0.1)]
        base = {} if fixed else {"n_patterns": 50}
        points += [{**base, "cue_noise": 0.2, "beta": 0.05, "feature_coding": coding, "rate_feature": rf,
                    "rate_memory": rm}
                   for coding in ("regular", "poisson") for rf in (200 * Hz, 50 * Hz, 20 * Hz)
                   for rm in (500 * Hz, 100 * Hz)
                   if (coding, rf, rm) != ("regular", 200 * Hz, 500 * Hz)]  # that one is in the grid above
        return points

    def validate(self, config: AttentionConfig, params) -> None:
        super().validate(config, params)
        if config.model != "modern":
            raise ConfigError("the attention protocol runs the modern (attention-like) model: use --model modern")
        if config.settle < 0 * ms or not config.attention_window > 0 * ms:
            raise ConfigError(f"settle must be >= 0 ms and attention_window > 0 ms, got {show(config.settle)}, "
                              f"{show(config.attention_window)}")
        if config.attention_window < config.dt:
            raise ConfigError(f"dt ({show(config.dt)}) must not exceed attention_window "
                              f"({show(config.attention_window)})")
        if config.settle + config.attention_window > config.t_cue:
            raise ConfigError(f"settle + attention_window ({show(config.settle + config.attention_window)}) must "
                              f"not exceed t_cue ({show(config.t_cue)}), the time the query is presented")
        energy.select(config.energy_tables, config.energy_file)
        load_values(config)
        load_queries(config)

    def energy_tables(self) -> list[energy.EnergyTable]:
        return energy.select(self.config.energy_tables, self.config.energy_file)

    def prepare(self, config, params, grid, saved=None) -> list[Point]:
        """Grid points with hetero-associative models and user queries where given."""
        points = super().prepare(config, params, grid, saved)
        for pt in points:
            values = load_values(pt.config) if saved is None else _saved_values(saved, pt.index)
            if values is not None:
                pt.model = ModernModel(pt.params, pt.model.keys, values, **pt.model.options())
            pt.queries = load_queries(pt.config) if saved is None else saved.get(f"queries_{pt.index}")
            if pt.model.values is pt.model.keys:  # the classical counterpart's couplings, once per point
                pt.extra["couplings"] = reference.hebbian_couplings(pt.model.keys, "bipolar")
        return points

    def extra_columns(self, point, target, cue, spikes, fanout, trajectory) -> dict:
        return score(point, target, cue, spikes, fanout, trajectory)

    def inputs(self, points) -> dict:
        """The stored patterns and values, and the user's queries (``queries_<k>``) of every point."""
        arrays = super().inputs(points)
        arrays.update({f"queries_{pt.index}": pt.queries for pt in points if pt.queries is not None})
        return arrays

    def tables(self, results) -> dict:
        table = attention_table(results, self.energy_tables())
        return {"attention": table, "energy_break_even": break_even_table(results, table)}

    def figures(self, results) -> dict:
        from hopfield_brian import plotting

        table = results.tables["attention"]
        first = results.points[0]
        figures = {"attention": plotting.attention_figure(table, [tb.name for tb in self.energy_tables()],
                                                          results.swept, float(self.config.attention_window / ms)),
                   "queries": plotting.queries_figure(first, results.spike_table(), results.trials)}
        if "energy_break_even" in results.tables:  # runs saved before the table existed have none
            figures["energy_break_even"] = plotting.break_even_figure(
                results.tables["energy_break_even"], default_task(table, self.config, self.params, every_beta=True),
                float(self.params.beta))
        return figures

    def report(self, results) -> str:
        lines = [f"attention: {len(results.points)} grid points x {self.config.trials} queries, "
                 f"{builds_text(results.info)}, wall {results.wall_s:.1f} s",
                 report(results.tables["attention"], self.config, self.params, self.energy_tables())]
        if "energy_break_even" in results.tables:
            lines.append(break_even_report(results.tables["energy_break_even"]))
        return "\n".join(lines)


def _given(source) -> bool:
    """Whether a file parameter names a file or holds an array."""
    return isinstance(source, np.ndarray) or bool(source)


def _saved_values(saved: dict, index: int):
    return saved[f"values_{index}"].astype(float) if f"values_{index}" in saved else None


def windows(config) -> list[float]:
    """Read-out windows (ms) that fit in the query presentation and are at least dt, the default one included."""
    room, dt = float((config.t_cue - config.settle) / ms), float(config.dt / ms)
    return sorted({w for w in WINDOWS_MS if dt <= w <= room + 1e-9} | {round(float(config.attention_window / ms), 6)})


def _load_matrix(path: str, name: str) -> np.ndarray:
    """A 2-D numeric array from a .npy/.csv file (one vector: one row)."""
    arr = pat.read_array(path, name)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2:
        raise ConfigError(f"{name} in {path} must be a 2-D array, got shape {arr.shape}")
    return arr


def load_values(config: AttentionConfig) -> np.ndarray | None:
    """Value patterns (M x N, +-1) from the user's file, checked against the keys; None: auto-association."""
    if not _given(config.values):
        return None
    values, kind = pat.load(config.values, "values")
    if values.shape[0] != config.n_patterns:
        raise ConfigError(f"keys and values differ in count: {config.n_patterns} keys, {values.shape[0]} values "
                          f"in {pat.source_name(config.values, 'values')}")
    if values.shape[1] != config.n_features:
        raise ConfigError(f"values in {pat.source_name(config.values, 'values')} have length {values.shape[1]}, the keys {config.n_features}")
    return pat.to_bipolar(values, kind)


def load_queries(config: AttentionConfig) -> np.ndarray | None:
    """Queries (Q x N, entries in [-1, 1]) from the user's file; None: corrupted keys."""
    if not _given(config.queries):
        return None
    q = _load_matrix(config.queries, "queries")
    if q.shape[1] != config.n_features:
        raise ConfigError(f"queries in {pat.source_name(config.queries, 'queries')} have length {q.shape[1]}, the keys {config.n_features}")
    if not np.all(np.isfinite(q)) or np.abs(q).max() > 1:
        raise ConfigError(f"queries in {pat.source_name(config.queries, 'queries')} must hold finite values in [-1, 1]")
    return q


def _tv(counts: np.ndarray, p: np.ndarray) -> float:
    total = counts.sum()
    return float(0.5 * np.abs(counts / total - p).sum()) if total else 1.0


def _overlap(state: np.ndarray, pattern: np.ndarray) -> float:
    return float(np.mean(state * pattern))


def score(point: Point, target: int, cue: np.ndarray, spikes: dict, fanout: dict, trajectory=None) -> dict:
    """Attention columns of one trial: weight error, output overlap and operations per window,
    and the references' outcome on the same query (``couplings``: the classical network's, per point)."""
    c, model = point.config, point.model
    keys, values, beta = model.keys, model.values, model.params.beta
    p_ref, out_ref = reference.attention(cue, keys, values, beta)
    p_ref, out_ref = p_ref[0], out_ref[0]
    wanted = values[target]
    row = {"attention_output_overlap": _overlap(np.sign(out_ref), wanted)}
    row["attention_success"] = bool(row["attention_output_overlap"] >= readout.SUCCESS_OVERLAP)
    if values is keys:  # the classical network is auto-associative: no hetero-associative counterpart
        counts = {}
        classical = point.extra.get("couplings") or reference.hebbian_couplings(keys, "bipolar")
        final = reference.classical_recall(*classical, (cue > 0).astype(float), np.random.default_rng(target),
                                           counts=counts)
        row["classical_output_overlap"] = _overlap(2 * final - 1, keys[target])
        row["classical_success"] = bool(row["classical_output_overlap"] >= readout.SUCCESS_OVERLAP)
        row["classical_sweeps"] = int(counts["sweeps"])
    i, t = spikes["memory"]
    settle, dt = float(c.settle), float(c.dt)
    n_neurons = 2 * model.n_features + model.n_patterns + 1
    for w in windows(c):
        stop = settle + w * 1e-3
        sel = (t >= settle) & (t < stop)
        hist = np.bincount(i[sel], minlength=model.n_patterns).astype(float)
        out = np.sign(hist @ values)
        row[f"tv_{w:g}ms"] = _tv(hist, p_ref)
        row[f"output_overlap_{w:g}ms"] = _overlap(out, wanted)
        ops = energy.spiking_ops(spikes, fanout, n_neurons, int(round(stop / dt)), stop=stop,
                                 summed_terms=model.summed_terms, exponentials=model.exponentials)
        row[f"spikes_{w:g}ms"] = ops["spike"]
        row[f"synaptic_events_{w:g}ms"] = ops["synaptic_event"]
        row[f"neuron_updates_{w:g}ms"] = ops["neuron_update"]
        row[f"summed_additions_{w:g}ms"] = ops["add"]
        row[f"exponentials_{w:g}ms"] = ops["exp"]
        for pop, events in energy.synaptic_events(spikes, fanout, stop).items():
            row[f"synaptic_events_{pop}_{w:g}ms"] = events
    return row


def attention_table(results, tables: list[energy.EnergyTable]) -> pd.DataFrame:
    """One row per (point, system, window): accuracy, errors, time to answer, energy per query (nJ)."""
    trials, summary = results.trials, results.summary
    swept = sweep.parameter_columns(summary.columns, results.swept)
    rows = []
    for pt in results.points:
        t = trials[trials["point"] == pt.index]
        if t.empty:
            continue
        base = {col: summary.loc[summary["point"] == pt.index, col].iloc[0] for col in swept}
        m, n = pt.model.n_patterns, pt.model.n_features
        refs = {"attention": energy.attention_ops(m, n, n)}
        if "classical_sweeps" in t and t["classical_sweeps"].notna().all():  # auto-association only
            refs["classical"] = energy.classical_ops(n, float(t["classical_sweeps"].mean()))
        ref_pj = {}
        for system, ops in refs.items():
            row = {**base, "point": pt.index, "system": system, "window_ms": np.nan, "time_to_answer_ms": np.nan,
                   "accuracy": t[f"{system}_success"].mean(), "output_overlap": t[f"{system}_output_overlap"].mean(),
                   "tv": np.nan}
            for table in tables:
                ref_pj[system, table.name] = energy.energy_pj(ops, table)
                row[f"energy_{table.name}_nJ"] = ref_pj[system, table.name] / 1e3
            rows.append(row)
        duration = {w: pt.config.settle / second + w * 1e-3 for w in windows(pt.config)}
        for w in windows(pt.config):
            ops = {"synaptic_event": t[f"synaptic_events_{w:g}ms"].mean(), "spike": t[f"spikes_{w:g}ms"].mean(),
                   "neuron_update": t[f"neuron_updates_{w:g}ms"].mean(),
                   "weight_read": t[f"synaptic_events_{w:g}ms"].mean(), "add": t[f"summed_additions_{w:g}ms"].mean(),
                   "exp": t[f"exponentials_{w:g}ms"].mean()}
            row = {**base, "point": pt.index, "system": "spiking", "window_ms": w,
                   "time_to_answer_ms": duration[w] * 1e3,
                   "accuracy": (t[f"output_overlap_{w:g}ms"] >= readout.SUCCESS_OVERLAP).mean(),
                   "output_overlap": t[f"output_overlap_{w:g}ms"].mean(), "tv": t[f"tv_{w:g}ms"].mean(),
                   "spikes_per_query": ops["spike"],
                   **{f"synaptic_events_{pop}": t[f"synaptic_events_{pop}_{w:g}ms"].mean()
                      for pop in ("feature", "memory")},
                   "rate_per_neuron_Hz": ops["spike"] / ((2 * n + m + 1) * duration[w])}
            for table in tables:
                row[f"energy_{table.name}_nJ"] = energy.energy_pj(ops, table) / 1e3
                row[f"break_even_rate_{table.name}_Hz"] = energy.break_even_rate(
                    ops, table, ref_pj["attention", table.name], 2 * n + m + 1, duration[w])
            rows.append(row)
    return pd.DataFrame(rows)


def default_task(table: pd.DataFrame, config: AttentionConfig, params, every_beta: bool = False) -> pd.DataFrame:
    """Rows of the default task (the base configuration's load, cue noise and beta; default window);
    ``every_beta``: at every beta and feature coding of the grid."""
    sel = table
    fixed = (("n_patterns", config.n_patterns), ("cue_noise", config.cue_noise),
             *((("beta", params.beta),) if not every_beta else ()))
    for col, value in fixed:
        if col in sel:
            sel = sel[np.isclose(sel[col].astype(float), value)]
    w = float(config.attention_window / ms)
    return sel[(sel["system"] != "spiking") | np.isclose(sel["window_ms"].astype(float), w)]


def report(table: pd.DataFrame, config: AttentionConfig, params, tables) -> str:
    task = default_task(table, config, params)
    if task.empty:
        return "the default task (base load, cue noise and beta) is not in this grid"
    lines = [f"default task: N = {config.n_features}, M = {config.n_patterns}, {config.cue_noise:.0%} cue flips, "
             f"beta {params.beta:g}, window {config.attention_window / ms:g} ms after {config.settle / ms:g} ms:"]
    for _, r in task.drop_duplicates("system").iterrows():
        energies = ", ".join(f"{tb.name} {r[f'energy_{tb.name}_nJ']:.3g} nJ" for tb in tables)
        extra = (f", weight error (TV) {r['tv']:.3f}, answer at {r['time_to_answer_ms']:.0f} ms, "
                 f"{r['spikes_per_query']:.0f} spikes ({r['rate_per_neuron_Hz']:.1f} Hz per neuron)"
                 if r["system"] == "spiking" else "")
        lines.append(f"  {r['system']:<9} accuracy {r['accuracy']:.0%}{extra}; energy per query: {energies}")
        if r["system"] == "spiking":
            lines.append("  spiking is cheaper than attention below a mean rate per neuron of: " + ", ".join(
                f"{tb.name} {_rate_or_never(r[f'break_even_rate_{tb.name}_Hz'])}" for tb in tables))
    lines.append(f"counted: synaptic events, spikes, neuron updates, weight reads, the normaliser's additions, "
                 f"the memory neurons' exponentials (spiking); MACs, exponentials, additions, weight reads "
                 f"(references). Left out: {energy.LEFT_OUT}.")
    return "\n".join(lines)


def break_even_table(results, table: pd.DataFrame) -> pd.DataFrame:
    """The break-even table (:func:`hopfield_brian.break_even.table`) at the default task's size, its spikes
    counted by the accountant from the spike table, and at N = M = 1000 with every population firing, per
    neuron and relative to the others, as at the default task (uniformly where the grid lacks it)."""
    config, params = results.config, results.params
    task = default_task(table, config, params)
    spiking = task[task["system"] == "spiking"]
    if len(spiking):
        pt = next(p for p in results.points if p.index == int(spiking["point"].iloc[0]))
        model, config = pt.model, pt.config
        net = model.accounting()
        duration = (config.settle + config.attention_window) / second
        trials = results.trials.loc[results.trials["point"] == pt.index, "trial"]
        spikes = results.spike_table()
        count = accountant.account(spikes[spikes["trial"].isin(trials)], net["fanout"], neurons=net["neurons"],
                                   dt=config.dt, duration=config.settle + config.attention_window,
                                   trials=len(trials), per_step=net["per_step"])
        fired = count.rows[count.rows["operation"] == "spike"].set_index("population")["count"].to_dict()
        measured = sum(fired.values()) / (sum(net["neurons"].values()) * duration)
        accuracy = task.set_index("system")["accuracy"]
    else:
        model = ModernModel(params, np.zeros((config.n_patterns, config.n_features)))
        net, fired, measured, accuracy = model.accounting(), {}, float("nan"), pd.Series(dtype=float)
    duration, dt = (config.settle + config.attention_window) / second, config.dt / second
    cases = [{"size": f"N = {model.n_features}, M = {model.n_patterns}", "n_features": model.n_features,
              "n_patterns": model.n_patterns, "network": net,
              "shares": break_even.shares_at(fired, net["neurons"], net["neurons"]), "measured_rate_Hz": measured}]
    if (model.n_features, model.n_patterns) != (LARGE, LARGE):
        large = ModernModel(model.params, np.zeros((LARGE, LARGE))).accounting()
        cases.append({"size": f"N = M = {LARGE} (analytic)", "n_features": LARGE, "n_patterns": LARGE,
                      "network": large, "shares": break_even.shares_at(fired, net["neurons"], large["neurons"]),
                      "measured_rate_Hz": float("nan")})
    out = break_even.table(cases, duration, dt)
    measured_case = out["size"] == cases[0]["size"]
    for system in ("spiking", "attention"):  # the default task's accuracy, where it was measured
        out[f"{system}_accuracy"] = np.where(measured_case, accuracy.get(system, np.nan), np.nan)
    return out


def break_even_report(table: pd.DataFrame) -> str:
    """The break-even rates, per size, level and precision (weights in SRAM)."""
    lines = ["spiking is cheaper than attention at the same precision below a mean rate per neuron of "
             "(spikes per neuron per step; never: its per-step costs alone exceed attention's):"]
    for (size, level), rows in table[table["weight_memory"] != "dram"].groupby(["size", "level"], sort=False):
        rates = ", ".join(f"{r.precision} {r.break_even_Hz:.3g} Hz ({r.break_even_spikes_per_step:.2%})"
                          if r.break_even_Hz > 0 else f"{r.precision} never" for r in rows.itertuples())
        lines.append(f"  {size}, {level} ({rows['table'].iloc[0]}): {rates}")
    return "\n".join(lines)


def _rate_or_never(rate: float) -> str:
    """A break-even rate; 0 Hz means no rate makes spiking cheaper (its fixed costs alone exceed attention's)."""
    if np.isnan(rate):
        return "undefined (no spikes)"
    return f"{rate:.3g} Hz" if rate > 0 else "never (its per-step costs alone exceed attention's)"


if __name__ == "__main__":
    from hopfield_brian.cli import main as cli_main

    sys.exit(cli_main(["run", "attention", *sys.argv[1:]]))
