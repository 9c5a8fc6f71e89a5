"""The container files and the README's container section, as the deploy tests read them."""

import json
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GPU_LAYOUTS = ("docker-compose.gpus-2x1.yml", "docker-compose.gpus-1x4.yml")
NVIDIA_LAYOUTS = tuple(name.replace(".yml", ".cuda.yml") for name in GPU_LAYOUTS)
COMPOSE_FILES = ("docker-compose.yml", "docker-compose.cuda.yml", ".env.example")
COMPOSE_FILES += GPU_LAYOUTS + NVIDIA_LAYOUTS
# Variables of the developer's shell that would leak into the compose files' interpolation.
HOST_VARIABLES = re.compile(r"^(C64FT_|COMPOSE_|LOCAL_UID$|LOCAL_GID$|VIDEO_GID$|RENDER_GID$)")


def readme_section(title: str) -> str:
    """The README's `## title` section, up to the next `## ` heading."""
    text = (ROOT / "README.md").read_text()
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def bash_blocks(markdown: str) -> list[str]:
    """The text of every ```bash block."""
    return re.findall(r"```bash\n(.*?)```", markdown, flags=re.S)


def shell_commands(markdown: str) -> list[list[str]]:
    """Every command of the ```bash blocks, as the shell splits it: continuation lines joined,
    quotes spanning lines kept whole, comments dropped."""
    commands, pending = [], ""
    for block in bash_blocks(markdown):
        for line in block.replace("\\\n", " ").splitlines():
            pending += line + "\n"
            try:
                words = shlex.split(pending, comments=True)
            except ValueError:  # a quote still open: the command goes on on the next line
                continue
            if words:
                commands.append(words)
            pending = ""
    assert not pending, f"unclosed quote in the README: {pending!r}"
    return commands


def compose_binary() -> str:
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.fail("docker-compose is not installed: bash .ci/run installs Debian's package")
    return binary


def compose_env(**variables: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not HOST_VARIABLES.match(k)}
    return env | variables


def compose(project: Path, *args: str, env: dict[str, str] | None = None):
    """Run the real `docker-compose` (v2: what `docker compose` runs) in the project folder."""
    return subprocess.run(
        [compose_binary(), *args],
        cwd=project,
        env=env if env is not None else compose_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )


def new_project(folder: Path) -> Path:
    """A copy of the compose files, so that what the README's commands make lands there."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in COMPOSE_FILES:
        shutil.copy(ROOT / name, folder / name)
    return folder


def bash_block(markdown: str, containing: str) -> str:
    """The one ```bash block of the README section that holds `containing`."""
    blocks = [block for block in bash_blocks(markdown) if containing in block]
    assert len(blocks) == 1, f"expected one bash block with {containing!r}, found {len(blocks)}"
    return blocks[0]


def config(project: Path, *args: str) -> dict:
    done = compose(project, *args, "config", "--format", "json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


SECTION = readme_section("Containers")
