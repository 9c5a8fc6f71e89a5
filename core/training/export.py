"""What a train job leaves: each phase's adapter, and the merged standalone model."""

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.prompts import TRAINED_PROMPT_FILE
from core.publish import publishing_dir
from core.training.checkpoints import STATE_FILE, WEIGHTS, weights_problem

STAGING_PREFIX = ".final-"  # save_adapter's staging folders; a crash can leave one behind


def clean_staging(output_dir: Path) -> list[str]:
    """Remove the staging folders an interrupted save_adapter left in `output_dir`: only ours,
    by their prefix, so no user file is touched. Returns their names."""
    stale = [p for p in output_dir.glob(f"{STAGING_PREFIX}*") if p.is_dir() and not p.is_symlink()]
    for folder in stale:
        shutil.rmtree(folder)
    return [p.name for p in stale]


def is_exported(folder: Path, checkpoint: Path) -> bool:
    """Whether `folder` holds a whole output (weights that load, tokenizer, prompt) written after
    `checkpoint` was: outputs are saved after the last checkpoint, so an older one is from an
    earlier, shorter run."""
    weights = [folder / name for name in WEIGHTS if (folder / name).is_file()]
    return (
        weights_problem(folder) is None
        and (folder / "tokenizer_config.json").is_file()
        and (folder / TRAINED_PROMPT_FILE).is_file()
        and weights[0].stat().st_mtime >= (checkpoint / STATE_FILE).stat().st_mtime
    )


def save_adapter(save: Callable[[str], Any], tokenizer, output_dir: Path, prompt: str) -> None:
    """The adapter (or full model; `save` writes it into a folder: a trainer's save_model or a
    model's save_pretrained), the tokenizer with its chat template and the system prompt, at the
    root of the phase's folder beside its checkpoints; written aside and moved in, file by
    file."""
    with tempfile.TemporaryDirectory(prefix=STAGING_PREFIX, dir=output_dir) as staging:
        save(staging)
        tokenizer.save_pretrained(staging)
        (Path(staging) / TRAINED_PROMPT_FILE).write_text(prompt + "\n")
        for path in Path(staging).iterdir():
            path.replace(output_dir / path.name)


def save_merged(model, tokenizer, target: Path, base: Path, prompt: str) -> None:
    """The adapter merged into the base weights: the artifact reasoning validation loads."""
    merged = model.merge_and_unload()
    merged.config.use_cache = True
    merged.config.get_text_config().use_cache = True  # packing turns it off for training
    with publishing_dir(target, kind="train") as staging:
        merged.save_pretrained(str(staging), safe_serialization=True)
        tokenizer.save_pretrained(str(staging))
        if (base / "SYSTEM_PROMPT.txt").is_file():  # inference adds the C64 block to it again
            shutil.copy(base / "SYSTEM_PROMPT.txt", staging / "SYSTEM_PROMPT.txt")
        (staging / TRAINED_PROMPT_FILE).write_text(prompt + "\n")
        for path in staging.iterdir():
            path.chmod(0o644)
