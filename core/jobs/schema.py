"""The job database's schema: Alembic revisions (core/jobs/migrations/versions), run from code.

A service process (API, worker) upgrades an empty database to the head revision, so the quick
start needs no step of its own, and refuses to start on any other database that is not at the
head: an operator upgrades it with `c64ft db upgrade` while nothing runs against it. All of it
happens under one lock per database, so an API and a worker starting together on an empty
database do not both create the tables: SQLite's write lock (BEGIN IMMEDIATE), held from the
first read, or a Postgres advisory lock held to the end of the transaction (Postgres runs DDL in
transactions, so the tables appear to the others at the commit, all at once).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, MetaData, inspect, text

MIGRATIONS = Path(__file__).parent / "migrations"
# The revision of the release before migrations: its databases have its tables and no version.
FIRST_REVISION = "0001"
# pg_advisory_xact_lock's key for schema work (any fixed number no other lock of ours uses).
POSTGRES_LOCK_KEY = 0x63_36_34_66_74_00  # "c64ft\0"
UPGRADE_COMMAND = "c64ft db upgrade"


class SchemaState(StrEnum):
    empty = "empty"  # none of our tables: a new database
    unversioned = "unversioned"  # our tables but no alembic_version: the release before
    behind = "behind"  # an older revision of this release's line
    current = "current"
    unknown = "unknown"  # a revision this code does not have: a newer release made it


@dataclass(frozen=True)
class Revision:
    state: SchemaState
    current: str | None  # the database's revision (None: none recorded)
    head: str  # this code's


class SchemaNotCurrent(RuntimeError):
    """The database is not at this code's revision; the message says what to do."""


def target_metadata() -> MetaData:
    """The tables as this code's models declare them: what the head revision must build."""
    from sqlmodel import SQLModel

    import core.jobs.models  # noqa: F401  (registers the tables)

    return SQLModel.metadata


def alembic_config(connection: Connection | None = None) -> Config:
    """Configured in code, so an installed package needs no alembic.ini. With a connection,
    the revisions run on it (inside the caller's transaction); without, on C64FT_DATABASE_URL."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


@lru_cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())  # reads the revision files: once


def head_revision() -> str:
    head = _scripts().get_current_head()
    assert head is not None, "no revisions under core/jobs/migrations/versions"
    return head


def inspect_revision(connection: Connection) -> Revision:
    head = head_revision()
    current = MigrationContext.configure(connection).get_current_revision()
    if current is not None:
        if current == head:
            state = SchemaState.current
        elif current in {script.revision for script in _scripts().walk_revisions()}:
            state = SchemaState.behind
        else:
            state = SchemaState.unknown
        return Revision(state, current, head)
    ours = set(target_metadata().tables)
    found = ours & set(inspect(connection).get_table_names())
    return Revision(SchemaState.unversioned if found else SchemaState.empty, None, head)


@contextmanager
def schema_lock(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that no other process's schema work runs beside; the
    transaction commits when the block ends without an error."""
    from core.jobs.db import IMMEDIATE  # (db imports this module in init_db)

    engine = engine.execution_options(**{IMMEDIATE: True})
    # begin(): BEGIN IMMEDIATE on SQLite, the write lock from the first statement on
    with engine.connect() as connection, connection.begin():
        if connection.dialect.name == "postgresql":
            lock = text("SELECT pg_advisory_xact_lock(:key)")
            connection.execute(lock, {"key": POSTGRES_LOCK_KEY})
        yield connection


def ensure_current(engine: Engine) -> Revision:
    """What a service does at start: build an empty database up to the head revision, accept
    one at the head, and refuse any other (SchemaNotCurrent, naming the command to run)."""
    with engine.connect() as connection:  # the usual case, without taking the lock
        revision = inspect_revision(connection)
    if revision.state is SchemaState.current:
        return revision
    with schema_lock(engine) as connection:
        revision = inspect_revision(connection)
        if revision.state is SchemaState.empty:
            command.upgrade(alembic_config(connection), "head")
        elif revision.state is not SchemaState.current:
            raise SchemaNotCurrent(refusal(engine, revision))
    return revision


def upgrade(engine: Engine) -> tuple[Revision, str]:
    """`c64ft db upgrade`: bring the database to the head revision, first stamping a database of
    the release before migrations with the revision of its schema; returns (before, after)."""
    with schema_lock(engine) as connection:
        before = inspect_revision(connection)
        if before.state is SchemaState.unknown:
            raise SchemaNotCurrent(refusal(engine, before))
        config = alembic_config(connection)
        if before.state is SchemaState.unversioned:
            _check_first_revision_tables(connection)
            command.stamp(config, FIRST_REVISION)
        command.upgrade(config, "head")
    return before, before.head


def _check_first_revision_tables(connection: Connection) -> None:
    # Stamping says "these tables are revision 0001": only true when all of them are there.
    expected = {"job", "job_event", "job_metric", "job_checkpoint", "worker"}
    expected |= {"job_webhook", "webhook_delivery", "webhook_attempt"}
    missing = expected - set(inspect(connection).get_table_names())
    if missing:
        raise SchemaNotCurrent(
            f"The job database has some of c64ft's tables but not {', '.join(sorted(missing))}: "
            "it is from no release this command knows how to upgrade."
        )


def refusal(engine: Engine, revision: Revision) -> str:
    where = engine.url.render_as_string(hide_password=True)
    if revision.state is SchemaState.unknown:
        return (
            f"The job database {where} is at schema revision {revision.current}, which this "
            f"release (head {revision.head}) does not know: it was upgraded by a newer c64ft."
        )
    found = (
        "was made by a release before schema migrations"
        if revision.state is SchemaState.unversioned
        else f"is at schema revision {revision.current}"
    )
    return (
        f"The job database {where} {found}; this release needs revision {revision.head}. "
        f"Run `{UPGRADE_COMMAND}` with the same C64FT_DATABASE_URL, then start again."
    )
