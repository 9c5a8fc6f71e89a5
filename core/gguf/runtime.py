"""Generation under llama.cpp (llama-cpp-python) from an exported GGUF file: what a user of
llama.cpp or Ollama runs. Greedy, one conversation at a time; the prompt is rendered by the
Hugging Face chat template and tokenized by llama.cpp, and every prompt's ids are checked
against the Hugging Face tokenizer's before the model sees them (token parity)."""

import time
from pathlib import Path
from typing import Any

from core.context import RunContext
from core.gguf.parity import check_ids, tokenize_gguf
from core.reasoning.generate import Conversation, Limits, Turn, render


class LlamaCppGenerator:
    """One GGUF file, loaded on first use with every layer on the GPU when llama.cpp has one,
    and closed once its runs are done (two 8B files need not share memory)."""

    def __init__(self, path: Path, quant: str, tokenizer) -> None:
        self.path, self.quant, self.tokenizer = path, quant, tokenizer
        self.llama: Any = None

    def generate_turn(self, batch: list[Conversation], limits: Limits, ctx: RunContext) -> None:
        llama = self._load(limits.ctx_size)
        for conversation in batch:
            conversation.ask_next()
            prompt = render(self.tokenizer, conversation.messages)
            ids = tokenize_gguf(llama, prompt)  # the model's input, checked against HF's ids
            expected = self.tokenizer(prompt, add_special_tokens=False).input_ids
            check_ids(f"{conversation.prompt_id} turn", expected, ids)
            budget = min(limits.max_new_tokens, limits.ctx_size - len(ids))
            started = time.monotonic()
            llama.set_seed(conversation.seed)
            new, stop = _complete(llama, ids, budget, started + limits.timeout_s, ctx)
            if stop == "budget":
                stop = "max_new_tokens" if budget == limits.max_new_tokens else "ctx_size"
            reply = llama.detokenize(new, special=True).decode("utf-8", errors="replace")
            seconds = round(time.monotonic() - started, 3)
            conversation.record(Turn(prompt, reply, len(ids), len(new), stop, seconds))

    def close(self) -> None:
        if self.llama is not None:
            self.llama.close()
            self.llama = None

    def _load(self, ctx_size: int):
        if self.llama is None:
            import llama_cpp

            self.llama = llama_cpp.Llama(
                model_path=str(self.path), n_ctx=ctx_size, n_gpu_layers=-1, verbose=False
            )
        return self.llama


def _complete(llama, prompt_ids: list[int], budget: int, deadline: float, ctx: RunContext):
    """Greedy new ids after the prompt, up to EOS (left out) or `budget`, and why it stopped:
    eos, budget or timed_out (past `deadline`, a time.monotonic() value)."""
    eos = llama.token_eos()
    new: list[int] = []
    if budget <= 0:
        return new, "budget"
    for token in llama.generate(prompt_ids, temp=0.0, repeat_penalty=1.0, reset=True):
        if token == eos:
            return new, "eos"
        new.append(token)
        if len(new) >= budget:
            return new, "budget"
        if ctx.cancel_requested.is_set():
            break
        if time.monotonic() > deadline:
            return new, "timed_out"
    ctx.check_cancelled()
    return new, "budget"


def gpu_offload() -> bool:
    """Whether this llama.cpp build puts layers on a GPU (HIP, CUDA, Metal…)."""
    import llama_cpp

    return bool(llama_cpp.llama_supports_gpu_offload())
