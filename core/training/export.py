"""What a train job leaves: each phase's adapter, and the merged standalone model."""

import shutil
import tempfile
from pathlib import Path

from core.prompts import TRAINED_PROMPT_FILE
from core.publish import publishing_dir


def save_adapter(trainer, tokenizer, output_dir: Path, prompt: str) -> None:
    """The adapter (or full model), the tokenizer with its chat template and the system prompt,
    at the root of the phase's folder beside its checkpoints; written aside and moved in, file
    by file."""
    with tempfile.TemporaryDirectory(prefix=".final-", dir=output_dir) as staging:
        trainer.save_model(staging)
        tokenizer.save_pretrained(staging)
        (Path(staging) / TRAINED_PROMPT_FILE).write_text(prompt + "\n")
        for path in Path(staging).iterdir():
            path.replace(output_dir / path.name)


def save_merged(model, tokenizer, target: Path, base: Path, prompt: str) -> None:
    """The adapter merged into the base weights: the artifact reasoning validation loads."""
    merged = model.merge_and_unload()
    merged.config.use_cache = True
    with publishing_dir(target, kind="train") as staging:
        merged.save_pretrained(str(staging), safe_serialization=True)
        tokenizer.save_pretrained(str(staging))
        if (base / "SYSTEM_PROMPT.txt").is_file():  # inference adds the C64 block to it again
            shutil.copy(base / "SYSTEM_PROMPT.txt", staging / "SYSTEM_PROMPT.txt")
        (staging / TRAINED_PROMPT_FILE).write_text(prompt + "\n")
        for path in staging.iterdir():
            path.chmod(0o644)
