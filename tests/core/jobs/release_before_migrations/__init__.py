"""A job database made as the release before migrations made it (`create_all`, no revision)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]


def make_database(url: str) -> None:
    """Tables and a row in each, by that release's own models, in a process of their own."""
    module = "tests.core.jobs.release_before_migrations.make_database"
    subprocess.run([sys.executable, "-m", module, url], cwd=ROOT, check=True, timeout=120)
