"""Every test here runs on SQLite and on Postgres (tests/backends.py)."""

from tests.backends import backend_fixture

backend = backend_fixture(autouse=True)
