"""Same seed, same tables: each case's trials and spikes equal those the code made before the engine
refactor (tests/data/regression, written by commit bee5a9b's command line; regenerated for the
counter-based draws of commit d487f6d)."""

from pathlib import Path

import pandas as pd
import pytest

from hopfield_brian import cli
from regression_cases import CASES, QUICK

DATA = Path(__file__).parent / "data" / "regression"
# parameters declared since the data were written, at the defaults that leave the network as it was
ADDED_PARAMETERS = {"weight_scale": "spread", "state_bits": 0, "decay_bits": 0}  # fixed point (#22)


def _tables(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    trials = pd.read_csv(folder / "trials.csv").drop(columns=["wall_s"], errors="ignore")
    spikes = pd.read_parquet(folder / "spikes.parquet")
    spikes["population"] = spikes["population"].astype(str)
    return trials, spikes.sort_values(["trial", "population", "neuron", "t_ms"], ignore_index=True)


@pytest.mark.parametrize("case", [pytest.param(c, marks=[] if c in QUICK else [pytest.mark.slow]) for c in CASES])
def test_tables_identical_to_the_code_before(case, tmp_path):
    out = tmp_path / case
    assert cli.main([*CASES[case], "--out", str(out), "--quiet"]) == 0
    trials, spikes = _tables(out)
    want_trials, want_spikes = _tables(DATA / case)
    added = [c for c in trials.columns if c not in want_trials.columns]
    assert set(added) <= set(ADDED_PARAMETERS), added
    assert all((trials[c] == ADDED_PARAMETERS[c]).all() for c in added)
    pd.testing.assert_frame_equal(trials.drop(columns=added), want_trials, check_dtype=False)
    assert len(spikes) == len(want_spikes) > 0
    pd.testing.assert_frame_equal(spikes, want_spikes, check_dtype=False)
