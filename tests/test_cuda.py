"""cuda_standalone: the recall network is generated and compiled with nvcc (no GPU needed)."""

import shutil
import subprocess
import sys

import pytest

from hopfield_brian.cuda import have_gpu


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("nvcc") is None, reason="nvcc (CUDA toolkit) not installed")
def test_recall_network_compiles_for_cuda(tmp_path):
    out = subprocess.run([sys.executable, "-m", "hopfield_brian", "run", "recall", "--device", "cuda_standalone",
                          "--build-only", "--set", "n_features=64", "--set", "n_patterns=8"],
                         cwd=tmp_path, capture_output=True, text=True, env={**__import__("os").environ,
                                                                             "HOPFIELD_BRIAN_BUILD": str(tmp_path)})
    assert out.returncode == 0, out.stderr[-2000:]
    line = out.stdout.strip().splitlines()[-1]
    assert line.startswith("built cuda_standalone project in ")
    folder = line.split(" in ", 1)[1].rsplit(" (", 1)[0]
    binary = __import__("pathlib").Path(folder) / "main"
    assert binary.is_file() and binary.stat().st_size > 0
    assert any(p.suffix == ".cu" for p in (binary.parent / "code_objects").iterdir())
    assert not (tmp_path / "results").exists()


@pytest.mark.slow
@pytest.mark.skipif(not have_gpu(), reason="needs a GPU")
def test_cuda_agrees_with_cpp_standalone_statistically():
    from conftest import recall

    common = dict(n_features=64, n_patterns=24, cue_noise=0.35, trials=40)
    cpp = recall("modern", {"beta": 0.16}, device="cpp_standalone", **common).trials
    gpu = recall("modern", {"beta": 0.16}, device="cuda_standalone", **common).trials
    p = (cpp["success"].mean() + gpu["success"].mean()) / 2
    assert abs(cpp["success"].mean() - gpu["success"].mean()) <= 3 * (2 * p * (1 - p) / 40) ** 0.5 + 1e-9
