"""Figures of the protocols (seaborn on matplotlib's Agg backend)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from .sweep import parameter_columns  # noqa: E402

POPULATION_LABELS = {"feature": "feature layer\n(ON below, OFF above)", "memory": "memory layer",
                     "neuron": "neurons"}


def recall_figure(point, spikes: pd.DataFrame, trials: pd.DataFrame, path) -> None:
    """Raster of every population and overlap with every stored pattern, for trial 0,
    next to the final overlaps of all trials (spiking and numpy reference)."""
    from . import readout

    config = point.config
    sizes = point.model.neuron_counts()
    raw = {pop: (g["neuron"].to_numpy(), g["t_ms"].to_numpy(dtype=float) / 1e3)
           for pop, g in spikes.groupby("population", observed=False)}
    t_bins, m = readout.overlap_trajectory(point.model, point.stored, point.kind, raw, sizes,
                                           float(config.t_cue + config.t_free), float(config.bin_width),
                                           float(config.trace_window))
    overlaps = pd.DataFrame(m).assign(trial=0, t_ms=t_bins * 1e3).melt(
        id_vars=["trial", "t_ms"], var_name="pattern", value_name="overlap")
    sns.set_theme(style="ticks", context="paper")
    trial0 = trials.iloc[0]
    target = int(trial0["target"])
    pops = [p for p in spikes["population"].cat.categories]
    fig = plt.figure(figsize=(10, 2.2 * (len(pops) + 1)), layout="constrained")
    grid = fig.add_gridspec(len(pops) + 1, 4)
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
    o = overlaps[overlaps["trial"] == 0].copy()
    o["pattern"] = o["pattern"].astype(int)
    others = o[o["pattern"] != target]
    sns.lineplot(data=others, x="t_ms", y="overlap", units="pattern", estimator=None, color="0.7", lw=0.6, ax=ax)
    sns.lineplot(data=o[o["pattern"] == target], x="t_ms", y="overlap", color="tab:red", lw=1.8, ax=ax,
                 label=f"target {target}")
    ax.axvline(t_cue, color="tab:blue", lw=0.8, ls="--", label="cue released")
    ax.axhline(0.9, color="k", lw=0.6, ls=":", label="success threshold")
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("overlap m_mu(t)")
    ax.set_ylim(-1.05, 1.05)
    ax.legend(loc="lower right", fontsize=7)
    ax = fig.add_subplot(grid[:, 3])
    long = trials.melt(value_vars=["cue_overlap", "final_overlap", "reference_final_overlap"],
                       var_name="stage", value_name="overlap with target")
    long["stage"] = long["stage"].map({"cue_overlap": "cue", "final_overlap": "spiking",
                                       "reference_final_overlap": "numpy ref."})
    sns.stripplot(data=long, x="stage", y="overlap with target", ax=ax, size=3, alpha=0.7)
    ax.axhline(0.9, color="k", lw=0.6, ls=":")
    ax.set_title(f"all {len(trials)} trials: success {trials['success'].mean():.0%}", fontsize=9)
    fig.suptitle(f"{trials['model'].iloc[0]} spiking Hopfield network: recall "
                 f"(N={config.n_features}, M={config.n_patterns}, cue noise {config.cue_noise:g})")
    fig.savefig(path, dpi=130)
    plt.close(fig)


def sweep_figure(trials: pd.DataFrame, swept: list[str], path) -> None:
    """Success rate (with 95% bootstrap intervals) and final overlap against the
    first swept parameter, one line per value of the second."""
    sns.set_theme(style="ticks", context="paper")
    cols = parameter_columns(trials.columns, swept)
    x = cols[0]
    hue = cols[1] if len(cols) > 1 else None
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.5), layout="constrained")
    data = trials.assign(success=trials["success"].astype(float))
    for ax, y in zip(axes, ("success", "final_overlap")):
        sns.lineplot(data=data, x=x, y=y, hue=hue, marker="o", errorbar=("ci", 95), ax=ax,
                     palette="viridis" if hue else None)
        ref = "reference_success" if y == "success" else "reference_final_overlap"
        sns.lineplot(data=trials.assign(**{ref: trials[ref].astype(float)}), x=x, y=ref, hue=hue, ls="--",
                     errorbar=None, ax=ax, legend=False, palette="viridis" if hue else None,
                     color=None if hue else "0.4")
        ax.set_ylabel({"success": "success rate", "final_overlap": "final overlap"}[y])
    axes[0].set_title("spiking (solid) and numpy reference (dashed)", fontsize=9)
    fig.suptitle(f"{trials['model'].iloc[0]} recall sweep, {trials.groupby('point').size().iloc[0]} trials per point")
    fig.savefig(path, dpi=130)
    plt.close(fig)


def capacity_figure(summary: pd.DataFrame, swept: list[str], table: pd.DataFrame, config, path) -> None:
    """Success rate against M (spiking solid, numpy reference dashed), with the theoretical capacity."""
    sns.set_theme(style="ticks", context="paper")
    others = [c for c in parameter_columns(summary.columns, swept) if c != "n_patterns"]
    hue = others[0] if others else None
    fig, ax = plt.subplots(figsize=(6.5, 4), layout="constrained")
    palette = "viridis" if hue else None
    sns.lineplot(data=summary, x="n_patterns", y="success_rate", hue=hue, marker="o", palette=palette, ax=ax)
    sns.lineplot(data=summary, x="n_patterns", y="reference_success_rate", hue=hue, ls="--", marker="x",
                 palette=palette, ax=ax, legend=False, color=None if hue else "0.4")
    if not hue:
        ax.fill_between(summary["n_patterns"], summary["success_ci_low"], summary["success_ci_high"], alpha=0.2)
    theory = table["theory"].iloc[0]
    if np.isfinite(theory):
        ax.axvline(theory, color="tab:red", lw=1, label=f"theory {theory:.0f}")
    ax.axhline(0.9, color="k", lw=0.6, ls=":")
    if config.model == "modern":
        ax.set_xscale("log", base=2)
        ax.axvline(config.n_features, color="0.5", lw=0.6, ls="-.", label="M = N")
    ax.set_xlabel("stored patterns M")
    ax.set_ylabel("success rate")
    ax.legend(fontsize=7, title=hue)
    ax.set_title(f"{config.model} capacity, N = {config.n_features}: spiking (solid), numpy reference (dashed)",
                 fontsize=9)
    fig.savefig(path, dpi=130)
    plt.close(fig)


NOISE_LABELS = {"cue_noise": "cue entries flipped", "cue_mask": "cue entries masked",
                "deletion": "spike deletion probability", "background_rate": "background rate (Hz)",
                "membrane_noise": "membrane noise sd", "weight_noise": "relative weight noise sd",
                "weight_bits": "weight bits (32 = full)", "ablation": "fraction of neurons silenced"}


def robustness_figure(table: pd.DataFrame, config, path) -> None:
    """One facet per noise type: success (95% Wilson band) and the numpy reference (dashed)."""
    sns.set_theme(style="ticks", context="paper")
    noises = list(dict.fromkeys(table["noise"]))
    cols = 4
    rows = -(-len(noises) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3 * cols, 2.5 * rows), layout="constrained", squeeze=False)
    for ax, name in zip(axes.flat, noises):
        g = table[table["noise"] == name].sort_values("strength")
        ax.plot(g["strength"], g["success_rate"], "o-", color="tab:blue", label="spiking")
        ax.fill_between(g["strength"], g["success_ci_low"], g["success_ci_high"], color="tab:blue", alpha=0.2)
        ax.plot(g["strength"], g["reference_success_rate"], "x--", color="0.4", label="numpy reference")
        ax.plot(g["strength"], g["final_overlap_mean"], ":", color="tab:green", label="final overlap")
        if name == "weight_bits":
            ax.set_xscale("log", base=2)
        ax.set_xlabel(NOISE_LABELS.get(name, name))
        ax.set_ylim(-0.05, 1.05)
    for ax in axes.flat[len(noises):]:
        ax.axis("off")
    axes.flat[0].set_ylabel("success rate")
    axes.flat[0].legend(fontsize=7)
    fig.suptitle(f"{config.model} robustness (N={config.n_features}, M={config.n_patterns}, "
                 f"base cue noise {config.cue_noise:g}, {int(table['trials'].iloc[0])} trials per point)")
    fig.savefig(path, dpi=130)
    plt.close(fig)


def forgetting_figure(table: pd.DataFrame, config, path) -> None:
    """Success on a stored pattern against its age, one line per learning rate."""
    sns.set_theme(style="ticks", context="paper")
    fig, ax = plt.subplots(figsize=(6.5, 4), layout="constrained")
    sns.lineplot(data=table, x="age", y="success_rate", hue="learning_rate", marker="o", palette="viridis", ax=ax)
    for rate, g in table.groupby("learning_rate"):
        ax.fill_between(g["age"], g["success_ci_low"], g["success_ci_high"], alpha=0.1)
    ax.axhline(0.9, color="k", lw=0.6, ls=":")
    ax.set_xlabel("age (patterns stored after the cued one)")
    ax.set_ylabel("success rate")
    ax.set_title(f"forgetting by a bounded Hebbian rule: N={config.n_features}, M={config.n_patterns}, "
                 f"bound {config.weight_bound:g} x 2/N", fontsize=9)
    ax.legend(title="learning rate", fontsize=7)
    fig.savefig(path, dpi=130)
    plt.close(fig)


def attention_figure(table: pd.DataFrame, table_names: list[str], swept: list[str], path) -> None:
    """Accuracy against energy per query (Pareto) and against time to answer, weight error against the
    read-out window, and spikes against accuracy for the feature codings."""
    sns.set_theme(style="ticks", context="paper")
    name = "horowitz45" if "horowitz45" in table_names else table_names[0]
    e = f"energy_{name}_nJ"
    spiking = table[table["system"] == "spiking"].copy()
    refs = table[table["system"] != "spiking"]
    hue = next((c for c in ("beta", "n_patterns", "cue_noise") if c in spiking and spiking[c].nunique() > 1), None)
    fig, axes = plt.subplots(2, 2, figsize=(11, 8), layout="constrained")
    ax = axes[0, 0]
    sns.scatterplot(data=spiking, x=e, y="accuracy", hue="window_ms", palette="viridis", s=18, ax=ax,
                    legend="full")
    for system, marker in (("attention", "X"), ("classical", "s")):
        r = refs[refs["system"] == system]
        ax.scatter(r[e], r["accuracy"], marker=marker, color="tab:red" if system == "attention" else "0.3",
                   s=30, label=f"{system} (numpy)")
    front = spiking.sort_values(e)
    front = front[front["accuracy"] >= front["accuracy"].cummax()]
    ax.step(front[e], front["accuracy"], where="post", color="tab:blue", lw=0.8, label="spiking Pareto front")
    ax.set_xscale("log")
    ax.set_xlabel(f"energy per query, nJ ({name})")
    ax.set_ylabel("accuracy (output overlap >= 0.9)")
    ax.legend(fontsize=6, title="window (ms)", title_fontsize=6)
    ax = axes[0, 1]
    sns.lineplot(data=spiking, x="time_to_answer_ms", y="accuracy", hue=hue, palette="viridis", marker="o", ax=ax)
    ax.set_xlabel("time to answer (ms after query onset)")
    ax.set_ylabel("accuracy")
    ax = axes[1, 0]
    sns.lineplot(data=spiking, x="window_ms", y="tv", hue=hue, palette="viridis", marker="o", ax=ax)
    ax.axhline(0.1, color="k", lw=0.6, ls=":", label="0.1")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("read-out window (ms)")
    ax.set_ylabel("total variation |p_hat - softmax(beta K q)|")
    ax = axes[1, 1]
    if "feature_coding" in spiking and "rate_feature_Hz" in spiking:
        w = spiking["window_ms"].max()
        sns.scatterplot(data=spiking[spiking["window_ms"] == w], x="spikes_per_query", y="accuracy",
                        hue="rate_feature_Hz", style="feature_coding",
                        size="rate_memory_Hz" if "rate_memory_Hz" in spiking else None, palette="magma", ax=ax)
        ax.set_xscale("log")
        ax.set_title(f"feature coding and rates, window {w:g} ms", fontsize=9)
        ax.set_xlabel("spikes per query")
        ax.set_ylabel("accuracy")
        ax.legend(fontsize=6)
    else:
        ax.axis("off")
    fig.suptitle("spiking attention against softmax attention and the classical Hopfield network")
    fig.savefig(path, dpi=130)
    plt.close(fig)


def queries_figure(point, spikes: pd.DataFrame, trials: pd.DataFrame, path, n_queries: int = 3) -> None:
    """For a few queries of one point: the memory raster beside softmax(beta K q) and the spike histogram."""
    from . import reference
    from .protocols.recall import trial_cue

    sns.set_theme(style="ticks", context="paper")
    c, model = point.config, point.model
    t0 = trials[trials["point"] == point.index].sort_values("repeat").head(n_queries)
    settle, stop = float(c.settle) * 1e3, float(c.settle + c.attention_window) * 1e3
    fig, axes = plt.subplots(len(t0), 2, figsize=(10, 2.4 * len(t0)), layout="constrained", squeeze=False,
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
    axes[0, 0].legend(fontsize=6, loc="upper right")
    axes[0, 1].legend(fontsize=6, loc="lower right")
    axes[-1, 0].set_xlabel("time (ms)")
    fig.savefig(path, dpi=130)
    plt.close(fig)
