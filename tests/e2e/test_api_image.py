"""The API image's recipe, executed without Docker: the files its COPY lines bring, its RUN
lines in a fresh virtual environment, then uvicorn from there the way its CMD starts it."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import copy_workspace
from tests.deploy.containers import ROOT
from tests.e2e.service import Service

DOCKERFILE = ROOT / "docker" / "api.Dockerfile"
# The RUN lines that make users and folders need root, and the image; the rest run here.
IMAGE_ONLY = ("useradd",)


def _build_context(instructions, context: Path) -> None:
    """Lay out WORKDIR /app as the Dockerfile's COPY lines do (sources from the repository)."""
    for copy in (c for c in instructions if c.cmd == "COPY"):
        *sources, target = copy.value
        for source in sources:
            into = (
                context / target / Path(source).name if target.endswith("/") else context / target
            )
            into.parent.mkdir(parents=True, exist_ok=True)
            if (ROOT / source).is_dir():
                ignore = shutil.ignore_patterns("__pycache__")
                shutil.copytree(ROOT / source, into, ignore=ignore, dirs_exist_ok=True)
            else:
                shutil.copy(ROOT / source, into)


def _image_env(instructions, venv: Path, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("C64FT_")}
    for line in (c for c in instructions if c.cmd == "ENV"):
        env |= dict(zip(line.value[::2], line.value[1::2], strict=True))
    env |= {"PATH": f"{venv / 'bin'}:{env['PATH']}", "HOME": str(home), "VIRTUAL_ENV": str(venv)}
    env["C64FT_WORKSPACE"] = str(home)  # /workspace does not exist outside the image
    return env


@pytest.mark.timeout(900)
def test_the_api_image_installs_without_torch_and_serves(
    tmp_path, redis_client, redis_url, sample_workspace
):
    import dockerfile

    instructions = list(dockerfile.parse_file(str(DOCKERFILE)))
    context, venv, home = tmp_path / "app", tmp_path / "venv", tmp_path / "home"
    home.mkdir()
    _build_context(instructions, context)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = _image_env(instructions, venv, home)
    for run in (c for c in instructions if c.cmd == "RUN"):
        if not run.value[0].startswith(IMAGE_ONLY):
            done = subprocess.run(["bash", "-euc", run.value[0]], cwd=context, env=env,
                                  capture_output=True, text=True)  # fmt: skip
            assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    python = str(venv / "bin" / "python")
    find = (
        "import importlib.util as u;"
        " print([m for m in ('torch', 'transformers') if u.find_spec(m)])"
    )
    assert subprocess.run([python, "-c", find], capture_output=True, text=True).stdout == "[]\n"

    workspace = copy_workspace(sample_workspace, tmp_path / "workspace")
    service = Service(workspace, redis_url, python=python)
    service.env |= {"WEB_CONCURRENCY": env["WEB_CONCURRENCY"]}
    try:
        service.start_api()
        health = service.health()
        assert (health["database"], health["broker"]) == ("ok", "ok"), health
        bodies = [
            {"kind": "gpu_smoke"},
            {"kind": "build_datasets", "model_path": "models/tiny-ministral3"},
            {"kind": "train", "model_path": "models/tiny-ministral3", "max_length": 128},
            {"kind": "validate_reasoning", "model_path": "models/tiny-ministral3"},
            {"kind": "workflow", "build_datasets": {"model_path": "models/tiny-ministral3"},
             "train": {"model_path": "models/tiny-ministral3"}},
        ]  # fmt: skip
        dry_runs = {}
        for body in bodies:
            response = service.http.post("/jobs", params={"dry_run": "true"}, json=body)
            assert response.status_code == 200, response.text
            dry_runs[body["kind"]] = response.json()
        # tokenizers and pyarrow, in the API image, counted the datasets' tokens
        plan = next(c for c in dry_runs["train"]["checks"] if c["name"] == "plan")
        assert plan["status"] == "pass" and plan["data"]["phases"]["sft"]["splits"], plan
        assert dry_runs["workflow"]["ok"], dry_runs["workflow"]["checks"]
        log = (workspace / "api.log").read_text()
        assert log.count("Started server process") == int(env["WEB_CONCURRENCY"]), log
    finally:
        service.stop()
        print(service.logs())
