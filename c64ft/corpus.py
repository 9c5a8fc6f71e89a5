"""`c64ft sample-corpus DIR` and the demo: a copy of the bundled sample corpus."""

import filecmp
import shutil
from pathlib import Path

from core.sample_corpus import sample_corpus_dir


def _files(folder: Path) -> set[Path]:
    """The files under `folder`, relative to it; dot files (a checkout's .gitkeep) left out."""
    return {
        path.relative_to(folder)
        for path in folder.rglob("*")
        if path.is_file()
        and not any(part.startswith(".") for part in path.relative_to(folder).parts)
    }


def copy_sample_corpus(target: Path) -> bool:
    """Copy the sample corpus to `target`: True when copied, False when it is already there.

    A folder holding other files is refused (FileExistsError): nothing is overwritten."""
    source = sample_corpus_dir()
    present = _files(target) if target.is_dir() else set()
    if not present:
        shutil.copytree(source, target, dirs_exist_ok=True)
        return True
    wanted = _files(source)
    same = present == wanted and all(
        filecmp.cmp(source / name, target / name, shallow=False) for name in wanted
    )
    if same:
        return False
    raise FileExistsError(
        f"{target} is not empty and does not hold the sample corpus: choose an empty folder"
    )
