#!/bin/sh
# One prepared GPU measurement (issue #19; under 8 minutes on an H200 with 16 cores): cuda_standalone with
# replicas against cpp_standalone on all cores, for the default recall (N = 200, M = 50) and the large trial
# (N = M = 1000): ms per trial, synaptic events per second, the largest K that half the GPU's memory holds,
# and the spikes of both devices compared trial by trial; then the agreement test (replicas x passes of the
# GPU's trial loop). Prints everything; copy the tables into BENCHMARKS.md with the date.
# Usage on a machine with an NVIDIA GPU, from the repository root:  sh benchmarks/gpu.sh
# PY names an interpreter that already has hopfield-brian installed (skips the venv).
set -e
if [ -z "$PY" ]; then sh scripts/venv.sh; PY=.venv/bin/python; fi
nvidia-smi -L
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm --format=csv,noheader
nvcc --version | tail -2
echo "cores: $(nproc)"
# cuda: K = 256 (default trial) and 16 (large), then the largest K (<= 4096 / 256); cpp: loop, all cores
timeout 330 $PY benchmarks/replicas.py --gpu --trials 256 --large-trials 16 --workers "$(nproc)" --replicas 16 \
    --gpu-replicas 256 16 --max-replicas 4096 256 || echo "benchmarks/replicas.py stopped (status $?)"
timeout 120 $PY -m pytest -q -s -p no:cacheprovider -m slow tests/test_cuda.py -k spikes \
    || echo "tests/test_cuda.py stopped (status $?)"
