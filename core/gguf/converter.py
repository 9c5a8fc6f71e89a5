"""llama.cpp's own converter scripts, the version the installed llama-cpp-python was built from.

The llama-cpp-python wheel leaves out `convert_hf_to_gguf.py`, `convert_lora_to_gguf.py` and
the `gguf` package they import, but its source distribution carries them (vendor/llama.cpp):
pip downloads that, by name and version, once, and the scripts are kept in a cache folder.
"""

import subprocess
import sys
import tarfile
import tempfile
from importlib import metadata
from pathlib import Path

from core.config import get_settings
from core.errors import JobFailure

PACKAGE = "llama-cpp-python"
CONVERT_MODEL, CONVERT_LORA = "convert_hf_to_gguf.py", "convert_lora_to_gguf.py"
# What the scripts import, under vendor/llama.cpp/ of the source distribution.
MEMBERS = (CONVERT_MODEL, CONVERT_LORA, "conversion/", "gguf-py/gguf/")
INSTALL_HINT = (
    "Install the project's ML requirements (`pip install -e .` builds llama-cpp-python from "
    "source: a C++ compiler and cmake are needed), then run `c64ft setup-llama-cpp` once."
)


def llama_cpp_version() -> str:
    """The installed llama-cpp-python's version; JobFailure `llama_cpp_missing` without it."""
    try:
        return metadata.version(PACKAGE)
    except metadata.PackageNotFoundError as exc:
        raise JobFailure(
            "llama_cpp_missing", f"{PACKAGE} is not installed", hint=INSTALL_HINT
        ) from exc


def converter_dir() -> Path:
    """Where the scripts are: the `C64FT_LLAMA_CPP_DIR` setting, else the cache folder."""
    configured = get_settings().llama_cpp_dir
    if configured:
        return configured.expanduser()
    return Path.home() / ".cache" / "c64ft" / f"llama.cpp-{llama_cpp_version()}"


def ensure_converter() -> Path:
    """The folder holding the converter scripts, fetched into it first when it is missing."""
    folder = converter_dir()
    if (folder / CONVERT_MODEL).is_file():
        return folder
    if folder.exists() and any(folder.iterdir()):  # never replace a folder we did not make
        raise JobFailure(
            "llama_cpp_missing",
            f"{folder} has no {CONVERT_MODEL}",
            hint="Point C64FT_LLAMA_CPP_DIR at a llama.cpp checkout, or at a missing or empty "
            "folder for `c64ft setup-llama-cpp` to fill.",
        )
    return fetch_converter(folder)


def fetch_converter(folder: Path) -> Path:
    """Download the source distribution of the installed version and keep the scripts in
    `folder` (missing or empty), which appears whole or not at all."""
    version = llama_cpp_version()
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder.parent) as temporary:
        download = Path(temporary) / "download"
        _pip_download(f"{PACKAGE}=={version}", download)
        (archive,) = download.glob("*.tar.gz")
        staging = Path(temporary) / "llama.cpp"
        _extract(archive, staging)
        try:
            if folder.exists():
                folder.rmdir()  # empty (checked above)
            staging.rename(folder)
        except OSError:
            # Another process (a second worker, a parallel test) fetched it first: theirs is whole.
            if not (folder / CONVERT_MODEL).is_file():
                raise
    return folder


def _pip_download(requirement: str, into: Path) -> None:
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
    command += ["--no-binary", ":all:", "--dest", str(into), requirement]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise JobFailure(
            "llama_cpp_missing",
            f"could not download {requirement}'s source to get llama.cpp's converter: "
            f"{done.stderr.strip()[-500:]}",
            hint="Run `c64ft setup-llama-cpp` on a machine with access to the package index, "
            "or set C64FT_LLAMA_CPP_DIR to a llama.cpp checkout of the same version.",
        )


def _extract(archive: Path, into: Path) -> None:
    """The MEMBERS of vendor/llama.cpp/, with tarfile's safe `data` filter."""
    with tarfile.open(archive) as tar:
        root = tar.getnames()[0].split("/")[0] + "/vendor/llama.cpp/"
        wanted = []
        for member in tar.getmembers():
            relative = member.name.removeprefix(root)
            if member.name.startswith(root) and relative.startswith(MEMBERS):
                member.name = relative
                wanted.append(member)
        tar.extractall(into, members=wanted, filter="data")
    missing = [name for name in MEMBERS if not (into / name).exists()]
    if missing:
        raise JobFailure("llama_cpp_missing", f"{archive.name} has no {', '.join(missing)}")
