"""Command line: ``hopfield-brian run PROTOCOL [options] [--set NAME=VALUE ...]``.

Bad input of any kind ends with one line on stderr and exit status 2, before
anything is built or written.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys

from .errors import ConfigError

PROTOCOLS = ("recall", "capacity", "robustness", "storage", "attention", "spatiotemporal", "sequence", "regimes")


def _protocol(name: str):
    import importlib

    return importlib.import_module(f"hopfield_brian.protocols.{name}")


def _protocol_parser(sub, name: str) -> argparse.ArgumentParser:
    from hopfield_brian.config import help_lines
    from hopfield_brian.equations.classical import ClassicalParams
    from hopfield_brian.equations.modern import ModernParams
    module = _protocol(name)
    models = ["modern model (--model modern):", *help_lines(ModernParams()),
              "classical model (--model classical):", *help_lines(ClassicalParams())]
    uses_models = _uses_model_params(module)
    epilog = "\n".join([
        "parameters for --set NAME=VALUE (name, default with unit, meaning):",
        "protocol:", *help_lines(_config_class(module)()),
        *(models if uses_models else []),
        "Durations and rates need units: " + ("--set t_cue=150ms --set rate_memory=1kHz" if uses_models
                                              else "--set cycle=30ms --set background_rate=5Hz"),
    ])
    p = sub.add_parser(name, help=module.HELP, description=module.__doc__, epilog=epilog,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", help=f"modern or classical (default {getattr(module, 'DEFAULT_MODEL', 'modern')})")
    offered = "patterns" in _fields(_config_class(module))  # not by the delay-memory protocols (spike patterns)
    p.add_argument("--patterns", metavar="FILE", help="stored patterns, .npy or .csv, M x N, {0,1} or {-1,+1}"
                   if offered else argparse.SUPPRESS)
    trials = getattr(module, "defaults", lambda m: {})(getattr(module, "DEFAULT_MODEL", "modern")).get(
        "trials", _config_class(module)().trials)
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
                   help="simulation binaries run at once on cpp_standalone (default: cores - 1)")
    p.add_argument("--batch", type=int, metavar="K",
                   help="trials per run of a cpp_standalone binary (default 16; results do not depend on it: "
                        "each trial is restored, reseeded and rerun from t=0)")
    p.add_argument("--build-only", action="store_true",
                   help="generate and compile the network(s) for --device, run nothing (e.g. cuda_standalone "
                        "on a machine without a GPU)")
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    return p


def _config_class(module):
    """The protocol's configuration dataclass (RecallConfig unless it declares its own)."""
    from hopfield_brian.protocols.recall import RecallConfig

    return getattr(module, "CONFIG", RecallConfig)


def _fields(cls) -> set[str]:
    """Names of a dataclass's fields."""
    return {f.name for f in dataclasses.fields(cls)}


def _uses_model_params(module) -> bool:
    """Whether the protocol runs a rate model with the command line's model parameters (--set beta=...)."""
    return getattr(module, "MODEL_PARAMETERS", True)


def _check_model_params(protocol: str, module, model: str, names: set[str]) -> None:
    """Model parameters (set or swept) that the run would ignore or call unknown: refuse them, naming
    them. A protocol without a rate model uses none; a run of one model cannot take the other's."""
    from hopfield_brian.equations.classical import ClassicalParams
    from hopfield_brian.equations.modern import ModernParams

    own = {"modern": _fields(ModernParams), "classical": _fields(ClassicalParams)}
    names = names - _fields(_config_class(module))
    if not _uses_model_params(module):
        unused = sorted(names & (own["modern"] | own["classical"]))
        if unused:
            raise ConfigError(f"{', '.join(unused)}: rate-model parameter(s) not used by the {protocol} protocol "
                              f"(its parameters are listed by: hopfield-brian run {protocol} --help)")
    elif model in own:
        other = "classical" if model == "modern" else "modern"
        foreign = sorted(names & own[other] - own[model])
        if foreign:
            raise ConfigError(f"{', '.join(foreign)}: parameter(s) of --model {other}, not of the {model} model "
                              f"this run uses")


def _size_file(config) -> tuple[str, str]:
    """The file that fixes M and N, and what it holds: the keys (--patterns), or else a values file
    (attention); ``("", "")`` when neither is given."""
    return next(((getattr(config, f, ""), f) for f in ("patterns", "values") if getattr(config, f, "")), ("", ""))


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2 (argparse's own convention)
        self.exit(2, f"hopfield-brian: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="hopfield-brian", description="Spiking Hopfield networks in Brian2.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    run = commands.add_parser("run", help="run a protocol")
    protocols = run.add_subparsers(dest="protocol", required=True, metavar="PROTOCOL", parser_class=_Parser)
    for name in PROTOCOLS:
        _protocol_parser(protocols, name)
    return parser


def protocol_config(args):
    """Config, model parameters and sweep grid of a protocol from parsed arguments."""
    from hopfield_brian import config as cfg
    from hopfield_brian import paradigm, sweep
    from hopfield_brian import patterns as pat
    from hopfield_brian.protocols.recall import RecallConfig

    assignments = cfg.parse_assignments(args.set)
    module = _protocol(args.protocol)
    for flag in ("model", "patterns", "trials", "seed", "device", "out"):
        value = getattr(args, flag)
        if value is not None:
            if flag in assignments:
                raise ConfigError(f"{flag} given both as --{flag} and with --set")
            assignments[flag] = str(value)
    fields = _fields(_config_class(module))
    if args.patterns is not None and "patterns" not in fields:  # --patterns is hidden from its help
        hint = "; give them with --set spike_patterns=FILE.csv" if "spike_patterns" in fields else ""
        raise ConfigError(f"--patterns does not apply to the {args.protocol} protocol: it stores spike-time "
                          f"patterns, not M x N rate patterns{hint}")
    swept_names = {item.partition("=")[0].strip() for item in args.sweep}
    model = assignments.get("model", getattr(module, "DEFAULT_MODEL", RecallConfig.model))
    _check_model_params(args.protocol, module, model, set(assignments) | swept_names)
    defaults = {"model": model} | module.defaults(model) if model in ("modern", "classical") else {}
    config, params = cfg.override([_config_class(module)(), paradigm.model_params(model)], defaults | assignments)
    source, what = _size_file(config)
    if source:
        stored, _ = pat.load(source, what)
        m, n = stored.shape
        for name, size in (("n_patterns", m), ("n_features", n)):
            if name in assignments and getattr(config, name) != size:
                raise ConfigError(f"{name}={getattr(config, name)} does not match {source} "
                                  f"({m} {what} x {n} features)")
        config = dataclasses.replace(config, n_patterns=m, n_features=n)
    grid = sweep.parse_sweep(args.sweep, [config, params])
    clash = (set(grid) & (set(assignments) - {"model", "device", "out", "trials", "patterns"})
             | {"model", "device", "out", "trials"} & set(grid))
    if clash:
        raise ConfigError(f"cannot sweep {', '.join(sorted(clash))}"
                          " (set it, or sweep it, not both; model, device, out and trials cannot be swept)")
    if args.workers is not None and args.workers < 1:
        raise ConfigError(f"--workers must be >= 1, got {args.workers}")
    if args.batch is not None and args.batch < 1:
        raise ConfigError(f"--batch must be >= 1, got {args.batch}")
    if args.build_only and config.device == "runtime":
        raise ConfigError("--build-only needs a standalone device (cpp_standalone or cuda_standalone): "
                          "runtime compiles nothing ahead of the run")
    if getattr(config, "seed", 0) < 0:
        raise ConfigError(f"--seed must be >= 0, got {config.seed}")
    return config, params, grid


def _check_not_overridden(args, user_swept: set, grid) -> None:
    """A --set value that the protocol's default grid sweeps would be silently replaced: refuse it."""
    from hopfield_brian import config as cfg

    points = grid if isinstance(grid, list) else [grid]
    everywhere = set.intersection(*(set(p) for p in points)) if points else set()  # swept at every point
    overridden = (set(cfg.parse_assignments(args.set)) & everywhere) - user_swept
    if overridden:
        names = ", ".join(sorted(overridden))
        raise ConfigError(f"{names}: swept by the {args.protocol} protocol's default grid, so --set would be "
                          f"ignored; give the values with --sweep {sorted(overridden)[0]}=V1,V2,... instead")


def _check_patterns_fix_sizes(protocol: str, config, grid) -> None:
    """A --patterns file fixes n_patterns and n_features: refuse a grid (the user's or the protocol's
    default one) that varies them. (A values file whose count differs from a point's M is refused by
    the attention protocol itself, as keys and values of different counts.)"""
    from hopfield_brian import sweep

    if not getattr(config, "patterns", ""):
        return
    points = grid if isinstance(grid, list) else sweep.grid(grid or {})
    varied = sorted({name for point in points for name in ("n_patterns", "n_features")
                     if name in point and point[name] != getattr(config, name)})
    if varied:
        raise ConfigError(f"{', '.join(varied)}: fixed by --patterns {config.patterns} ({config.n_patterns} "
                          f"patterns x {config.n_features} features), but the {protocol} run sweeps it "
                          f"(--sweep or the protocol's default grid); drop --patterns or sweep other parameters")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        module = _protocol(args.protocol)
        config, params, grid = protocol_config(args)
        user_swept = set(grid)
        grid = module.full_grid(config, grid)
        _check_not_overridden(args, user_swept, grid)
        _check_patterns_fix_sizes(args.protocol, config, grid)
        from hopfield_brian.simulator import set_batch

        set_batch(args.batch)
        if args.build_only:
            from hopfield_brian.protocols import recall

            builder = getattr(module, "build_only", recall.build_only)
            for folder, seconds in builder(config, params, grid):
                print(f"built {config.device} project in {folder} ({seconds:.1f} s)")
        else:
            module.main(config, params, grid, workers=args.workers, quiet=args.quiet)
    except ConfigError as exc:
        print(f"hopfield-brian: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("hopfield-brian: interrupted; the finished trials are kept: rerun with the same --out to resume",
              file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
