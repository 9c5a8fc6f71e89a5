"""A fresh Postgres database for a test, on the server named by C64FT_TEST_POSTGRES_URL
(`tools/test` starts a private one on a free port and sets it). The URL names a database on
that server the tests may connect to to create their own (postgresql+psycopg://…/postgres)."""

import os
import uuid

from sqlalchemy import create_engine, make_url, text

SERVER_VARIABLE = "C64FT_TEST_POSTGRES_URL"


def server_url() -> str:
    url = os.environ.get(SERVER_VARIABLE)
    if not url:
        raise RuntimeError(
            f"{SERVER_VARIABLE} is not set: run the tests with `bash tools/test`, which starts "
            "a Postgres, or set it to postgresql+psycopg://USER@HOST:PORT/postgres"
        )
    return url


def fresh_database(prefix: str = "c64ft_test") -> str:
    """Create an empty database on the test server; returns its SQLAlchemy URL."""
    server = make_url(server_url())
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    engine = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return server.set(database=name).render_as_string(hide_password=False)
