"""Fixtures shared by every test layer.

In-process tests (core, api) share one session workspace whose settings are fixed here, before
any project module reads them; end-to-end tests start real processes with a workspace each.
"""

import os
import tempfile
from pathlib import Path

import pytest

SESSION_WORKSPACE = Path(tempfile.mkdtemp(prefix="c64ft-tests-"))
os.environ.update(
    C64FT_WORKSPACE=str(SESSION_WORKSPACE),
    C64FT_HEARTBEAT_INTERVAL_S="0.2",
    C64FT_HEARTBEAT_TIMEOUT_S="2",
    C64FT_CANCEL_GRACE_S="1",
)
for name in ("C64FT_DATABASE_URL", "C64FT_BROKER_URL", "C64FT_API_TOKEN"):
    os.environ.pop(name, None)


SLOW_FOLDERS = ("e2e", "deploy")  # real processes, containers' recipes: the slow tier


def pytest_collection_modifyitems(items):
    for item in items:
        if Path(str(item.path)).relative_to(Path(__file__).parent).parts[0] in SLOW_FOLDERS:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session", autouse=True)
def database():
    from core.jobs.db import init_db

    init_db()
    return SESSION_WORKSPACE


@pytest.fixture(scope="module")
def backend() -> str:
    """The job database of a module's tests: the session's SQLite file. The folders whose tests
    exercise the store override it (tests/backends.py) to run each module on SQLite and Postgres."""
    return "sqlite"


@pytest.fixture(scope="module")
def client(backend):
    """The API in this process (FastAPI's TestClient) on the session workspace and the module's
    job database (`backend`)."""
    from fastapi.testclient import TestClient

    from api.main import app

    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def settings_env(monkeypatch):
    """Set C64FT_* variables for one test; settings are re-read before and after it."""
    from core.config import get_settings

    def set_env(**values: str) -> None:
        for key, value in values.items():
            monkeypatch.setenv(f"C64FT_{key.upper()}", value)
        get_settings.cache_clear()

    yield set_env
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    """The tiny Mistral3 model and tokenizer (`c64ft make-tiny-model`), built once per run."""
    from core.tiny_model import make_tiny_model

    return make_tiny_model(tmp_path_factory.mktemp("models") / "tiny-ministral3")


@pytest.fixture(scope="session")
def sample_workspace(tmp_path_factory, tiny_model) -> Path:
    """A workspace with the sample corpus, the tiny model and the datasets built from them.
    Tests that write copy it (`copy_workspace`) so they never see each other's outputs."""
    import shutil

    from core.kinds.build_datasets.runner import run
    from core.kinds.build_datasets.spec import BuildDatasetsSpec
    from core.sample_corpus import sample_corpus_dir
    from tests.recording import RecordingContext

    workspace = tmp_path_factory.mktemp("sample-workspace")
    shutil.copytree(sample_corpus_dir(), workspace / "c64_docs")
    shutil.copytree(tiny_model, workspace / "models/tiny-ministral3")
    spec = BuildDatasetsSpec(
        kind="build_datasets",
        model_path="models/tiny-ministral3",
        block_size=256,
        stride=32,
        min_chunk_tokens=64,
        min_dapt_chunks=20,
        allow_ocr=False,  # the tests that share it need no ocrmypdf; the OCR tests need it
        excerpt_chars=300,  # the demo's: tests train with max_length 512 or less
    )
    run(spec, RecordingContext(workspace))
    return workspace


def copy_workspace(source: Path, target: Path) -> Path:
    import shutil

    shutil.copytree(source, target, dirs_exist_ok=True)
    return target
