"""A two-parameter sweep (beta x cue noise) on one build, analysed with pandas and seaborn.

    python examples/sweep_two_parameters.py [--out results/examples/sweep] [--figure sweep_heatmap.png]
"""

import argparse

import seaborn as sns
from matplotlib.figure import Figure

import hopfield_brian as hb


def main(out: str | None = None, figure: str | None = None, trials: int = 4) -> hb.Results:
    sweep = {"beta": [0.01, 0.05, 0.2], "cue_noise": "0.1:0.4:3"}  # values, or START:STOP:COUNT as on the CLI
    exp = hb.Recall(n_features=64, n_patterns=12, trials=trials, sweep=sweep)
    res = exp.run(out=out)
    print(f"{len(res.summary)} points x {trials} trials, {res.info['compilations']} compilation(s)")

    # success rate as a beta x cue-noise table
    table = res.summary.pivot(index="beta", columns="cue_noise", values="success_rate")
    print(table)
    # mean final overlap per point, straight from the trials table
    print(res.trials.groupby(["beta", "cue_noise"])["final_overlap"].agg(["mean", "std"]).round(3))

    if figure:
        fig = Figure(figsize=(4.5, 3.5), layout="constrained")
        ax = fig.subplots()
        sns.heatmap(table, annot=True, fmt=".2f", vmin=0, vmax=1, cmap="viridis", ax=ax,
                    cbar_kws={"label": "success rate"})
        ax.set(xlabel="cue noise (fraction flipped)", ylabel="beta", title="modern recall, N=64, M=12")
        fig.savefig(figure, dpi=120)
    return res


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="results folder (default: nothing written)")
    parser.add_argument("--figure", help="PNG file for the heatmap")
    args = parser.parse_args()
    main(args.out, args.figure)
