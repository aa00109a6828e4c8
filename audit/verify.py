"""Verify the chain: in the database, or in a JSONL export handed to an outside party."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlmodel import Session

from audit import ledger
from audit.chain import HASHED_FIELDS, VerifyResult, verify_records
from core.errors import BadRequest


def verify_ledger(session: Session) -> VerifyResult:
    """Walk the whole ledger from seq 1; report the first seq where it breaks."""
    return verify_records(event.record() for event in ledger.events(session))


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
