"""The documentation site builds with every warning an error (mkdocs build --strict): pages, parameter
tables from the declarations, API reference from the docstrings, snippets of README and BENCHMARKS."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytest.importorskip("mkdocs")
pytest.importorskip("mkdocstrings")


def test_the_documentation_builds_strictly_with_every_parameter_table(tmp_path):
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
                          cwd=ROOT, capture_output=True, text=True, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert done.returncode == 0, done.stderr[-3000:]
    page = (tmp_path / "site" / "protocols" / "index.html").read_text()
    for name in ("n_patterns", "cue_noise", "spike_patterns", "beta", "tau_key", "detection_threshold"):
        assert f"<code>{name}</code>" in page, name
    assert "<!-- parameters" not in page and "<!-- docstring" not in page
    api = (tmp_path / "site" / "api" / "index.html").read_text()
    assert "Results" in api and "run_args" in (tmp_path / "site" / "scale" / "index.html").read_text()
    shutil.rmtree(tmp_path / "site")
