"""Figures of the protocols, drawn from results tables.

Every function returns a :class:`matplotlib.figure.Figure` made without
pyplot: no backend is selected, no global theme is set, and nothing stays
registered with pyplot (seaborn's styles apply inside each function only).
"""

from __future__ import annotations

import functools

import matplotlib

import numpy as np
import seaborn as sns
from matplotlib.figure import Figure

from .sweep import parameter_columns
from . import lazy

pd = lazy.module("pandas")  # imported on first use (see hopfield_brian.lazy)


def _styled(style: str = "ticks", dpi: int = 130):
    """Draw the decorated figure inside seaborn's ``style`` and 'paper' context, at ``dpi`` when saved."""
    def wrap(draw):
        @functools.wraps(draw)
        def styled(*args, **kwargs):
            with sns.axes_style(style), sns.plotting_context("paper"):
                fig = draw(*args, **kwargs)
            if fig is not None:
                fig.set_dpi(dpi)
            return fig
        return styled
    return wrap


def _subplots(nrows: int = 1, ncols: int = 1, *, figsize, layout=None, squeeze: bool = True, sharex=False,
              height_ratios=None, gridspec_kw=None):
    """``pyplot.subplots`` without pyplot: a new Figure and its axes."""
    fig = Figure(figsize=figsize, layout=layout)
    axes = fig.subplots(nrows, ncols, squeeze=squeeze, sharex=sharex, height_ratios=height_ratios,
                        gridspec_kw=gridspec_kw)
    return fig, axes

POPULATION_LABELS = {"feature": "feature layer\n(ON below, OFF above)", "memory": "memory layer",
                     "neuron": "neurons"}


@_styled()
def recall_figure(point, spikes: pd.DataFrame, trials: pd.DataFrame) -> Figure:
    """Raster of every population and overlap with every stored pattern, for trial 0,
    next to the final overlaps of all trials (spiking and numpy reference)."""
    from . import readout

    config = point.config
    sizes = point.model.neuron_counts()
    raw = {pop: (np.array([], dtype=np.int64), np.array([])) for pop in sizes}  # silent populations too
    raw.update({pop: (g["neuron"].to_numpy(), g["t_ms"].to_numpy(dtype=float) / 1e3)
                for pop, g in spikes.groupby("population", observed=False)})
    t_bins, m = readout.overlap_trajectory(point.model, point.stored, point.kind, raw, sizes,
                                           float(config.t_cue + config.t_free), float(config.bin_width),
                                           float(config.trace_window))
    trial0 = trials.iloc[0]
    target = int(trial0["target"])
    pops = list(sizes)
    height = 2.2 * (len(pops) + 1)
    fig = Figure(figsize=(10, height))
    # fixed margins in inches (a constrained layout costs ~0.5 s), so that one population lays out like two
    grid = fig.add_gridspec(len(pops) + 1, 4, left=0.08, right=0.99, bottom=0.5 / height, top=1 - 0.55 / height,
                            hspace=0.45, wspace=0.45)
    t_cue = float(config.t_cue) * 1e3
    ax_prev = None
    for row, pop in enumerate(pops):
        ax = fig.add_subplot(grid[row, :3], sharex=ax_prev)
        s = spikes[(spikes["trial"] == 0) & (spikes["population"] == pop)]
        colour = np.where((pop == "memory") & (s["neuron"] == target), "tab:red", "black")
        ax.scatter(s["t_ms"], s["neuron"], s=1.5, c=colour, marker="|", linewidths=0.5, rasterized=True)
        ax.axvline(t_cue, color="tab:blue", lw=0.8, ls="--")
        ax.set_ylim(-0.5, sizes[pop] - 0.5)
        ax.set_ylabel(POPULATION_LABELS.get(pop, pop))
        ax.set_title(f"trial 0, {pop} spikes" + (f" (target memory {target} in red)" if pop == "memory" else ""),
                     loc="left", fontsize=9)
        ax_prev = ax
    ax = fig.add_subplot(grid[len(pops), :3], sharex=ax_prev)
    t_ms = t_bins * 1e3
    ax.plot(t_ms, np.delete(m, target, axis=1), color="0.7", lw=0.6)  # one line per other pattern
    ax.plot(t_ms, m[:, target], color="tab:red", lw=1.8, label=f"target {target}")
    ax.axvline(t_cue, color="tab:blue", lw=0.8, ls="--", label="cue released")
    ax.axhline(0.9, color="k", lw=0.6, ls=":", label="success threshold")
    t_end, window = float(config.t_cue + config.t_free) * 1e3, float(config.readout_window) * 1e3
    ax.axvspan(t_end - window, t_end, color="tab:green", alpha=0.12, lw=0,
               label=f"read-out window (last {window:g} ms)")
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("overlap m_mu(t)")
    ax.set_ylim(-1.05, 1.05)
    ax.legend(loc="lower left", fontsize=7, ncols=2)
    ax = fig.add_subplot(grid[:, 3])
    long = trials.melt(value_vars=["cue_overlap", "final_overlap", "reference_final_overlap"],
                       var_name="stage", value_name="overlap with target")
    long["stage"] = long["stage"].map({"cue_overlap": "cue", "final_overlap": "spiking",
                                       "reference_final_overlap": "numpy\nref."})
    # wide jitter, translucent dots with dark edges: equal overlaps (often all trials at 1.0) stay countable
    sns.stripplot(data=long, x="stage", y="overlap with target", ax=ax, size=4, alpha=0.5, jitter=0.3,
                  linewidth=0.5, edgecolor="k")
    ax.set_xlabel("")
    ax.axhline(0.9, color="k", lw=0.6, ls=":")
    ax.set_title(f"all {len(trials)} trials: success {trials['success'].mean():.0%}", fontsize=9)
    fig.suptitle(f"{trials['model'].iloc[0]} spiking Hopfield network: recall "
                 f"(N={config.n_features}, M={config.n_patterns}, cue noise {config.cue_noise:g})")
    return fig


def _fmt(value) -> str:
    """A parameter value for a label: numbers in %g, anything else as is."""
    return f"{value:g}" if isinstance(value, (int, float, np.number)) else str(value)


@_styled()
def sweep_figure(trials: pd.DataFrame, swept: list[str], measure: tuple = ("final_overlap", "final overlap"),
                 title: str | None = None) -> None:
    """Success rate (with 95% Wilson intervals) and a per-trial ``measure`` (column, label; mean +- sd)
    against the first swept parameter, one line per value of the second; the numpy reference dashed
    where the trials have its columns (``reference_<column>``)."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from .sweep import wilson

    cols = parameter_columns(trials.columns, swept)
    x = cols[0]
    hue = cols[1] if len(cols) > 1 else None
    levels = sorted(trials[hue].unique()) if hue else [None]
    colours = dict(zip(levels, sns.color_palette("viridis", len(levels)))) if hue else {None: "C0"}
    fig, axes = _subplots(1, 2, figsize=(10, 3.5), layout="constrained")
    data = trials.assign(success=trials["success"].astype(float))
    ys = ("success", measure[0])
    refs = {y: f"reference_{y}" for y in ys if f"reference_{y}" in trials}
    # the reference drawn above the spiking line, with its own markers, so that it shows where they agree
    ref_style = dict(ls="--", lw=1.2, marker="x", markersize=6, markeredgewidth=1.2, markeredgecolor="auto",
                     zorder=3, errorbar=None, legend=False)
    for ax, y in zip(axes, ys):
        for level in levels:
            d = data[data[hue] == level] if hue else data
            c = colours[level]
            band = "sd" if y != "success" else None
            sns.lineplot(data=d, x=x, y=y, marker="o", errorbar=band, ax=ax, color=c, lw=2.2,
                         err_kws={"alpha": 0.2})
            if y == "success":
                g = d.groupby(x)["success"]
                low, high = wilson(g.sum(), g.size())
                ax.fill_between(g.size().index, low, high, color=c, alpha=0.2, lw=0)
            if y in refs:
                sns.lineplot(data=d.assign(**{refs[y]: d[refs[y]].astype(float)}), x=x, y=refs[y], ax=ax,
                             color="0.35" if not hue else c, **ref_style)
        ax.set_ylabel("success rate" if y == "success" else measure[1])
    for ax, y in zip(axes, ys):
        handles = [Line2D([], [], color=colours[v], lw=2.2, label=f"{hue} = {_fmt(v)}")
                   for v in levels] if hue and y == "success" else []
        grey = colours[None] if not hue else "0.3"
        handles.append(Line2D([], [], color=grey, marker="o", lw=2.2, label="spiking"))
        if y in refs:
            handles.append(Line2D([], [], color="0.35" if not hue else "0.3", ls="--", lw=1.2, marker="x",
                                  markeredgewidth=1.2, label="numpy reference"))
        handles.append(Patch(color=grey, alpha=0.2, lw=0,
                             label="95 % Wilson interval" if y == "success" else "mean +- sd over trials"))
        ax.legend(handles=handles, fontsize=7, loc="best")
    n_trials = trials.groupby("point").size().iloc[0]
    fixed = ", ".join(f"{label}={trials[col].iloc[0]}" for label, col in (("N", "n_features"), ("M", "n_patterns"))
                      if col in trials and col not in cols and trials[col].nunique() == 1)
    title = title or f"{trials['model'].iloc[0]} recall sweep"
    fig.suptitle(title + (f" ({fixed})" if fixed else "") + f", {n_trials} trials per point")
    return fig


@_styled()
def capacity_figure(summary: pd.DataFrame, swept: list[str], table: pd.DataFrame, config) -> Figure:
    """Success rate against M (spiking solid, numpy reference dashed), with the theoretical capacity
    and the measured capacities (vertical lines)."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    others = [c for c in parameter_columns(summary.columns, swept) if c != "n_patterns"]
    hue = others[0] if others else None
    fig, ax = _subplots(figsize=(8, 4), layout="constrained")
    levels = sorted(summary[hue].unique()) if hue else []
    palette = dict(zip(levels, sns.color_palette("viridis", len(levels)))) if hue else None  # one colour per level
    sns.lineplot(data=summary, x="n_patterns", y="success_rate", hue=hue, marker="o", palette=palette, lw=2,
                 ax=ax)
    # reference above the spiking line, x markers in the line's colour (seaborn's default white edge hid them)
    sns.lineplot(data=summary, x="n_patterns", y="reference_success_rate", hue=hue, ls="--", marker="x",
                 markersize=7, markeredgewidth=1.5, markeredgecolor="auto", zorder=3,
                 palette=palette, ax=ax, legend=False, color=None if hue else "0.4")
    handles, _ = ax.get_legend_handles_labels()  # the hue levels, if any
    spiking_colour = "C0" if not hue else "0.3"
    handles += [Line2D([], [], color=spiking_colour, marker="o", lw=2, label="spiking"),
                Line2D([], [], color="0.4", ls="--", marker="x", markeredgewidth=1.5, label="numpy reference")]
    if not hue:
        ax.fill_between(summary["n_patterns"], summary["success_ci_low"], summary["success_ci_high"], alpha=0.2)
        handles.append(Patch(color="C0", alpha=0.2, lw=0, label="spiking, 95 % Wilson interval"))
    theory = table["theory"].iloc[0]
    if np.isfinite(theory):
        handles.append(ax.axvline(theory, color="tab:red", lw=1, label=f"theory M = {theory:.0f}"))
    handles.append(ax.axhline(0.9, color="k", lw=0.6, ls=":", label="success threshold 0.9"))
    # measured capacities: the largest M up to which every M tested reaches the threshold
    # (a capacity of 0, the smallest M already failing, has no line: at M = 0 it would wreck a log axis)
    # (a capacity equal to the largest M tried is a lower bound: the threshold was never crossed)
    for _, row in table.iterrows():
        c = palette.get(row[hue], "0.3") if hue else None
        where = f" ({hue} = {_fmt(row[hue])})" if hue else ""
        largest = (summary[summary[hue] == row[hue]] if hue else summary)["n_patterns"].max()
        for system, colour, dashes in (("spiking", c or "C0", (0, (6, 2))), ("reference", c or "0.4", (0, (1, 1.5)))):
            capacity = row[f"capacity_{system}"]
            label = f"capacity, {system}{where}: " + (
                "below the smallest M tested" if capacity <= 0 else
                f">= {capacity:.0f}, not reached at the largest M tried" if capacity >= largest else f"{capacity:.0f}")
            line = dict(color=colour, lw=1.2, ls=dashes, alpha=0.8, label=label)
            handles.append(ax.axvline(capacity, **line) if capacity > 0 else Line2D([], [], **line))
    if config.model == "modern":
        ax.set_xscale("log", base=2)
        handles.append(ax.axvline(config.n_features, color="0.5", lw=0.6, ls="-.", label="M = N"))
    ax.set_xlabel("stored patterns M")
    ax.set_ylabel("success rate")
    ax.legend(handles=handles, fontsize=7, title=hue, loc="upper left", bbox_to_anchor=(1.01, 1))
    ax.set_title(f"{config.model} capacity, N = {config.n_features}: spiking (solid), numpy reference (dashed)",
                 fontsize=9, loc="left")  # wider than the axes: grows to the right, over the legend's column
    return fig


NOISE_LABELS = {"cue_noise": "cue entries flipped", "cue_mask": "cue entries masked",
                "deletion": "spike deletion probability", "background_rate": "background rate (Hz)",
                "membrane_noise": "membrane noise sd", "weight_noise": "relative weight noise sd",
                "weight_bits": "weight bits (32 = full)", "ablation": "fraction of neurons silenced",
                "jitter": "spike-time jitter sd (ms)"}


@_styled()
def robustness_figure(table: pd.DataFrame, config, reference_sees=("cue_noise", "cue_mask")) -> Figure:
    """One facet per noise type: success (95% Wilson band), the numpy reference's success where that noise
    reaches it (``reference_sees``: it runs with the exact weights and neurons), and the mean final overlap on
    its own axis (right)."""
    noises = list(dict.fromkeys(table["noise"]))
    cols = 4
    rows = -(-len(noises) // cols)
    fig, axes = _subplots(rows, cols, figsize=(3.2 * cols, 2.6 * rows), layout="constrained", squeeze=False)
    handles = {}
    for k, (ax, name) in enumerate(zip(axes.flat, noises)):
        g = table[table["noise"] == name].sort_values("strength")
        handles["spiking success (95% band)"], = ax.plot(g["strength"], g["success_rate"], "o-", color="tab:blue")
        ax.fill_between(g["strength"], g["success_ci_low"], g["success_ci_high"], color="tab:blue", alpha=0.2)
        if name in reference_sees:
            handles["numpy reference success"], = ax.plot(g["strength"], g["reference_success_rate"], "x--",
                                                          color="0.4")
        overlap = ax.twinx()
        handles["final overlap (right axis)"], = overlap.plot(g["strength"], g["final_overlap_mean"], ":",
                                                              color="tab:green")
        overlap.set_ylim(-1.05, 1.05)
        overlap.tick_params(axis="y", colors="tab:green", labelsize=7)
        if k % cols == cols - 1 or k == len(noises) - 1:
            overlap.set_ylabel("final overlap", color="tab:green")
        if name == "weight_bits":
            ax.set_xscale("log", base=2)
            if config.model == "modern" and (g["success_rate"] >= 0.9).all():
                ax.text(0.5, 0.3, "+-1 patterns: sign weights\n(1 bit) store them exactly", ha="center",
                        transform=ax.transAxes, fontsize=7)
        if name == "jitter" and (g["success_rate"] >= 0.9).all():  # measured up to 20 ms (classical): no effect
            ax.text(0.5, 0.35, "counts over the read-out window do not\nsee ms jitter; jittered Poisson trains\n"
                    "stay Poisson (displacement theorem)", ha="center", transform=ax.transAxes, fontsize=7)
        ax.set_xlabel(NOISE_LABELS.get(name, name))
        ax.set_ylim(-0.05, 1.05)
        if k % cols == 0:
            ax.set_ylabel("success rate")
    for ax in axes.flat[len(noises):]:
        ax.axis("off")
    fig.legend(list(handles.values()), list(handles), loc="outside lower center", ncol=len(handles), fontsize=8)
    fig.suptitle(f"{config.model} robustness (N={config.n_features}, M={config.n_patterns}, "
                 f"base cue noise {config.cue_noise:g}, {int(table['trials'].iloc[0])} trials per point)")
    return fig


@_styled()
def forgetting_figure(table: pd.DataFrame, config) -> Figure:
    """Success on a stored pattern against its age, one line per value of the curve parameter."""
    from matplotlib.patches import Patch

    hue = next(c for c in table.columns if c != "age")  # the curve parameter leads the table
    fig, ax = _subplots(figsize=(6.5, 4), layout="constrained")
    palette = _level_palette(table[hue])  # bands in their line's colour
    sns.lineplot(data=table, x="age", y="success_rate", hue=hue, marker="o", palette=palette, ax=ax)
    for level, g in table.groupby(hue):
        ax.fill_between(g["age"], g["success_ci_low"], g["success_ci_high"], color=palette[level], alpha=0.12, lw=0)
    ax.axhline(0.9, color="k", lw=0.6, ls=":", label="success threshold 0.9")
    ax.set_xlabel("age (patterns stored after the cued one)")
    ax.set_ylabel("success rate")
    rule = (f"bounded Hebbian rule (bound {config.weight_bound:g} x 2/N)" if config.model == "classical"
            else "recruited memory neurons")
    ax.set_title(f"{config.model}: forgetting after storage by a {rule}, N={config.n_features}, "
                 f"M={config.n_patterns}", fontsize=9)
    handles, labels = ax.get_legend_handles_labels()
    handles.append(Patch(color="0.5", alpha=0.25, lw=0))
    labels.append("95 % Wilson interval")
    ax.legend(handles, labels, title=hue.replace("_", " "), fontsize=7)
    return fig


def _level_palette(values, cmap: str = "viridis", stop: float = 0.85) -> dict:
    """One colour per distinct value, evenly spaced by rank along ``cmap`` up to ``stop`` (viridis's
    pale-yellow end is hard to see on white; a continuous map crowds 5, 10 and 20 of 5...100 together)."""
    levels = sorted(pd.unique(pd.Series(values).dropna()))
    colours = matplotlib.colormaps[cmap](np.linspace(0, stop, max(len(levels), 2)))
    return {v: tuple(colours[k]) for k, v in enumerate(levels)}


@_styled()
def attention_figure(table: pd.DataFrame, table_names: list[str], swept: list[str],
                     window: float = 50.0) -> None:
    """Accuracy against energy per query (Pareto) and against time to answer, weight error against the
    read-out window, and accuracy against spikes for the feature codings."""
    from matplotlib.ticker import NullFormatter

    name = "horowitz45" if "horowitz45" in table_names else table_names[0]
    e = f"energy_{name}_nJ"
    spiking = table[table["system"] == "spiking"].copy()
    refs = table[table["system"] != "spiking"]
    coded = {"feature_coding": "regular", "rate_feature_Hz": 200.0, "rate_memory_Hz": 500.0}
    plain = spiking
    for col, value in coded.items():  # the points at the model's default coding
        if col in plain and plain[col].nunique() > 1:
            plain = plain[plain[col] == value]
    hue = next((c for c in ("beta", "n_patterns", "cue_noise") if c in plain and plain[c].nunique() > 1), None)
    style = "n_patterns" if hue != "n_patterns" and "n_patterns" in plain and plain["n_patterns"].nunique() > 1 \
        else None
    if hue != "cue_noise" and "cue_noise" in plain:  # the curves at the weakest cue noise
        plain = plain[np.isclose(plain["cue_noise"], plain["cue_noise"].min())]
    outside = dict(loc="upper left", bbox_to_anchor=(1.02, 1), borderaxespad=0)  # legends beside their panel
    hue_palette = _level_palette(plain[hue]) if hue else None
    fig, axes = _subplots(2, 2, figsize=(13, 8), layout="constrained")
    ax = axes[0, 0]
    windows = sorted(spiking["window_ms"].unique())
    distinct = [c for k, c in enumerate(sns.color_palette("tab10")) if k not in (3, 7)]  # no red, no grey
    window_palette = dict(zip(windows, distinct)) if len(windows) <= len(distinct) else _level_palette(windows)
    sns.scatterplot(data=spiking, x=e, y="accuracy", hue="window_ms", palette=window_palette, s=18, ax=ax,
                    legend="full")
    for system, marker in (("attention", "X"), ("classical", "s")):
        r = refs[refs["system"] == system]
        ax.scatter(r[e], r["accuracy"], marker=marker, color="tab:red" if system == "attention" else "0.3",
                   s=30, label=f"{system} (numpy)")
    front = spiking.sort_values(e)
    front = front[front["accuracy"] >= front["accuracy"].cummax()]
    ax.step(front[e], front["accuracy"], where="post", color="k", lw=0.8, label="spiking Pareto front")
    ax.set_xscale("log")
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel(f"energy per query, nJ ({name})")
    ax.set_ylabel("accuracy (output overlap >= 0.9)")
    ax.set_title("every grid point and read-out window", fontsize=9)
    ax.legend(fontsize=6, title="window (ms)", title_fontsize=6, **outside)
    ax = axes[0, 1]
    sns.lineplot(data=plain, x="time_to_answer_ms", y="accuracy", hue=hue, style=style, palette=hue_palette,
                 marker="o", errorbar=None, ax=ax)
    if ax.get_legend():
        sns.move_legend(ax, fontsize=7, title_fontsize=7, **outside)
    ax.set_xlabel("time to answer (ms after query onset)")
    ax.set_ylabel("accuracy")
    if "cue_noise" in plain and hue != "cue_noise":
        ax.set_title(f"cue noise {plain['cue_noise'].min():g}", fontsize=9)
    ax = axes[1, 0]
    sns.lineplot(data=plain, x="window_ms", y="tv", hue=hue, style=style, palette=hue_palette, marker="o",
                 errorbar=None, ax=ax)
    if ax.get_legend():
        sns.move_legend(ax, fontsize=7, title_fontsize=7, **outside)
    ax.axhline(0.1, color="k", lw=0.6, ls=":")
    ax.text(0.01, 0.1, "TV = 0.1: 10 % of the weight misplaced", transform=ax.get_yaxis_transform(), va="top",
            fontsize=7)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("read-out window (ms)")
    ax.set_ylabel("total variation |p_hat - softmax(beta K q)|")
    ax = axes[1, 1]
    codings = [c for c in coded if c in spiking and spiking[c].nunique() > 1]
    if codings:
        at = spiking[np.isclose(spiking["window_ms"], window)]
        varied = at[at[codings].ne(pd.Series(coded)[codings]).any(axis=1)]
        keys = [c for c in ("n_patterns", "cue_noise", "beta") if c in at]  # where the codings were compared
        at = at.merge(varied[keys].drop_duplicates(), on=keys) if keys else at
        sns.scatterplot(data=at, x=e, y="accuracy",  # the energy table of the first panel: comparable axes
                        hue="rate_feature_Hz" if "rate_feature_Hz" in at else None,
                        style="feature_coding" if "feature_coding" in at else None,
                        size="rate_memory_Hz" if "rate_memory_Hz" in at else None, ax=ax,
                        palette=_level_palette(at["rate_feature_Hz"]) if "rate_feature_Hz" in at else None)
        r = refs[refs["system"] == "attention"]
        r = r.merge(varied[keys].drop_duplicates(), on=keys) if keys else r  # attention at the same point
        ax.axvline(r[e].min(), color="tab:red", lw=0.8, ls="--", label="attention (numpy)")
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_title(f"feature coding and rates, window {window:g} ms", fontsize=9)
        ax.set_xlabel(f"energy per query, nJ ({name})")
        ax.set_ylabel("accuracy")
        ax.legend(fontsize=6, **outside)
    else:
        ax.axis("off")
    fig.suptitle("spiking attention against softmax attention and the classical Hopfield network")
    return fig


PRECISION_COLOURS = {"fp32": "tab:blue", "fp16": "tab:orange", "int8": "tab:green"}


def _break_even_panel(ax, rows: pd.DataFrame) -> None:
    """Energy per query against the mean spike rate per neuron for one network size (see break_even_figure)."""
    dt_ms = float(rows["dt_ms"].iloc[0])
    rates = np.logspace(0, np.log10(1e3 / dt_ms), 200)  # 1 Hz to one spike per neuron per step

    def pair(r, colour, style, label, attention_label):
        ax.plot(rates, r.spiking_fixed_nJ + r.spiking_nJ_per_Hz * rates, color=colour, ls=style, lw=1.3, label=label)
        if attention_label:
            ax.axhline(r.attention_nJ, color=colour, ls="--", lw=1.0, label=attention_label)
        if 0 < r.break_even_Hz < rates[-1]:
            ax.plot(r.break_even_Hz, r.attention_nJ, "o", mfc="white", color=colour, ms=6, zorder=4)
        if np.isfinite(r.measured_rate_Hz) and r.precision == "fp32":  # the network runs fp32 weights
            ax.plot(r.measured_rate_Hz, r.spiking_measured_nJ, "*", color="k", ms=11, zorder=5)

    at = {(r.level, r.precision, r.weight_memory): r for r in rows.itertuples()}
    for precision, colour in PRECISION_COLOURS.items():
        r = at.get(("memory", precision, "sram"))
        if r is not None:
            pair(r, colour, "-", f"spiking {precision}, + memory traffic", f"attention {precision}, + memory traffic")
    if ("arithmetic", "fp32", "none") in at:
        pair(at["arithmetic", "fp32", "none"], "tab:blue", ":", "spiking fp32, arithmetic only (horowitz45)", "")
    if ("synaptic", "fp32", "none") in at:
        pair(at["synaptic", "fp32", "none"], "0.45", "-", "spiking fp32, synaptic events only (mac_ac)",
             "attention fp32, MACs only (mac_ac)")
    ax.plot([], [], "o", mfc="white", color="k", label="break-even")
    if rows["measured_rate_Hz"].notna().any():
        ax.plot([], [], "*", color="k", ms=9, label="measured operating point")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("mean spike rate per neuron (Hz)")
    ax.set_ylabel("energy per query (nJ)")
    top = ax.secondary_xaxis("top", functions=(lambda hz: hz * dt_ms * 1e-1, lambda pct: pct / (dt_ms * 1e-1)))
    top.set_xlabel(f"spikes per neuron per step (%), dt = {dt_ms:g} ms")
    lines = ["break-even rate (weights in SRAM):"]
    for level, name in (("synaptic", "mac_ac"), ("arithmetic", "horowitz45 arithmetic"),
                        ("memory", "horowitz45 + memory")):
        level_rows = rows[(rows["level"] == level) & (rows["weight_memory"] != "dram")]
        lines.append(f"{name}: " + ", ".join(f"{r.precision} {r.break_even_Hz:.3g} Hz" if r.break_even_Hz > 0
                                             else f"{r.precision} never" for r in level_rows.itertuples()))
    ax.text(0.98, 0.02, "\n".join(lines), transform=ax.transAxes, ha="right", va="bottom", fontsize=6,
            bbox=dict(boxstyle="round", fc="white", ec="0.7"))
    ax.set_title(str(rows["size"].iloc[0]), fontsize=9)


def _coding_rows(spiking: pd.DataFrame) -> pd.DataFrame:
    """The rows of the beta at which the most feature codings and rates were compared."""
    coding = [c for c in ("feature_coding", "rate_feature_Hz", "rate_memory_Hz") if c in spiking]
    if "beta" not in spiking or not coding:
        return spiking
    variety = spiking.groupby("beta")[coding].apply(lambda g: len(g.drop_duplicates()))
    return spiking[np.isclose(spiking["beta"], variety.idxmax())]


@_styled()
def break_even_figure(table: pd.DataFrame, attention: pd.DataFrame | None = None,
                      default_beta: float | None = None) -> Figure:
    """Energy per query of the spiking network against its mean spike rate, next to softmax attention in
    fp32, fp16 and int8 (horizontal lines), one panel per network size, break-even rates and the measured
    operating point marked; beside them, accuracy against rate at the default load and cue noise, for the
    feature codings compared (``attention``: rows of the attention table) and at the default task.
    Tables: horowitz45 (weights in SRAM) and mac_ac, as labelled; the numbers are ``table``'s
    (energy_break_even.csv)."""
    sizes = list(dict.fromkeys(table["size"]))
    spiking = None if attention is None else _coding_rows(attention[attention["system"] == "spiking"])
    accuracy = spiking is not None and len(spiking) > 0
    fig, axes = _subplots(1, len(sizes) + int(accuracy), figsize=(5.2 * (len(sizes) + int(accuracy)), 5.6),
                          layout="constrained", squeeze=False)
    for ax, size in zip(axes[0], sizes):
        _break_even_panel(ax, table[table["size"] == size])
    fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="outside lower center", ncol=4, fontsize=7)
    if accuracy:
        ax = axes[0, -1]
        hue = "rate_feature_Hz" if "rate_feature_Hz" in spiking else None
        sns.scatterplot(data=spiking, x="rate_per_neuron_Hz", y="accuracy", hue=hue,
                        style="feature_coding" if "feature_coding" in spiking else None,
                        size="rate_memory_Hz" if "rate_memory_Hz" in spiking else None,
                        palette=_level_palette(spiking[hue]) if hue else None, ax=ax)
        beta = f"beta {spiking['beta'].iloc[0]:g}" if "beta" in spiking else "every point"
        refs = attention[attention["system"] == "attention"]
        if "beta" in spiking and "beta" in refs:
            refs = refs[np.isclose(refs["beta"], spiking["beta"].iloc[0])]
        if len(refs):
            ax.axhline(refs["accuracy"].mean(), color="tab:red", lw=0.8, ls="--", label=f"attention (numpy), {beta}")
        measured = table.dropna(subset=["measured_rate_Hz"])
        if len(measured) and "spiking_accuracy" in measured:
            task = f"default task (beta {default_beta:g})" if default_beta is not None else "default task"
            ax.plot(measured["measured_rate_Hz"].iloc[0], measured["spiking_accuracy"].iloc[0], "*", color="k",
                    ms=11, label=task)
        ax.set_xscale("log")
        ax.set_ylim(-0.03, 1.05)
        ax.set_xlabel("mean spike rate per neuron (Hz)")
        ax.set_ylabel("accuracy (output overlap >= 0.9)")
        ax.set_title(f"{sizes[0]}: accuracy, feature codings at {beta}", fontsize=9)
        ax.legend(fontsize=6, loc="lower right")
    fig.suptitle("energy per query against spike rate: spiking memory vs softmax attention "
                 "(horowitz45, 45 nm, SRAM weights; mac_ac convention in grey)", fontsize=9)
    return fig


@_styled()
def queries_figure(point, spikes: pd.DataFrame, trials: pd.DataFrame, n_queries: int = 3) -> Figure:
    """For a few queries of one point: the memory raster beside softmax(beta K q) and the spike histogram."""
    from . import reference
    from .rate_protocol import trial_cue

    c, model = point.config, point.model
    t0 = trials[trials["point"] == point.index].sort_values("repeat").head(n_queries)
    settle, stop = float(c.settle) * 1e3, float(c.settle + c.attention_window) * 1e3
    fig, axes = _subplots(len(t0), 2, figsize=(10, 2.4 * len(t0)), layout="constrained", squeeze=False,
                             gridspec_kw={"width_ratios": [3, 1]})
    for (ax, bx), (_, row) in zip(axes, t0.iterrows()):
        target, cue, _ = trial_cue(point, int(row["repeat"]))
        p, _ = reference.attention(cue, model.keys, model.values, model.params.beta)
        s = spikes[(spikes["trial"] == row["trial"]) & (spikes["population"] == "memory")]
        colour = np.where(s["neuron"] == target, "tab:red", "black")
        ax.scatter(s["t_ms"], s["neuron"], s=3, c=colour, marker="|", rasterized=True)
        ax.axvspan(settle, stop, color="tab:blue", alpha=0.1, label="read-out window")
        ax.axvline(float(c.t_cue) * 1e3, color="tab:blue", ls="--", lw=0.8, label="query released")
        ax.set_ylim(-0.5, model.n_patterns - 0.5)
        ax.set_ylabel("memory neuron")
        ax.set_title(f"query {int(row['repeat'])} (target {target} in red)", loc="left", fontsize=9)
        sel = s[(s["t_ms"] >= settle) & (s["t_ms"] < stop)]
        hist = np.bincount(sel["neuron"].to_numpy(dtype=int), minlength=model.n_patterns)
        bx.barh(np.arange(model.n_patterns), p[0], color="0.6", label="softmax(beta K q)")
        bx.plot(hist / max(hist.sum(), 1), np.arange(model.n_patterns), "o", color="tab:red", ms=2.5,
                label="spike histogram")
        bx.set_ylim(-0.5, model.n_patterns - 0.5)
        bx.set_xlabel("attention weight")
    # legends above the first row, clear of the spikes and the histogram
    axes[0, 0].legend(fontsize=6, loc="lower right", bbox_to_anchor=(1, 1), ncols=2, borderaxespad=0.2)
    axes[0, 1].legend(fontsize=6, loc="lower right", bbox_to_anchor=(1, 1), ncols=2, borderaxespad=0.2,
                      handletextpad=0.3, columnspacing=0.8)
    axes[-1, 0].set_xlabel("time (ms)")
    fig.suptitle(f"queries of grid point {point.index}: beta = {float(model.params.beta):g}, M = {model.n_patterns}, "
                 f"N = {c.n_features}, cue noise {float(c.cue_noise):g}, read-out window {stop - settle:g} ms "
                 f"({settle:g}-{stop:g} ms)", fontsize=10)
    return fig


REGIME_COLOURS = {"quiescent": "0.85", "runaway": "tab:red", "oscillatory": "tab:purple", "itinerant": "tab:orange",
                  "retrieval": "tab:green", "metastable": "tab:cyan", "global_average": "tab:blue",
                  "unclassified": "0.45"}


def _condition_labels(table: pd.DataFrame, controls: list[str]) -> pd.Series:
    """One text label per row from the non-beta controls (e.g. 'feedback_gain=1, membrane_noise=0.3')."""
    others = [c for c in controls if c != "beta" and c in table]
    if not others:
        return pd.Series(["all"] * len(table), index=table.index)
    return table[others].apply(lambda r: ", ".join(f"{c}={r[c]:g}" if isinstance(r[c], (int, float)) else
                                                   f"{c}={r[c]}" for c in others), axis=1)


@_styled("white")
def regimes_phase_figure(table: pd.DataFrame, controls: list[str]) -> Figure:
    """Phase diagrams over beta (columns) and the other controls (rows): the regime label of the
    spiking network, the numpy reference's fixed-point type, and heatmaps of key measures."""
    from matplotlib.colors import ListedColormap

    t = table.copy()
    t["condition"] = _condition_labels(t, controls)
    t["beta_label"] = t["beta"].map(lambda b: f"{b:.3g}") if "beta" in t else "-"
    order = sorted(t["beta"].unique()) if "beta" in t else ["-"]
    cols = [f"{b:.3g}" for b in order] if "beta" in t else ["-"]
    labels = list(REGIME_COLOURS)
    cmap = ListedColormap([REGIME_COLOURS[lab] for lab in labels])
    panels = [("label", "spiking regime"), ("reference_label", "numpy reference fixed point"),
              ("max_overlap", "max overlap (final part)"), ("attention_entropy", "attention entropy"),
              ("rate_hz", "feature rate (Hz)"), ("cv", "ISI CV"), ("chi", "Golomb synchrony chi"),
              ("n_switches", "attractor switches")]
    n_rows = t["condition"].nunique()
    fig, axes = _subplots(4, 2, figsize=(13, 1.2 * n_rows * 4 + 2.5), layout="constrained")
    present = set()  # regime names shown in the two label panels, for their colour legend
    for ax, (col, title) in zip(axes.ravel(), panels):
        if col not in t:
            ax.axis("off")
            continue
        if col in ("label", "reference_label"):
            codes = t.pivot_table(index="condition", columns="beta_label", values=col, aggfunc="first")
            codes = codes.reindex(columns=cols)
            num = codes.apply(lambda s: s.map(lambda v: labels.index(v) if isinstance(v, str) else np.nan))
            present.update(v for v in codes.to_numpy().ravel() if isinstance(v, str))
            sns.heatmap(num, ax=ax, cmap=cmap, vmin=-0.5, vmax=len(labels) - 0.5, cbar=False,
                        linewidths=0.5, linecolor="white")
        else:
            val = t.pivot_table(index="condition", columns="beta_label", values=col, aggfunc="mean")
            sns.heatmap(val.reindex(columns=cols), ax=ax, cmap="viridis", annot=True, fmt=".2g",
                        annot_kws={"fontsize": 6}, cbar_kws={"shrink": 0.8})
        ax.set_title(title, loc="left", fontsize=9)
        ax.set_xlabel("beta")
        ax.set_ylabel("")
        ax.tick_params(axis="x", labelrotation=90)
    from matplotlib.patches import Patch

    shown = [lab for lab in labels if lab in present]
    fig.legend([Patch(color=REGIME_COLOURS[lab]) for lab in shown], [lab.replace("_", " ") for lab in shown],
               loc="outside lower center", ncol=len(shown) or 1, title="regime (top two panels)", fontsize=9)
    fig.suptitle("dynamical regimes of the spiking modern Hopfield network")
    return fig


@_styled()
def regimes_examples_figure(results) -> Figure | None:
    """For each regime found, one trial: feature and memory rasters above the overlap trace m_mu(t)."""
    from . import readout

    trials = results.trials
    trials = trials[trials["label"].notna()] if "label" in trials else trials.iloc[:0]
    found = [lab for lab in REGIME_COLOURS if lab in set(trials["label"])]
    if not found:
        return None
    points = {pt.index: pt for pt in results.points}
    fig, axes = _subplots(3, len(found), figsize=(3.4 * len(found), 7), layout="constrained", squeeze=False,
                             gridspec_kw={"height_ratios": [2, 1, 1.4]})
    for k, lab in enumerate(found):
        rows = trials[trials["label"] == lab]
        row = rows.iloc[len(rows) // 2]
        pt = points[int(row["point"])]
        c = pt.config
        spikes = results.spike_table(trial=int(row["trial"]))
        raw = {pop: (g["neuron"].to_numpy(dtype=np.int64), g["t_ms"].to_numpy(dtype=float) / 1e3)
               for pop, g in spikes.groupby("population", observed=False)}
        sizes = pt.model.neuron_counts()
        t_end = float(c.t_cue + c.t_free)
        t_bins, m = readout.overlap_trajectory(pt.model, pt.stored, pt.kind, raw, sizes, t_end, float(c.bin_width),
                                               float(c.trace_window))
        for ax, pop in zip(axes[:2, k], ("feature", "memory")):
            i, t = raw.get(pop, (np.array([]), np.array([])))
            ax.plot(t * 1e3, i, "|", ms=1.5, mew=0.6, color=REGIME_COLOURS[lab] if lab != "quiescent" else "k",
                    rasterized=True)
            ax.axvline(float(c.t_cue) * 1e3, color="k", ls="--", lw=0.6)
            ax.set_ylabel(f"{pop} neuron")
            ax.set_xlim(0, t_end * 1e3)
            ax.set_ylim(-0.5, sizes[pop] - 0.5)
        target = int(row["target"])
        for mu in range(m.shape[1]):
            axes[2, k].plot(t_bins * 1e3, m[:, mu], lw=1.2 if mu == target else 0.5,
                            color="tab:red" if mu == target else "0.6")
        axes[2, k].axvline(float(c.t_cue) * 1e3, color="k", ls="--", lw=0.6)
        axes[2, k].set_ylim(-1.05, 1.05)
        axes[2, k].set_xlabel("time (ms)")
        axes[2, k].set_ylabel("overlap m_mu (target red)")
        swept = ", ".join(f"{n}={v:g}" if isinstance(v, (int, float)) else f"{n}={v}" for n, v in pt.swept.items())
        axes[0, k].set_title(f"{lab}\n{swept}", fontsize=8)
    return fig


# --- spatio-temporal memory (delay model): rasters and curves ---

@_styled(dpi=150)
def spatiotemporal_raster(model, spikes: pd.DataFrame, trial) -> Figure:
    """Trial raster of the delay memory: the stored target pattern (open circles, drawn in the cue
    cycle and again in the replay cycle), the cue and replayed feature spikes, and the memory spikes."""
    target = int(trial["target"])
    period_ms = model.period * 1e3
    fig, (ax, axm) = _subplots(2, 1, figsize=(9, 6), sharex=True, height_ratios=[3, 1], layout="constrained")
    row = model.keys[target]
    i = np.flatnonzero(~np.isnan(row))
    for origin, label in ((0.0, f"stored pattern {target}"), (period_ms, None)):
        ax.scatter(origin + row[i] * 1e3, i, s=30, facecolors="none", edgecolors="tab:blue", lw=0.8, label=label)
    f = spikes[spikes["population"] == "feature"]
    cue = f[f["t_ms"] < float(trial["time_to_detection_ms"]) if np.isfinite(trial["time_to_detection_ms"])
            else f["t_ms"] < period_ms]
    rep = f.drop(cue.index)
    ax.scatter(cue["t_ms"], cue["neuron"], s=12, c="tab:orange", marker="|", lw=1.5, label="cue spikes")
    ax.scatter(rep["t_ms"], rep["neuron"], s=12, c="black", marker="|", lw=1.5, label="replayed spikes")
    ax.axvline(period_ms, color="0.5", lw=0.8, ls="--")
    ax.set_ylabel("feature neuron")
    ax.set_title(f"trial {int(trial['trial'])}: cue {int(trial['cue_spikes'])} of {i.size} spikes; replay "
                 f"completeness {trial['completeness']:.2f}, median error {trial['median_error_ms']:.2f} ms",
                 loc="left", fontsize=9)
    ax.legend(fontsize=7, loc="upper right", ncols=2)
    m = spikes[spikes["population"] == "memory"]
    axm.scatter(m["t_ms"], m["neuron"], s=40, c=np.where(m["neuron"] == target, "tab:red", "black"), marker="|")
    stored = int(trial["n_stored"]) if "n_stored" in trial else model.n_patterns
    axm.set_ylim(-0.5, stored - 0.5)
    axm.set_ylabel(f"memory (of {stored})")
    axm.set_xlabel("time (ms); dashed: start of the replay cycle")
    return fig


def _rate_curve(ax, table: pd.DataFrame, x: str, xlabel: str, title: str) -> None:
    """Success (95 % band as error bars) and completeness against one cue perturbation."""
    if not len(table):
        ax.axis("off")
        return
    t = table.sort_values(x)
    ax.errorbar(t[x], t["success_rate"], yerr=[t["success_rate"] - t["success_ci_low"],
                                               t["success_ci_high"] - t["success_rate"]],
                marker="o", capsize=2, label="success")
    ax.plot(t[x], t["completeness_mean"], marker="s", label="completeness")
    ax.axhline(0.9, color="k", lw=0.6, ls=":")
    ax.set(xlabel=xlabel, ylabel="rate", title=title, ylim=(-0.05, 1.05))
    ax.legend(fontsize=7)


@_styled(dpi=150)
def spatiotemporal_curves(curves: dict) -> Figure:
    """Capacity curves (success against M, one line per N and T), and success, completeness and
    timing error against cue jitter, cue spike deletion and the cue fraction."""
    fig, axes = _subplots(2, 3, figsize=(13, 7), layout="constrained")
    ax = axes[0, 0]
    cap = curves.get("capacity", pd.DataFrame())
    if len(cap):
        for (n, t), c in cap.groupby(["n_features", "cycle_ms"]):
            c = c.sort_values("n_stored")
            ax.errorbar(c["n_stored"], c["success_rate"],
                        yerr=[c["success_rate"] - c["success_ci_low"], c["success_ci_high"] - c["success_rate"]],
                        marker="o", capsize=2, label=f"N = {n}, T = {t:g} ms")
        ax.set_xscale("log")
        ax.axhline(0.9, color="k", lw=0.6, ls=":")
        ax.legend(fontsize=7)
    ax.set(xlabel="stored patterns M", ylabel="success rate", title="capacity")
    _rate_curve(axes[0, 1], curves.get("jitter", pd.DataFrame()), "cue_jitter_ms", "cue jitter sd (ms)",
                "robustness to cue jitter")
    jit = curves.get("jitter", pd.DataFrame())
    ax = axes[0, 2]
    if len(jit):
        j = jit.sort_values("cue_jitter_ms")
        ax.plot(j["cue_jitter_ms"], j["median_error_ms"], marker="o")
        ax.axhline(2.0, color="k", lw=0.6, ls=":")
    ax.set(xlabel="cue jitter sd (ms)", ylabel="median timing error (ms)", title="replay timing")
    _rate_curve(axes[1, 0], curves.get("deletion", pd.DataFrame()), "cue_deletion",
                "probability that a cue spike is deleted", "robustness to cue spike deletion")
    _rate_curve(axes[1, 1], curves.get("partial", pd.DataFrame()), "cue_keep",
                "fraction of the pattern's spikes in the cue", "partial cues")
    axes[1, 2].axis("off")
    return fig


@_styled(dpi=150)
def sequence_raster(model, sequence: int, length: int, build_length: int, spikes: pd.DataFrame) -> Figure:
    """Raster of a sequence trial: each stored element drawn at its cycle (open circles, one colour per
    element), recalled feature spikes (black) and the memory spikes."""
    period_ms = model.period * 1e3
    fig, (ax, axm) = _subplots(2, 1, figsize=(10, 6), sharex=True, height_ratios=[3, 1], layout="constrained")
    colours = sns.color_palette("husl", length)
    for k in range(length):
        row = model.keys[sequence * build_length + k]
        i = np.flatnonzero(~np.isnan(row))
        ax.scatter(k * period_ms + row[i] * 1e3, i, s=30, facecolors="none", edgecolors=colours[k], lw=0.8,
                   label=f"stored element {k} (circles)")
        ax.axvline(k * period_ms, color="0.7", lw=0.6, ls="--")
    f = spikes[spikes["population"] == "feature"]
    ax.scatter(f["t_ms"], f["neuron"], s=10, c="black", marker="|", lw=1.2, label="feature spikes (ticks)")
    ax.set_ylabel("feature neuron")
    ax.set_title(f"sequence {sequence}: cue = element 0 (cycle 0), then replay in order", loc="left", fontsize=9)
    ax.legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.01, 1), borderaxespad=0,
              ncols=1 + length // 24)  # beside the raster, clear of the spikes
    m = spikes[spikes["population"] == "memory"]
    axm.scatter(m["t_ms"], m["neuron"], s=40, c="tab:red", marker="|")
    axm.set_ylabel("memory")
    axm.set_xlabel("time (ms)")
    return fig


@_styled(dpi=150)
def sequence_curves(summary: pd.DataFrame, swept: list[str]) -> Figure:
    """Order accuracy (95 % Wilson intervals) against each swept parameter (number of sequences, length...)."""
    from matplotlib.ticker import MaxNLocator

    names = [s for s in ("n_sequences", "sequence_length") if s in summary] or ["point"]
    fig, axes = _subplots(1, len(names), figsize=(4.5 * len(names), 3.8), layout="constrained", squeeze=False)
    for ax, name in zip(axes[0], names):
        s = summary.sort_values(name)
        if len(names) > 1:  # each curve varies one parameter: keep the rows at the other's most common value
            other = [n for n in names if n != name][0]
            held = s[other].mode().iloc[0]
            s = s[s[other] == held]
            ax.set_title(f"at {other.replace('_', ' ')} = {held:g}", fontsize=9)
        ax.errorbar(s[name], s["order_accuracy"], yerr=[s["order_accuracy"] - s["success_ci_low"],
                                                         s["success_ci_high"] - s["order_accuracy"]],
                    marker="o", capsize=2, label="in order, 95 % Wilson interval")
        ax.axhline(0.9, color="k", lw=0.6, ls=":", label="0.9 (90 % of trials)")
        ax.set(xlabel=name.replace("_", " "), ylabel="recalled in order (fraction of trials)", ylim=(-0.05, 1.05))
        if name == "n_sequences":
            ax.set_xscale("log")
        else:
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(fontsize=7, loc="lower left")
    trials = summary["trials"].unique() if "trials" in summary else []
    count = f", {trials[0]:g} trials per point" if len(trials) == 1 else ""
    fig.suptitle(f"sequence recall in order{count}; error bars: 95 % Wilson interval", fontsize=10)
    return fig


def _edges(values, log: bool = False) -> np.ndarray:
    """Cell edges around sorted grid values (midpoints; geometric midpoints on a log axis)."""
    v = np.log(np.asarray(values, dtype=float)) if log else np.asarray(values, dtype=float)
    mid = (v[1:] + v[:-1]) / 2
    first, last = (v[0] - (mid[0] - v[0]), v[-1] + (v[-1] - mid[-1])) if len(v) > 1 else (v[0] - 0.5, v[0] + 0.5)
    e = np.r_[first, mid, last]
    return np.exp(e) if log else e


def _grid_values(table: pd.DataFrame, x: str, y: str, value: str):
    """(x values, y values, matrix [y, x]) of a table with one row per grid cell."""
    piv = table.pivot_table(index=y, columns=x, values=value, aggfunc="first").sort_index().sort_index(axis=1)
    return piv.columns.to_numpy(dtype=float), piv.index.to_numpy(dtype=float), piv.to_numpy()


@_styled()
def phase_classical_figure(phase: pd.DataFrame, boundary: pd.DataFrame, theory: pd.DataFrame, config) -> Figure:
    """The classical (alpha, T_AGS) phase diagram: success of the spiking network and of the Glauber
    reference as heatmaps under the AGS lines; the boundary load at the lowest temperature against N
    and spikes per synaptic time constant; the rate overlap at the lowest load against the theory's m."""
    main = phase.groupby(["n_features", "rate_max_Hz"])["temperature"].transform("nunique")
    grid = phase[main == main.max()]
    n, rate = grid["n_features"].iloc[0], grid["rate_max_Hz"].iloc[0]
    k = grid["spikes_per_tau"].iloc[0]
    fig, axes = _subplots(2, 2, figsize=(12, 9.5), layout="constrained")
    lines = {"ags": dict(color="k", lw=2, label="AGS retrieval line T_M(alpha)"),
             "readout": dict(color="k", lw=1, ls=":", label="AGS, read-out overlap 0.9"),
             f"shot_noise_{k:g}": dict(color="tab:orange", lw=2, ls="--",
                                       label=f"AGS + shot noise ({k:g} spikes per tau_syn)")}
    b = boundary[(boundary["n_features"] == n) & (boundary["rate_max_Hz"] == rate)]
    for ax, col, title in ((axes[0, 0], "success_rate", f"spiking network, N = {n}, rate_max = {rate:g} Hz"),
                           (axes[0, 1], "glauber_success_rate", f"Glauber reference (numpy), N = {n}")):
        xs, ys, z = _grid_values(grid, "alpha", "ags_temperature", col)
        mesh = ax.pcolormesh(_edges(xs), _edges(ys), z, cmap="Greys", vmin=0, vmax=1, shading="flat")
        for name, style in lines.items():
            seg = theory[theory["line"] == name]
            if len(seg):
                ax.plot(seg["alpha"], seg["ags_temperature"], **style)
        ax.plot(b["alpha_spiking"], b["ags_temperature"], "o", color="tab:red", ms=4, label="spiking: success 1/2")
        ax.plot(b["alpha_glauber"], b["ags_temperature"], "s", color="tab:blue", ms=4, mfc="none",
                label="Glauber reference: success 1/2")
        ax.set_xlim(_edges(xs)[[0, -1]])
        ax.set_ylim(_edges(ys)[[0, -1]])
        ax.set_xlabel("load alpha = M / N")
        ax.set_ylabel("T_AGS = 2 x package temperature")
        ax.set_title(title, loc="left", fontsize=9)
    fig.colorbar(mesh, ax=axes[0, :], shrink=0.8, label="success rate (final overlap >= 0.9)")
    axes[0, 0].legend(fontsize=7, loc="upper right")

    ax = axes[1, 0]  # boundary load at the lowest temperature against N, per rate_max
    low = boundary[boundary["temperature"] == boundary["temperature"].min()]
    # tables of several runs may measure a size twice: keep the finer measurement (more loads, more trials)
    low = low.sort_values(["loads", "trials"], kind="stable")
    low = low.drop_duplicates(["n_features", "rate_max_Hz"], keep="last")
    low = low.sort_values("n_features")
    rates = sorted(low["rate_max_Hz"].unique())
    palette = dict(zip(rates, sns.color_palette("viridis", len(rates))))
    handles = []
    for r, g in low.groupby("rate_max_Hz"):
        handles += ax.plot(g["n_features"], g["alpha_spiking"], "o-", color=palette[r],
                           label=f"spiking, rate_max {r:g} Hz")
        handles.append(ax.axhline(g["alpha_shot_noise"].iloc[0], color=palette[r], ls="--", lw=1,
                                  label=f"AGS + shot noise, {r:g} Hz"))
    ref = low.groupby("n_features")[["alpha_reference", "alpha_glauber"]].mean()
    handles += ax.plot(ref.index, ref["alpha_reference"], "x:", color="0.3", label="zero-T reference")
    handles += ax.plot(ref.index, ref["alpha_glauber"], "s:", color="tab:blue", mfc="none", label="Glauber reference")
    handles.append(ax.axhline(low["alpha_theory"].iloc[0], color="k", lw=1.5,
                              label=f"AGS alpha_M(T_AGS = {low['ags_temperature'].iloc[0]:g})"))
    ax.set_xscale("log", base=2)
    ax.set_xticks(sorted(low["n_features"].unique()), [f"{v:g}" for v in sorted(low["n_features"].unique())])
    ax.set_xlabel("N")
    ax.set_ylabel("load where success falls through 1/2")
    ax.set_title(f"finite size and shot noise at T_AGS = {low['ags_temperature'].iloc[0]:g}", loc="left", fontsize=9)
    ax.legend(handles=handles, fontsize=7, ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.12))

    ax = axes[1, 1]  # the noise-to-temperature mapping: rate overlap at the lowest load against the theory's m
    lowest = grid[grid["alpha"] == grid["alpha"].min()].sort_values("ags_temperature")
    curve = theory[theory["line"] == "m"]
    ax.plot(curve["ags_temperature"], curve["m"], "k-", lw=2, label=f"AGS m at alpha = {curve['alpha'].iloc[0]:g}")
    ax.plot(lowest["ags_temperature"], lowest["rate_overlap_mean"], "o", color="tab:red",
            label="spiking: (1/N) sum x_i (2 nu_i / rate_max - 1)")
    ax.plot(lowest["ags_temperature"], lowest["glauber_rate_overlap_mean"], "s", color="tab:blue", mfc="none",
            label="Glauber reference: mean activity overlap")
    ax.set_xlabel("T_AGS = 2 x package temperature")
    ax.set_ylabel("overlap of the mean activity with the pattern")
    ax.set_title("noise-to-temperature mapping (T_AGS = 2 T)", loc="left", fontsize=9)
    ax.legend(fontsize=7, loc="lower left")
    fig.suptitle(f"classical Hopfield network: (alpha, T) phase diagram against Amit, Gutfreund & Sompolinsky "
                 f"(cue {config.cue_noise:.0%} flipped)", fontsize=10)
    return fig


@_styled("white")
def phase_modern_figure(table: pd.DataFrame, separation: pd.DataFrame, config) -> Figure:
    """The modern beta x load phase diagram: the spiking network's regime and the numpy reference's
    fixed point in each cell (colour), success rate (text), Ramsauer et al.'s separation line and the
    measured beta where success rises through 1/2."""
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    t = table.assign(load=table["n_patterns"] / config.n_features)
    labels = list(REGIME_COLOURS)
    cmap = ListedColormap([REGIME_COLOURS[lab] for lab in labels])
    fig, axes = _subplots(1, 2, figsize=(13, 5.2), layout="constrained")
    sep = separation.sort_values("load")
    present = set()
    for ax, (col, success, title) in zip(axes, (("label", "success_rate", "spiking network: regime, success"),
                                                ("reference_label", "reference_success_rate",
                                                 "numpy reference: fixed point, success"))):
        codes = t.assign(code=t[col].map(lambda v: labels.index(v) if isinstance(v, str) else np.nan))
        present.update(v for v in t[col] if isinstance(v, str))
        xs, ys, z = _grid_values(codes, "beta", "load", "code")
        ax.pcolormesh(_edges(xs, log=True), _edges(ys, log=True), z, cmap=cmap, vmin=-0.5, vmax=len(labels) - 0.5,
                      shading="flat", edgecolors="white", linewidth=0.5)
        _, _, rate = _grid_values(t, "beta", "load", success)
        for i, y in enumerate(ys):
            for j, x in enumerate(xs):
                if np.isfinite(rate[i, j]):
                    ax.text(x, y, f"{rate[i, j]:.0%}".replace("%", ""), ha="center", va="center", fontsize=6)
        ax.plot(sep["beta_separation_expected"], sep["load"], "k-", lw=2,
                label="Ramsauer et al.: well separated (expected Delta)")
        ax.plot(sep["beta_separation_median"], sep["load"], "k--", lw=1, label="the same, median Delta of the patterns")
        system = "spiking" if col == "label" else "reference"
        ax.plot(sep[f"beta_success_{system}"], sep["load"], "o", color="white", mec="k", ms=6,
                label="success 1/2" + (" (after 3 updates)" if system == "reference" else ""))
        if f"beta_retrieval_{system}" in sep:
            ax.plot(sep[f"beta_retrieval_{system}"], sep["load"], "D", color="tab:green", mec="k", ms=5,
                    label="single-pattern retrieval in 1/2 of the trials")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(_edges(xs, log=True)[[0, -1]])
        ax.set_ylim(_edges(ys, log=True)[[0, -1]])
        ax.set_xlabel("beta (on unnormalised +-1 dot products)")
        ax.set_ylabel("load M / N")
        ax.set_title(title + " (%)", loc="left", fontsize=9)
    for ax in axes:
        ax.legend(fontsize=7, loc="upper left")
    shown = [lab for lab in labels if lab in present]
    fig.legend([Patch(color=REGIME_COLOURS[lab]) for lab in shown], [lab.replace("_", " ") for lab in shown],
               loc="outside lower center", ncol=len(shown) or 1, fontsize=8)
    fig.suptitle(f"modern Hopfield network, N = {config.n_features}, cue {config.cue_noise:.0%} flipped: "
                 "beta x load against the separation condition of Ramsauer et al. (2021)", fontsize=10)
    return fig


@_styled(dpi=150)
def shared_capacity_figure(curves: pd.DataFrame, capacity: pd.DataFrame, unshared: pd.DataFrame | None) -> Figure:
    """Shared delay memory: false-alarm and success rates against the load M (measured with 95 % Wilson
    intervals, and the false-coincidence estimate), one colour per size; the capacity against N, measured
    (bar: up to the first failing load) and estimated; the one-neuron-per-pattern delay memory (dashed,
    squares) as the upper reference."""
    from matplotlib.lines import Line2D

    fig, (ax_fa, ax_ok, ax_cap) = _subplots(1, 3, figsize=(15, 4.6), layout="constrained")
    sizes = list(capacity[["n_features", "n_detectors", "theta"]].drop_duplicates().itertuples(index=False))
    colours = dict(zip(sizes, sns.color_palette("viridis", len(sizes) + 1)))
    reference = unshared is not None and len(unshared) > 0
    for (n, h, theta), colour in colours.items():
        cur = curves[(curves["n_features"] == n) & (curves["n_detectors"] == h) & (curves["theta"] == theta)]
        cur = cur.sort_values("n_patterns")
        for ax, rate, low, high, model in ((ax_fa, "false_alarm_rate", "false_alarm_ci_low", "false_alarm_ci_high",
                                            "false_alarm_theory"),
                                           (ax_ok, "success_rate", "success_ci_low", "success_ci_high",
                                            "success_theory")):
            yerr = np.clip([cur[rate] - cur[low], cur[high] - cur[rate]], 0, None)  # Wilson bounds round off at 0, 1
            ax.errorbar(cur["n_patterns"], cur[rate], yerr=yerr, marker="o", ms=3.5, capsize=2, ls="none",
                        color=colour)
            ax.plot(cur["n_patterns"], cur[model], color=colour, lw=1.2)
        if reference:
            ref = unshared[unshared["n_features"] == n].sort_values("n_patterns")
            for ax, rate in ((ax_fa, "false_alarm_rate"), (ax_ok, "detection_rate")):
                ax.plot(ref["n_patterns"], ref[rate], marker="s", ms=4, ls="--", lw=0.9, color=colour, mfc="white")
    for ax, level, ylabel, title, ylim in (
            (ax_fa, 0.05, "false-alarm rate", "false alarms: a detector of another pattern fires", (-0.03, 1.03)),
            (ax_ok, 0.9, "success rate", "success: the cued pattern's detectors fire at T", (0.85, 1.01))):
        ax.axhline(level, color="k", lw=0.6, ls=":")
        ax.set(xscale="log", xlabel="stored patterns M", ylabel=ylabel, ylim=ylim)
        ax.set_title(title, fontsize=9)
    handles = [Line2D([], [], color=colour, marker="o", ms=4, label=f"N = {n}, H = {h}, theta = {theta}")
               for (n, h, theta), colour in colours.items()]
    handles += [Line2D([], [], color="k", marker="o", ms=4, ls="none", label="measured (95 % Wilson interval)"),
                Line2D([], [], color="k", lw=1.2, label="false-coincidence estimate")]
    if reference:
        handles.append(Line2D([], [], color="k", marker="s", ms=4, ls="--", mfc="white",
                              label="one neuron per pattern (M memory neurons)"))
    ax_fa.legend(handles=handles, fontsize=7, loc="upper left")
    cap = capacity.sort_values("n_features")
    reached = cap[cap["reached"]]
    ax_cap.errorbar(reached["n_features"], reached["capacity"],
                    yerr=[np.zeros(len(reached)), reached["first_failing_load"] - reached["capacity"]],
                    marker="o", capsize=3, ls="none", color="tab:blue", label="measured (bar: to the first failing M)")
    ax_cap.plot(cap["n_features"], cap["capacity_theory"], color="tab:blue", lw=1.2,
                label="false-coincidence estimate")
    if reference:
        passed = (unshared["detection_rate"] >= 0.9) & (unshared["false_alarm_rate"] <= 0.05)
        ok = unshared[passed].groupby("n_features")["n_patterns"].max()
        ax_cap.plot(ok.index, ok.values, marker="^", ms=7, ls="--", color="0.4",
                    label="one neuron per pattern: both criteria met at\nthe largest load tested (M neurons, not H)")
    ax_cap.set(xscale="log", yscale="log", xlabel="feature neurons N (H = detectors)",
               ylabel="capacity M (success >= 0.9, false alarms <= 0.05)")
    ax_cap.set_title("capacity", fontsize=9)
    ax_cap.set_xticks(cap["n_features"].to_numpy(), labels=[f"{n}\n(H = {h})" for n, h in
                                                             zip(cap["n_features"], cap["n_detectors"])])
    ax_cap.minorticks_off()
    ax_cap.legend(fontsize=7, loc="upper left")
    return fig


@_styled()
def tradeoff_figure(table: pd.DataFrame) -> Figure:
    """Stability, plasticity and energy against the curve parameter, one column per model and weight bound of
    ``table`` (rows of :func:`hopfield_brian.protocols.storage.tradeoff_table`, of one run or several): acquisition,
    retention and recallable patterns above, energy per stored, per recallable pattern and per recall below;
    the band where acquisition and retention are both >= 0.9 shaded."""
    from matplotlib.ticker import NullFormatter, ScalarFormatter

    bound = table["weight_bound"] if "weight_bound" in table else pd.Series(np.nan, index=table.index)
    panels = list(table.assign(weight_bound=bound).groupby(["model", "weight_bound"], dropna=False, sort=False))
    # unbounded first, then ever tighter bounds: faster forgetting to the right
    panels.sort(key=lambda p: (p[0][0], 1.0 / p[0][1] if np.isfinite(p[0][1]) and p[0][1] else 0.0))
    fig, axes = _subplots(2, len(panels), figsize=(4.2 * len(panels), 6.4), layout="constrained", squeeze=False,
                          sharex="col")
    for col, ((model, w_max), t) in enumerate(panels):
        x_name = t["parameter"].iloc[0]
        t = t.sort_values("value")
        x = t["value"].to_numpy(dtype=float)
        positive = x > 0
        xs = np.where(positive, x, x[positive].min() / 2 if positive.any() else 1.0)  # 0 drawn left of the rest
        top, bottom = axes[0, col], axes[1, col]
        for name, colour, label in (("acquisition", "C0", f"acquisition (age {t['newest_age'].iloc[0]})"),
                                    ("retention", "C3", f"retention (age {t['oldest_age'].iloc[0]})")):
            top.plot(xs, t[name], "o-", color=colour, label=label)
            top.fill_between(xs, t[f"{name}_ci_low"], t[f"{name}_ci_high"], color=colour, alpha=0.15, lw=0)
        both = (t["acquisition"] >= 0.9) & (t["retention"] >= 0.9)
        edges = np.sqrt(xs[1:] * xs[:-1])  # geometric midpoints: a point's band meets its neighbour's
        lows, highs = np.r_[xs[0] / 1.2, edges], np.r_[edges, xs[-1] * 1.2]
        for k in np.flatnonzero(both.to_numpy()):
            top.axvspan(lows[k], highs[k], color="0.88", zorder=0, lw=0)
        top.axhline(0.9, color="k", lw=0.6, ls=":")
        share = top.twinx()
        share.plot(xs, t["recallable"] / t["n_patterns"], "s--", color="C2", ms=4, label="recallable / M")
        share.set_ylim(-0.05, 1.05)
        share.set_ylabel("recallable patterns / M", color="C2")
        top.set_ylim(-0.05, 1.05)
        top.set_ylabel("success rate")
        rule = ("recruited memories" if not np.isfinite(w_max) else f"bound {w_max:g} x 2/N" if w_max
                else "unbounded")
        top.set_title(f"{model}, {rule}: M = {t['n_patterns'].iloc[0]}\nshaded: acquisition and retention >= 0.9",
                      fontsize=9)
        handles = top.get_legend_handles_labels()
        extra = share.get_legend_handles_labels()
        top.legend(handles[0] + extra[0], handles[1] + extra[1], fontsize=7, loc="center left")
        for name, colour, label in (("storage_uJ_per_stored", "C4", "storage / stored pattern"),
                                    ("storage_uJ_per_recallable", "C5", "storage / recallable pattern"),
                                    ("recall_uJ_per_trial", "C1", "recall / trial"),
                                    ("recall_uJ_per_success", "C8", "recall / successful recall")):
            y = t[name].to_numpy(dtype=float)
            finite = np.isfinite(y)
            bottom.plot(xs[finite], y[finite], "o-", color=colour, label=label)
        bottom.set_yscale("log")
        bottom.set_ylabel("energy, Loihi (µJ)")
        bottom.legend(fontsize=7)
        for ax in (top, bottom):
            ax.set_xscale("log")
            ax.xaxis.set_major_formatter(ScalarFormatter())
            ax.xaxis.set_minor_formatter(NullFormatter())
        if not positive.all():
            bottom.annotate("leftmost point: 0", (0.01, 0.02), xycoords="axes fraction", fontsize=7)
        bottom.set_xlabel(x_name.removesuffix("_Hz").replace("_", " ") + (" (Hz)" if x_name.endswith("_Hz") else ""))
    return fig


@_styled()
def fixed_point_figure(table: pd.DataFrame) -> Figure:
    """Recall success (95 % Wilson intervals) against the bits of one fixed-point quantity per panel
    (``quantity``: weight_bits, state_bits, decay_bits), one line per model, the float network's rate
    dotted (``float_success_rate``)."""
    titles = {"weight_bits": "weights W (max|w| -> 2^(W-1)-1)", "state_bits": "state S (h; u, y)",
              "decay_bits": "decay factors D (at W = 8, S = 24)"}
    quantities = [q for q in titles if q in set(table["quantity"])]
    fig, axes = _subplots(1, len(quantities), figsize=(3.6 * len(quantities), 3.2), layout="constrained",
                          squeeze=False)
    for ax, q in zip(axes[0], quantities):
        for i, (model, d) in enumerate(table[table["quantity"] == q].groupby("model")):
            d = d.sort_values("bits")
            ax.plot(d["bits"], d["success_rate"], marker="os"[i % 2], markersize=7 - 3 * i, color=f"C{i}",
                    lw=2.5 - i, label=model)  # the second line thinner: where both agree, both show
            ax.fill_between(d["bits"], d["success_ci_low"], d["success_ci_high"], color=f"C{i}", alpha=0.2, lw=0)
            ax.axhline(d["float_success_rate"].iloc[0], color=f"C{i}", ls=":", lw=1.2, label=f"{model}, float")
        ax.axvline(8 if q == "weight_bits" else 24 if q == "state_bits" else 12, color="0.6", lw=0.8)
        ax.set_xscale("log", base=2)
        ax.set_xlabel(f"{q.replace('_', ' ')} (grey: Loihi)")
        ax.set_ylabel("recall success rate")
        ax.set_ylim(-0.05, 1.05)
        ax.set_title(titles[q], fontsize=9)
    axes[0][0].legend(fontsize=7, loc="lower right")
    fig.suptitle("fixed-point recall, round to nearest, saturating (Loihi: Davies et al. 2018)")
    return fig
