"""The Brian2 internals this package relies on, in one place.

Everything here reaches past Brian2's public API (checked against brian2
2.10.1 and brian2cuda 1.0b1); tests/test_brian2_compat.py exercises each
piece so that a Brian2 release that changes one fails loudly there:

* :func:`select_device`: resetting the device between builds in one process
  (``device.reinit``), and collecting dead networks so that object names,
  and so the generated sources, are those of a fresh process;
* :func:`run_arg`: ``device._prepare_variableview_run_arg``, how a standalone
  binary is told a variable's new value on its command line (reproduced without
  Brian2 by :func:`hopfield_brian.build_cache.run_arg`; a test holds them equal);
* :func:`recipe`: the names, types and files of a built network's variables
  (``get_array_filename``, ``VariableView.group_name``/``dtype``), so that a
  warm build runs without Brian2;
* :func:`batch_loop`: C++ injected into ``main()`` (``device.insert_code``,
  edits of ``device.main_queue``, the names of state arrays, spike queues
  emptied through ``Synapses._pathways``) so that one binary runs a batch of
  trials, each restored, given its seed and cue and restarted at t = 0;
  on cuda_standalone the same with brian2cuda's ``dev``-prefixed device arrays
  and vectors (``get_array_name(..., prefix="dev")``, thrust, cudaMemcpy);
* :func:`one_dt_setting`: dropping repeated ``defaultclock.dt`` settings from
  ``device.main_queue`` (their number depends on the process's history).
"""

from __future__ import annotations

import gc
import logging

import brian2 as b2
import numpy as np

from .build_cache import Recipe
from .simulator import DEVICES


def select_device(device: str, build_root=None) -> None:
    """Select ``device`` afresh (repeated builds in one process need a reset)."""
    from .errors import ConfigError

    if device not in DEVICES:
        raise ConfigError(f"unknown device {device!r}; choose from {', '.join(DEVICES)}")
    b2.device.reinit()
    # Brian2 names objects uniquely among the living ones: collect the dead networks of earlier
    # builds so that this one's code objects get the same names as in a fresh process (otherwise
    # the generated sources differ and a warm build folder recompiles everything)
    gc.collect()
    b2.prefs.logging.console_log_level = "WARNING"
    # escape-noise groups have no reset by design; Brian2 recognises them only when their threshold calls rand()
    logging.getLogger("brian2.groups.neurongroup.only_threshold").setLevel(logging.ERROR)
    if device == "runtime":
        b2.set_device("runtime")
        b2.prefs.codegen.target = "cython"
    elif device == "cuda_standalone":
        from . import cuda

        cuda.configure(build_root)
        b2.set_device(device, build_on_run=False)
    else:
        b2.set_device(device, build_on_run=False)


def run_arg(variable_view, value) -> tuple:
    """``(name, text, file name or None, array or None)``: how the standalone binary's command line sets
    ``variable_view`` to ``value`` (an array travels as a file the caller writes to static_arrays)."""
    return b2.device._prepare_variableview_run_arg(variable_view, value)


def recipe_argument(group, var: str) -> tuple[str, str]:
    """``(argument, dtype)``: how the binary's command line names ``group.var`` (or a TimedArray's
    ``values``), and its type."""
    if isinstance(group, b2.TimedArray):
        return f"{group.name}.{var}", np.dtype(group.values.dtype).name
    view = getattr(group, var)
    return f"{view.group_name}.{var}", np.dtype(view.dtype).name


def recipe(built, key: str, batch_groups=None) -> Recipe:
    """The :class:`~hopfield_brian.build_cache.Recipe` of a built network (after ``device.build``)."""
    batch = None
    if batch_groups is not None:
        seeds, cues = batch_groups
        batch = {"seed": recipe_argument(seeds, "seed"), "count": recipe_argument(seeds, "count"),
                 "cue": recipe_argument(cues, "value")}
    return Recipe(
        key=key,
        tunables={name: [recipe_argument(g, v) for g, v in entries] for name, entries in built.tunables.items()},
        cue=(*recipe_argument(*built.cue), len(built.cue[0]) // built.replicas),
        seed=recipe_argument(*built.seed),
        arrays={name: (*recipe_argument(g, v), size, copies) for name, (g, v, size, copies) in built.arrays.items()},
        batch=batch,
        results={pop: tuple(b2.device.get_array_filename(mon.variables[v]) for v in ("i", "t"))
                 for pop, mon in built.monitors.items()},
        fanout={pop: np.asarray(f, dtype=np.int64) for pop, f in built.fanout.items()},
    )


def batch_loop(built, duration, passes: int, cuda: bool = False) -> tuple:
    """Make the standalone binary run up to ``passes`` networks of trials in one process (each of
    ``built.replicas`` trials), on the host (cpp_standalone) or on the GPU (``cuda``: brian2cuda's
    ``dev``-prefixed device arrays and vectors; models without synaptic delays only).

    Adds two groups that carry a batch's per-trial seeds and cues (run_args) and
    wraps the network run in a loop: each pass restores every non-constant
    array of the network's groups to its value after initialisation, empties
    the spike queues (cpp_standalone), loads its trials' seeds (of their
    counter-based draws) and cues, runs ``trial_init`` and the network from
    t = 0, and records where each spike monitor's arrays end. After the loop the
    binary writes only the spike monitors, their per-pass ends and the summed
    run time (Brian2 would otherwise write every array, synapses included: 128 MB
    per replica at N = M = 1000). Returns the seed group (``seed`` per trial,
    ``count``: the passes of the batch) and the cue group.
    """
    net = built.network
    cue_group, cue_var = built.cue
    seed_group, seed_var = built.seed
    replicas = built.replicas
    seeds = b2.NeuronGroup(passes * replicas, "seed : integer (constant)  # random seed of each trial of the batch\n"
                                              "count : integer (shared, constant)  # passes of the loop in this batch",
                           name="batch")
    cues = b2.NeuronGroup(passes * len(cue_group), "value : 1 (constant)  # cue of each trial, one after another",
                          name="batch_cue")
    net.add(seeds, cues)
    b2.device.apply_run_args()
    built.initialise_weights()
    prefix = {"prefix": "dev"} if cuda else {}

    def array(var, access_data=True) -> str:  # the array (on cuda: on the device) of a variable
        return b2.device.get_array_name(var, access_data=access_data, **prefix)

    def copy(target: str, source: str, count) -> str:
        if cuda:
            return (f"CUDA_SAFE_CALL(cudaMemcpy({target}, {source}, ({count}) * sizeof({target}[0]), "
                    "cudaMemcpyDeviceToDevice));")
        return f"std::copy({source}, {source} + ({count}), {target});"

    buffer = "thrust::device_vector" if cuda else "std::vector"
    start = "thrust::device_pointer_cast({0})" if cuda else "{0}"
    data = "thrust::raw_pointer_cast(_hb_init{0}.data())" if cuda else "_hb_init{0}.data()"
    state = state_arrays(net, exclude=(seeds, cues), **prefix)
    pathways = [] if cuda else [p for obj in sorted(net.objects, key=lambda o: o.name) if isinstance(obj, b2.Synapses)
                                for p in obj._pathways]
    seed, batch_seed = array(seed_group.variables[seed_var]), array(seeds.variables["seed"])
    cue, batch_cue = array(cue_group.variables[cue_var]), array(cues.variables["value"])
    lines = ["double _hb_run_time = 0;",
             *[f"std::vector<int64_t> _hb_ends_{pop};" for pop in built.monitors],
             *[f"const auto _hb_init{k} = {name};" if dynamic else
               f"const {buffer}<std::remove_pointer<decltype({name})>::type> _hb_init{k}("
               f"{start.format(name)}, {start.format(name)} + {n});"
               for k, (name, n, dynamic) in enumerate(state)],
             f"for (int _hb_k = 0; _hb_k < {b2.device.get_array_name(seeds.variables['count'])}[0]; _hb_k++) {{",
             *[f"{name} = _hb_init{k};" if dynamic else copy(name, data.format(k), n)
               for k, (name, n, dynamic) in enumerate(state)],
             copy(seed, f"{batch_seed} + _hb_k * {replicas}", replicas),
             copy(cue, f"{batch_cue} + _hb_k * {len(cue_group)}", len(cue_group)),
             *[f"for (auto _q : {pathway.name}.queue) {{ for (auto &_slot : _q->queue) _slot.clear(); _q->offset = 0; }}"
               for pathway in pathways],  # spikes still in flight (synaptic delays) die with their trial
             f"{net.name}.t = 0.0;"]
    queue = b2.device.main_queue
    loop_start = len(queue)
    b2.device.insert_code("main", "\n".join(lines))
    built.initialise_trial()
    net.run(duration, namespace=built.namespace)
    # the spike queues are prepared once, before the loop (their delays are constants), and emptied
    # before each trial: preparing them costs ~20 ms per trial at N = M = 1000
    prepare = [e for e in queue[loop_start:] if e[0] == "before_run_code_object" and e[1][0].name.endswith("push_spikes")]
    queue[loop_start:] = [e for e in queue[loop_start:] if e not in prepare]
    queue[loop_start:loop_start] = prepare
    spikes = {pop: {v: array(mon.variables[v], access_data=False) for v in ("i", "t")}
              for pop, mon in built.monitors.items()}
    lines = ["_hb_run_time += Network::_last_run_time;",
             *[f"_hb_ends_{pop}.push_back({vectors['i']}.size());" for pop, vectors in spikes.items()],
             "}"]
    for pop, mon in built.monitors.items():
        for v, vector in spikes[pop].items():
            if cuda:  # copied to the host first
                lines.append(f"{{ std::vector<decltype({vector})::value_type> _hb_host({vector}.size());\n"
                             f"if (!_hb_host.empty()) CUDA_SAFE_CALL(cudaMemcpy(_hb_host.data(), "
                             f"thrust::raw_pointer_cast({vector}.data()), _hb_host.size() * sizeof(_hb_host[0]), "
                             f"cudaMemcpyDeviceToHost));\n{_write_vector('_hb_host', _result_file(mon, v))} }}")
            else:
                lines.append(_write_vector(vector, _result_file(mon, v)))
        lines.append(_write_vector(f"_hb_ends_{pop}", f'"{pop}_trial_ends"'))
    lines.append('{ std::ofstream f(results_dir + "last_run_info.txt"); f << _hb_run_time << " 1" << std::endl; }')
    lines.append("return 0;")
    b2.device.insert_code("main", "\n".join(lines))
    return seeds, cues


def _result_file(monitor, var: str) -> str:
    return f'"{b2.device.get_array_filename(monitor.variables[var])}"'


def one_dt_setting() -> None:
    """Keep only the last of the defaultclock.dt settings the device recorded for main().

    How many it records depends on what the process did before (a fresh process
    records three), and a main.cpp that differs recompiles in a warm build folder.
    """
    dt = b2.device.get_array_name(b2.defaultclock.variables["dt"])
    queue = b2.device.main_queue
    settings = [k for k, (func, args) in enumerate(queue) if func == "set_by_single_value" and args[0] == dt]
    for k in reversed(settings[:-1]):
        del queue[k]


def state_arrays(net, exclude=(), **prefix) -> list:
    """(C++ array name, size, dynamic) of every non-constant array variable of the network's groups
    (``prefix="dev"``: brian2cuda's device arrays)."""
    out, seen = [], set()
    for obj in sorted(net.objects, key=lambda o: o.name):  # a fixed order: an unchanged main.cpp is not rebuilt
        if not isinstance(obj, (b2.NeuronGroup, b2.Synapses)) or obj in exclude:
            continue
        for var_name, var in obj.variables.items():
            if (not isinstance(var, b2.core.variables.ArrayVariable) or var.constant or var.read_only
                    or var_name.startswith("_") or getattr(var.owner, "name", None) != obj.name or id(var) in seen):
                continue
            seen.add(id(var))
            dynamic = isinstance(var, b2.core.variables.DynamicArrayVariable)
            out.append((b2.device.get_array_name(var, access_data=not dynamic, **prefix), var.size, dynamic))
    return out


def _write_vector(vector: str, file_name: str) -> str:
    return (f"{{ std::ofstream f(results_dir + {file_name}, std::ios::binary); if (!{vector}.empty()) "
            f"f.write(reinterpret_cast<const char*>(&{vector}[0]), {vector}.size() * sizeof({vector}[0])); }}")
