"""`c64ft db upgrade` and `c64ft db current`: the job database's schema revision; and the check
that `serve`, `worker` and `up` make before they start anything."""

import typer

# core.jobs.schema (alembic, the models) is imported inside the commands: every other command
# of the CLI starts without it.
app = typer.Typer(help="The job database (C64FT_DATABASE_URL): its schema revision.")


def _engine():
    from core.jobs.db import get_engine

    return get_engine()


def _where() -> str:
    return _engine().url.render_as_string(hide_password=True)


@app.command()
def upgrade() -> None:
    """Upgrade the job database to this release's schema (stop the API and workers first).

    A database of the release before migrations is first recorded as its revision, 0001."""
    from core.jobs import schema

    try:
        before, head = schema.upgrade(_engine())
    except schema.SchemaNotCurrent as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    if before.current == head:
        typer.echo(f"{_where()}: already at revision {head}")
    else:
        found = {
            schema.SchemaState.empty: "an empty database",
            schema.SchemaState.unversioned: "the release before migrations (stamped 0001)",
        }.get(before.state, f"revision {before.current}")
        typer.echo(f"{_where()}: upgraded from {found} to revision {head}")


@app.command()
def current() -> None:
    """Print the database's schema revision and this release's (exit 1 when they differ)."""
    from core.jobs import schema

    with _engine().connect() as connection:
        revision = schema.inspect_revision(connection)
    typer.echo(
        f"{_where()}: revision {revision.current or '(none)'} ({revision.state}); "
        f"this release: {revision.head}"
    )
    raise typer.Exit(0 if revision.state is schema.SchemaState.current else 1)


def require_current_schema() -> None:
    """Before a service starts: build an empty database, or end the command with the one line
    that says what to run (exit code 2), not with a traceback from inside a server."""
    from core.jobs.db import init_db
    from core.jobs.schema import SchemaNotCurrent

    try:
        init_db()
    except SchemaNotCurrent as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
