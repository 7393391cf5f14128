"""Command line: ``hopfield-brian run PROTOCOL [options] [--set NAME=VALUE ...]``,
``hopfield-brian plot FOLDER``, ``hopfield-brian export FOLDER``,
``hopfield-brian export-nir PROTOCOL --to FILE.nir`` and ``hopfield-brian energy SPIKES --fanout POP=K``.

The command line builds the same protocol objects a user's script does
(``hopfield_brian.Recall(...)`` and its siblings) from its arguments and
calls their ``run``. Bad input of any kind ends with one line on stderr and
exit status 2, before anything is built or written.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import sys
from pathlib import Path

from .errors import ConfigError

PROTOCOLS = ("recall", "capacity", "robustness", "storage", "attention", "spatiotemporal", "sequence", "shared",
             "regimes", "phase")
FLAGS = ("model", "patterns", "trials", "seed", "device", "out")  # options that set a parameter


def protocol_class(name: str):
    """The built-in protocol class of a command-line name."""
    from .results import protocol_class as find

    return find({"protocol": name})


def _protocol_parser(sub, name: str) -> argparse.ArgumentParser:
    from .config import help_lines
    from .equations.classical import ClassicalParams
    from .equations.modern import ModernParams

    cls = protocol_class(name)
    models = ["modern model (--model modern):", *help_lines(ModernParams()),
              "classical model (--model classical):", *help_lines(ClassicalParams())]
    epilog = "\n".join([
        "parameters for --set NAME=VALUE (name, default with unit, meaning [valid values]):",
        "protocol:", *help_lines(cls.config_class()),
        *(models if cls.uses_model_params else []),
        "Durations and rates need units: " + ("--set t_cue=150ms --set rate_memory=1kHz" if cls.uses_model_params
                                              else "--set cycle=30ms" + (" --set background_rate=5Hz" if
                                                                         "background_rate" in _fields(cls.config_class)
                                                                         else "")),
    ])
    module = sys.modules[cls.__module__]
    p = sub.add_parser(name, help=cls.help, description=module.__doc__, epilog=epilog,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", help=f"modern or classical (default {cls.default_model})")
    offered = "patterns" in _fields(cls.config_class)  # not by the delay-memory protocols (spike patterns)
    p.add_argument("--patterns", metavar="FILE", help="stored patterns, .npy or .csv, M x N, {0,1} or {-1,+1}"
                   if offered else argparse.SUPPRESS)
    trials = cls.defaults(cls.default_model).get("trials", cls.config_class().trials)
    p.add_argument("--trials", type=int, metavar="K", help=f"trials per parameter point (default {trials})")
    p.add_argument("--seed", type=int, metavar="S", help="master seed (default 0)")
    p.add_argument("--device", help="runtime, cpp_standalone (default) or cuda_standalone")
    p.add_argument("--out", metavar="DIR", help=f"output folder (default results/{name}/<model>-<time>)")
    p.add_argument("--set", action="append", metavar="NAME=VALUE", default=[],
                   help="any parameter listed below; repeatable")
    p.add_argument("--sweep", action="append", metavar="NAME=V1,V2,...", default=[],
                   help="sweep a parameter over values, or START:STOP:COUNT evenly spaced (units allowed, "
                        "e.g. beta=0.01:0.2:5); repeatable: the grid is the product. Rerunning with the same "
                        "--out resumes an interrupted sweep")
    p.add_argument("--workers", type=int, metavar="W",
                   help="simulation binaries run at once on cpp_standalone (default: one per core)")
    p.add_argument("--batch", type=int, metavar="K",
                   help="trials per run of a cpp_standalone binary (default 16); on cuda_standalone the replicas "
                        "of the network run at once (default: as many as half the GPU's memory holds, at most 64). "
                        "Results do not depend on it: each trial's random draws depend on its seed only")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run the batches on the workers of a running Dask scheduler (e.g. tcp://host:8786)")
    p.add_argument("--cluster", metavar="KIND",
                   help="start a Dask cluster for this run: local:W (W worker processes here) or slurm, pbs, sge, "
                        "lsf, htcondor, moab, oar (dask-jobqueue, settings from Dask's jobqueue.yaml)")
    p.add_argument("--jobs", type=int, metavar="N", help="batch jobs a dask-jobqueue --cluster submits")
    p.add_argument("--build-only", action="store_true",
                   help="generate and compile the network(s) for --device, run nothing (e.g. cuda_standalone "
                        "on a machine without a GPU)")
    p.add_argument("--no-figures", action="store_true",
                   help="write the tables only (hopfield-brian plot FOLDER draws the figures later)")
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    return p


def _fields(cls) -> set[str]:
    return {f.name for f in dataclasses.fields(cls)}


def _version() -> str:
    """The package's version and Brian2's (read from the installed metadata: nothing imported)."""
    from importlib import metadata

    from . import __version__

    try:
        brian2 = metadata.version("brian2")
    except metadata.PackageNotFoundError:
        brian2 = "not installed"
    return f"hopfield-brian {__version__} (brian2 {brian2})"


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2 (argparse's own convention)
        self.exit(2, f"hopfield-brian: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="hopfield-brian", description="Spiking Hopfield networks in Brian2.")
    parser.add_argument("--version", action="version", version=_version())
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    run = commands.add_parser("run", help="run a protocol")
    protocols = run.add_subparsers(dest="protocol", required=True, metavar="PROTOCOL", parser_class=_Parser)
    for name in PROTOCOLS:
        _protocol_parser(protocols, name)
    plot = commands.add_parser("plot", help="redraw the figures of a results folder (no simulation)")
    plot.add_argument("folder", metavar="FOLDER")
    export = commands.add_parser("export", help="write the spikes of a results folder for Neo or NWB tools")
    export.add_argument("folder", metavar="FOLDER")
    export.add_argument("--format", required=True, choices=("neo", "nwb"),
                        help="neo: a pickled neo.Block (a Segment per trial, a SpikeTrain per neuron); nwb: an "
                             "NWB file (units, trials with every parameter, stored patterns)")
    export.add_argument("--to", metavar="FILE", help="file to write (default: spikes.neo.pkl or spikes.nwb in FOLDER)")
    nir = commands.add_parser(
        "export-nir", help="write a protocol's network as a NIR graph (.nir) for neuromorphic toolchains",
        description="Write the network a protocol builds (its stored patterns, one grid point) as a NIR graph: the "
                    "delay-line memory (spatiotemporal, sequence) exactly, the classical network (--model classical) "
                    "as its deterministic T -> 0 limit with --zero-temperature. The modern network, noise and "
                    "plasticity are refused (see hopfield_brian.nir_export).")
    nir.add_argument("protocol", choices=PROTOCOLS, metavar="PROTOCOL", help=", ".join(PROTOCOLS))
    nir.add_argument("--to", required=True, metavar="FILE", help="the .nir file to write")
    nir.add_argument("--model", help="modern (refused) or classical, for the rate protocols")
    nir.add_argument("--patterns", metavar="FILE", help="stored patterns, .npy or .csv, M x N (rate protocols)")
    nir.add_argument("--seed", type=int, metavar="S", help="seed of random patterns (default 0)")
    nir.add_argument("--set", action="append", metavar="NAME=VALUE", default=[],
                     help="any parameter of `hopfield-brian run PROTOCOL --help`; repeatable")
    nir.add_argument("--zero-temperature", action="store_true",
                     help="classical network: write its deterministic zero-temperature limit")
    nir.set_defaults(trials=None, device=None, out=None, sweep=[], workers=None, batch=None, build_only=False)
    _energy_parser(commands)
    return parser


def _energy_parser(commands) -> None:
    energy = commands.add_parser(
        "energy", help="operations, memory traffic and energy per trial of a spike table (CSV, parquet, Neo, NWB)",
        description="Count the synaptic events, neuron updates and memory traffic of the spikes in SPIKES "
                    "(a .csv or .parquet table, a Neo pickle .pkl, an NWB file .nwb) and price them with an "
                    "energy table (hopfield_brian.accountant). Neo and NWB files, and the package's own parquet "
                    "spikes, give the neurons, the trial length and dt themselves.",
        epilog="example: hopfield-brian energy spikes.csv --fanout feature=50,memory=400 "
               "--neurons feature=400,memory=50,normaliser=1 --stages feature=encoding,memory=memory "
               "--per-step memory:exp=50,normaliser:add=50 --dt 0.2ms --duration 90ms --set precision=int8")
    energy.add_argument("spikes", metavar="SPIKES")
    energy.add_argument("--fanout", required=True, metavar="POP=K[,POP=K]",
                        help="synapses per neuron of every spiking population")
    energy.add_argument("--neurons", metavar="POP=N[,...]",
                        help="neurons per population, silent and non-spiking ones included (default: from the "
                             "file, else the highest spiking index + 1)")
    energy.add_argument("--stages", metavar="POP=STAGE[,...]", help="stage label of each population")
    energy.add_argument("--per-step", metavar="POP:OP=K[,...]",
                        help="operations per time step of a population, e.g. memory:exp=50")
    energy.add_argument("--table", default="horowitz45", metavar="NAME",
                        help="energy table: mac_ac, horowitz45, loihi or one of --tables (default horowitz45)")
    energy.add_argument("--tables", metavar="FILE", help="TOML or JSON file of extra energy tables")
    energy.add_argument("--dt", metavar="DT", help="time step, e.g. 0.1ms (default: from the file, else 0.1 ms)")
    energy.add_argument("--duration", metavar="T", help="trial length, e.g. 90ms; later spikes are not counted "
                                                        "(default: from the file, else the last spike)")
    energy.add_argument("--trials", type=int, metavar="K", help="trials in the file (default: from the file, "
                                                                 "else those with spikes)")
    energy.add_argument("--columns", metavar="ROLE=NAME[,...]",
                        help="column names for roles time, neuron, population, trial (default t_ms, neuron, "
                             "population, trial) and time_unit=ms|s")
    energy.add_argument("--set", action="append", metavar="NAME=VALUE", default=[],
                        help="accounting assumption: precision (fp32, fp16, int8), weight_bytes, index_bytes, "
                             "accumulator_bytes, state_bytes, weight_memory, state_memory (sram, dram)")
    energy.add_argument("--out", metavar="FILE.csv", help="also write the table of every operation to this CSV")


def experiment(args):
    """The protocol object the arguments describe (validated: bad input raises ConfigError)."""
    from . import config as cfg

    cls = protocol_class(args.protocol)
    parameters = cfg.parse_assignments(args.set)
    for flag in FLAGS:
        value = getattr(args, flag)
        if value is not None:
            if flag in parameters:
                raise ConfigError(f"{flag} given both as --{flag} and with --set")
            parameters[flag] = str(value)
    fields = _fields(cls.config_class)
    if args.patterns is not None and "patterns" not in fields:  # --patterns is hidden from its help
        hint = "; give them with --set spike_patterns=FILE.csv" if "spike_patterns" in fields else ""
        raise ConfigError(f"--patterns does not apply to the {args.protocol} protocol: it stores spike-time "
                          f"patterns, not M x N rate patterns{hint}")
    if "patterns" in parameters and not parameters["patterns"]:
        raise ConfigError("--patterns needs a file name (leave it out for random patterns)")
    if args.workers is not None and args.workers < 1:
        raise ConfigError(f"--workers must be >= 1, got {args.workers}")
    if args.batch is not None and args.batch < 1:
        raise ConfigError(f"--batch must be >= 1, got {args.batch}")
    if args.build_only and parameters.get("device") == "runtime":
        raise ConfigError("--build-only needs a standalone device (cpp_standalone or cuda_standalone): "
                          "runtime compiles nothing ahead of the run")
    return cls(sweep=args.sweep, **parameters)


def _run(args) -> None:
    from .results import default_run_dir

    exp = experiment(args)
    if args.build_only:
        for folder, seconds in exp.build(batch=args.batch):
            print(f"built {exp.config.device} project in {folder} ({seconds:.1f} s)")
        return
    out = exp.config.out or default_run_dir(exp.name, exp.results_label or exp.config.model)
    with contextlib.ExitStack() as stack:
        client = None
        if args.scheduler or args.cluster or args.jobs is not None:
            from .cluster import connect

            client = stack.enter_context(connect(args.scheduler, args.cluster, args.jobs))
        res = exp.run(out=out, workers=args.workers, batch=args.batch, progress=not args.quiet,
                      figures=not args.no_figures, client=client)
    for problem in res.info.get("repaired", []):
        print(f"hopfield-brian: resumed past a damaged journal entry {problem}; its trials ran again",
              file=sys.stderr)
    if not args.quiet:
        print(res.report())
        print(f"results in {out}")


def _pairs(text: str | None, option: str) -> dict[str, str]:
    """``'a=1,b=2'`` -> ``{'a': '1', 'b': '2'}``."""
    out = {}
    for item in (text or "").split(","):
        if not item.strip():
            continue
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise ConfigError(f"{option} expects NAME=VALUE[,NAME=VALUE], got {item!r}")
        out[name.strip()] = value.strip()
    return out


def _numbers(text: str | None, option: str, kind=float) -> dict:
    values = {}
    for name, value in _pairs(text, option).items():
        try:
            values[name] = kind(value)
        except ValueError:
            raise ConfigError(f"{option}: {name}={value!r} is not {'an integer' if kind is int else 'a number'}") \
                from None
    return values


def _energy(args) -> None:
    from . import accountant, spike_io
    from .config import override, parse_assignments, parse_quantity
    from .sweep import write_atomic
    from .units import ms

    columns = _pairs(args.columns, "--columns")
    if args.out and not Path(args.out).parent.is_dir():
        raise ConfigError(f"cannot write {args.out}: {Path(args.out).parent} is not a folder")
    (cols,) = override([spike_io.SpikeColumns()], columns)
    (accounting,) = override([accountant.Accounting()], parse_assignments(args.set))
    per_step: dict = {}
    for key, count in _numbers(args.per_step, "--per-step").items():
        pop, sep, op = key.partition(":")
        if not sep or not pop or not op:
            raise ConfigError(f"--per-step expects POP:OP=K, got {key!r}")
        per_step.setdefault(pop, {})[op] = count
    data = spike_io.read(args.spikes, cols)
    dt = parse_quantity(args.dt, ms, "--dt") if args.dt else (data.dt_ms * ms if data.dt_ms else None)
    duration = (parse_quantity(args.duration, ms, "--duration") if args.duration
                else (data.duration_ms * ms if data.duration_ms else None))
    neurons = {**data.neurons, **_numbers(args.neurons, "--neurons", int)}
    result = accountant.account(data.spikes, _numbers(args.fanout, "--fanout"), neurons=neurons, dt=dt,
                                duration=duration, trials=args.trials or data.trials,
                                stages=_pairs(args.stages, "--stages"), per_step=per_step, table=args.table,
                                tables_file=args.tables or "", accounting=accounting)
    if args.out:
        write_atomic(Path(args.out), result.rows.to_csv(index=False))
    print(_energy_text(result, args.spikes, accounting))


def _energy_text(result, source: str, accounting) -> str:
    """The account as a few lines: assumptions, then operations per stage, then totals."""
    rows = result.rows
    lines = [f"{source}: {result.trials} trial(s) of {result.steps} steps; table {result.table.name} "
             f"({result.table.source}); {accounting.precision} weights of {accounting.weight_size:g} bytes in "
             f"{accounting.weight_memory}, states of {accounting.state_bytes:g} bytes in {accounting.state_memory}",
             *(f"assumed: {note}" for note in result.notes),
             f"{'stage':<22} {'operation':<20} {'count/trial':>12} {'bytes/trial':>12} {'energy/trial':>14}"]
    for (stage, op), g in rows.groupby(["stage", "operation"], sort=False):
        lines.append(f"{stage:<22} {op:<20} {g['count'].sum():>12.6g} {g['bytes'].sum():>12.6g} "
                     f"{g['pJ'].sum() / 1e3:>11.4g} nJ")
    lines.append(f"total per trial: {result.total_pj() / 1e3:.4g} nJ with memory traffic, "
                 f"{result.total_pj(traffic=False) / 1e3:.4g} nJ without")
    return "\n".join(lines)


def _plot(folder: str) -> None:
    from pathlib import Path

    from .results import load, write_figures

    drawn = write_figures(load(folder), Path(folder))
    print(f"drew {', '.join(drawn) or 'no figure'} in {folder}")


def _export_nir(args) -> None:
    from .nir_export import to_nir, write

    graph = to_nir(experiment(args), zero_temperature=args.zero_temperature)
    path = write(graph, args.to)
    print(f"wrote {path}: {graph.metadata['model']} network, nodes {', '.join(graph.nodes)}")
    print(f"written: {graph.metadata['written']}")


_LINE_BREAKS = {ord(c): repr(c)[1:-1] for c in "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"}


def _say(message: str) -> None:
    """One line on stderr, whatever the message holds (line breaks in user input are shown escaped)."""
    print(message.translate(_LINE_BREAKS), file=sys.stderr)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the process is, so that it unwinds like Ctrl-C (children killed, folders closed)."""


def _terminate(signum, frame):
    raise Terminated()


def main(argv: list[str] | None = None) -> int:
    """The command line. Exit status: 0 done, 2 bad input, 1 a simulation or unexpected error, 130 Ctrl-C,
    143 SIGTERM; each failure is one line on stderr (``HOPFIELD_BRIAN_DEBUG=1`` adds the traceback)."""
    import os
    import signal
    import threading

    # the trials' scoring multiplies small matrices, for which BLAS threads only compete with the
    # simulation binaries for the cores (x50 slower on 2 busy cores); read when numpy loads, below
    for name in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")

    from .simulator import SimulationError

    args = build_parser().parse_args(argv)
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if main_thread else None
    try:
        if args.command == "plot":
            _plot(args.folder)
        elif args.command == "energy":
            _energy(args)
        elif args.command == "export":
            from .results import load

            print(f"wrote {load(args.folder).export(args.format, args.to)}")
        elif args.command == "export-nir":
            _export_nir(args)
        else:
            _run(args)
    except ConfigError as exc:
        _say(f"hopfield-brian: error: {exc}")
        return 2
    except KeyboardInterrupt as exc:
        print("hopfield-brian: interrupted; rerun the same command (with the same --out) to resume: finished "
              "trials are kept", file=sys.stderr)
        return 143 if isinstance(exc, Terminated) else 130
    except SimulationError as exc:
        _say(f"hopfield-brian: error: {exc}")
        return 1
    except Exception as exc:  # a bug: one line here (and no Brian2 debug files left behind), or the traceback
        if os.environ.get("HOPFIELD_BRIAN_DEBUG"):
            raise
        first = (str(exc) or "no message").splitlines()[0]
        _say(f"hopfield-brian: unexpected error: {type(exc).__name__}: {first} (rerun with HOPFIELD_BRIAN_DEBUG=1 "
             "for the traceback)")
        return 1
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)
    return 0


if __name__ == "__main__":
    sys.exit(main())
