"""The energy accountant against hand counts on tiny networks; spike tables from Neo, NWB and CSV give
the counts of the package's own table; energy tables from TOML; the energy command; break-even rates."""

import json
import re

import numpy as np
import pandas as pd
import pytest
from brian2 import ms

from hopfield_brian import accountant, break_even, cli, energy, spike_io
from hopfield_brian.errors import ConfigError

# Two trials of a three-population network, dt = 0.5 ms, 5 ms per trial (10 steps):
# "in" has 3 neurons with fan-outs 2, 0, 5; "out" 2 neurons with fan-out 1 each; "hub" 1 silent neuron
# computing 2 exponentials per step. The spike at 9.9 ms falls after the trial's 5 ms and is not counted.
SPIKES = pd.DataFrame({"trial": [0, 0, 0, 1, 1, 1],
                       "population": ["in", "in", "out", "in", "in", "out"],
                       "neuron": [0, 2, 1, 2, 2, 0],
                       "t_ms": [0.5, 1.0, 2.0, 0.3, 9.9, 4.0]})
FANOUT = {"in": np.array([2, 0, 5]), "out": 1}
NEURONS = {"in": 3, "out": 2, "hub": 1}
KW = dict(neurons=NEURONS, dt=0.5 * ms, duration=5 * ms, trials=2, per_step={"hub": {"exp": 2}},
          stages={"in": "encoding", "out": "read-out", "hub": "read-out"})
# by hand, per trial: events (2 + 5 + 1) and (5 + 1) over 2 trials = 7, of which "in" (2 + 5 + 5) / 2 = 6;
# updates (3 + 2 + 1) x 10 = 60; spikes 2.5; exponentials 2 x 10 = 20
EVENTS, EVENTS_IN, UPDATES, SPIKES_PER_TRIAL, EXPS = 7.0, 6.0, 60.0, 2.5, 20.0


def _by_operation(rows: pd.DataFrame) -> dict:
    return rows.groupby("operation")["count"].sum().to_dict()


def test_hand_counts_and_energy_of_a_tiny_network():
    int8 = accountant.Accounting(precision="int8", index_bytes=2, state_bytes=8)
    acc = accountant.account(SPIKES, FANOUT, accounting=int8, **KW)
    counts = _by_operation(acc.rows)
    assert counts["synaptic_event_int8"] == EVENTS and counts["neuron_update"] == UPDATES
    assert counts["spike"] == SPIKES_PER_TRIAL and counts["exp"] == EXPS
    stage = acc.rows.groupby(["stage", "operation"])["count"].sum()
    assert stage["encoding", "synaptic_event_int8"] == EVENTS_IN and stage["read-out", "neuron_update"] == 30
    assert acc.trials == 2 and acc.steps == 10 and acc.notes == ()
    # bytes per event: int8 weight 1 + index 2 + accumulator read 4 + write 4; per update: state 8 + 8
    assert acc.rows["bytes"].sum() == EVENTS * (1 + 2 + 4 + 4) + UPDATES * 16
    # horowitz45: int8 add 0.03 pJ, update 4.6 pJ, exp 18.4 pJ, SRAM 10 pJ per 8 bytes
    arithmetic = EVENTS * 0.03 + UPDATES * 4.6 + EXPS * 18.4
    assert acc.total_pj(traffic=False) == pytest.approx(arithmetic)
    assert acc.total_pj() == pytest.approx(arithmetic + (EVENTS * 11 + UPDATES * 16) * 10 / 8)
    # weights and their indices in DRAM (1.3 nJ per 8 bytes), states still in SRAM
    dram = accountant.account(SPIKES, FANOUT, accounting=accountant.Accounting(
        precision="int8", index_bytes=2, state_bytes=8, weight_memory="dram"), **KW)
    assert dram.total_pj() == pytest.approx(arithmetic + EVENTS * 3 * 1300 / 8 + (EVENTS * 8 + UPDATES * 16) * 10 / 8)
    # Loihi: 23.6 pJ per synaptic operation and 52 pJ per update, their traffic included; 30.7 pJ per spike
    loihi = accountant.account(SPIKES, FANOUT, table="loihi", **KW)
    assert loihi.total_pj() == pytest.approx(EVENTS * 23.6 + UPDATES * 52 + SPIKES_PER_TRIAL * 30.7 + EXPS * 18.4)
    by_kind = loihi.summary().groupby("kind")["pJ"].sum()
    assert by_kind["memory"] == 0 and by_kind["synaptic"] == pytest.approx(EVENTS * 23.6)


def test_the_fanout_of_brian2_synapses_is_read_from_their_presynaptic_indices():
    import brian2 as b2

    from hopfield_brian.brian2_compat import select_device

    select_device("runtime")  # an earlier test may have left a standalone device, which knows no i before a run
    a, b = b2.NeuronGroup(3, "v : 1", name="a"), b2.NeuronGroup(2, "v : 1", name="b")
    syn = b2.Synapses(a, b, name="ab")
    syn.connect(i=[0, 0, 2, 2, 2], j=[0, 1, 0, 1, 1])  # fan-outs 2, 0, 3 (a multapse counts twice)
    b2.Network(a, b, syn, name="tiny")  # the network the synapses belong to (never run: counting needs no run)
    assert accountant.fanouts({"in": syn})["in"].tolist() == [2, 0, 3]
    spikes = SPIKES[SPIKES["population"] == "in"]
    acc = accountant.account(spikes, {"in": syn}, dt=0.5 * ms, duration=5 * ms)
    assert _by_operation(acc.rows)["synaptic_event"] == (2 + 3 + 3) / 2  # neurons 0, 2 | 2 (9.9 ms is late)
    assert _by_operation(acc.rows)["neuron_update"] == 3 * 10  # three neurons, from the synapses' source


def test_defaults_are_stated_and_bad_input_is_one_config_error():
    acc = accountant.account(SPIKES, FANOUT, neurons={"out": 2})
    assert acc.steps == 100  # to the last spike, 9.9 ms, at Brian2's 0.1 ms
    assert any("dt 0.1 ms" in n for n in acc.notes) and any("duration 10 ms" in n for n in acc.notes)
    for kwargs, message in (({"fanout": {"in": FANOUT["in"]}}, "no fan-out for population(s) out"),
                            ({"neurons": {"in": 3, "out": 1}}, "a spike of neuron 1"),
                            ({"fanout": {**FANOUT, "out": [1, 2, 3]}}, "has shape (3,)"),
                            ({"fanout": {**FANOUT, "out": -1}}, "finite and >= 0"),
                            ({"dt": 0.5}, "needs a time unit"),
                            ({"per_step": {"hub": {"sop": 1}}}, "unknown per-step operation"),
                            ({"stages": {"in": "x", "elsewhere": "y"}}, "unknown population(s) elsewhere"),
                            ({"table": "truenorth"}, "unknown energy table truenorth"),
                            ({"accounting": accountant.Accounting(state_bytes=-1)}, "state_bytes must be >= 0")):
        args = {"fanout": FANOUT, **KW, **kwargs}
        with pytest.raises(ConfigError, match=re.escape(message)):
            accountant.account(SPIKES, **args)
    with pytest.raises(ConfigError, match="no time column 'time'"):
        accountant.account(SPIKES, FANOUT, columns=spike_io.SpikeColumns(time="time"))


def _neo_block():
    """The spikes of SPIKES as a Neo Block: a Segment per trial, a SpikeTrain per neuron (silent ones too)."""
    import neo
    import quantities as pq

    block = neo.Block()
    for trial in (0, 1):
        seg = neo.Segment(index=trial)
        for pop, n in NEURONS.items():
            for k in range(n):
                mine = SPIKES[(SPIKES["trial"] == trial) & (SPIKES["population"] == pop) & (SPIKES["neuron"] == k)]
                seg.spiketrains.append(neo.SpikeTrain(np.sort(mine["t_ms"].to_numpy()) * pq.ms, t_start=0 * pq.ms,
                                                      t_stop=10 * pq.ms, population=pop, neuron=k))
        block.segments.append(seg)
    return block


def test_a_neo_spike_train_set_gives_the_counts_of_the_package_table(tmp_path):
    pytest.importorskip("neo")
    from neo.io import PickleIO

    want = accountant.account(SPIKES, FANOUT, **KW).rows
    block = _neo_block()
    data = spike_io.from_neo(block)
    assert data.neurons == NEURONS and data.trials == 2 and data.duration_ms == 10
    got = accountant.account(data.spikes, FANOUT, **KW).rows
    pd.testing.assert_frame_equal(got, want)
    # a list of SpikeTrains (one trial: trial 1's), and a pickled Block read from its file
    one = accountant.account(spike_io.from_neo(block.segments[1].spiketrains).spikes, FANOUT, **{**KW, "trials": 1})
    assert _by_operation(one.rows)["synaptic_event"] == 5 + 1
    PickleIO(str(tmp_path / "spikes.pkl")).write_block(block)
    pd.testing.assert_frame_equal(accountant.account(spike_io.read(tmp_path / "spikes.pkl").spikes, FANOUT,
                                                     **KW).rows, want)


def test_an_nwb_file_gives_the_counts_of_the_package_table(tmp_path):
    pynwb = pytest.importorskip("pynwb")
    import datetime

    nwb = pynwb.NWBFile(session_description="test", identifier="test",
                        session_start_time=datetime.datetime.now(datetime.timezone.utc))
    nwb.add_trial_column("trial", "trial number")
    nwb.add_trial_column("dt_ms", "time step")
    for trial in (0, 1):  # trials end to end, 10 ms each, as export.to_nwb lays them
        nwb.add_trial(start_time=trial * 0.01, stop_time=(trial + 1) * 0.01, trial=trial, dt_ms=0.5)
    nwb.add_unit_column("population", "population")
    nwb.add_unit_column("neuron", "neuron")
    for pop, n in NEURONS.items():
        for k in range(n):
            mine = SPIKES[(SPIKES["population"] == pop) & (SPIKES["neuron"] == k)]
            nwb.add_unit(spike_times=np.sort(mine["trial"] * 0.01 + mine["t_ms"] * 1e-3), population=pop, neuron=k)
    with pynwb.NWBHDF5IO(str(tmp_path / "s.nwb"), "w") as io:
        io.write(nwb)
    data = spike_io.read(tmp_path / "s.nwb")
    assert data.neurons == NEURONS and data.trials == 2 and data.dt_ms == 0.5
    assert data.duration_ms == pytest.approx(10)
    got = accountant.account(data.spikes, FANOUT, **KW).rows
    pd.testing.assert_frame_equal(got, accountant.account(SPIKES, FANOUT, **KW).rows)


def test_energy_tables_from_toml_and_their_errors(tmp_path):
    f = tmp_path / "chips.toml"
    f.write_text('[chip]\nsource = "datasheet, table 3"\nsynaptic_event = 2.0\nneuron_update = 1\n'
                 'sram_byte = 0.5\nincludes_traffic = ["neuron_update"]\n')
    (chip,) = energy.select("chip", str(f))
    assert chip.source == "datasheet, table 3" and chip.cost("synaptic_event") == 2.0 and chip.cost("mac") == 0
    acc = accountant.account(SPIKES, FANOUT, table="chip", tables_file=str(f), **KW)
    # 2 pJ per event, 1 pJ per update, weights and accumulators 12 bytes per event at 0.5 pJ; states free
    assert acc.total_pj() == pytest.approx(EVENTS * 2 + UPDATES * 1 + EVENTS * 12 * 0.5)
    for content, message in (('[c]\nmac = 1\n', "needs a source"),
                             ('[c]\nsource = "x"\nsop = 1\n', "unknown operation"),
                             ('[c]\nsource = "x"\nmac = -1\n', "must be a number"),
                             ('[c]\nsource = "x"\nmac = "one"\n', "must be a number"),
                             ('[c]\nsource = "x"\nincludes_traffic = ["sop"]\n', "includes_traffic"),
                             ("mac = 1\n", r"must be a \[table\]"),
                             ("[c\n", "not valid TOML")):
        f.write_text(content)
        with pytest.raises(ConfigError, match=message):
            energy.load_tables(f)
    j = tmp_path / "t.json"
    j.write_text(json.dumps({"c": {"mac": 1.0, "includes_traffic": ["synaptic_event"]}}))
    assert energy.load_tables(j)["c"].includes_traffic == ("synaptic_event",)  # JSON: source optional


def test_the_energy_command_on_a_csv_file(tmp_path, capsys):
    table = SPIKES.rename(columns={"t_ms": "time", "neuron": "unit", "population": "group"})
    table["time"] /= 1e3
    table.to_csv(tmp_path / "spikes.csv", index=False)
    args = ["energy", str(tmp_path / "spikes.csv"), "--fanout", "out=1,in=3.5", "--neurons", "in=3,out=2,hub=1",
            "--per-step", "hub:exp=2", "--stages", "in=encoding", "--dt", "0.5ms", "--duration", "5ms",
            "--columns", "time=time,neuron=unit,population=group,time_unit=s", "--set", "precision=fp16",
            "--out", str(tmp_path / "ops.csv")]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    # fan-out 3.5 for every neuron of "in": 1.5 spikes per trial x 3.5, plus "out"'s 1 x 1
    events = (3 / 2) * 3.5 + 1
    arithmetic = events * 0.4 + UPDATES * 4.6 + EXPS * 18.4  # fp16 add 0.4 pJ
    traffic = (events * (2 + 4 + 4) + UPDATES * 8) * 10 / 8
    assert f"total per trial: {(arithmetic + traffic) / 1e3:.4g} nJ with memory traffic, " \
           f"{arithmetic / 1e3:.4g} nJ without" in out
    assert "encoding" in out and "2 trial(s) of 10 steps" in out
    ops = pd.read_csv(tmp_path / "ops.csv")
    assert ops["pJ"].sum() == pytest.approx(arithmetic + traffic)


@pytest.mark.parametrize("extra, message", [
    (["--fanout", "in=3"], "no fan-out for population(s) out"),
    (["--fanout", "in=3,out=x"], "is not a number"),
    (["--fanout", "in=3,out=1", "--set", "precision=int4"], "unknown precision 'int4'"),
    (["--fanout", "in=3,out=1", "--dt", "5"], "needs a unit"),
    (["--fanout", "in=3,out=1", "--columns", "tim=t_ms"], "unknown parameter 'tim'"),
    (["--fanout", "in=3,out=1", "--per-step", "hub=2"], "POP:OP=K"),
    (["--fanout", "in=3,out=1", "--table", "chip"], "unknown energy table chip"),
])
def test_the_energy_command_on_bad_input_says_one_line_and_exits_2(tmp_path, capsys, extra, message):
    SPIKES.to_csv(tmp_path / "spikes.csv", index=False)
    assert cli.main(["energy", str(tmp_path / "spikes.csv"), *extra]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err


def test_the_energy_command_on_unreadable_files_says_one_line_and_exits_2(tmp_path, capsys):
    (tmp_path / "bad.pkl").write_bytes(b"\x80\x04not a pickle")
    (tmp_path / "spikes.txt").write_text("t_ms,neuron\n1,0\n")
    for name, message in (("bad.pkl", "is not a pickled Neo Block"), ("none.nwb", "no spike file"),
                          ("spikes.txt", "expected .csv, .parquet")):
        assert cli.main(["energy", str(tmp_path / name), "--fanout", "all=1"]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and message in err[0], err


def test_attention_reference_traffic_and_precisions_by_hand():
    # M = 3, N = 4, values of 4: 24 weights; MACs 12 + 12 + 3; per step reads 4 + 6, writes 6 + 4
    rows = accountant.attention_operations(3, 4, accounting=accountant.Accounting(precision="int8"))
    table = energy.TABLES["horowitz45"]
    priced = accountant.price(rows, table)
    assert priced.loc[priced["operation"] == "mac_int8", "count"].item() == 27
    assert priced["bytes"].sum() == 24 + 10 + 10  # one byte per int8 weight and activation
    assert priced["pJ"].sum() == pytest.approx(27 * 0.23 + 3 * 18.4 + 3 * 0.9 + 44 * 10 / 8)
    fp32 = break_even.attention_pj(3, 4, table, accountant.Accounting(), traffic=True)
    assert fp32 == pytest.approx(27 * 4.6 + 3 * 18.4 + 3 * 0.9 + 44 * 4 * 10 / 8)


def test_break_even_rates_make_the_two_energies_equal():
    network = {"neurons": {"in": 3, "out": 2}, "fanout": {"in": np.full(3, 4), "out": np.full(2, 3)},
               "per_step": {"out": {"exp": 1}}}
    shares = {"in": 0.75, "out": 0.25}  # a spike costs 0.75 x 4 + 0.25 x 3 = 3.75 synaptic events
    duration, dt = 0.01, 0.001  # 10 steps
    out = break_even.table([{"size": "tiny", "n_features": 4, "n_patterns": 3, "network": network,
                             "shares": shares, "measured_rate_Hz": 20.0}], duration, dt)
    syn = out[(out["level"] == "synaptic") & (out["precision"] == "fp32")].iloc[0]
    # mac_ac: spikes cost 3.75 x 0.9 pJ; nothing else is charged; attention 27 MACs + 3 adds
    attention = 27 * 4.6 + 3 * 0.9
    assert syn["attention_nJ"] * 1e3 == pytest.approx(attention) and syn["spiking_fixed_nJ"] == 0
    rate = attention / (3.75 * 0.9 * 5 * duration)  # spikes = rate x 5 neurons x 10 ms
    assert syn["break_even_Hz"] == pytest.approx(rate)
    assert syn["break_even_spikes_per_step"] == pytest.approx(rate * dt)
    assert syn["spiking_measured_nJ"] * 1e3 == pytest.approx(20 * 5 * duration * 3.75 * 0.9)
    mem = out[(out["level"] == "memory") & (out["precision"] == "int8") & (out["weight_memory"] == "sram")].iloc[0]
    fixed = 50 * (4.6 + 8 * 1.25) + 10 * 18.4  # 50 updates with 8 state bytes each, 10 exponentials
    per_spike = 3.75 * (0.03 + (1 + 8) * 1.25)  # int8 add, 1-byte weight, accumulator read and write
    assert mem["spiking_fixed_nJ"] * 1e3 == pytest.approx(fixed)
    assert mem["spiking_nJ_per_Hz"] * 1e3 == pytest.approx(per_spike * 5 * duration)
    assert mem["break_even_Hz"] == 0  # the fixed part alone exceeds int8 attention: never cheaper
    e = mem["spiking_fixed_nJ"] + mem["spiking_nJ_per_Hz"] * syn["break_even_Hz"]
    assert e > mem["attention_nJ"]
    # shares at another size: per-neuron rates keep their ratio (2 : 0.75), populations grow
    assert break_even.shares_at({"in": 6, "out": 1.5}, {"in": 3, "out": 2}, {"in": 10, "out": 20}) == \
        pytest.approx({"in": 20 / 35, "out": 15 / 35})
