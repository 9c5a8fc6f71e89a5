"""The sample corpus bundled with the package: seven C64 manuals written for this project.

Torch-free, so that the demo and the tests find it without loading the ML stack.
"""

import importlib.resources
from pathlib import Path


def sample_corpus_dir() -> Path:
    """The bundled sample corpus (`c64ft/sample_corpus/`)."""
    return Path(str(importlib.resources.files("c64ft") / "sample_corpus"))
