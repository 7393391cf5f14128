"""Operation counts and energy: hand-computed cases, tables, break-even rates, attention references."""

import json

import numpy as np
import pytest

from hopfield_brian import energy, reference
from hopfield_brian.errors import ConfigError


def test_spiking_ops_count_every_spike_times_its_fanout_up_to_stop():
    # population a: neurons with fan-outs 3 and 5; b: one neuron with fan-out 7
    spikes = {"a": (np.array([0, 1, 1, 0]), np.array([0.001, 0.002, 0.010, 0.030])),
              "b": (np.array([0, 0]), np.array([0.005, 0.025]))}
    fanout = {"a": np.array([3, 5]), "b": np.array([7])}
    ops = energy.spiking_ops(spikes, fanout, n_neurons=3, steps=100, stop=0.02)
    # before 20 ms: a spikes 0, 1, 1 (3 + 5 + 5) and b once (7)
    assert ops == {"synaptic_event": 20, "spike": 4, "neuron_update": 300, "plastic_update": 0, "weight_read": 20,
                   "add": 0, "exp": 0}
    assert energy.spiking_ops(spikes, fanout, 3, 100, stop=0.02, summed_terms=2)["add"] == 200
    assert energy.spiking_ops(spikes, fanout, 3, 100, stop=0.02, exponentials=2)["exp"] == 200
    assert energy.synaptic_events(spikes, fanout, stop=0.02) == {"a": 13, "b": 7}


def test_plastic_updates_of_a_storage_run():
    from hopfield_brian.equations.plasticity import StorageParams
    from hopfield_brian.storage import plastic_updates

    p = StorageParams()  # 200 ms presentations at 0.1 ms: 2000 steps each
    assert plastic_updates("classical", 3, 10, p) == 10 * 9 * 3 * 2000
    assert plastic_updates("modern", 3, 10, p) == 2 * (2 * 10 * 3) * 3 * 2000


def test_attention_and_classical_ops_by_hand():
    # M = 3 memories, N = 4 features, values of length 2, one step: scores 12 MACs, output 6 MACs,
    # normalisation 3 multiplications; 3 exponentials and 3 additions
    assert energy.attention_ops(3, 4, 2) == {"mac": 21, "exp": 3, "add": 3, "memory_read": 18}
    # two steps: one more score (12) and one query update (12), 3 more normalisations
    assert energy.attention_ops(3, 4, 2, n_steps=2)["mac"] == 21 + 24 + 3
    assert energy.classical_ops(10, 3) == {"mac": 300, "memory_read": 300}
    assert energy.classical_ops(10, 1.5)["mac"] == 150  # a mean number of sweeps


def test_energy_under_the_builtin_tables():
    ops = {"synaptic_event": 1000, "spike": 10, "neuron_update": 50, "mac": 100, "exp": 2, "add": 2,
           "weight_read": 1000, "memory_read": 1000}
    assert energy.energy_pj(ops, energy.TABLES["mac_ac"]) == pytest.approx(1000 * 0.9 + 100 * 4.6 + 2 * 0.9)
    assert energy.energy_pj(ops, energy.TABLES["horowitz45"]) == pytest.approx(
        1000 * (0.9 + 10) + 50 * 4.6 + 100 * 4.6 + 2 * 4 * 4.6 + 2 * 0.9 + 1000 * 10)
    loihi = energy.energy_pj({"synaptic_event": 1000, "weight_read": 1000, "spike": 10, "neuron_update": 50,
                              "plastic_update": 1}, energy.TABLES["loihi"])
    # weight reads are part of Loihi's synaptic operation; a spike adds the active update (81 - 52 pJ)
    assert loihi == pytest.approx(1000 * 23.6 + 10 * (81 - 52 + 1.7) + 50 * 52 + 120)


def test_break_even_rate_makes_the_spiking_energy_equal_to_the_reference():
    table = energy.TABLES["horowitz45"]
    n, duration = 10, 0.1
    ops = {"synaptic_event": 400, "weight_read": 400, "spike": 20, "neuron_update": 1000, "add": 500}
    reference_pj = 50_000.0
    rate = energy.break_even_rate(ops, table, reference_pj, n, duration)
    scale = rate * n * duration / ops["spike"]  # spikes at that rate relative to the run's
    at_rate = {**{k: v * scale for k, v in ops.items() if k in energy.PER_SPIKE}, "neuron_update": 1000, "add": 500}
    assert energy.energy_pj(at_rate, table) == pytest.approx(reference_pj)
    assert energy.break_even_rate(ops, table, 1.0, n, duration) == 0.0  # updates alone cost more


def test_user_tables_from_a_file_and_bad_tables(tmp_path):
    f = tmp_path / "tables.json"
    f.write_text(json.dumps({"chip": {"source": "datasheet", "synaptic_event": 2.0, "mac": 1.0}}))
    (chip,) = energy.select("chip", str(f))
    assert chip.cost("synaptic_event") == 2.0 and chip.cost("exp") == 0.0 and chip.source == "datasheet"
    for content, message in ((json.dumps({"c": {"sop": 1}}), "unknown operation"),
                             (json.dumps({"c": {"mac": -1}}), "must be a number"),
                             ("{", "not valid JSON"), ("[]", "JSON object")):
        f.write_text(content)
        with pytest.raises(ConfigError, match=message):
            energy.load_tables(f)
    with pytest.raises(ConfigError, match="unknown energy table truenorth"):
        energy.select("mac_ac,truenorth")


def test_attention_reference_semantics():
    rng = np.random.default_rng(0)
    keys = rng.choice([-1.0, 1.0], size=(6, 16))
    values = rng.choice([-1.0, 1.0], size=(6, 16))
    q = keys[2] * np.where(rng.random(16) < 0.2, -1, 1)
    p, out = reference.attention(q, keys, values, beta=0.3)
    expected = np.exp(0.3 * keys @ q)
    assert np.allclose(p[0], expected / expected.sum())
    assert np.allclose(out[0], p[0] @ values)  # hetero-association: weights from keys, output from values
    for steps in (1, 3):  # auto-association: iterating in key space is the modern Hopfield update
        _, auto = reference.attention(q, keys, None, 0.05, n_steps=steps)
        assert np.allclose(auto[0], reference.modern_recall(keys, q, 0.05, n_steps=steps))
