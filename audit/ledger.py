"""The append-only, hash-chained audit ledger: :func:`append` and queries, nothing else.

Appends serialize on the chain head so that threads, processes and several
service instances never fork the chain or skip a seq: :func:`core.db.write_session`
makes writers take turns (PostgreSQL: a transaction-scoped advisory lock;
SQLite: ``BEGIN IMMEDIATE``), held until the caller's commit. The primary key
on ``seq`` is the last line of defence.
Triggers in the database refuse UPDATE and DELETE (see the migrations).

Payloads are the typed events of :mod:`audit.events`, whose free text must be
desensitized (:class:`core.desensitized.DesensitizedText`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from sqlalchemy import BigInteger, Column, String, Text
from sqlmodel import Field, Session, SQLModel, select

from audit.chain import GENESIS_HASH, canonical_json, compute_hash, format_ts
from audit.events import LedgerPayload
from core import clock
from core.db import UtcDateTime, is_write_session
from core.errors import LedgerError, describe_errors

if TYPE_CHECKING:
    from audit.sealing import Sealer

_BATCH = 1000


@dataclass(frozen=True)
class Actor:
    """Who caused an event: an API key (id and role), or an operator at the CLI."""

    key_id: str | None
    role: str | None


CLI_ADMIN = Actor(key_id=None, role="admin")


class LedgerEventBase(SQLModel):
    kind: str = Field(sa_column=Column(String(64), nullable=False, index=True))
    actor_key_id: str | None = Field(default=None, sa_column=Column(String(32)))
    actor_role: str | None = Field(default=None, sa_column=Column(String(16)))
    request_id: str | None = Field(default=None, sa_column=Column(String(64), index=True))
    suggestion_id: str | None = Field(default=None, sa_column=Column(String(64), index=True))


class LedgerEvent(LedgerEventBase, table=True):
    """One row of the chain. ``payload`` holds canonical JSON text, hashed as is."""

    __tablename__ = "ledger_event"

    seq: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    ts: datetime = Field(sa_column=Column(UtcDateTime, nullable=False, index=True))
    payload: str = Field(sa_column=Column(Text, nullable=False))
    prev_hash: str = Field(sa_column=Column(String(64), nullable=False))
    hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))

    def record(self) -> dict[str, Any]:
        """The event as exported and hashed: ts as a string, payload as its canonical text."""
        return {
            "seq": self.seq,
            "ts": format_ts(self.ts),
            "kind": self.kind,
            "actor_key_id": self.actor_key_id,
            "actor_role": self.actor_role,
            "request_id": self.request_id,
            "suggestion_id": self.suggestion_id,
            "payload": self.payload,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


class LedgerEventPublic(LedgerEventBase):
    seq: int
    ts: datetime
    payload: dict[str, Any]
    prev_hash: str
    hash: str

    @classmethod
    def of(cls, event: LedgerEvent) -> LedgerEventPublic:
        fields = event.model_dump(exclude={"payload", "ts"})
        return cls(**fields, ts=event.ts, payload=json.loads(event.payload))


def append(
    session: Session,
    event: LedgerPayload,
    *,
    actor: Actor,
    request_id: str | None = None,
    suggestion_id: str | None = None,
    sealer: Sealer | None = None,
) -> LedgerEvent:
    """Append ``event`` (a model of :mod:`audit.events`; its kind names the row) inside
    the caller's write transaction and return the row.

    Conversation text (the kind's ``sealed`` fields) is sealed with ``sealer``, the
    conversation's data key (:mod:`audit.sealing`), before it is hashed; an event with
    such text and no sealer is refused. The event becomes durable when the caller
    commits; if the caller rolls back, no seq is consumed. Must be called inside
    :func:`core.db.write_session`.
    """
    if not is_write_session(session):
        raise LedgerError("ledger.append needs a session from core.db.write_session()")
    if not isinstance(event, LedgerPayload):
        raise LedgerError(f"ledger.append takes an event model from audit.events, not a {type(event).__name__}")
    try:  # however the model was made (model_construct, model_copy, JSON), its text must be desensitized now
        type(event).model_validate(event.model_dump())
    except ValidationError as exc:
        raise LedgerError(f"ledger payload for {event.kind!r} refused: {describe_errors(exc)}") from exc
    kind = event.kind
    try:
        payload_text = canonical_json(type(event).map_sealed(event.payload(), _seal_with(sealer, kind)))
        payload_text.encode("utf-8")  # lone surrogates cannot be hashed
    except (TypeError, ValueError) as exc:
        raise LedgerError(f"ledger payload for {kind!r} is not plain JSON: {exc}") from exc
    last = head(session)
    now = clock.now()
    event = LedgerEvent(
        seq=last.seq + 1 if last else 1,
        # ts never goes backwards along the chain, whatever the instances' clocks say
        ts=max(now, last.ts) if last else now,
        kind=kind,
        actor_key_id=actor.key_id,
        actor_role=actor.role,
        request_id=request_id,
        suggestion_id=suggestion_id,
        payload=payload_text,
        prev_hash=last.hash if last else GENESIS_HASH,
        hash="",
    )
    event.hash = compute_hash(event.record())
    session.add(event)
    session.flush()
    return event


def _seal_with(sealer: Sealer | None, kind: str) -> Callable[[str], str]:
    def seal(text: str) -> str:
        if sealer is None:
            raise LedgerError(f"{kind} holds conversation text: append it with the conversation's sealer (audit.sealing)")
        return sealer.seal(text)

    return seal


def head(session: Session) -> LedgerEvent | None:
    """The last event of the chain, or None when the ledger is empty."""
    return session.exec(select(LedgerEvent).order_by(LedgerEvent.seq.desc()).limit(1)).first()


def get(session: Session, seq: int) -> LedgerEvent | None:
    return session.get(LedgerEvent, seq)


def find(session: Session, kind: str, *, request_id: str | None = None, suggestion_id: str | None = None) -> list[LedgerEvent]:
    """Events of ``kind`` for a request or a suggestion, in seq order."""
    statement = select(LedgerEvent).where(LedgerEvent.kind == kind).order_by(LedgerEvent.seq)
    if request_id is not None:
        statement = statement.where(LedgerEvent.request_id == request_id)
    if suggestion_id is not None:
        statement = statement.where(LedgerEvent.suggestion_id == suggestion_id)
    return list(session.exec(statement))


def events(
    session: Session,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    kinds: list[str] | None = None,
) -> Iterator[LedgerEvent]:
    """Events in seq order, ``since <= ts < until``, streamed in batches."""
    statement = select(LedgerEvent).order_by(LedgerEvent.seq)
    if since is not None:
        statement = statement.where(LedgerEvent.ts >= since)
    if until is not None:
        statement = statement.where(LedgerEvent.ts < until)
    if kinds:
        statement = statement.where(LedgerEvent.kind.in_(kinds))
    yield from session.exec(statement.execution_options(yield_per=_BATCH))
