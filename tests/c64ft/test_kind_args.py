"""`c64ft run|submit KIND …` in process: the guide's command line, --help, typos, notices."""

import json
import shlex

import pytest
from pydantic import TypeAdapter
from typer.testing import CliRunner

from c64ft.cli import app
from c64ft.kind_args import kind_fields
from core.kinds import KINDS, JobSpec
from core.kinds.train.spec import TrainSpec

# The original workflow's guide, "Parameterized Training Example", verbatim.
GUIDE_COMMAND = r"""
docker compose run --rm trainer bash scripts/container/train.sh \
  --phase both \
  --model-path models/Ministral-3-8B-Thinking \
  --dapt-dir data/processed/dapt \
  --sft-dir data/processed/sft \
  --output-dir models/fine-tuned \
  --precision bf16 \
  --assistant-only-loss \
  --strict-assistant-only-loss \
  --chat-template-path scripts/templates/mistral3_chat_template_assistant_mask.jinja \
  --no-packing \
  --use-lora
"""
GUIDE_WORDS = shlex.split(GUIDE_COMMAND.replace("\\\n", " "))  # a shell joins "\<newline>"
GUIDE_FLAGS = GUIDE_WORDS[GUIDE_WORDS.index("scripts/container/train.sh") + 1 :]
runner = CliRunner()


def test_the_guides_training_command_is_a_valid_train_spec(capsys):
    spec = TypeAdapter(JobSpec).validate_python(kind_fields("train", GUIDE_FLAGS, "run"))
    assert isinstance(spec, TrainSpec)
    assert (spec.phase, spec.model_path, spec.precision) == (
        "both",
        "models/Ministral-3-8B-Thinking",
        "bf16",
    )
    assert (spec.dapt_dir, spec.sft_dir, spec.output_dir) == (
        "data/processed/dapt",
        "data/processed/sft",
        "models/fine-tuned",
    )
    assert spec.assistant_only_loss and spec.strict_assistant_only_loss and spec.use_lora
    assert spec.packing is False
    assert spec.chat_template_path is None  # the project's Mistral-3 template
    assert "mistral3_chat_template_assistant_mask.jinja" in capsys.readouterr().err


def test_in_container_is_accepted_with_a_notice(capsys):
    fields = kind_fields("validate_reasoning", ["--in-container"], "run")
    assert fields == {"kind": "validate_reasoning"}
    assert "--in-container ignored" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["run", "submit"])
def test_help_lists_every_field_with_its_default(command):
    shown = runner.invoke(app, [command, "train", "--help"])
    assert shown.exit_code == 0, shown.output
    for name, field in TrainSpec.model_fields.items():
        if name == "kind":
            continue
        assert f"--{name.replace('_', '-')}" in shown.output
        default = field.get_default(call_default_factory=True)
        shown_default = default if isinstance(default, str) else json.dumps(default)
        assert f"--{name.replace('_', '-')}" in shown.output
        assert f"[default: {shown_default}]" in shown.output, name
        assert field.description.split()[0] in shown.output
    assert "--packing / --no-packing" in shown.output
    assert "<dapt|sft|both>" in shown.output


def test_help_without_a_kind_lists_the_kinds():
    shown = runner.invoke(app, ["run", "--help"])
    assert shown.exit_code == 0
    assert all(name in shown.output for name in KINDS)


def test_a_typo_gets_a_suggestion_and_exit_2():
    done = runner.invoke(app, ["run", "train", "--grad-acum", "4"])
    assert done.exit_code == 2
    assert "unknown field --grad-acum; did you mean --grad-accum?" in done.output
    assert "Traceback" not in done.output


def test_an_unknown_kind_gets_a_suggestion():
    done = runner.invoke(app, ["submit", "trian"])
    assert done.exit_code == 2 and "did you mean train?" in done.output


def test_run_refuses_webhooks_that_only_the_service_sends():
    hooks = json.dumps([{"url": "http://hooks.test/"}])
    shown = runner.invoke(app, ["run", "gpu_smoke", "--allow-cpu", "--webhooks", hooks])
    assert shown.exit_code == 2
    assert "webhooks are sent by the service's workers" in shown.output
