"""Alembic's environment: run the revisions on the connection that core.jobs.schema hands over
(inside its lock and transaction), or, run by the `alembic` command itself, on the job database
of C64FT_DATABASE_URL."""

from alembic import context

from core.jobs.schema import target_metadata


def run_on(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata())
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    run_on(connection)
else:
    from core.jobs.db import get_engine

    with get_engine().connect() as own_connection:
        run_on(own_connection)
        own_connection.commit()
