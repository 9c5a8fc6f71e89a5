"""The job database backends the store and API tests run on: each such test module runs once on
SQLite (the session workspace's file) and once on Postgres (a fresh database per module on the
server of C64FT_TEST_POSTGRES_URL), as the same tests in one pytest run; ids end in [sqlite] or
[postgres].

A folder opts in with `backend = backend_fixture(...)` in its conftest.py: that fixture
overrides the root conftest's `backend` (SQLite only), which the `client` fixture depends on, so
the API under test talks to the module's database.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from tests.postgres import fresh_database, server_url

SQLITE, POSTGRES = "sqlite", "postgres"
BACKENDS = [SQLITE, pytest.param(POSTGRES, marks=pytest.mark.postgres)]
DATABASE_VARIABLE = "C64FT_DATABASE_URL"


@contextmanager
def database_url(url: str | None) -> Iterator[None]:
    """Point the settings at `url` (None: the workspace's default SQLite file) while inside, with
    its tables created; the previous database after."""
    from core.jobs.db import get_engine, init_db

    before = os.environ.get(DATABASE_VARIABLE)
    _set_variable(url)
    try:
        init_db()
        yield
    finally:
        if url is not None:
            get_engine().dispose()  # the module's connections close before its database goes
        _set_variable(before)


def _set_variable(url: str | None) -> None:
    from core.config import get_settings

    if url is None:
        os.environ.pop(DATABASE_VARIABLE, None)
    else:
        os.environ[DATABASE_VARIABLE] = url
    get_settings.cache_clear()


def drop_database(url: str) -> None:
    """Drop a database made by `fresh_database`, closing whatever still holds it open (a pool
    in a thread the test left behind)."""
    name = make_url(url).database
    engine = create_engine(make_url(server_url()), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()


@contextmanager
def empty_database(backend: str, folder: Path) -> Iterator[None]:
    """A database of its own for one test, on `backend` (SQLite: a file in `folder`)."""
    if backend == SQLITE:
        with database_url(f"sqlite:///{folder / 'c64ft.db'}"):
            yield
        return
    url = fresh_database("c64ft_test")
    try:
        with database_url(url):
            yield
    finally:
        drop_database(url)


def per_backend(request) -> Iterator[str]:
    """The module's job database: SQLite (the session's), or a fresh Postgres database."""
    if request.param == SQLITE:
        yield SQLITE
        return
    url = fresh_database("c64ft_test")
    try:
        with database_url(url):
            yield POSTGRES
    finally:
        drop_database(url)


def backend_fixture(*, autouse: bool):
    """`per_backend` as the `backend` fixture of a folder: autouse runs every test there on both
    backends; without, the tests that ask for it (or for `client`, which does)."""
    return pytest.fixture(scope="module", params=BACKENDS, autouse=autouse, name="backend")(
        per_backend
    )
