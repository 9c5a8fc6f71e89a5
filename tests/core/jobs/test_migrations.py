"""The job database's migrations, on SQLite and on Postgres: the head revision builds exactly the
models' schema, a database of the release before migrations upgrades without losing a row, and
a database that is not at the head is refused with the command to run."""

import json
import multiprocessing
import re

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlmodel import Session, select

from core.jobs import models, schema
from core.jobs.db import make_engine
from tests.core.jobs.release_before_migrations import make_database
from tests.postgres import fresh_database

TABLES = sorted(schema.target_metadata().tables)


@pytest.fixture
def database_url(backend, tmp_path) -> str:
    """A database of the test's own, empty, on the module's backend (tests/backends.py)."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'c64ft.db'}"
    return fresh_database("c64ft_migrations")


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url)  # the service's own engine (SQLite: WAL, FKs on)
    yield engine
    engine.dispose()


def dump(engine) -> dict[str, list[dict]]:
    """Every row of every table, as plain values, in a stable order."""
    with engine.connect() as connection:
        return {
            table: [
                json.loads(json.dumps(dict(row), default=str))
                for row in connection.execute(text(f"SELECT * FROM {table} ORDER BY 1")).mappings()
            ]
            for table in TABLES
        }


def _defaults_differ(_context, _inspected, _declared, inspected, _default, rendered) -> bool:
    # Alembic's SQLite comparison strips the quotes of '' only when something is inside them.
    def unquote(value):
        return None if value is None else re.sub(r"^\(?'(.*)'\)?(::.*)?$", r"\1", value)

    return unquote(inspected) != unquote(rendered)


def schema_differences(engine) -> list:
    with engine.connect() as connection:
        options = {"compare_type": True, "compare_server_default": _defaults_differ}
        context = MigrationContext.configure(connection, opts=options)
        return compare_metadata(context, schema.target_metadata())


def test_head_builds_exactly_the_models_schema(engine):
    revision = schema.ensure_current(engine)  # what a service does on an empty database
    assert revision.state is schema.SchemaState.empty
    assert schema_differences(engine) == []
    indexes = {i["name"] for t in TABLES for i in inspect(engine).get_indexes(t)}
    assert {"ix_job_status_queue_created", "ix_webhook_delivery_due"} <= indexes
    with engine.connect() as connection:
        assert schema.inspect_revision(connection).state is schema.SchemaState.current


@pytest.mark.slow  # the release before runs in a process of its own
def test_the_release_before_migrations_upgrades_without_losing_a_row(engine, database_url):
    make_database(database_url)
    before = dump(engine)
    assert all(before[table] for table in TABLES), "a row in every table"
    with pytest.raises(schema.SchemaNotCurrent, match="before schema migrations"):
        schema.ensure_current(engine)

    upgraded_from, head = schema.upgrade(engine)

    assert upgraded_from.state is schema.SchemaState.unversioned and head == "0003"
    after = dump(engine)
    for row in after["worker"]:
        assert (row.pop("node"), row.pop("devices"), row.pop("gpus")) == ("", "", None)
    assert after == before
    assert schema_differences(engine) == []
    assert schema.ensure_current(engine).state is schema.SchemaState.current
    read_back_through_todays_models(engine)


def read_back_through_todays_models(engine) -> None:
    with Session(engine) as session:
        child = session.get(models.Job, "job_child")
        assert child is not None and child.parent_id == "job_parent"
        assert child.status is models.JobStatus.failed
        assert child.error == {"code": "out_of_memory", "message": "CUDA out of memory"}
        assert child.created_at.isoformat() == "2026-01-02T03:04:08.678901+00:00"
        worker = session.exec(select(models.Worker)).one()
        assert (worker.hostname, worker.node, worker.devices) == ("gpu.7@host", "", "")
        assert worker.gpus is None, "unknown: a worker from before the column"
        delivery = session.exec(select(models.WebhookDelivery)).one()
        assert delivery.status is models.DeliveryStatus.failed and delivery.attempts == 2
        h100 = {"id": "0", "name": "NVIDIA H100 80GB HBM3", "memory_bytes": 85_520_809_984}
        session.add(
            models.Worker(hostname="gpu.8@host", queues="gpu", pid=8, devices="0", gpus=[h100])
        )
        session.commit()  # today's code writes the new columns
        assert session.get(models.Worker, "gpu.8@host").gpus == [h100]


def test_a_database_behind_is_refused_with_the_command_to_run(engine):
    with schema.schema_lock(engine) as connection:
        command.upgrade(schema.alembic_config(connection), "0001")
    with pytest.raises(schema.SchemaNotCurrent) as refused:
        schema.ensure_current(engine)
    message = str(refused.value)
    assert "revision 0001" in message and "needs revision 0003" in message
    assert "`c64ft db upgrade`" in message and "C64FT_DATABASE_URL" in message
    assert "\n" not in message
    assert "node" not in {c["name"] for c in inspect(engine).get_columns("worker")}, "untouched"

    assert schema.upgrade(engine)[0].current == "0001"
    assert schema_differences(engine) == []


def test_a_revision_this_code_does_not_know_is_refused_by_both(engine):
    schema.ensure_current(engine)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    for attempt in (schema.ensure_current, schema.upgrade):
        with pytest.raises(schema.SchemaNotCurrent, match="revision 0099.*newer c64ft"):
            attempt(engine)


def test_a_database_with_only_some_tables_is_not_stamped(engine):
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE job (id VARCHAR PRIMARY KEY)"))
    with pytest.raises(schema.SchemaNotCurrent, match="but not job_checkpoint"):
        schema.upgrade(engine)
    with engine.connect() as connection:
        assert schema.inspect_revision(connection).current is None


def _start_service(url: str, barrier) -> None:
    engine = make_engine(url)
    barrier.wait()
    schema.ensure_current(engine)
    engine.dispose()


@pytest.mark.slow  # four processes
def test_services_starting_together_on_an_empty_database_build_it_once(database_url):
    processes = 4
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(processes)
    starters = [
        context.Process(target=_start_service, args=(database_url, barrier))
        for _ in range(processes)
    ]
    for starter in starters:
        starter.start()
    for starter in starters:
        starter.join(60)
    assert [s.exitcode for s in starters] == [0] * processes
    engine = create_engine(database_url)
    with engine.connect() as connection:
        versions = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    engine.dispose()
    assert versions == [("0003",)]


def test_0003_adds_the_gpus_column_and_keeps_the_workers_of_0002(engine):
    with schema.schema_lock(engine) as connection:
        command.upgrade(schema.alembic_config(connection), "0002")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO worker (hostname, queues, pid, node, devices, started_at, "
                "heartbeat_at) VALUES ('gpu@box', 'gpu', 5, 'box', '0', :now, :now)"
            ),
            {"now": "2026-01-02 03:04:05"},
        )
    assert "gpus" not in {c["name"] for c in inspect(engine).get_columns("worker")}

    before, head = schema.upgrade(engine)
    assert (before.current, head) == ("0002", "0003")
    assert schema_differences(engine) == []
    with Session(engine) as session:
        worker = session.get(models.Worker, "gpu@box")
        assert worker is not None and (worker.devices, worker.gpus) == ("0", None)
        worker.gpus = [{"id": "0", "name": "NVIDIA A100-SXM4-40GB", "memory_bytes": 42_949_672_960}]
        session.commit()
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT gpus FROM worker")).scalar_one()
    stored = json.loads(stored) if isinstance(stored, str) else stored
    assert stored[0]["name"] == "NVIDIA A100-SXM4-40GB"
    with schema.schema_lock(engine) as connection:
        command.downgrade(schema.alembic_config(connection), "0002")
    assert "gpus" not in {c["name"] for c in inspect(engine).get_columns("worker")}
    with engine.connect() as connection:
        assert connection.execute(text("SELECT hostname FROM worker")).scalar_one() == "gpu@box"


def test_every_revision_downgrades_and_upgrades_again(engine):
    schema.ensure_current(engine)
    with schema.schema_lock(engine) as connection:
        command.downgrade(schema.alembic_config(connection), "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    schema.ensure_current(engine)
    assert schema_differences(engine) == []
