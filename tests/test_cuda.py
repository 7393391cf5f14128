"""cuda_standalone: the recall network is generated and compiled with nvcc (no GPU needed); with a GPU,
its replicas give the spikes of cpp_standalone, trial by trial."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hopfield_brian.cuda import have_gpu


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("nvcc") is None, reason="nvcc (CUDA toolkit) not installed")
def test_recall_network_with_replicas_compiles_for_cuda(tmp_path):
    """4 replicas per pass (--batch 4): the project, with its trial loop on the device, compiles."""
    out = subprocess.run([sys.executable, "-m", "hopfield_brian", "run", "recall", "--device", "cuda_standalone",
                          "--build-only", "--batch", "4", "--set", "n_features=64", "--set", "n_patterns=8"],
                         cwd=tmp_path, capture_output=True, text=True,
                         env={**os.environ, "HOPFIELD_BRIAN_BUILD": str(tmp_path)})
    assert out.returncode == 0, out.stderr[-2000:]
    line = out.stdout.strip().splitlines()[-1]
    assert line.startswith("built cuda_standalone project in ")
    folder = Path(line.split(" in ", 1)[1].rsplit(" (", 1)[0])
    binary = folder / "main"
    assert binary.is_file() and binary.stat().st_size > 0
    assert any(p.suffix == ".cu" for p in (folder / "code_objects").iterdir())
    main = (folder / "main.cu").read_text()
    assert "_hb_k" in main and "cudaMemcpyDeviceToDevice" in main and "_trial_ends" in main
    assert "hb_uniform" in (folder / "code_objects" / "memory_spike_thresholder_codeobject.cu").read_text()
    assert "_num__array_feature_cue = 512;" in (folder / "objects.cu").read_text()  # 4 replicas of 2 x 64
    assert not (tmp_path / "results").exists()


@pytest.mark.slow
@pytest.mark.skipif(not have_gpu(), reason="needs a GPU")
def test_cuda_replicas_give_the_spikes_of_cpp_standalone():
    """40 trials as 8 replicas x 5 passes of the GPU's trial loop, and as 40 replicas in one pass: each
    trial's spikes equal cpp_standalone's, or split at a first spike (the GPU's log and cos may differ in
    the last bit of a normal draw, and its summed variables add in another order); at most 4 of 40 split."""
    import hopfield_brian as hb
    from hopfield_brian.rate_protocol import run_values
    from hopfield_brian.readout import first_split
    from hopfield_brian.simulator import Simulator

    exp = hb.Recall(n_features=64, n_patterns=24, cue_noise=0.35, trials=40, beta=0.16)
    point = exp.prepare(exp.config, exp.params, exp.grid)[0]
    c = point.config
    jobs = list(exp.jobs(point, list(range(40)), point))

    def spikes(device, **options):
        sim = Simulator(point.model, device, c.t_cue + c.t_free, c.dt, run_values(point), workers=1, **options)
        try:
            return [s for _, s in sim.run_many(jobs)]
        finally:
            sim.close()

    cpp = spikes("cpp_standalone")
    for options in ({"replicas": 8, "batch": 40}, {"batch": 40}):
        split = [t for t in (first_split(a, b, float(c.dt)) for a, b in zip(cpp, spikes("cuda_standalone", **options)))
                 if t is not None]
        print(f"cuda_standalone {options} vs cpp_standalone: {len(split)} of 40 trials split, at {split} s")
        assert len(split) <= 4, options


def test_gpu_memory_is_read_from_nvidia_smi_in_mib(monkeypatch):
    """The GPU memory that sizes the default number of replicas: nvidia-smi's MiB, or None without a GPU."""
    from hopfield_brian import resources

    monkeypatch.setattr(resources, "nvidia_smi", lambda *args: "143771\n143771")
    assert resources.gpu_memory_bytes() == 143771 * 2**20  # the first GPU's
    monkeypatch.setattr(resources, "nvidia_smi", lambda *args: "")
    assert resources.gpu_memory_bytes() is None
