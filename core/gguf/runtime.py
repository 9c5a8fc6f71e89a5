"""Generation under llama.cpp (llama-cpp-python) from an exported GGUF file: what a user of
llama.cpp or Ollama runs. Greedy, one conversation at a time (llama.cpp decodes one sequence
per context here), the prompt rendered by the Hugging Face chat template and tokenized by
llama.cpp, whose ids the export proved equal to the Hugging Face tokenizer's."""

import time
from pathlib import Path
from typing import Any

from core.context import RunContext
from core.gguf.parity import tokenize_gguf


class LlamaCppModel:
    """One GGUF file loaded for generation; every layer on the GPU when llama.cpp has one."""

    def __init__(self, path: Path, ctx_size: int) -> None:
        import llama_cpp

        self.llama = llama_cpp.Llama(
            model_path=str(path), n_ctx=ctx_size, n_gpu_layers=-1, verbose=False
        )
        self.ctx_size = ctx_size
        self.gpu_offload = bool(llama_cpp.llama_supports_gpu_offload())

    def tokenize(self, text: str) -> list[int]:
        return tokenize_gguf(self.llama, text)

    def complete(
        self, prompt_ids: list[int], budget: int, deadline: float, ctx: RunContext
    ) -> tuple[list[int], str]:
        """Greedy new ids after the prompt, up to EOS (left out) or `budget`, and why it
        stopped: eos, budget, timed_out (past `deadline`, a time.monotonic() value)."""
        eos = self.llama.token_eos()
        new: list[int] = []
        if budget <= 0:
            return new, "budget"
        for token in self.llama.generate(prompt_ids, temp=0.0, repeat_penalty=1.0, reset=True):
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

    def text(self, ids: list[Any]) -> str:
        """The reply as text, control tokens ([THINK]…) written out."""
        return self.llama.detokenize(ids, special=True).decode("utf-8", errors="replace")

    def close(self) -> None:
        self.llama.close()
