"""The ledger on both backends: append, chain, refusal of UPDATE/DELETE, tampering, concurrency."""

from __future__ import annotations

import multiprocessing
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from audit import ledger
from audit.verify import verify_ledger
from core.db import get_engine, read_session, upgrade, write_session
from core.errors import LedgerError
from core.settings import Settings
from tests.workers import Probe, append_many

SYSTEM = ledger.Actor(key_id=None, role="system")


def _append(engine: Engine, n: int) -> None:
    for i in range(n):
        with write_session(engine) as session:
            ledger.append(session, Probe(n=i, text="客户 <PERSON_1> 询价"), actor=SYSTEM, request_id=f"r{i}")


def _verify(engine: Engine):
    with read_session(engine) as session:
        return verify_ledger(session)


def _drop_guards(engine: Engine) -> None:
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("DROP TRIGGER ledger_event_no_update")
            connection.exec_driver_sql("DROP TRIGGER ledger_event_no_delete")
        else:
            connection.exec_driver_sql("DROP TRIGGER ledger_event_no_update_delete ON ledger_event")


def test_when_events_are_appended_then_seqs_are_gapless_and_linked(engine: Engine) -> None:
    _append(engine, 5)
    with read_session(engine) as session:
        events = list(ledger.events(session))
        assert [e.seq for e in events] == [1, 2, 3, 4, 5]
        assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]
        assert ledger.LedgerEventPublic.of(events[0]).payload == Probe(n=0, text="客户 <PERSON_1> 询价").payload()
        assert [e.ts for e in events] == sorted(e.ts for e in events)
    result = _verify(engine)
    assert (result.ok, result.events, result.head_hash) == (True, 5, events[-1].hash)


def test_when_the_ledger_is_empty_then_it_verifies_with_no_head(engine: Engine) -> None:
    result = _verify(engine)
    assert (result.ok, result.events, result.head_hash) == (True, 0, None)


def test_when_append_is_outside_a_write_session_then_it_is_refused(engine: Engine) -> None:
    with read_session(engine) as session, pytest.raises(LedgerError):
        ledger.append(session, Probe(n=0), actor=SYSTEM)


def test_when_the_payload_is_not_plain_json_then_it_is_refused(engine: Engine) -> None:
    with pytest.raises(LedgerError), write_session(engine) as session:
        ledger.append(session, Probe(n=0, score=float("inf")), actor=SYSTEM)


def test_when_the_payload_is_not_an_event_model_then_it_is_refused(engine: Engine) -> None:
    with pytest.raises(LedgerError, match="event model"), write_session(engine) as session:
        ledger.append(session, {"key_id": "k", "role": "rep"}, actor=SYSTEM)


def test_when_the_caller_rolls_back_then_no_seq_is_consumed(engine: Engine) -> None:
    _append(engine, 1)
    with pytest.raises(RuntimeError), write_session(engine) as session:
        ledger.append(session, Probe(n=0, text="lost"), actor=SYSTEM)
        raise RuntimeError("business step failed")
    _append(engine, 1)
    with read_session(engine) as session:
        assert [e.seq for e in ledger.events(session)] == [1, 2]
        assert all("lost" not in e.payload for e in ledger.events(session))


@pytest.mark.parametrize(
    "statement",
    ["UPDATE ledger_event SET payload = '{}' WHERE seq = 1", "DELETE FROM ledger_event WHERE seq = 1"],
)
def test_when_a_row_is_updated_or_deleted_then_the_database_refuses(engine: Engine, statement: str) -> None:
    _append(engine, 2)
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
        connection.exec_driver_sql(statement)
    assert _verify(engine).ok


def test_when_the_table_is_truncated_on_postgresql_then_it_is_refused(postgres_url: str) -> None:
    engine = get_engine(Settings(database_url=postgres_url).resolved_database_url)
    upgrade(engine)
    _append(engine, 1)
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
        connection.exec_driver_sql("TRUNCATE ledger_event")


def test_when_a_payload_is_edited_behind_the_triggers_then_verify_names_that_seq(engine: Engine) -> None:
    _append(engine, 6)
    _drop_guards(engine)
    with engine.begin() as connection:
        connection.execute(text("UPDATE ledger_event SET payload = :p WHERE seq = 4"), {"p": '{"i":3,"text":"改过"}'})
    result = _verify(engine)
    assert (result.ok, result.first_bad_seq) == (False, 4)


def test_when_a_row_is_deleted_behind_the_triggers_then_verify_names_the_missing_seq(engine: Engine) -> None:
    _append(engine, 6)
    _drop_guards(engine)
    with engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM ledger_event WHERE seq = 2")
    result = _verify(engine)
    assert (result.ok, result.first_bad_seq) == (False, 2)


def test_when_threads_append_at_once_then_the_chain_does_not_fork(engine: Engine) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda _: _append(engine, 25), range(8)))
    result = _verify(engine)
    assert (result.ok, result.events) == (True, 200)


def test_when_8_processes_append_200_each_then_1600_events_chain_without_gaps(engine: Engine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    with ProcessPoolExecutor(max_workers=8, mp_context=multiprocessing.get_context("spawn")) as pool:
        done = list(pool.map(append_many, [url] * 8, range(8), [200] * 8))
    assert sum(done) == 1600
    result = _verify(engine)
    assert (result.ok, result.events) == (True, 1600)
    with read_session(engine) as session:
        events = list(ledger.events(session, kinds=[Probe.kind]))
    assert [e.seq for e in events] == list(range(1, 1601))
    assert Counter(e.actor_key_id for e in events) == {f"w{w}": 200 for w in range(8)}
    per_worker = {(ledger.LedgerEventPublic.of(e).payload["worker"], ledger.LedgerEventPublic.of(e).payload["n"]) for e in events}
    assert len(per_worker) == 1600


def test_when_a_row_is_damaged_beyond_reading_then_verify_names_it(engine: Engine) -> None:
    _append(engine, 5)
    _drop_guards(engine)
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("UPDATE ledger_event SET ts = 'garbage' WHERE seq = 3")
        else:  # PostgreSQL refuses garbage in a timestamptz; break the payload's JSON instead
            connection.exec_driver_sql("UPDATE ledger_event SET payload = '{not json' WHERE seq = 3")
    result = _verify(engine)
    assert (result.ok, result.first_bad_seq) == (False, 3)
