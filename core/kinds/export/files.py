"""The files of an export folder, named once: the export writes them, validation reads them."""

import json
from pathlib import Path

REPORT, SUMS, LOG = "export.json", "SHA256SUMS", "export.log"
TOKENIZER_DIR = "tokenizer"  # the HF tokenizer the files were checked against, and the prompt


def exported_files(folder: Path) -> dict[str, str]:
    """The .gguf file of each quant, by export.json.

    Raises:
        ValueError: no readable export.json (missing, malformed, or not an export's).
    """
    try:
        report = json.loads((folder / REPORT).read_text())
        return {entry["quant"]: entry["file"] for entry in report["files"]}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"no readable {REPORT}") from exc
