"""The Dockerfiles, read with BuildKit's own parser (the `dockerfile` package)."""

import importlib.metadata
import re
import shlex
from pathlib import Path

import dockerfile
from packaging.requirements import Requirement
from packaging.version import Version

from tests.deploy.containers import ROOT

SEED_BASE_IMAGE = "rocm/pytorch:rocm7.2_ubuntu24.04_py3.12_pytorch_release_2.9.1"


def _instructions(name: str) -> list[dockerfile.Command]:
    return list(dockerfile.parse_file(str(ROOT / "docker" / name)))


def _values(commands, cmd: str) -> list[tuple[str, ...]]:
    return [c.value for c in commands if c.cmd == cmd]


def _pip_installs(commands) -> list[list[str]]:
    """The argument lists of every `pip install` in the RUN instructions."""
    installs = []
    for run in _values(commands, "RUN"):
        lexer = shlex.shlex(" ".join(run), posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        step: list[str] = []
        for word in [*lexer, "&&"]:
            if word not in ("&&", ";", "||", "|"):
                step.append(word)
                continue
            if "pip" in step and "install" in step:
                installs.append(step[step.index("install") + 1 :])
            step = []
    return installs


def _requirements(path: str) -> list[Requirement]:
    lines = (ROOT / path).read_text().splitlines()
    return [Requirement(line) for line in lines if line.strip() and not line.startswith("#")]


def test_api_image_is_slim_python_without_torch_as_a_non_root_user():
    api = _instructions("api.Dockerfile")
    [(base,)] = _values(api, "FROM")
    assert re.fullmatch(r"python:3\.1[1-9]-slim", base)
    installs = _pip_installs(api)
    assert installs == [
        ["--no-cache-dir", "-r", "requirements/service.txt"],
        ["--no-cache-dir", "--no-deps", "."],
    ]
    assert "torch" not in {r.name for r in _requirements("requirements/service.txt")}
    # The build imports the app and fails if that pulled in torch or transformers.
    assert any("'torch', 'transformers'" in " ".join(run) for run in _values(api, "RUN"))
    users = _values(api, "USER")
    assert users and users[-1][0] not in ("root", "0")


def test_api_image_checks_its_health_and_runs_uvicorn_with_workers():
    api = _instructions("api.Dockerfile")
    [healthcheck] = [c for c in api if c.cmd == "HEALTHCHECK"]
    assert healthcheck.value[0] == "CMD" and "/health" in " ".join(healthcheck.value)
    [cmd] = _values(api, "CMD")
    assert cmd[:2] == ("uvicorn", "api.main:app") and "--workers" not in cmd
    env = dict(zip(*[iter(v for e in _values(api, "ENV") for v in e)] * 2, strict=True))
    assert int(env["WEB_CONCURRENCY"]) >= 2  # uvicorn's worker count when --workers is absent
    assert env["C64FT_WORKSPACE"] == "/workspace"


def test_worker_image_is_the_seeds_rocm_image_by_default():
    worker = _instructions("worker.Dockerfile")
    assert worker[0].cmd == "ARG" and worker[0].value == (f"BASE_IMAGE={SEED_BASE_IMAGE}",)
    assert _values(worker, "FROM") == [("${BASE_IMAGE}",)]
    apt = " ".join(" ".join(run) for run in _values(worker, "RUN") if "apt-get" in run[0])
    assert {"ocrmypdf", "tesseract-ocr", "tesseract-ocr-eng"} <= set(apt.split())
    assert _values(worker, "CMD")[-1][:2] == ("c64ft", "worker")


def test_worker_image_never_reinstalls_torch():
    worker = _instructions("worker.Dockerfile")
    installs = _pip_installs(worker)
    assert installs == [
        ["--no-cache-dir", "-r", "requirements/service.txt", "-r", "requirements/ml.txt"],
        ["--no-cache-dir", "--no-deps", "."],
    ]
    assert not any("torch" in word for words in installs for word in words)
    for path in ("requirements/service.txt", "requirements/ml.txt"):
        assert "torch" not in {r.name for r in _requirements(path)}, path
    # Each install step is followed by the check that the base image's torch is still there.
    guarded = [r for r in _values(worker, "RUN") if "pip install" in " ".join(r)]
    assert all("/tmp/base-torch-version" in " ".join(r) for r in guarded)


def _arg_default(commands, name: str) -> str:
    [value] = [v[0].split("=", 1)[1] for v in _values(commands, "ARG") if v[0].startswith(name)]
    return value.strip('"')


def test_worker_image_builds_llama_cpp_for_its_gpu():
    """pip builds llama-cpp-python from source with CMAKE_ARGS from the LLAMA_CMAKE_ARGS build
    argument: HIP for the ROCm image by default (docker-compose.cuda.yml passes CUDA's)."""
    worker = _instructions("worker.Dockerfile")
    apt = " ".join(" ".join(run) for run in _values(worker, "RUN") if "apt-get" in run[0])
    assert {"build-essential", "cmake"} <= set(apt.split())
    args = _arg_default(worker, "LLAMA_CMAKE_ARGS=").split()
    assert {"-DGGML_HIP=ON", "-DGGML_NATIVE=OFF", "-DLLAVA_BUILD=OFF"} <= set(args)
    # docker build sees no GPU, so the AMD targets are named rather than detected.
    [targets] = [a.removeprefix("-DGPU_TARGETS=") for a in args if a.startswith("-DGPU_TARGETS=")]
    assert {"gfx90a", "gfx942", "gfx1100"} <= set(targets.split(";"))
    [install] = [r for r in _values(worker, "RUN") if "requirements/ml.txt" in " ".join(r)]
    assert 'CMAKE_ARGS="$LLAMA_CMAKE_ARGS" python3 -m pip install' in " ".join(install)
    assert 'HIPCXX="$(/opt/rocm/bin/hipconfig -l)/clang"' in " ".join(install)
    assert "llama-cpp-python==0.3.36" in (ROOT / "requirements/ml.txt").read_text().splitlines()


def test_worker_image_has_the_converter_scripts_outside_the_workspace():
    worker = _instructions("worker.Dockerfile")
    env = {e[i]: e[i + 1] for e in _values(worker, "ENV") for i in range(0, len(e), 2)}
    folder = Path(env["C64FT_LLAMA_CPP_DIR"])
    assert folder.is_absolute() and not folder.is_relative_to(env["C64FT_WORKSPACE"])
    runs = [" ".join(r) for r in _values(worker, "RUN")]
    [setup] = [i for i, run in enumerate(runs) if "c64ft setup-llama-cpp" in run]
    installed = max(i for i, run in enumerate(runs) if "--no-deps ." in run)
    assert setup > installed
    # As root: the fetch runs before the image switches to its user.
    order = [c.cmd for c in worker]
    runs_at = [i for i, c in enumerate(worker) if c.cmd == "RUN"]
    assert runs_at[setup] < order.index("USER")


def test_the_torch_pin_is_only_in_the_plain_install():
    assert [str(r) for r in _requirements("requirements/torch.txt")] == ["torch==2.13.0"]
    metadata = importlib.metadata.metadata("c64ft")
    assert "torch==2.13.0" in metadata.get_all("Requires-Dist")


def test_installed_libraries_accept_the_base_images_torch():
    """Nothing installed beside torch (peft, accelerate, …) needs a newer torch than the
    worker's base images bring, so pip has no reason to replace it."""
    cuda = (ROOT / "docker-compose.cuda.yml").read_text()
    bases = [SEED_BASE_IMAGE, re.search(r"pytorch/pytorch:[\w.-]+", cuda).group()]
    versions = {Version(re.search(r"\d+\.\d+\.\d+", base.split(":")[1]).group()) for base in bases}
    assert versions == {Version("2.9.1")}
    checked = set()
    for dist in importlib.metadata.distributions():
        if dist.metadata["Name"] == "c64ft":  # its pin is requirements/torch.txt, not installed
            continue
        for line in dist.requires or []:
            needed = Requirement(line)
            if needed.name == "torch" and (
                not needed.marker or needed.marker.evaluate({"extra": ""})
            ):
                checked.add(dist.metadata["Name"])
                assert all(needed.specifier.contains(v) for v in versions), (
                    dist.metadata["Name"],
                    line,
                )
    assert {"peft", "accelerate"} <= checked


def test_build_context_is_only_the_code():
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    ignore = [line for line in lines if line and not line.startswith("#")]
    assert ignore[0] == "*"  # everything is left out, then the code is let in
    allowed = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    assert allowed == {
        "pyproject.toml",
        "README.md",
        "requirements",
        "api",
        "core",
        "worker",
        "c64ft",
    }
    for name in ("api.Dockerfile", "worker.Dockerfile"):
        copied = {
            Path(src).parts[0]
            for c in _instructions(name)
            if c.cmd == "COPY"
            for src in c.value[:-1]
        }
        assert copied <= allowed, name
