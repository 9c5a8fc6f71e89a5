"""Greedy generation over conversations, turn by turn, in batches, bounded in tokens and time.

A multi run feeds the model's own reply back as the assistant turn before the next user turn,
exactly as a chat client would; every prompt is the chat template rendered with
`add_generation_prompt=True` (`render`), the same bytes training supervised (docs/design.md, "Chat
template"), whichever runtime continues it. A runtime is a `Generator`; `TransformersGenerator`
is the one that runs the Hugging Face model itself.
"""

import time
from dataclasses import dataclass, field
from typing import Any, Protocol

import torch
from transformers import GenerationConfig, StoppingCriteria, StoppingCriteriaList

from core.context import RunContext


@dataclass
class Turn:
    prompt: str  # the rendered text the model continued
    reply: str  # decoded with its control tokens ([THINK]…), up to the first EOS
    prompt_tokens: int
    new_tokens: int
    stop: str  # eos, max_new_tokens, ctx_size (the window was full) or timed_out
    seconds: float


@dataclass
class Conversation:
    run_type: str  # "single" or "multi"
    quant: str  # the generator's: a GGUF file type (Q8_0, F16, …), or "hf" for transformers
    prompt_id: str
    seed: int
    user_turns: list[str]
    messages: list[dict[str, str]]  # the system turn, then user and assistant turns so far
    turns: list[Turn] = field(default_factory=list)

    @property
    def replies(self) -> list[str]:
        return [turn.reply for turn in self.turns]

    def ask_next(self) -> None:
        """Add the next user turn to the messages, before rendering the prompt."""
        self.messages.append({"role": "user", "content": self.user_turns[len(self.turns)]})

    def record(self, turn: Turn) -> None:
        """Keep the reply, and feed it back as the assistant turn the next prompt includes."""
        self.turns.append(turn)
        self.messages.append({"role": "assistant", "content": turn.reply})


@dataclass(frozen=True)
class Limits:
    max_new_tokens: int
    ctx_size: int
    batch_size: int
    timeout_s: float


class Generator(Protocol):
    """A runtime the conversations run on; its `quant` labels every run it makes."""

    quant: str

    def generate_turn(self, batch: list[Conversation], limits: Limits, ctx: RunContext) -> None:
        """Record one greedy reply to the next user turn of each conversation in `batch`
        (`ask_next`, `render`, generate, `record`), stopping early once `ctx` asks to cancel."""
        ...

    def close(self) -> None:
        """Free the model once this generator's runs are done."""
        ...


def render(tokenizer, messages: list[dict[str, str]]) -> str:
    """The prompt text every runtime continues: the chat template, generation prompt added."""
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)


class CancelCheck(StoppingCriteria):
    """Stops a batch between two tokens once the job is asked to cancel."""

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx

    def __call__(self, input_ids: torch.LongTensor, scores: Any, **kwargs) -> torch.BoolTensor:
        stop = self.ctx.cancel_requested.is_set()
        rows = input_ids.shape[0]
        return torch.full((rows,), stop, dtype=torch.bool, device=input_ids.device)  # type: ignore[return-value]


class TransformersGenerator:
    """The Hugging Face model itself (merged, or with its adapter), batched on its device."""

    quant = "hf"

    def __init__(self, model, tokenizer) -> None:
        self.model, self.tokenizer = model, tokenizer  # the tokenizer pads on the left

    def generate_turn(self, batch: list[Conversation], limits: Limits, ctx: RunContext) -> None:
        tokenizer = self.tokenizer
        for conversation in batch:
            conversation.ask_next()
        prompts = [render(tokenizer, c.messages) for c in batch]
        # The rendering starts with the BOS token already: the tokenizer must not add another.
        encoded = tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False)
        lengths = encoded.attention_mask.sum(dim=1).tolist()
        budgets = [min(limits.max_new_tokens, limits.ctx_size - n) for n in lengths]
        started = time.monotonic()
        new_ids = _generate(self.model, tokenizer, encoded, max(budgets), limits, ctx)
        seconds = time.monotonic() - started
        for conversation, prompt, length, budget, ids in zip(
            batch, prompts, lengths, budgets, new_ids, strict=True
        ):
            conversation.record(_turn(tokenizer, prompt, length, budget, ids, limits, seconds))

    def close(self) -> None:
        """Nothing to free early: the model is the runner's, and goes with the job."""


def _generate(model, tokenizer, encoded, budget: int, limits: Limits, ctx) -> list[list[int]]:
    """The new token ids of each row (empty rows when no room is left in the window)."""
    rows = encoded.input_ids.shape[0]
    if budget <= 0:
        return [[] for _ in range(rows)]
    config = GenerationConfig(
        do_sample=False,
        max_new_tokens=budget,
        max_time=limits.timeout_s,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
    )
    encoded = encoded.to(model.device)
    with torch.inference_mode():
        output = model.generate(
            **encoded,
            generation_config=config,
            stopping_criteria=StoppingCriteriaList([CancelCheck(ctx)]),
        )
    ctx.check_cancelled()
    return output[:, encoded.input_ids.shape[1] :].tolist()


def _turn(
    tokenizer, prompt: str, length: int, budget: int, ids: list[int], limits: Limits, seconds: float
) -> Turn:
    """One row's reply, cut at its own budget and at its first EOS, and why it stopped."""
    ids = ids[: max(budget, 0)]
    eos = tokenizer.eos_token_id
    if eos in ids:
        ids, stop = ids[: ids.index(eos)], "eos"
    elif len(ids) < budget:  # the batch ended before this row was done: only max_time does that
        stop = "timed_out"
    else:
        stop = "max_new_tokens" if budget == limits.max_new_tokens else "ctx_size"
    reply = tokenizer.decode(ids, skip_special_tokens=False)
    return Turn(prompt, reply, length, len(ids), stop, round(seconds, 3))
