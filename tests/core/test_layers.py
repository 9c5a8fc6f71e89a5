"""The domain code (pipeline, training, reasoning, runners, specs, templates) never loads the
job database, the web framework or the queue: it runs with any runner context, in any process."""

import subprocess
import sys
from pathlib import Path

CORE = Path(__file__).parents[2] / "core"
DOMAIN_PACKAGES = ("pipeline", "training", "reasoning", "runners", "specs")
INFRASTRUCTURE = ("sqlalchemy", "sqlmodel", "fastapi", "celery", "core.jobs")


def domain_modules() -> list[str]:
    top = [p for p in CORE.glob("*.py") if p.stem not in ("__init__", "preflight")]
    packaged = [p for package in DOMAIN_PACKAGES for p in (CORE / package).glob("*.py")]
    names = [".".join(p.relative_to(CORE.parent).with_suffix("").parts) for p in top + packaged]
    return sorted(name.removesuffix(".__init__") for name in names)


def test_no_domain_module_imports_the_database_the_api_or_the_queue():
    # One fresh interpreter, checked after each import: the first module that loads one is named.
    code = (
        "import importlib, sys\n"
        f"for name in {domain_modules()!r}:\n"
        "    importlib.import_module(name)\n"
        f"    loaded = [m for m in {INFRASTRUCTURE!r} if m in sys.modules]\n"
        "    if loaded: sys.exit(f'{name} loads {loaded}')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert len(domain_modules()) > 40  # the lists above still find the modules
