#!/bin/sh
# One prepared GPU check (minutes): the cpp/cuda agreement test, then both devices timed
# side by side on the default recall and on N = M = 1000.
# Usage on a machine with an NVIDIA GPU, from the repository root:  sh benchmarks/gpu.sh
# PY names an interpreter that already has hopfield-brian installed (skips the venv).
set -e
if [ -z "$PY" ]; then sh scripts/venv.sh; PY=.venv/bin/python; fi
nvidia-smi -L
nvcc --version | tail -2
$PY -m pytest -q -p no:cacheprovider -m slow tests/test_cuda.py -k agrees
$PY benchmarks/devices.py --devices cpp_standalone cuda_standalone --trials 20 --large --workers 0 1
