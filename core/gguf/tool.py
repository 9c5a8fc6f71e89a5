"""The export's child processes: `python -m core.gguf.tool convert|lora|quantize ...`.

Each step runs in a process of its own so a cancel or a dying worker stops it at once, and
its memory (a whole model in the converter) goes back to the system when it ends.
"""

import argparse
import ctypes
import os
import runpy
import sys
from pathlib import Path

from core.gguf.converter import CONVERT_LORA, CONVERT_MODEL


def convert(converter: Path, script: str, args: list[str], pre_tokenizer: str | None) -> None:
    """Run one of llama.cpp's converter scripts in this process, as its own `__main__`.

    With `pre_tokenizer`, a tokenizer whose hash the converter does not know is declared to be
    that one (core/gguf/pretokenizer.py says why; the export's parity check proves it).
    """
    sys.path.insert(0, str(converter))
    from conversion.base import TextModel  # type: ignore[import-not-found]

    recognise = TextModel.get_vocab_base_pre

    def declared(self, tokenizer) -> str:
        try:
            return recognise(self, tokenizer)
        except NotImplementedError:
            if pre_tokenizer is None:
                raise
            return pre_tokenizer

    TextModel.get_vocab_base_pre = declared
    sys.argv = [script, *args]
    runpy.run_path(str(converter / script), run_name="__main__")


def quantize(source: Path, target: Path, quant: str) -> None:
    """llama.cpp's `llama_model_quantize`, through llama-cpp-python."""
    import llama_cpp

    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = getattr(llama_cpp, f"LLAMA_FTYPE_MOSTLY_{quant}")
    params.nthread = os.cpu_count() or 1
    status = llama_cpp.llama_model_quantize(
        str(source).encode(), str(target).encode(), ctypes.byref(params)
    )
    if status != 0:
        sys.exit(f"llama_model_quantize returned {status}")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m core.gguf.tool")
    commands = parser.add_subparsers(dest="command", required=True)
    model = commands.add_parser("convert", help="a Hugging Face model to an F16 GGUF file")
    model.add_argument("converter", type=Path)
    model.add_argument("model", type=Path)
    model.add_argument("outfile", type=Path)
    model.add_argument("--pre-tokenizer")
    lora = commands.add_parser("lora", help="a PEFT LoRA adapter to a GGUF adapter")
    lora.add_argument("converter", type=Path)
    lora.add_argument("base", type=Path)
    lora.add_argument("adapter", type=Path)
    lora.add_argument("outfile", type=Path)
    lora.add_argument("--pre-tokenizer")
    quant = commands.add_parser("quantize", help="a GGUF file to another file type")
    quant.add_argument("source", type=Path)
    quant.add_argument("target", type=Path)
    quant.add_argument("quant")
    args = parser.parse_args(argv)
    if args.command == "convert":
        options = ["--outtype", "f16", "--outfile", str(args.outfile), str(args.model)]
        convert(args.converter, CONVERT_MODEL, options, args.pre_tokenizer)
    elif args.command == "lora":
        options = ["--base", str(args.base), "--outtype", "f16", "--outfile", str(args.outfile)]
        convert(args.converter, CONVERT_LORA, [*options, str(args.adapter)], args.pre_tokenizer)
    else:
        quantize(args.source, args.target, args.quant)


if __name__ == "__main__":
    main(sys.argv[1:])
