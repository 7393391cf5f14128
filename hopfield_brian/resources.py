"""What a run will need (memory, disk, time steps), checked against what the machine has before it starts.

A run that cannot fit is refused with one line giving the estimate and the
limit, instead of growing memory without bound or hanging. The estimates are
upper bounds from the network's size and its neurons' largest rates:

* memory of one binary: synapses (~48 bytes each in Brian2's arrays: weight,
  indices, delay, per-synapse state), neurons (~200 bytes each), both times
  the replicas of the network it runs, and the spike monitors of a batch (12
  bytes per spike at the largest rates), times the binaries running at once;
  and the trials table (~2 kB per trial row); on a GPU, the replicas of a
  cuda_standalone run are as many as half its memory holds (:func:`gpu_replicas`);
* disk: the spike parquet parts (~2 bytes per spike at the largest rates; measured 1.13 bytes per spike
  of the default recall, whose 11,600 spikes per trial are half its bound);
* time steps of one trial: at most ``MAX_STEPS``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np

from .build_cache import nvidia_smi
from .errors import ConfigError

BYTES_PER_SYNAPSE = 48
BYTES_PER_NEURON = 200
BYTES_PER_SPIKE_IN_MEMORY = 12
BYTES_PER_SPIKE_ON_DISK = 2
BYTES_PER_TRIAL_ROW = 2048
MAX_STEPS = 20_000_000  # time steps of one trial (300 ms at dt = 0.2 ms is 1,500)
MAX_BATCH = 100_000
MAX_TRIALS = 100_000_000  # trials of one run


def cores() -> int:
    """Cores this process may use (its CPU affinity: what a SLURM or cgroup allocation grants)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def default_workers(device: str) -> int:
    """Binaries run at once: one per core on cpp_standalone (scoring a trial takes ~3 ms against its ~7 ms of
    simulation, so the scorer shares the cores: 1.4-1.8x the throughput of cores - 1 on 2 cores, BENCHMARKS.md);
    one on CUDA, since concurrent contexts time-slice the one GPU."""
    return 1 if device == "cuda_standalone" else cores()


def max_workers() -> int:
    return max(64, 8 * cores())


def memory_bytes() -> int:
    """Physical memory of this machine."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def _gib(n: float) -> str:
    return f"{n / 2**30:.3g} GiB"


def synapses(model) -> int:
    """Synapses of a model's network (upper bound)."""
    from .delay_model import DelayModel
    from .models import ClassicalModel
    from .shared_model import SharedDelayModel

    if isinstance(model, DelayModel):
        return int(np.sum(~np.isnan(model.keys)) + np.sum(~np.isnan(model.values)) + model.n_patterns)
    if isinstance(model, SharedDelayModel):
        return model.n_synapses
    if isinstance(model, ClassicalModel):
        return model.n_features * (model.n_features - 1)
    return 4 * model.n_features * model.n_patterns  # ON/OFF keys and values


def spike_rate(model, config) -> float:
    """Largest total spike rate of a model's network (spikes per second)."""
    from .delay_model import DelayModel
    from .models import ClassicalModel
    from .shared_model import SharedDelayModel

    neurons = sum(model.neuron_counts().values())
    background = float(getattr(config, "background_rate", 0.0)) * neurons
    p = model.params
    if isinstance(model, SharedDelayModel):  # a cue spike per feature in a trial of two cycles; detectors every step
        return model.n_features / (2 * model.cycle) + model.n_detectors / model.dt
    if isinstance(model, DelayModel):
        return model.n_features / float(p.feature_refractory) + model.n_patterns / float(p.memory_refractory) \
            + background
    if isinstance(model, ClassicalModel):
        return model.n_features * float(p.rate_max) + background
    return 2 * model.n_features * float(p.rate_feature) + float(p.rate_memory) + background


def gpu_memory_bytes() -> int | None:
    """Memory of the first GPU ``nvidia-smi`` lists (None when none is visible)."""
    try:
        return int(float(nvidia_smi("--query-gpu=memory.total", "--format=csv,noheader,nounits").split()[0]) * 2**20)
    except (ValueError, IndexError):
        return None


def network_bytes(model) -> int:
    """Memory of one copy of a model's network (synapses and neurons)."""
    return synapses(model) * BYTES_PER_SYNAPSE + sum(model.neuron_counts().values()) * BYTES_PER_NEURON


def gpu_replicas(model, cap: int) -> int:
    """Replicas of ``model`` per cuda_standalone run: at most ``cap``, and no more than half the GPU's memory
    holds (``cap`` when no GPU is visible, e.g. building on a machine without one)."""
    memory = gpu_memory_bytes()
    return cap if memory is None else max(1, min(cap, memory // (2 * network_bytes(model))))


def check(protocol, points: list, out, workers: int | None, batch: int | None) -> None:
    """Refuse, in one line, a run that would not fit this machine (see the module's docstring)."""
    if workers is not None and workers > max_workers():
        raise ConfigError(f"--workers {workers:,} is more than {max_workers()} binaries at once on this machine "
                          f"({cores()} cores)")
    if batch is not None and batch > MAX_BATCH:
        raise ConfigError(f"--batch {batch:,}: at most {MAX_BATCH:,} trials per binary run")
    trials = sum(pt.config.trials for pt in points)
    if trials > MAX_TRIALS:
        raise ConfigError(f"{trials:,} trials in one run; at most {MAX_TRIALS:,} (split the sweep)")
    ram = memory_bytes()
    if trials * BYTES_PER_TRIAL_ROW > ram / 4:
        raise ConfigError(f"{trials:,} trials: their table would need ~{_gib(trials * BYTES_PER_TRIAL_ROW)} of "
                          f"memory, more than a quarter of this machine's {_gib(ram)}")
    running = workers or default_workers(getattr(protocol.config, "device", "cpp_standalone"))
    spikes_on_disk = 0.0
    for group in protocol.groups(points):
        base = group[0]
        duration = float(protocol.duration_of(base))
        steps = duration / float(base.config.dt)
        if steps > MAX_STEPS:
            raise ConfigError(f"a trial of {duration * 1e3:g} ms at dt = {float(base.config.dt) * 1e3:g} ms is "
                              f"{steps:,.0f} time steps; at most {MAX_STEPS:,} (a larger dt or shorter phases)")
        per_trial = spike_rate(base.model, base.config) * duration
        from .simulator import batch_size, replicas_for

        device = getattr(protocol.config, "device", "cpp_standalone")
        replicas = replicas_for(base.model, device, batch)
        n_batch = min(batch_size(base.model, device, batch, replicas), max(pt.config.trials for pt in group))
        binary = replicas * network_bytes(base.model) + per_trial * n_batch * BYTES_PER_SPIKE_IN_MEMORY
        if binary * min(running, len(group) * n_batch or 1) > 0.8 * ram:
            raise ConfigError(f"the network of point {base.index} needs ~{_gib(binary)} per binary "
                              f"({replicas * synapses(base.model):,} synapses, up to {per_trial * n_batch:,.0f} spikes per "
                              f"batch) x {running} at once: more than 80 % of this machine's {_gib(ram)} "
                              "(fewer --workers, a smaller --batch or a smaller network)")
        spikes_on_disk += per_trial * sum(pt.config.trials for pt in group)
    if out is not None:
        target = Path(out)
        while not _exists(target) and target != target.parent:
            target = target.parent
        free = shutil.disk_usage(target).free
        need = spikes_on_disk * BYTES_PER_SPIKE_ON_DISK
        if need > free:
            raise ConfigError(f"the spikes of {trials:,} trials may need ~{_gib(need)} on disk, {target} has "
                              f"{_gib(free)} free")


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:  # a name too long: the output folder's own check says so
        return False


def check_build_root(root: Path) -> None:
    """The build folder root must be a folder this process can write in (``$HOPFIELD_BRIAN_BUILD``)."""
    if root.exists() and not root.is_dir():
        raise ConfigError(f"build folder {root} ($HOPFIELD_BRIAN_BUILD or ~/.cache/hopfield_brian/build) is a file")
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create the build folder {root}: {exc.strerror}") from None
    if not os.access(root, os.W_OK | os.X_OK):
        raise ConfigError(f"cannot write in the build folder {root} (permission denied)")
