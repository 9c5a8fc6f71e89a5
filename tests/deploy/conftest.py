"""The compose project every deploy test reads: the README's quick start, run in a copy."""

import subprocess
from pathlib import Path

import pytest

from tests.deploy.containers import SECTION, bash_block, compose_env, new_project


@pytest.fixture(scope="session")
def project(tmp_path_factory) -> Path:
    """A copy of the compose files after the README's quick-start commands made .env there."""
    folder = new_project(tmp_path_factory.mktemp("compose"))
    subprocess.run(
        ["bash", "-euc", bash_block(SECTION, "cp .env.example .env")],
        cwd=folder,
        env=compose_env(),
        check=True,
    )
    return folder
