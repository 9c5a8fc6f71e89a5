"""The GGUF file types an export can write, by the names llama.cpp's own tools use.

Kept as plain names so the API validates a spec without loading llama.cpp; each maps to
llama.cpp's `LLAMA_FTYPE_MOSTLY_<name>` (a test checks the installed llama-cpp-python has it).
"""

from typing import Literal, get_args

Quant = Literal["F16", "BF16", "Q8_0", "Q6_K", "Q5_K_M", "Q5_K_S", "Q4_K_M", "Q4_K_S", "Q4_0"]
QUANTS: tuple[str, ...] = get_args(Quant)
# Written by the converter itself; every other type is quantized from the F16 file.
CONVERTED = "F16"


def gguf_name(stem: str, quant: str) -> str:
    """The file name of one quant: `<stem>-<quant>.gguf`."""
    return f"{stem}-{quant}.gguf"
