"""The time the ledger records: real time, except while `zhice demo simulate` replays past days."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

_simulated: ContextVar[datetime | None] = ContextVar("zhice_simulated_now", default=None)


def now() -> datetime:
    return _simulated.get() or datetime.now(UTC)


@contextmanager
def simulated(moment: datetime) -> Iterator[None]:
    """Within this block (and the requests it makes in-process) `now()` is ``moment``."""
    token = _simulated.set(moment.astimezone(UTC))
    try:
        yield
    finally:
        _simulated.reset(token)
