"""Fingerprints that decide whether a stage's saved output still answers its inputs.

A stage is skipped on a re-run only when the digest of everything that shapes its output (the
files it reads, its settings, the pipeline's code, and facts such as whether OCR is installed)
equals the one recorded when it last finished, and its outputs are still the files it wrote.
"""

import hashlib
import json
from dataclasses import fields
from functools import cache
from pathlib import Path
from typing import Any

from core.digest import file_sha256

CORE = Path(__file__).resolve().parent.parent
# Besides core/pipeline itself, the modules whose rules end up in the datasets.
CODE_MODULES = ("think.py", "prompts.py", "tokenizer.py", "digest.py")


def settings_dict(settings: Any) -> dict[str, Any]:
    """A stage's settings as a dict, without fields marked `fingerprint=False` (those change
    how fast a stage runs, not what it writes)."""
    return {
        f.name: getattr(settings, f.name)
        for f in fields(settings)
        if f.metadata.get("fingerprint", True)
    }


def paths_digest(paths: list[Path]) -> dict[str, str | None]:
    """sha256 of each file, of each file under each folder, None for what is missing.

    Content, not modification times: a file rewritten with other text in the same second
    must still count as changed.
    """
    digests: dict[str, str | None] = {}
    for path in paths:
        if path.is_dir():
            for item in sorted(p for p in path.rglob("*") if p.is_file()):
                digests[str(item)] = file_sha256(item)
        else:
            digests[str(path)] = file_sha256(path) if path.is_file() else None
    return digests


@cache
def code_digest() -> str:
    """One digest of the pipeline's source: an upgraded c64ft re-runs every stage once."""
    sources = sorted((CORE / "pipeline").glob("*.py")) + [CORE / m for m in CODE_MODULES]
    digest = hashlib.sha256()
    for source in sources:
        digest.update(source.name.encode() + b"\0" + source.read_bytes())
    return digest.hexdigest()


def digest_of(value: Any) -> str:
    """sha256 of a JSON-able value, independent of dict order."""
    text = json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()
