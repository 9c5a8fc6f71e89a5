"""attn_implementation: passed to the model, and flash_attention_2 refused where it cannot run."""

import pytest

from core.errors import JobFailure
from core.kinds.train.runner import run
from core.kinds.train.spec import TrainSpec
from core.training import model as model_module
from core.training.device import Device
from core.training.model import check_attention, load_model
from tests.recording import RecordingContext

FLASH = {"kind": "train", "allow_cpu": True, "attn_implementation": "flash_attention_2"}


def test_flash_attention_on_the_cpu_fails_the_job_naming_the_field(sample_workspace):
    spec = TrainSpec.model_validate({**FLASH, "model_path": "models/tiny-ministral3"})
    with pytest.raises(JobFailure) as failure:
        run(spec, RecordingContext(sample_workspace))
    assert failure.value.type == "attention_unavailable"
    assert failure.value.param == "attn_implementation"
    assert "CPU" in failure.value.message and "sdpa" in (failure.value.hint or "")


def test_flash_attention_without_its_package_fails_on_a_gpu(monkeypatch):
    monkeypatch.setattr(model_module, "is_flash_attn_2_available", lambda: False)
    with pytest.raises(JobFailure) as failure:
        check_attention(TrainSpec.model_validate(FLASH), Device("cuda", "bf16"))
    assert failure.value.type == "attention_unavailable"
    assert "flash_attn package" in failure.value.message
    assert "flash-attn" in (failure.value.hint or "")
    monkeypatch.setattr(model_module, "is_flash_attn_2_available", lambda: True)
    check_attention(TrainSpec.model_validate(FLASH), Device("cuda", "bf16"))  # no failure


@pytest.mark.parametrize("attn", ["sdpa", "eager"])
def test_the_model_loads_with_the_chosen_attention(tiny_model, attn):
    spec = TrainSpec.model_validate({"kind": "train", "attn_implementation": attn})
    model = load_model(tiny_model, Device("cpu", "fp32"), spec, None)
    assert model.config._attn_implementation == attn
    assert model.base_model.model.config.text_config._attn_implementation == attn


def test_an_unknown_attention_is_refused_by_the_spec():
    with pytest.raises(ValueError, match="attn_implementation"):
        TrainSpec.model_validate({"kind": "train", "attn_implementation": "flex_attention"})
