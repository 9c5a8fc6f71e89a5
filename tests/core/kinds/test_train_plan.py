"""The dry-run plan of a train job names a DAPT/SFT pair from two builds as its problem."""

import shutil

import pytest

from core.kinds.train.plan import PlanProblem, plan
from core.kinds.train.spec import TrainSpec
from tests.core.pipeline.conftest import build, build_mixed_pair, plain_corpus

SPEC = {"kind": "train", "model_path": "models/tiny", "allow_cpu": True, "max_length": 128}


@pytest.fixture
def workspace(tmp_path, tiny_model):
    shutil.copytree(tiny_model, tmp_path / "models" / "tiny")
    return tmp_path


def test_a_mixed_pair_is_the_plans_problem_and_one_build_plans(workspace):
    build_mixed_pair(workspace)
    spec = TrainSpec.model_validate({**SPEC, "phase": "both"})
    with pytest.raises(PlanProblem) as problem:
        plan(spec, workspace)
    assert "run one" in str(problem.value) and "run two" in str(problem.value)
    assert "build_dapt, build_sft, validate" in str(problem.value)

    build(workspace, run_id="three", stages=["build_dapt", "build_sft", "validate"])
    assert set(plan(spec, workspace)["phases"]) == {"dapt", "sft"}


def test_a_pair_from_two_output_folders_is_checked_too(workspace):
    plain_corpus(workspace / "c64_docs", documents=3, pages=2)
    build(workspace, run_id="one", output_dir="data/first")
    plain_corpus(workspace / "c64_docs", documents=4, pages=2, seed=1)
    build(workspace, run_id="two")
    spec = TrainSpec.model_validate({**SPEC, "phase": "both", "sft_dir": "data/first/sft"})
    with pytest.raises(PlanProblem, match="run two .* run one"):
        plan(spec, workspace)
    assert plan(spec.model_copy(update={"phase": "sft"}), workspace)["phases"]["sft"]
