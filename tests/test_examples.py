"""The scripts in examples/ run, and do what they say (so they cannot rot)."""

import importlib.util
from pathlib import Path

import pytest

import hopfield_brian as hb

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _example(name: str):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_recall_of_own_patterns_given_as_an_array(capsys):
    res = _example("recall_own_patterns").main(trials=6)
    assert (res.config.n_patterns, res.config.n_features) == (8, 64)  # from the array
    assert res.trials["success"].all()
    out = capsys.readouterr().out
    winners, targets = (line.split(":", 1)[1].strip() for line in out.splitlines()
                        if line.startswith(("most active memory neuron", "targets:")))
    assert winners == targets  # the memory neuron of the target fires most in every trial


@pytest.mark.slow
def test_two_parameter_sweep_on_one_build(tmp_path):
    res = _example("sweep_two_parameters").main(out=str(tmp_path / "sweep"), figure=str(tmp_path / "heat.png"))
    assert res.info["builds"] == 1 and len(res.summary) == 9
    by_beta = res.summary.groupby("beta")["success_rate"].mean()
    assert by_beta[0.2] > by_beta[0.01]  # retrieval needs a large enough beta
    assert (tmp_path / "heat.png").stat().st_size > 0
    assert hb.load(tmp_path / "sweep").summary["success_rate"].tolist() == res.summary["success_rate"].tolist()


@pytest.mark.slow
def test_custom_protocol_gets_sweeps_resume_and_reload(tmp_path):
    module = _example("custom_protocol")
    assert len((EXAMPLES / "custom_protocol.py").read_text().splitlines()) <= 80
    out = tmp_path / "persistence"
    res = module.main(out=str(out))
    holds = res.summary.set_index("feedback_gain")["hold_ms_mean"]
    assert holds[1.0] > holds[0.0]  # feedback keeps the memory after the cue
    again = module.main(out=str(out))  # rerun in the same folder: everything is found done
    assert again.info["trials_resumed"] == len(res.trials) and again.info["trials_run"] == 0
    loaded = hb.load(out, protocol=module.Persistence)  # a class defined outside the package
    assert isinstance(loaded.protocol, module.Persistence) and loaded.config.hold_overlap == 0.8
    assert loaded.trials["hold_ms"].tolist() == res.trials["hold_ms"].tolist()
    assert set(loaded.figures()) == {"persistence"} and (out / "persistence.png").is_file()


@pytest.mark.slow
def test_standalone_projects_from_python():
    projects = _example("standalone_projects").main(compile_cuda=False)
    cpp, cuda = projects["cpp_standalone"], projects["cuda_standalone"]
    assert (cpp / "main").is_file() and any(p.suffix == ".cpp" for p in (cpp / "code_objects").iterdir())
    assert any(p.suffix == ".cu" for p in (cuda / "code_objects").iterdir())
