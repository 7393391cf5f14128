"""The Brian2 internals of hopfield_brian.brian2_compat, each exercised so that a Brian2 release that
changes one fails here, loudly, rather than as wrong results elsewhere."""

import brian2 as b2
import numpy as np
import pytest

from hopfield_brian import brian2_compat as compat
from hopfield_brian import patterns as pat
from hopfield_brian.equations.modern import ModernParams
from hopfield_brian.models import ModernModel
from hopfield_brian.simulator import Simulator, Trial


def test_the_private_names_this_package_uses_exist():
    compat.select_device("cpp_standalone")
    device = b2.get_device()
    for name in ("_prepare_variableview_run_arg", "main_queue", "insert_code", "apply_run_args", "get_array_name",
                 "get_array_filename", "reinit"):
        assert hasattr(device, name), name
    assert hasattr(b2.core.variables, "DynamicArrayVariable") and hasattr(b2.core.variables, "ArrayVariable")
    assert hasattr(b2.Synapses, "_pathways") or "_pathways" in b2.Synapses.__init__.__code__.co_names


def test_run_arg_gives_text_for_a_scalar_and_a_file_for_an_array():
    """Brian2's command-line form of a value, and the package's own (used on warm builds) equal to it."""
    from hopfield_brian.build_cache import run_arg

    compat.select_device("cpp_standalone")
    group = b2.NeuronGroup(3, "x : 1 (constant)\ny : 1 (shared, constant)\nr : Hz (shared, constant)\n"
                              "k : integer (constant)", name="probe")
    name, text, file_name, array = compat.run_arg(group.y, 0.5)
    assert name == "probe.y" and float(text) == 0.5 and file_name is None
    name, text, file_name, array = compat.run_arg(group.x, np.arange(3.0))
    assert name == "probe.x" and file_name and np.array_equal(array, np.arange(3.0))
    for var, value in (("y", 0.1), ("r", 250 * b2.Hz), ("x", np.array([0.1, -2.0, 3e-9])),
                       ("k", np.array([1, 2, 3])), ("x", np.array([0.7, 0.7, 0.7]))):
        name, text, file_name, array = compat.run_arg(getattr(group, var), value)
        argument, dtype = compat.recipe_argument(group, var)
        assert argument == name
        mine = run_arg(argument, dtype, value)
        assert mine[:2] == (text, file_name) and mine[2].tobytes() == array.tobytes(), (name, value)


def test_select_device_gives_fresh_names_and_refuses_unknown_devices():
    from hopfield_brian.errors import ConfigError

    compat.select_device("cpp_standalone")
    first = b2.NeuronGroup(1, "v : 1").name
    compat.select_device("cpp_standalone")
    assert b2.NeuronGroup(1, "v : 1").name == first  # the dead group of the first build is collected
    with pytest.raises(ConfigError, match="unknown device 'fpga'"):
        compat.select_device("fpga")


def test_the_batch_loop_is_injected_into_main_and_restores_each_trial(tmp_path):
    """Two trials of one batch equal the same trials run one per binary (state restored, queues
    emptied, seed and cue loaded, clock restarted), and main.cpp carries the injected loop."""
    keys = pat.generate("bipolar", 4, 16, 0.5, seed=0)
    model = ModernModel(ModernParams(feature_coding="poisson"), keys)
    values = model.runtime_values() | {"t_cue": 20 * b2.ms, "deletion": 0.0, "background_rate": 0 * b2.Hz}
    trials = [Trial(keys[k], 10 + k) for k in range(2)]
    spikes = {}
    for batch in (1, 2):
        sim = Simulator(model, "cpp_standalone", 40 * b2.ms, 0.2 * b2.ms, values, batch=batch,
                        build_dir=tmp_path / f"b{batch}")
        try:
            spikes[batch] = [s for _, s in sim.run_many(trials)]
            main = (sim.build_dir / "main.cpp").read_text()
        finally:
            sim.close()
        assert "_hb_k" in main and "_trial_ends" in main
    for a, b in zip(*spikes.values()):
        for pop in a:
            assert np.array_equal(a[pop][0], b[pop][0]) and np.array_equal(a[pop][1], b[pop][1])
    assert sum(a["memory"][0].size for a in spikes[1]) > 0
