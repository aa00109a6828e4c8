"""Export ledger events as JSONL that an outside party can re-verify (docs/ledger.md)."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from typing import TextIO
from zoneinfo import ZoneInfo

from sqlmodel import Session

from audit import ledger
from audit.sealing import Keyring


def local_day_bounds(first: date, last: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[first 00:00, last+1 00:00) in the business time zone, as aware datetimes."""
    return (
        datetime.combine(first, time.min, tzinfo=tz),
        datetime.combine(last + timedelta(days=1), time.min, tzinfo=tz),
    )


def export_jsonl(session: Session, out: TextIO, keyring: Keyring, *, since: datetime, until: datetime) -> int:
    """Write one record per line, in seq order, for ``since <= ts < until``; return the count.

    Because ts never decreases along the chain, a time range is a seq range:
    the lines chain to each other, and the first line's ``prev_hash`` links to
    the event before the range. Each record is the hashed row as stored (sealed
    conversation text included, so it verifies) plus ``readable_payload``: the
    payload with its sealed text opened, ``已删除`` where a data subject was erased.
    ``readable_payload`` is not hashed.
    """
    opener = keyring.opener(session)
    written = 0
    for event in ledger.events(session, since=since, until=until):
        record = event.record() | {"readable_payload": opener.payload(event.kind, event.payload)}
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        written += 1
    return written
