"""Running a protocol's trials on Dask distributed: one machine's worker processes, a lab server, a cluster.

The engine (:mod:`hopfield_brian.engine`) is unchanged: it asks for batches
of trials and scores them. Given a ``distributed.Client`` it gets them from
:class:`DaskRunner` instead of a local :class:`~hopfield_brian.simulator.Simulator`:

* the client process alone owns the results folder, the journal and resume;
  workers receive batches of trials (cue, seed and run-time values only),
  run and score them, and return each trial's row and spikes: no shared file
  system is needed for results, and the client only stores;
* each worker builds a network structure once (through the content-addressed
  build cache, safe when workers share a build folder: see
  :func:`hopfield_brian.build_cache.open_build`) and keeps the simulator for
  every later batch of that structure (:class:`SimulatorCache`, a worker plugin);
* at most ``2 x workers`` batches are in flight, so a 10^6-trial sweep holds
  a few batches, never 10^6 futures;
* a batch whose worker dies is run again by Dask on another worker; the
  client stores a batch once, when its result arrives (0 trials lost, 0
  duplicated); a killed client resumes from the journal like a local run;
* a trial's spikes do not depend on the batch it ran in (the binary restores
  and restarts each trial, whose random draws depend on its seed only), so
  the tables are those of a local run, spike for spike, whatever the number
  of workers.

:func:`connect` makes the client for ``--scheduler ADDRESS``, ``--cluster
local:W`` or a dask-jobqueue cluster (``--cluster slurm --jobs N``) whose
settings come from Dask's own configuration (``~/.config/dask/jobqueue.yaml``).
Dask and dask-jobqueue come with ``pip install 'hopfield-brian[cluster]'``.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import OrderedDict

from .errors import ConfigError

try:
    import distributed
except ImportError:  # pragma: no cover - depends on the install
    raise ConfigError("running on Dask needs dask.distributed: pip install 'hopfield-brian[cluster]'") from None

PLUGIN = "hopfield-brian-simulators"
JOBQUEUE = {"slurm": "SLURMCluster", "pbs": "PBSCluster", "sge": "SGECluster", "lsf": "LSFCluster",
            "htcondor": "HTCondorCluster", "moab": "MoabCluster", "oar": "OARCluster"}


@contextlib.contextmanager
def connect(scheduler: str | None = None, cluster: str | None = None, jobs: int | None = None):
    """A ``distributed.Client`` for the command line's options (closed, with any cluster it started, on exit):
    ``scheduler``: the address of a running scheduler; ``cluster``: ``local:W`` (W worker processes on this
    machine) or a dask-jobqueue kind (``slurm``, ``pbs``, ``sge``, ``lsf``, ``htcondor``, ``moab``, ``oar``),
    started with ``jobs`` jobs."""
    if scheduler and cluster:
        raise ConfigError("give either --scheduler or --cluster, not both")
    if jobs is not None and (not cluster or cluster.startswith("local")):
        raise ConfigError("--jobs goes with a dask-jobqueue --cluster (slurm, pbs, sge, lsf, htcondor, moab, oar)")
    with contextlib.ExitStack() as stack:
        if scheduler:
            try:
                client = distributed.Client(scheduler, timeout="20s")
            except OSError as exc:
                raise ConfigError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
        else:
            started = stack.enter_context(_start_cluster(cluster, jobs))
            client = distributed.Client(started)
        stack.callback(client.close)
        yield client


def _start_cluster(cluster: str, jobs: int | None):
    kind, _, count = cluster.partition(":")
    if kind == "local":
        try:
            workers = int(count)
        except ValueError:
            workers = 0
        if workers < 1:
            raise ConfigError(f"--cluster local:W needs a number of workers W >= 1, got {cluster!r}")
        return distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                        dashboard_address=None)
    if kind not in JOBQUEUE or count:
        raise ConfigError(f"unknown --cluster {cluster!r}; choose local:W or one of {', '.join(JOBQUEUE)}")
    if jobs is None or jobs < 1:
        raise ConfigError(f"--cluster {kind} needs --jobs N >= 1 (the batch jobs to submit)")
    try:
        import dask_jobqueue
    except ImportError:
        raise ConfigError("--cluster needs dask-jobqueue: pip install 'hopfield-brian[cluster]'") from None
    started = getattr(dask_jobqueue, JOBQUEUE[kind])()  # settings from Dask's configuration (jobqueue.yaml)
    started.scale(jobs=jobs)
    return started


class SimulatorCache(distributed.WorkerPlugin):
    """A worker plugin: the simulators this worker built, reused for every batch of their structure
    (the few most recent; closed, releasing their build folders, when the run ends)."""

    name = PLUGIN
    keep = 4

    def setup(self, worker):  # on the worker (the plugin travels pickled, without them)
        self.simulators = OrderedDict()
        # a worker with several threads runs one batch at a time: Brian2's build state is per process, and
        # a simulator's binaries and results folders are its own
        self.lock = threading.Lock()

    def get(self, token: str, make):
        if token not in self.simulators:
            self.simulators[token] = (make(), True)
            while len(self.simulators) > self.keep:
                self.simulators.popitem(last=False)[1][0].close()
        sim, new = self.simulators[token]
        self.simulators[token] = (sim, False)
        self.simulators.move_to_end(token)
        return sim, new

    def teardown(self, worker):
        for sim, _ in self.simulators.values():
            sim.close()
        self.simulators.clear()


def _run_batch(protocol, base, points: dict, token: str, batch: int | None, jobs: list) -> dict:
    """On a worker: run one batch of ``(point index, repeat, key, Trial)`` and score each trial; the rows, the
    spikes, and what building cost if this call built."""
    cache = distributed.get_worker().plugins[PLUGIN]
    with cache.lock:
        sim, new = cache.get(token, lambda: protocol.simulator(base, 1, batch))
        before, t0 = sim.run_seconds, time.perf_counter()
        spikes = [s for finished in sim.run_batches(trial for *_, trial in jobs) for _, s in finished]
        share = (time.perf_counter() - t0) / len(jobs)  # each trial's share of the wall time
        run_seconds = sim.run_seconds - before
    rows = [protocol.score(points[index], repeat, key, s, sim.fanout, share)
            for (index, repeat, key, _), s in zip(jobs, spikes)]
    out = {"rows": rows, "spikes": spikes, "run_seconds": run_seconds}
    if new:
        out.update(compilations=sim.compilations, build_time=sim.build_time)
    return out


class DaskRunner:
    """The part of a :class:`~hopfield_brian.simulator.Simulator` the engine uses, with the batches run and their
    trials scored on a Dask cluster (see the module's docstring)."""

    def __init__(self, client, protocol, points: list, batch: int | None):
        from .simulator import batch_size, replicas_for

        self.client, self.protocol, self.points, self.batch = client, protocol, points, batch
        model, device = points[0].model, protocol.config.device
        self.size = batch_size(model, device, batch, replicas_for(model, device, batch))
        client.wait_for_workers(1)  # queued batch jobs (dask-jobqueue) may take a while to start
        self.workers = self._count()
        self.compilations, self.build_time, self.run_seconds = 0, 0.0, 0.0
        self._remote = None

    def run_batches(self, jobs, total: int | None = None):
        """Lists of ``((point, repeat, key), spikes, row)``, one per batch, as the batches finish;
        ``jobs``: ``((point, repeat, key), Trial)`` in order."""
        from .simulator import SimulationError, batches

        if self._remote is None:  # sent once per worker, not once per batch
            scatter = lambda obj: self.client.scatter(obj, broadcast=True, hash=False)  # noqa: E731
            self._remote = (scatter(self.protocol), scatter(self.points[0]),
                            scatter({pt.index: pt for pt in self.points}))
        protocol, base, points = self._remote
        pending = batches(iter(jobs), self.size, total, self.workers)
        in_flight = {}

        counted = time.monotonic()

        def submit():
            nonlocal counted
            if time.monotonic() - counted > 5.0:  # workers join (and leave) during a run; asked every 5 s
                self.workers, counted = self._count(), time.monotonic()
            while len(in_flight) < 2 * self.workers:
                batch = next(pending, None)
                if batch is None:
                    return
                work = [(pt.index, repeat, key, trial) for (pt, repeat, key), trial in batch]
                future = self.client.submit(_run_batch, protocol, base, points, base.key, self.batch, work, pure=False)
                in_flight[future] = batch

        submit()
        try:
            while in_flight:
                done, _ = distributed.wait(list(in_flight), return_when="FIRST_COMPLETED")
                for future in done:
                    batch = in_flight.pop(future)
                    try:
                        result = future.result()
                    except SimulationError as exc:
                        raise SimulationError(str(exc), [job for job, _ in batch]) from None
                    self._account(result)
                    yield [(job, spikes, row) for (job, _), spikes, row in zip(batch, result["spikes"], result["rows"])]
                submit()
        finally:
            for future in in_flight:
                future.cancel()

    def _count(self) -> int:
        return max(1, len(self.client.scheduler_info().get("workers", {})))

    def _account(self, result: dict) -> None:
        self.run_seconds += result["run_seconds"]
        if "compilations" in result:
            self.compilations += result["compilations"]
            self.build_time += result["build_time"]

    def close(self) -> None:
        if self._remote is not None:
            self.client.cancel(list(self._remote))
            self._remote = None


@contextlib.contextmanager
def simulators_on(client):
    """Workers keep their simulators for the length of a run (a fresh cache per run, closed after it)."""
    client.register_plugin(SimulatorCache(), name=PLUGIN)
    try:
        yield
    finally:
        with contextlib.suppress(Exception):  # a cluster already gone has nothing left to close
            client.unregister_worker_plugin(PLUGIN)
