"""Verify the chain: in the database, or in a JSONL export handed to an outside party."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from audit import ledger
from audit.chain import HASHED_FIELDS, VerifyResult, verify_records
from audit.ledger import LedgerEvent
from core.errors import BadRequest


def verify_ledger(session: Session) -> VerifyResult:
    """Walk the whole ledger from seq 1; report the first seq where it breaks,
    including a row so damaged that it cannot even be read."""
    try:
        return verify_records(event.record() for event in ledger.events(session))
    except (ValueError, TypeError):  # e.g. a ts edited into something that is not a time
        session.rollback()
        session.expunge_all()
        return _verify_row_by_row(session)


def _verify_row_by_row(session: Session) -> VerifyResult:
    """The slow path, only for a damaged ledger: load each row alone to find the unreadable one."""
    unreadable: list[int] = []

    def records() -> Iterator[dict[str, Any]]:
        for seq in session.exec(select(LedgerEvent.seq).order_by(LedgerEvent.seq)).all():
            try:
                event = session.exec(select(LedgerEvent).where(LedgerEvent.seq == seq)).one()
            except (ValueError, TypeError):
                unreadable.append(seq)
                return
            yield event.record()
            session.expunge(event)

    result = verify_records(records())
    if result.ok and unreadable:
        seq = unreadable[0]
        return VerifyResult(False, result.events, seq, f"seq {seq}: the row cannot be read (a field was altered)")
    return result


def head_matches(session: Session, seq: int, expected_hash: str) -> bool:
    """Whether event ``seq`` still carries the hash an auditor wrote down earlier."""
    event = ledger.get(session, seq)
    return event is not None and event.hash == expected_hash


class MalformedExport(BadRequest):
    """A line of an export is not a ledger record."""


def _read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise MalformedExport(f"{path}:{number}: not JSON ({exc.msg})") from exc
            missing = [name for name in (*HASHED_FIELDS, "hash") if name not in record]
            if missing:
                raise MalformedExport(f"{path}:{number}: missing fields {', '.join(missing)}")
            yield record


def verify_jsonl(path: Path, *, from_genesis: bool = False) -> VerifyResult:
    """Verify an export; a range export trusts its first ``prev_hash`` unless ``from_genesis``."""
    return verify_records(_read_jsonl(path), from_genesis=from_genesis)
