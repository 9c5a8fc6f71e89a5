"""A model folder's fast tokenizer, with nothing but the `tokenizers` library (no torch): it cuts
DAPT text into windows and counts a train job's tokens in a dry run."""

from pathlib import Path

from tokenizers import Tokenizer

from core.errors import JobFailure


def load_tokenizer(model_path: Path) -> Tokenizer:
    path = model_path / "tokenizer.json"
    if not path.is_file():
        raise JobFailure(
            "tokenizer_missing",
            f"no tokenizer.json in {model_path}",
            hint="Point model_path at a Hugging Face model folder (`c64ft make-tiny-model` "
            "builds a small one for machines without a GPU).",
            param="model_path",
        )
    try:
        tokenizer = Tokenizer.from_file(str(path))
    except Exception as exc:  # the Rust library raises a bare Exception for a malformed file
        raise JobFailure(
            "tokenizer_invalid",
            f"{path} cannot be read: {exc}",
            hint="Replace it with the model's own tokenizer.json.",
            param="model_path",
        ) from exc
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer
