"""Database engine: SQLite in WAL mode with a busy timeout, or any SQLAlchemy URL (Postgres)."""

import fcntl
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, event, make_url
from sqlmodel import Session, create_engine

from core.config import get_settings

SQLITE_BUSY_TIMEOUT_MS = 30_000
# Marks a connection whose transactions must start with BEGIN IMMEDIATE (see `write_session`).
IMMEDIATE = "c64ft_begin_immediate"


def _configure_sqlite(engine: Engine) -> None:
    # The driver's own transaction handling is switched off so that we choose how BEGIN is said:
    # a write takes the write lock up front (BEGIN IMMEDIATE) and so waits out the busy timeout,
    # instead of failing with "database is locked" when it upgrades a read lock mid-transaction.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        _use_wal(cursor)
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        immediate = conn.get_execution_options().get(IMMEDIATE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _use_wal(cursor) -> None:
    """Switch the database to WAL mode. Processes opening a new database file together (the API
    and a worker on their first start) race to switch it, and the loser is told "database is
    locked" at once, the busy timeout notwithstanding: it tries again."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        Path(make_url(url).database or "").parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        )
        _configure_sqlite(engine)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    return engine


_engines: dict[tuple[int, str], Engine] = {}


def get_engine() -> Engine:
    """The process's engine; a forked child gets its own (pooled connections never cross a fork)."""
    url = get_settings().database_url
    key = (os.getpid(), url)
    if key not in _engines:
        _engines[key] = make_engine(url)
    return _engines[key]


@lru_cache
def _schema_checked(url: str) -> bool:
    from core.jobs import schema

    schema.ensure_current(get_engine())
    return True


def init_db() -> None:
    """Once per process: build an empty database up to the schema's head revision, or raise
    core.jobs.schema.SchemaNotCurrent for one that is not at it (`c64ft db upgrade` upgrades)."""
    _schema_checked(get_settings().database_url)


@contextmanager
def read_session() -> Iterator[Session]:
    with Session(get_engine(), expire_on_commit=False) as session:
        yield session


class _WriterQueue:
    """Lines up this machine's SQLite writers on an OS file lock beside the database.

    SQLite's busy handler polls with sleeps of up to 100 ms, so under contention a writer waits
    far longer than the lock is held (p99 of a submission near 1 s); flock wakes the next
    writer as soon as the lock is free. One per process (a lock never crosses a fork), with a
    thread lock on top, since flock does not exclude threads sharing one open file.
    """

    def __init__(self, database: Path) -> None:
        self.file = open(database.with_name(database.name + ".writelock"), "a")  # noqa: SIM115
        self.threads = threading.RLock()
        self.depth = 0

    @contextmanager
    def turn(self) -> Iterator[None]:
        with self.threads:
            if self.depth == 0:
                fcntl.flock(self.file, fcntl.LOCK_EX)
            self.depth += 1
            try:
                yield
            finally:
                self.depth -= 1
                if self.depth == 0:
                    fcntl.flock(self.file, fcntl.LOCK_UN)


_writer_queues: dict[tuple[int, str], _WriterQueue] = {}


def _writer_turn(engine: Engine):
    if engine.dialect.name != "sqlite":
        return nullcontext()
    key = (os.getpid(), str(engine.url))
    if key not in _writer_queues:
        _writer_queues[key] = _WriterQueue(Path(engine.url.database or ""))
    return _writer_queues[key].turn()


@contextmanager
def write_session() -> Iterator[Session]:
    """A short transaction that holds the SQLite write lock from its first statement; commits."""
    engine = get_engine().execution_options(**{IMMEDIATE: True})
    with _writer_turn(engine), Session(engine, expire_on_commit=False) as session:
        yield session
        session.commit()
