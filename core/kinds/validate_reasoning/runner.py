"""Runner of `validate_reasoning`: generate from the exported model on each of its runtimes
(generators), measure the THINK contract per quant, write the report; a model that misses the
contract on any quant fails the job with the report kept."""

import hashlib
from collections import Counter
from pathlib import Path
from typing import Any

from transformers import Mistral3ForConditionalGeneration, set_seed

from core.chat_template import DEFAULT_TEMPLATE, load_template
from core.context import RunContext
from core.errors import JobFailure
from core.kinds.validate_reasoning.spec import ValidateReasoningSpec
from core.prompts import trained_system_prompt
from core.publish import publishing_dir
from core.reasoning.generate import Conversation, Generator, Limits, TransformersGenerator
from core.reasoning.metrics import measure_run, summarize
from core.reasoning.report import FILES, write_files
from core.specs.paths import relative, resolve, resolve_field
from core.training.device import Device, resolve_device
from core.training.model import load_pretrained_tokenizer

CONTRACT_HINT = (
    "The model does not keep the THINK contract. Check that training and validation use the "
    "same chat template and system prompt (the defaults do), train SFT for more steps, and read "
    "the transcripts under raw/ to see where the shape breaks."
)


def run(spec: ValidateReasoningSpec, ctx: RunContext) -> dict[str, Any]:
    workspace = ctx.workspace
    model_path = resolve(workspace, spec.model_path)
    adapter = resolve(workspace, spec.adapter_path) if spec.adapter_path else None
    output_dir = spec.output_dir or f"results/reasoning_validation/{ctx.run_id}"
    output = resolve_field(workspace, "output_dir", output_dir)
    device = resolve_device(spec, ctx)
    ctx.set_stage("load", f"loading {spec.model_path} on {device.name} ({device.precision})")
    tokenizer, template_source = _tokenizer(spec, model_path, adapter, workspace)
    generators = _generators(tokenizer, model_path, adapter, device)
    system = spec.system_prompt or trained_system_prompt(model_path, adapter)
    conversations = [c for g in generators for c in _conversations(spec, system, g.quant)]
    limits = Limits(spec.max_new_tokens, spec.ctx_size, spec.batch_size, spec.run_timeout_s)
    _generate_all(generators, conversations, limits, spec.seeds, ctx)

    ctx.set_stage("report", "measuring the THINK contract")
    runs = [measure_run(c.run_type, c.quant, c.prompt_id, c.seed, c.replies) for c in conversations]
    summary = summarize(runs, spec.thresholds.model_dump())
    report = {
        "verdict": "PASS" if summary["passed"] else "FAIL",
        **summary,
        "output_dir": relative(workspace, output),
        "files": {name: f"{relative(workspace, output)}/{file}" for name, file in FILES.items()},
        "model": {
            "model_path": spec.model_path,
            "adapter_path": spec.adapter_path,
            "chat_template": template_source,
            "chat_template_sha256": _sha256(tokenizer.chat_template),
            "system_prompt_sha256": _sha256(system),
        },
        "decoding": {
            "greedy": True,
            "max_new_tokens": spec.max_new_tokens,
            "ctx_size": spec.ctx_size,
            "seeds": spec.seeds,
        },
        "device": {"name": device.name, "precision": device.precision},
        "stops": _stops(conversations),
    }
    with publishing_dir(output, kind="validate_reasoning") as staging:
        write_files(staging, report, conversations, runs)
    rates = {quant: block["rates"] for quant, block in summary["quants"].items()}
    ctx.event(f"{report['verdict']}: {rates}", data={"output_dir": report["output_dir"]})
    if not summary["passed"]:
        raise JobFailure(
            "reasoning_contract_failed",
            "; ".join(summary["failing"]),
            hint=CONTRACT_HINT,
            result=report,
        )
    return report


def _tokenizer(spec, model_path: Path, adapter: Path | None, workspace: Path):
    """The tokenizer (padding on the left) that renders every runtime's prompts, and where its
    chat template came from: the spec's file, the one saved with the model, or the project's."""
    tokenizer = load_pretrained_tokenizer(adapter or model_path)
    tokenizer.padding_side = "left"  # generation continues every row at its right end
    if spec.chat_template_path:
        tokenizer.chat_template = load_template(resolve(workspace, spec.chat_template_path))
        source = spec.chat_template_path
    elif tokenizer.chat_template:
        source = f"{relative(workspace, adapter or model_path)} (saved with the model)"
    else:
        tokenizer.chat_template = load_template(DEFAULT_TEMPLATE)
        source = "the project's Mistral-3 template"
    return tokenizer, source


def _generators(
    tokenizer, model_path: Path, adapter: Path | None, device: Device
) -> list[Generator]:
    """The runtimes every conversation runs on, each its own set of runs labelled by its quant:
    the Hugging Face model (with the adapter applied) in this process."""
    model: Any = Mistral3ForConditionalGeneration.from_pretrained(model_path, dtype=device.dtype)
    if adapter is not None:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, adapter)
    return [TransformersGenerator(model.to(device.name).eval(), tokenizer)]


def _conversations(spec: ValidateReasoningSpec, system: str, quant: str) -> list[Conversation]:
    """Every run of one quant: each single prompt, then each multi-turn one, once per seed."""

    def start(run_type: str, prompt_id: str, seed: int, turns: list[str]) -> Conversation:
        messages = [{"role": "system", "content": system}]
        return Conversation(run_type, quant, prompt_id, seed, turns, messages)

    return [
        conversation
        for seed in spec.seeds
        for conversation in (
            [start("single", p.id, seed, [p.text]) for p in spec.single_prompts]
            + [start("multi", p.id, seed, list(p.turns)) for p in spec.multi_turn_prompts]
        )
    ]


def _generate_all(generators: list[Generator], conversations, limits: Limits, seeds, ctx) -> None:
    """Generator by generator, turn by turn, in batches of its conversations sharing a seed."""
    total = sum(len(c.user_turns) for c in conversations)
    done = 0
    for generator in generators:
        for seed in seeds:
            ctx.set_stage("generate", f"{generator.quant}, seed {seed}")
            set_seed(seed)  # greedy decoding draws nothing; the seed is still set, as the seed did
            pending = [c for c in conversations if (c.quant, c.seed) == (generator.quant, seed)]
            while pending := [c for c in pending if len(c.turns) < len(c.user_turns)]:
                for start in range(0, len(pending), limits.batch_size):
                    batch = pending[start : start + limits.batch_size]
                    generator.generate_turn(batch, limits, ctx)
                    done += len(batch)
                    ctx.progress(done / total, step=done, total=total)


def _stops(conversations: list[Conversation]) -> dict[str, dict[str, int]]:
    """How the replies of each quant ended (eos, max_new_tokens, ctx_size, timed_out): counts."""
    stops: dict[str, Counter[str]] = {}
    for conversation in conversations:
        stops.setdefault(conversation.quant, Counter()).update(t.stop for t in conversation.turns)
    return {quant: dict(counts) for quant, counts in stops.items()}


def _sha256(text: str | None) -> str | None:
    return hashlib.sha256(text.encode()).hexdigest() if text else None
