"""The hash chain, independent of any database: canonical form, hashes, verification.

An event's hash is SHA-256 over the canonical JSON of its other fields:
keys sorted, no whitespace, UTF-8, non-ASCII kept as is, no NaN/Infinity.
The ``payload`` field is itself stored as canonical JSON *text*, so a verifier
in any language only ever serializes flat objects of strings, integers and
nulls (which RFC 8785 and ``json.dumps(sort_keys=True)`` render alike).
``docs/ledger.md`` gives the recipe for outside verifiers.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS_HASH = "0" * 64
HASHED_FIELDS = (
    "seq",
    "ts",
    "kind",
    "actor_key_id",
    "actor_role",
    "request_id",
    "suggestion_id",
    "payload",
    "prev_hash",
)


def canonical_json(value: Any) -> str:
    """The one JSON rendering used for hashing; raises ValueError on NaN/Infinity."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def format_ts(moment: datetime) -> str:
    """UTC, microseconds, trailing Z; naive datetimes are read as UTC (SQLite returns them)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def compute_hash(record: Mapping[str, Any]) -> str:
    """SHA-256 hex over the canonical JSON of the hashed fields of ``record``."""
    body = {name: record[name] for name in HASHED_FIELDS}
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class VerifyResult:
    """What a walk along the chain found."""

    ok: bool
    events: int
    first_bad_seq: int | None = None
    reason: str | None = None
    head_hash: str | None = None
    head_seq: int | None = None


def verify_records(records: Iterable[Mapping[str, Any]], *, from_genesis: bool = True) -> VerifyResult:
    """Walk records in order and name the first seq where the chain breaks.

    With ``from_genesis`` the walk must start at seq 1 with the genesis hash;
    without it (an export of a date range) it trusts the first ``prev_hash``.
    """
    expected_seq: int | None = 1 if from_genesis else None
    prev_hash: str | None = GENESIS_HASH if from_genesis else None
    count = 0
    for record in records:
        seq = record["seq"]
        if expected_seq is not None and seq != expected_seq:
            reason = f"seq {expected_seq} is missing (next present is {seq})"
            return VerifyResult(False, count, expected_seq, reason, prev_hash)
        if prev_hash is not None and record["prev_hash"] != prev_hash:
            reason = f"seq {seq}: prev_hash does not match the hash of seq {seq - 1}"
            return VerifyResult(False, count, seq, reason, prev_hash)
        if compute_hash(record) != record["hash"]:
            reason = f"seq {seq}: content does not match its hash (altered)"
            return VerifyResult(False, count, seq, reason, prev_hash)
        count += 1
        expected_seq = seq + 1
        prev_hash = record["hash"]
    if not count:
        return VerifyResult(True, 0)
    return VerifyResult(True, count, head_hash=prev_hash, head_seq=expected_seq - 1)
