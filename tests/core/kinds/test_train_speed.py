"""The speed options of a train spec: the dry run's warning when their packages are missing, and
torch_compile's arguments and its failures as a clear job failure."""

import pytest
import torch

from core.errors import JobFailure
from core.kinds.train import checks
from core.kinds.train.spec import TrainSpec
from core.kinds.train.speed import speed_checks
from core.training.compile import compile_errors, compile_failure


def spec(**fields) -> TrainSpec:
    return TrainSpec.model_validate({"kind": "train", **fields})


def test_the_dry_run_warns_when_liger_kernel_is_not_installed_here(tmp_path):
    assert speed_checks(spec()) == []
    [check] = speed_checks(spec(use_liger_kernel=True), lambda module: None)
    assert check["name"] == "use_liger_kernel" and check["status"] == "warn"
    assert "liger-kernel is not installed" in check["message"]
    assert "pip install 'c64ft[gpu-speed]'" in check["message"]
    [check] = speed_checks(spec(use_liger_kernel=True), lambda module: object())
    assert check["status"] == "pass"
    # the dry run's notes carry it (the plan is skipped: the spec failed its input checks)
    found = checks.notes(spec(use_liger_kernel=True), tmp_path, True, set())
    assert [c["name"] for c in found] == ["use_liger_kernel"]


def test_the_dry_run_warns_when_flash_attn_is_not_installed_here():
    flash = spec().model_copy(update={"attn_implementation": "flash_attention_2"})
    [check] = speed_checks(flash, lambda module: None if module == "flash_attn" else object())
    assert check["name"] == "attn_implementation" and check["status"] == "warn"
    assert "flash-attn is not installed" in check["message"]


def test_torch_compile_reaches_the_training_arguments(tmp_path):
    from datasets import Dataset

    from core.training.data import Splits
    from core.training.device import Device
    from core.training.phases import Phase, arguments

    splits = Splits(train=Dataset.from_dict({"text": ["x"]}), validation=None)
    phase = Phase("sft", output_dir=tmp_path, splits=splits, span=(0, 1), resume_from=None)
    cpu = Device("cpu", "fp32")
    assert arguments(spec(torch_compile=True), cpu, phase)["torch_compile"] is True
    assert arguments(spec(), cpu, phase)["torch_compile"] is False


def test_a_compile_error_is_a_job_failure_naming_torch_compile():
    def broken_backend(graph, example_inputs):
        raise RuntimeError("no compiler for this graph")

    compiled = torch.compile(lambda x: torch.sin(x) + 1, backend=broken_backend)
    with pytest.raises(compile_errors()) as caught:
        compiled(torch.ones(3))
    failure = compile_failure(caught.value)
    assert isinstance(failure, JobFailure)
    assert failure.type == "compile_failed" and failure.param == "torch_compile"
    assert "no compiler for this graph" in failure.message and failure.hint
