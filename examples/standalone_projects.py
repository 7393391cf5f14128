"""Generate standalone projects from Python: C++ (compiled) and CUDA (sources; compiled with --compile-cuda).

Each project folder holds the generated sources, a Makefile and (once compiled) a
``main`` binary; ``main --results_dir DIR`` runs the network with its default values.
CUDA sources are generated without a GPU; compiling them needs nvcc (2-4 minutes
on 2 cores), running them a GPU.

    python examples/standalone_projects.py [--compile-cuda]
"""

import argparse
from pathlib import Path

import hopfield_brian as hb


def main(compile_cuda: bool = False) -> dict:
    projects = {}
    for device, compile in (("cpp_standalone", True), ("cuda_standalone", compile_cuda)):
        exp = hb.Recall(device=device, n_features=32, n_patterns=4, trials=1)
        ((folder, seconds),) = exp.build(compile=compile)
        projects[device] = Path(folder)
        sources = sorted(p.name for p in (Path(folder) / "code_objects").iterdir())[:3]
        state = "compiled" if (Path(folder) / "main").is_file() and compile else "sources only"
        print(f"{device}: {folder} ({state}, {seconds:.1f} s); e.g. {', '.join(sources)}")
    return projects


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compile-cuda", action="store_true", help="compile the CUDA project with nvcc")
    main(parser.parse_args().compile_cuda)
