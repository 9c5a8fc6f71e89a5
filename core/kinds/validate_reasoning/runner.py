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
from core.kinds.export.files import TOKENIZER_DIR, exported_files
from core.kinds.validate_reasoning.spec import ValidateReasoningSpec
from core.prompts import trained_system_prompt
from core.publish import publishing_dir
from core.reasoning.generate import Conversation, Generator, Limits, TransformersGenerator
from core.reasoning.metrics import measure_run, summarize
from core.reasoning.report import FILES, write_files
from core.specs.paths import relative, resolve_field, resolve_input
from core.training.device import resolve_device
from core.training.model import load_pretrained_tokenizer

NO_GPU_LLAMA_HINT = (
    "llama-cpp-python was built for the CPU only. Reinstall it with the GPU backend "
    "(CMAKE_ARGS='-DGGML_HIP=ON' on AMD, '-DGGML_CUDA=ON' on NVIDIA: the worker images do), or "
    "submit with allow_cpu: true to validate on the CPU."
)
CONTRACT_HINT = (
    "The model does not keep the THINK contract. Check that training and validation use the "
    "same chat template and system prompt (the defaults do), train SFT for more steps, and read "
    "the transcripts under raw/ to see where the shape breaks."
)


def run(spec: ValidateReasoningSpec, ctx: RunContext) -> dict[str, Any]:
    workspace = ctx.workspace
    output_dir = spec.output_dir or f"results/reasoning_validation/{ctx.run_id}"
    output = resolve_field(workspace, "output_dir", output_dir)
    if spec.runtime == "llama_cpp":
        source = resolve_field(workspace, "gguf_dir", spec.gguf_source(), read_only=True)
        files = _exported(spec, source)
        tokenizer, template_source = _tokenizer(spec, source / TOKENIZER_DIR, None, workspace)
        generators, device = _gguf_generators(spec, source, files, tokenizer, ctx)
        system = spec.system_prompt or trained_system_prompt(source / TOKENIZER_DIR)
    else:
        model_path = resolve_field(workspace, "model_path", spec.model_path, read_only=True)
        adapter = (
            resolve_field(workspace, "adapter_path", spec.adapter_path, read_only=True)
            if spec.adapter_path
            else None
        )
        tokenizer, template_source = _tokenizer(spec, model_path, adapter, workspace)
        generators, device = _hf_generators(spec, tokenizer, model_path, adapter, ctx)
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
            "runtime": spec.runtime,
            "model_path": spec.model_path,
            "adapter_path": spec.adapter_path,
            "gguf_dir": spec.gguf_source() if spec.runtime == "llama_cpp" else None,
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
        "device": device,
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
        tokenizer.chat_template = load_template(resolve_input(workspace, spec.chat_template_path))
        source = spec.chat_template_path
    elif tokenizer.chat_template:
        source = f"{relative(workspace, adapter or model_path)} (saved with the model)"
    else:
        tokenizer.chat_template = load_template(DEFAULT_TEMPLATE)
        source = "the project's Mistral-3 template"
    return tokenizer, source


def _hf_generators(spec, tokenizer, model_path: Path, adapter: Path | None, ctx: RunContext):
    """The Hugging Face model (with the adapter applied) in this process, labelled `hf`; and
    the device it runs on."""
    device = resolve_device(spec, ctx)
    ctx.set_stage("load", f"loading {spec.model_path} on {device.name} ({device.precision})")
    model: Any = Mistral3ForConditionalGeneration.from_pretrained(model_path, dtype=device.dtype)
    if adapter is not None:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, adapter)
    generator = TransformersGenerator(model.to(device.name).eval(), tokenizer)
    return [generator], {"name": device.name, "precision": device.precision}


def _exported(spec, source: Path) -> dict[str, str]:
    """The file of every quant asked for, by the export's export.json (checked at submission;
    the folder may have changed since)."""
    hint = "Export those quants first (an export job with `quants`), or validate others."
    try:
        files = exported_files(source)
    except ValueError as exc:
        message = f"{spec.gguf_source()} holds no export ({exc})"
        raise JobFailure("gguf_missing", message, hint=hint, param="gguf_dir") from exc
    if missing := [quant for quant in spec.quants if quant not in files]:
        message = f"{spec.gguf_source()} has no {', '.join(missing)} file"
        raise JobFailure("gguf_missing", message, hint=hint, param="quants")
    return files


def _gguf_generators(spec, source: Path, files: dict[str, str], tokenizer, ctx: RunContext):
    """One llama.cpp generator per exported file asked for, each loaded when its runs start;
    and where llama.cpp runs them."""
    from core.gguf.runtime import LlamaCppGenerator, gpu_offload

    offload = gpu_offload()
    if not offload and spec.allow_cpu:
        ctx.event("llama.cpp has no GPU backend: running on the CPU (allow_cpu)", level="warning")
    elif not offload:
        raise JobFailure(
            "no_gpu", "this llama.cpp build has no GPU backend", hint=NO_GPU_LLAMA_HINT
        )
    ctx.set_stage(
        "load", f"validating {', '.join(spec.quants)} of {spec.gguf_source()} under llama.cpp"
    )
    generators = [LlamaCppGenerator(source / files[q], q, tokenizer) for q in spec.quants]
    return generators, {"name": "llama.cpp", "gpu_offload": offload, "quants": list(spec.quants)}


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
        generator.close()


def _stops(conversations: list[Conversation]) -> dict[str, dict[str, int]]:
    """How the replies of each quant ended (eos, max_new_tokens, ctx_size, timed_out): counts."""
    stops: dict[str, Counter[str]] = {}
    for conversation in conversations:
        stops.setdefault(conversation.quant, Counter()).update(t.stop for t in conversation.turns)
    return {quant: dict(counts) for quant, counts in stops.items()}


def _sha256(text: str | None) -> str | None:
    return hashlib.sha256(text.encode()).hexdigest() if text else None
