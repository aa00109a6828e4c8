"""Database plumbing: WAL on SQLite, write transactions, the fair writer lock, migrations."""

from __future__ import annotations

import multiprocessing
import threading
import time
from concurrent.futures import ProcessPoolExecutor

from sqlalchemy import Engine, text

from core.db import (
    FairLock,
    current_revision,
    head_revision,
    is_write_session,
    read_session,
    upgrade,
    write_session,
)
from core.settings import Settings
from tests.workers import upgrade_fresh


def test_when_sqlite_is_used_then_it_runs_in_wal_mode(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        assert engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg"
        return
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_when_migrations_run_again_then_nothing_changes(engine: Engine) -> None:
    upgrade(engine)
    assert current_revision(engine) == head_revision()


def test_when_a_write_session_fails_then_its_writes_roll_back(engine: Engine) -> None:
    try:
        with write_session(engine) as session:
            assert is_write_session(session)
            session.exec(text("INSERT INTO api_key (id, name, role, key_hash, created_at) VALUES ('k1', 'n', 'rep', 'h', CURRENT_TIMESTAMP)"))
            raise ValueError("boom")
    except ValueError:
        pass
    with read_session(engine) as session:
        assert not is_write_session(session)
        assert session.exec(text("SELECT count(*) FROM api_key")).one()[0] == 0


def test_when_threads_wait_for_the_fair_lock_then_they_enter_in_arrival_order() -> None:
    lock = FairLock()
    order: list[int] = []
    threads = []
    with lock:
        for n in range(5):
            thread = threading.Thread(target=lambda n=n: _enter(lock, order, n))
            thread.start()
            threads.append(thread)
            while len(lock._waiters) < n + 1:  # wait until this thread is queued
                time.sleep(0.001)
    for thread in threads:
        thread.join(timeout=5)
    assert order == [0, 1, 2, 3, 4]


def _enter(lock: FairLock, order: list[int], n: int) -> None:
    with lock:
        order.append(n)


def test_when_instances_start_together_on_a_fresh_database_then_each_migrates_cleanly(settings: Settings) -> None:
    url = settings.resolved_database_url
    start_at = time.time() + 4  # after every worker has spawned and imported
    with ProcessPoolExecutor(max_workers=4, mp_context=multiprocessing.get_context("spawn")) as pool:
        assert list(pool.map(upgrade_fresh, [url] * 4, [start_at] * 4)) == [head_revision()] * 4
