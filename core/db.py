"""Database engine, sessions and migrations.

SQLite (WAL, the embedded default) and PostgreSQL (psycopg 3, for several
instances) behave alike to callers:

* :func:`read_session` for reads;
* :func:`write_session` for anything that writes. Write transactions take
  turns: SQLite starts them with ``BEGIN IMMEDIATE`` (and threads of one
  process queue on a fair lock), PostgreSQL takes a transaction-scoped advisory
  lock first thing. So read-then-write work (the ledger reads its head, then
  appends) never forks, and no transaction waits for the ledger while holding
  row locks another one needs. Write sessions do not nest.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from functools import cache, lru_cache
from pathlib import Path
from threading import Lock
from types import TracebackType

from alembic import command
from alembic.config import Config
from sqlalchemy import DateTime, Engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, create_engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000
_WRITE_OPTION = "zhice_write"

log = logging.getLogger("zhice.db")


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


class FairLock:
    """A lock that admits waiters in arrival order (``threading.Lock`` does not,
    which lets one busy thread starve the others for hundreds of milliseconds)."""

    def __init__(self) -> None:
        self._guard = Lock()
        self._waiters: deque[Lock] = deque()
        self._held = False

    def __enter__(self) -> FairLock:
        with self._guard:
            if not self._held:
                self._held = True
                return self
            turn = Lock()
            turn.acquire()
            self._waiters.append(turn)
        turn.acquire()  # released by the holder, who hands the lock over
        return self

    def __exit__(self, *_exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        with self._guard:
            if self._waiters:
                self._waiters.popleft().release()
            else:
                self._held = False


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite stores none, PostgreSQL
    answers in the server's zone); naive values are refused on the way in."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("UtcDateTime needs an aware datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@cache  # never evicted: a lock must outlive every session holding it
def _sqlite_writer_lock(url: str) -> FairLock:
    return FairLock()


@lru_cache(maxsize=8)
def get_engine(url: str) -> Engine:
    """One engine per URL and process; SQLite gets WAL and explicit transactions."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
    )
    _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    # SQLAlchemy's documented recipe: let SQLAlchemy, not pysqlite, emit BEGIN,
    # so that write transactions can say BEGIN IMMEDIATE.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        _ensure_wal(cursor)
        cursor.execute("PRAGMA synchronous=FULL")  # an audit ledger must survive power loss
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA secure_delete=ON")  # erased and shredded content is zeroed, not left in free pages
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        write = connection.get_execution_options().get(_WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def _ensure_wal(cursor) -> None:
    """Switch the database file to WAL once (it stays so). The switch needs the file
    to itself and does not wait on the busy handler, so processes that open a new
    database together retry for a while instead of failing."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() not in ("wal", "memory"):
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def flush_erased(engine: Engine) -> None:
    """After an erasure commits: on SQLite, copy the WAL into the database and truncate it,
    so no earlier image of an erased page stays in the WAL file (best effort: a reader
    still open keeps its frames until the next checkpoint). PostgreSQL keeps dead row
    versions until VACUUM (docs/ledger.md)."""
    if is_sqlite(engine):
        with engine.connect() as connection:
            busy, _, _ = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
        if busy:
            log.warning("WAL checkpoint after an erasure was blocked by a reader: erased pages stay in the WAL until the next checkpoint")


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    """A session for reads; anything it writes is rolled back unless committed."""
    with Session(engine) as session:
        yield session


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """A session whose transaction commits on success and rolls back on error.

    Objects stay readable after the commit (``expire_on_commit=False``): they
    hold exactly what this transaction wrote.
    """
    # SQLite admits one writer at a time; threads of this process queue in order
    # instead of polling the busy handler, which sleeps up to 100 ms per retry.
    writer_lock = _sqlite_writer_lock(str(engine.url)) if is_sqlite(engine) else nullcontext()
    with writer_lock, Session(engine.execution_options(**{_WRITE_OPTION: True}), expire_on_commit=False) as session:
        session.info[_WRITE_OPTION] = True
        with session.begin():
            if not is_sqlite(engine):
                # Like SQLite's BEGIN IMMEDIATE: take the writers' lock first, so a
                # transaction never holds row locks while it waits for the ledger head.
                session.exec(text("SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.writers'))"))
            yield session


def after_commit(session: Session, action: Callable[[], None]) -> None:
    """Run ``action`` once the session's transaction has committed (never if it rolls back).
    A failure is logged, not raised: the commit stands; callers keep a repair path."""

    def run(_session: Session) -> None:
        try:
            action()
        except Exception:
            log.exception("after-commit action failed")

    event.listen(session, "after_commit", run, once=True)


def is_write_session(session: Session) -> bool:
    return bool(session.info.get(_WRITE_OPTION))


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to ``revision``; safe when several processes or instances
    start at once (SQLite: the write lock from ``BEGIN IMMEDIATE``; PostgreSQL: an
    advisory lock held for the duration)."""
    with engine.connect().execution_options(**{_WRITE_OPTION: True}) as connection:
        postgres = not is_sqlite(engine)
        if postgres:
            connection.execute(text("SELECT pg_advisory_lock(hashtext('zhice.migrations'))"))
            connection.commit()
        try:
            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS_DIR))
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
        finally:
            if postgres:
                connection.execute(text("SELECT pg_advisory_unlock(hashtext('zhice.migrations'))"))
                connection.commit()


def head_revision() -> str:
    """The newest migration shipped with this code (what `upgrade` brings a database to)."""
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(config).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The migration revision the database is at, or None when it has none."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
