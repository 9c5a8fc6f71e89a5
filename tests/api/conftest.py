"""Every test here that talks to the API (`client`) or asks for `backend` runs on SQLite and on
Postgres (tests/backends.py); the rest (tests/api/test_imports.py) once."""

from tests.backends import backend_fixture

backend = backend_fixture(autouse=False)
