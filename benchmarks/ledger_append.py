"""Ledger append throughput and latency: SQLite and PostgreSQL, 1 and 8 concurrent writers.

Each writer appends one event per transaction (the way the API appends one
event per suggestion or action). Writers are separate processes (as several
service instances would be), or threads of one process (as one instance's
request workers are).

    python benchmarks/ledger_append.py [--appends 400] [--postgres-url URL]

Prints appends/s and per-append latency percentiles, then verifies the chain.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import tempfile
import time
import uuid
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import psycopg

from pydantic import JsonValue

from audit import ledger
from audit.events import LedgerPayload
from audit.verify import verify_ledger
from core.db import get_engine, read_session, upgrade, write_session
from core.settings import Settings

RUNS = [(1, "processes"), (8, "processes"), (8, "threads")]
PAYLOAD = {
    "request_id": "bench",
    "scenario": "price",
    "suggestions": [{"agent": "script_suggestion", "confidence": 0.82, "text": "理解您对预算的顾虑，<PERSON_1>总……" * 3}] * 3,
    "latency_ms": 412,
}


class BenchAppend(LedgerPayload, kind="bench.append"):
    """A payload about the size of a suggest response's."""

    request_id: str
    scenario: str
    suggestions: list[dict[str, JsonValue]]
    latency_ms: int


EVENT = BenchAppend(**PAYLOAD)


def _writer(url: str, count: int, start_at: float) -> tuple[float, float, list[float]]:
    engine = get_engine(url)
    engine.connect().close()  # connect before the clock starts
    actor = ledger.Actor(key_id="bench", role="rep")
    latencies = []
    time.sleep(max(0.0, start_at - time.time()))  # all writers start together, after spawning
    began = time.time()
    for _ in range(count):
        started = time.perf_counter()
        with write_session(engine) as session:
            ledger.append(session, EVENT, actor=actor)
        latencies.append(time.perf_counter() - started)
    ended = time.time()
    engine.dispose()
    return began, ended, latencies


def _percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def _pool(kind: str, writers: int) -> Executor:
    if kind == "threads":
        return ThreadPoolExecutor(writers)
    return ProcessPoolExecutor(writers, mp_context=multiprocessing.get_context("spawn"))


def run(label: str, url: str, writers: int, kind: str, total: int) -> None:
    engine = get_engine(url)
    upgrade(engine)
    per_writer = total // writers
    start_at = time.time() + (5 if kind == "processes" else 0.5)  # time enough to spawn and import
    with _pool(kind, writers) as pool:
        results = list(pool.map(_writer, [url] * writers, [per_writer] * writers, [start_at] * writers))
    elapsed = max(ended for _, ended, _ in results) - min(began for began, _, _ in results)
    latencies = [value * 1000 for _, _, values in results for value in values]
    with read_session(engine) as session:
        verified = verify_ledger(session)
    print(
        f"{label:<11} {writers:>2} {kind:<9} {len(latencies):>8} {len(latencies) / elapsed:>10.0f} "
        f"{_percentile(latencies, 50):>8.2f} {_percentile(latencies, 95):>8.2f} {_percentile(latencies, 99):>8.2f}  "
        f"{'ok' if verified.ok else 'BROKEN'} ({verified.events} events)"
    )
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--appends", type=int, default=400, help="appends per run, split over the writers")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    print(f"{'backend':<11} {'writers':<12} {'appends':>8} {'appends/s':>10} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}  chain")
    with tempfile.TemporaryDirectory() as folder:
        for writers, kind in RUNS:
            url = Settings(database_url=f"sqlite:///{Path(folder) / f'bench-{writers}-{kind}.db'}").resolved_database_url
            run("sqlite", url, writers, kind, args.appends)
    try:
        psycopg.connect(args.postgres_url, connect_timeout=3).close()
    except psycopg.Error as exc:
        print(f"postgresql  skipped: {exc}")
        return
    for writers, kind in RUNS:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(args.postgres_url, autocommit=True) as connection:
            connection.execute(f"CREATE SCHEMA {schema}")
        try:
            url = Settings(database_url=f"{args.postgres_url}?options=-csearch_path%3D{schema}").resolved_database_url
            run("postgresql", url, writers, kind, args.appends)
        finally:
            with psycopg.connect(args.postgres_url, autocommit=True) as connection:
                connection.execute(f"DROP SCHEMA {schema} CASCADE")


if __name__ == "__main__":
    main()
