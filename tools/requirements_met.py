"""Exit 0 when this checkout's requirements (runtime and `dev`) are installed, else 1.

`tools/test` asks this before `pip install -e '.[dev]'`: a re-run skips pip (and with it
llama.cpp's build check) when nothing changed. Any doubt (no c64ft installed, a requirement
missing or too old, `packaging` absent) answers 1, and pip runs.
"""

import importlib.util
import sys
import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path


def requirement_lines(root: Path) -> list[str]:
    """The requirement strings of the project and its `dev` extra, comments left out."""
    project = tomllib.loads((root / "pyproject.toml").read_text())
    files = project["tool"]["setuptools"]["dynamic"]["dependencies"]["file"]
    lines = [line for name in files for line in (root / name).read_text().splitlines()]
    lines += project["project"]["optional-dependencies"]["dev"]
    stripped = (line.split("#", 1)[0].strip() for line in lines)
    return [line for line in stripped if line]


def installed_elsewhere(root: Path) -> list[str]:
    """c64ft itself when it is installed from another checkout: its commands and the tests'
    subprocesses would then run that checkout's code, not this one's."""
    spec = importlib.util.find_spec("c64ft")
    origin = Path(spec.origin).resolve() if spec and spec.origin else None
    if origin is None or not origin.is_relative_to(root):
        return [f"c64ft from this checkout (installed: {origin})"]
    return []


def unmet(root: Path) -> list[str]:
    """The requirements that no installed distribution satisfies (c64ft itself included)."""
    from packaging.requirements import Requirement

    missing = installed_elsewhere(root)
    for line in ["c64ft", *requirement_lines(root)]:
        requirement = Requirement(line)
        try:
            installed = version(requirement.name)
        except PackageNotFoundError:
            missing.append(line)
            continue
        if not requirement.specifier.contains(installed, prereleases=True):
            missing.append(f"{line} (installed: {installed})")
    return missing


if __name__ == "__main__":
    try:
        missing = unmet(Path(__file__).resolve().parent.parent)
    except Exception as exc:  # a fresh machine: let pip decide
        print(f"cannot check the requirements ({exc!r})")
        sys.exit(1)
    for line in missing:
        print(f"not installed: {line}")
    sys.exit(1 if missing else 0)
