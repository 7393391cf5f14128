#!/bin/sh
# One prepared GPU check (minutes): build the recall network for cuda_standalone on the
# GPU machine, run the cpp/cuda agreement test, then time both devices side by side.
# Usage on a machine with an NVIDIA GPU, from the repository root:  sh benchmarks/gpu.sh
set -e
sh scripts/venv.sh
nvidia-smi -L
.venv/bin/python -m pytest -q tests/test_cuda.py
.venv/bin/python benchmarks/devices.py --devices cpp_standalone cuda_standalone --trials 20
