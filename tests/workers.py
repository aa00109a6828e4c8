"""Worker functions for the multi-process tests (importable by spawned processes)."""

from __future__ import annotations

from audit import ledger
from audit.events import LedgerPayload
from core.db import get_engine, write_session


class Probe(LedgerPayload, kind="test.probe"):
    """An event only the tests append."""

    n: int
    worker: int = 0
    score: float = 0.0
    text: str = ""


def append_many(url: str, worker: int, count: int) -> int:
    engine = get_engine(url)
    for n in range(count):
        with write_session(engine) as session:
            ledger.append(session, Probe(n=n, worker=worker), actor=ledger.Actor(key_id=f"w{worker}", role="system"))
    engine.dispose()
    return count


def upgrade_fresh(url: str, start_at: float) -> str | None:
    """Migrate a fresh database, starting at the same moment as the other workers."""
    import time

    from core.db import current_revision, upgrade

    engine = get_engine(url)
    time.sleep(max(0.0, start_at - time.time()))
    upgrade(engine)
    revision = current_revision(engine)
    engine.dispose()
    return revision
