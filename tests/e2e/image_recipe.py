"""A Dockerfile's recipe run without Docker (no engine here): its COPY lines lay out the build
folder, its RUN lines run there in a fresh virtual environment with its ENV."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import dockerfile

from tests.deploy.containers import ROOT

# What only the image can do: system packages and users need root and the base image's OS.
IMAGE_ONLY = ("apt-get", "useradd")


class Recipe:
    def __init__(self, name: str, folder: Path) -> None:
        self.instructions = list(dockerfile.parse_file(str(ROOT / "docker" / name)))
        self.context, self.venv = folder / "app", folder / "venv"
        self.opt = folder / "opt"  # the image's /opt
        self.python = str(self.venv / "bin" / "python")

    def env(self, workspace: Path) -> dict[str, str]:
        """The Dockerfile's ENV, with `workspace` standing for the image's /workspace and a
        folder of the recipe's for its /opt."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("C64FT_")}
        for line in (c for c in self.instructions if c.cmd == "ARG" and "=" in c.value[0]):
            name, default = line.value[0].split("=", 1)  # a build argument at its default
            env[name] = default.strip('"')
        for line in (c for c in self.instructions if c.cmd == "ENV"):
            pairs = zip(line.value[::2], line.value[1::2], strict=True)
            env |= {
                k: v.replace("/workspace", str(workspace)).replace("/opt/", f"{self.opt}/")
                for k, v in pairs
            }
        env["PATH"] = f"{self.venv / 'bin'}:{env['PATH']}"
        return env | {"VIRTUAL_ENV": str(self.venv), "HOME": str(workspace)}

    def build(self, workspace: Path, before: list[str] = ()) -> None:
        """Copy what COPY copies, make the venv (`before`: pip arguments standing for what the
        base image brings), then run every RUN line but the image-only ones."""
        self._copy()
        subprocess.run([sys.executable, "-m", "venv", str(self.venv)], check=True)
        if before:
            subprocess.run([self.python, "-m", "pip", "install", "-q", *before], check=True)
        env = self.env(workspace)
        for run in (c for c in self.instructions if c.cmd == "RUN"):
            if not run.value[0].startswith(IMAGE_ONLY):
                done = subprocess.run(
                    ["bash", "-euc", run.value[0]],
                    cwd=self.context,
                    env=env,
                    capture_output=True,
                    text=True,
                )
                assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    def has(self, *modules: str) -> list[str]:
        """Which of these modules the venv can import."""
        code = "import importlib.util as u, json, sys; "
        code += "print(json.dumps([m for m in sys.argv[1:] if u.find_spec(m)]))"
        return json.loads(subprocess.check_output([self.python, "-c", code, *modules], text=True))

    def _copy(self) -> None:
        for copy in (c for c in self.instructions if c.cmd == "COPY"):
            *sources, target = copy.value
            for source in sources:
                into = self.context / target
                if target.endswith("/"):
                    into /= Path(source).name
                into.parent.mkdir(parents=True, exist_ok=True)
                if (ROOT / source).is_dir():
                    ignore = shutil.ignore_patterns("__pycache__")
                    shutil.copytree(ROOT / source, into, ignore=ignore, dirs_exist_ok=True)
                else:
                    shutil.copy(ROOT / source, into)
