"""The system prompt of every SFT example and of inference: the base model's own prompt, then
the C64 specialization (docs/design.md). Training and validation build it here, so they agree."""

from pathlib import Path

FALLBACK_BASE_PROMPT = (
    "You are a helpful, knowledgeable assistant. Think through a question before you answer, "
    "and answer clearly and accurately."
)

C64_SPECIALIZATION = """\
You specialize in the Commodore 64: its hardware and memory map, the VIC-II video chip, the SID \
sound chip, the CIA chips, the KERNAL and BASIC V2, 6502/6510 machine language, debugging, and \
emulation.
Be concise and polite. If you are not sure, or a question is outside this scope, say so.
Answer in the language the user writes in.
Always begin your reply with your reasoning inside one [THINK]...[/THINK] block, then give the \
answer."""


TRAINED_PROMPT_FILE = "c64ft_system_prompt.txt"  # saved by a train job with what it exports


def system_prompt(model_path: Path | None) -> str:
    """`SYSTEM_PROMPT.txt` of the model folder when it has one, then the C64 block."""
    own = model_path / "SYSTEM_PROMPT.txt" if model_path else None
    base = own.read_text().strip() if own and own.is_file() else FALLBACK_BASE_PROMPT
    return f"{base}\n\n{C64_SPECIALIZATION}"


def trained_system_prompt(model_path: Path, adapter_path: Path | None = None) -> str:
    """The system prompt a trained model is run with: the one its train job saved beside it
    (adapter folder first), else what `system_prompt` makes of the model folder."""
    for folder in (adapter_path, model_path):
        if folder and (folder / TRAINED_PROMPT_FILE).is_file():
            return (folder / TRAINED_PROMPT_FILE).read_text().removesuffix("\n")
    return system_prompt(model_path)
