"""Spiking attention: memory spikes sample softmax(beta K q) without bias; exact operation counts;
the attention protocol's files and its bad input."""

import numpy as np
import pytest
from brian2 import ms

import hopfield_brian as hb
from hopfield_brian import cli, paradigm, reference
from hopfield_brian.protocols import attention
from hopfield_brian.rate_protocol import trial_cue


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """The default task (N = 200, M = 50, 20 % flips) at beta 0.1 and at a spread posterior (beta 0.02)."""
    out = tmp_path_factory.mktemp("attention")
    res = hb.Attention(t_cue=140 * ms, t_free=60 * ms, trials=10, sweep={"beta": [0.02, 0.1]}).run(out=out)
    return res.config, res


def _tv(res, beta, window):
    t = res.trials
    return t.loc[np.isclose(t["beta"], beta), f"tv_{window}ms"].mean()


def test_weights_converge_to_softmax_and_meet_the_default_window_bound(run):
    cfg, res = run
    assert _tv(res, 0.1, 50) <= 0.1  # default task, default window
    errors = [_tv(res, 0.02, w) for w in (5, 20, 100)]
    assert errors[0] > errors[1] > errors[2]  # the estimate sharpens with the window


def test_weight_error_is_the_sampling_error_of_an_unbiased_sampler(run):
    """At a spread posterior the spike histogram's TV equals that of as many i.i.d. draws from the softmax."""
    cfg, res = run
    spikes = res.spikes
    rng = np.random.default_rng(7)
    (pt,) = [p for p in res.points if p.swept["beta"] == 0.02]
    expected = []
    for r in range(cfg.trials):
        _, cue, _ = trial_cue(pt, r)
        p, _ = reference.attention(cue, pt.model.keys, None, 0.02)
        s = spikes[(spikes["trial"] == pt.index * cfg.trials + r) & (spikes["population"] == "memory")
                   & (spikes["t_ms"] >= 40) & (spikes["t_ms"] < 140)]
        draws = rng.multinomial(len(s), p[0], size=400) / len(s)
        expected.append(0.5 * np.abs(draws - p[0]).sum(axis=1).mean())
    assert _tv(res, 0.02, 100) == pytest.approx(np.mean(expected), rel=0.15)


def test_operation_counts_equal_spikes_times_fanout(run):
    cfg, res = run
    spikes, t = res.spikes, res.trials
    n, m = cfg.n_features, cfg.n_patterns
    for _, row in t.iterrows():
        s = spikes[(spikes["trial"] == row["trial"]) & (spikes["t_ms"] < 90)]
        feature = int((s["population"] == "feature").sum())
        memory = int((s["population"] == "memory").sum())
        # every feature spike reaches the M memory neurons; every memory spike the 2N feature neurons
        # (the exact normaliser is a summed variable: M additions per step, no synapse)
        assert row["synaptic_events_50ms"] == feature * m + memory * 2 * n
        assert row["synaptic_events_feature_50ms"] == feature * m
        assert row["synaptic_events_memory_50ms"] == memory * 2 * n
        assert row["summed_additions_50ms"] == m * 450
        assert row["exponentials_50ms"] == m * 450  # each memory neuron's exp(beta u), every step
        assert row["spikes_50ms"] == feature + memory
        assert row["neuron_updates_50ms"] == (2 * n + m + 1) * 450  # 90 ms at dt = 0.2 ms


def test_accuracy_and_energy_table_of_the_default_task(run):
    cfg, res = run
    table = res.tables["attention"]
    task = attention.default_task(table, cfg, paradigm.model_params("modern"))
    acc = task.set_index("system")["accuracy"]
    assert acc["spiking"] == 1.0 and acc["attention"] == 1.0
    assert acc["classical"] == 0.0  # M / N = 0.25 is beyond the classical capacity 0.138
    spiking = task[task["system"] == "spiking"].iloc[0]
    # the operations counted by hand from the spike table (not from the trials table the energies come
    # from): up to settle + window = 90 ms, i.e. 450 steps of 0.2 ms; a feature spike reaches the M memory
    # neurons, a memory spike the 2N feature neurons; the exact normaliser adds M terms and the memory
    # layer takes M exponentials per step; 2N + M + 1 neurons are updated per step
    n, m, steps = cfg.n_features, cfg.n_patterns, 450
    spikes = res.spikes
    trials = res.trials.loc[np.isclose(res.trials["beta"], 0.1), "trial"]
    early = spikes[spikes["trial"].isin(trials) & (spikes["t_ms"] < 90)]
    events = ((early["population"] == "feature").sum() * m + (early["population"] == "memory").sum() * 2 * n)
    events /= len(trials)
    # mac_ac: every synaptic event and every normaliser addition costs 0.9 pJ, nothing else is counted
    assert spiking["energy_mac_ac_nJ"] == pytest.approx(0.9e-3 * (events + m * steps))
    # horowitz45 adds a 10 pJ weight read per event, 4.6 pJ per neuron update and 18.4 pJ per exponential
    assert spiking["energy_horowitz45_nJ"] == pytest.approx(1e-3 * (
        10.9 * events + 0.9 * m * steps + 4.6 * (2 * n + m + 1) * steps + 18.4 * m * steps))
    # under mac_ac the network runs above its break-even rate (it costs more than attention), under
    # horowitz45 the neuron updates alone cost more than attention: no rate would do
    assert 0 < spiking["break_even_rate_mac_ac_Hz"] < spiking["rate_per_neuron_Hz"]
    assert spiking["break_even_rate_horowitz45_Hz"] == 0
    for f in ("attention.csv", "attention.png", "queries.png", "trials.csv", "summary.csv", "energy_break_even.csv",
              "energy_break_even.png"):
        assert (res.folder / f).is_file()


def test_the_accountant_on_the_spike_table_agrees_with_the_protocols_counts(run):
    """The break-even table's operating point, counted by the accountant from the spike table, is the
    protocol's own: same rate, same mac_ac energy and break-even rate (synaptic events and additions)."""
    cfg, res = run
    params = paradigm.model_params("modern")
    spiking = attention.default_task(res.tables["attention"], cfg, params).set_index("system").loc["spiking"]
    table = res.tables["energy_break_even"]
    mine = table[table["size"] == f"N = {cfg.n_features}, M = {cfg.n_patterns}"]
    assert mine["measured_rate_Hz"].iloc[0] == pytest.approx(spiking["rate_per_neuron_Hz"])
    assert mine["spiking_accuracy"].iloc[0] == spiking["accuracy"]
    convention = mine[(mine["level"] == "synaptic") & (mine["precision"] == "fp32")].iloc[0]
    assert convention["spiking_measured_nJ"] == pytest.approx(spiking["energy_mac_ac_nJ"])
    assert convention["break_even_Hz"] == pytest.approx(spiking["break_even_rate_mac_ac_Hz"])
    assert set(table["size"]) == {mine["size"].iloc[0], "N = M = 1000 (analytic)"}
    large = table[(table["size"] != mine["size"].iloc[0]) & (table["level"] == "synaptic")]
    assert large["measured_rate_Hz"].isna().all() and (large["attention_nJ"].iloc[0] == pytest.approx(
        (2 * 1000 * 1000 + 1000) * 4.6e-3 + 1000 * 0.9e-3))  # fp32 MACs and the softmax's additions


BAD = {
    "K and V of different counts": (["--set", "values=values.npy"], "keys and values differ in count"),
    "query of the wrong length": (["--set", "queries=queries.npy"], "have length 7"),
    "unknown energy table": (["--set", "energy_tables=mac_ac,truenorth"], "unknown energy table truenorth"),
    "window beyond the query": (["--set", "attention_window=200ms"], "must not exceed t_cue"),
    "classical model": (["--model", "classical"], "modern"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_gives_one_line_and_exit_2(case, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    np.save(tmp_path / "values.npy", np.ones((5, 32)))
    np.save(tmp_path / "queries.npy", np.ones((3, 7)))
    args, message = BAD[case]
    assert cli.main(["run", "attention", "--trials", "1", "--set", "n_features=32", "--sweep", "n_patterns=4",
                     *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]
    assert not (tmp_path / "results").exists()


def test_read_out_windows_shorter_than_dt_are_left_out():
    cfg = attention.AttentionConfig(dt=10 * ms)  # the query is presented 100 ms, read from 40 ms on
    assert attention.windows(cfg) == [10, 20, 50]
