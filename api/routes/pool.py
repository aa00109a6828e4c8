"""Pool management: list snippets, withdraw one, erase a data subject's snippets."""

import json

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import func, select

from api.deps import (
    DesensitizerDep,
    EngineDep,
    FuelOverseers,
    KeyringDep,
    ManagerOrLegal,
    SessionDep,
    StoreDep,
)
from core.db import flush_erased, write_session
from core.logging import request_id_var
from knowledge.snippets import pool
from knowledge.snippets.models import Snippet, SnippetStatus

router = APIRouter(prefix="/v1", tags=["fuel"])


class SnippetRow(BaseModel):
    id: str
    status: str
    source: str
    industry: str | None
    customer: str
    reply: str
    outcome: str | None
    scenario: str | None
    quality: int | None
    high_value: bool | None
    tags: list[str]
    disputed: bool


@router.get("/snippets")
def snippets_list(
    _caller: FuelOverseers,
    session: SessionDep,
    status: SnippetStatus | None = None,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=10_000_000),
) -> dict:
    """Snippets, newest first, optionally of one status (all text desensitized)."""
    query = select(Snippet)
    counter = select(func.count()).select_from(Snippet)
    if status is not None:
        query, counter = query.where(Snippet.status == status), counter.where(Snippet.status == status)
    rows = session.exec(query.order_by(Snippet.created_at.desc(), Snippet.id).offset(offset).limit(limit)).all()
    items = [SnippetRow(**row.model_dump(exclude={"tags"}), tags=json.loads(row.tags)) for row in rows]
    return {"total": session.exec(counter).one(), "items": items}


class Withdrawal(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=1000)


@router.post("/pool/{snippet_id}/withdraw")
def pool_withdraw(snippet_id: str, body: Withdrawal, caller: ManagerOrLegal, engine: EngineDep, store: StoreDep, desensitizer: DesensitizerDep) -> dict:
    """Take an approved snippet out of the pool at once; it grounds nothing from now on."""
    with write_session(engine) as session:
        snippet = pool.withdraw(session, store, snippet_id, desensitizer.desensitize(body.reason).text, actor=caller.actor, request_id=request_id_var.get())
    return {"snippet_id": snippet.id, "status": snippet.status}


class ErasureRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: str = Field(min_length=2, max_length=200, description="The data subject's phone, ID, e-mail, name …; hashed on arrival, never stored or logged.")


@router.post("/pool/erasure")
def pool_erasure(
    body: ErasureRequest, caller: ManagerOrLegal, engine: EngineDep, store: StoreDep, desensitizer: DesensitizerDep, keyring: KeyringDep
) -> dict:
    """Erase every snippet and queue item tied to a PII value, make the ledger text of every
    conversation it appeared in unreadable (its key is destroyed), and refuse the value at
    later ingests."""
    fingerprints = desensitizer.fingerprints_for(body.value)
    with write_session(engine) as session:
        summary = pool.erase(session, store, keyring, fingerprints, actor=caller.actor, request_id=request_id_var.get())
    flush_erased(engine)
    return {"snippets_removed": summary["snippets_removed"], "by_status": summary["by_status"], "ledger_keys_destroyed": len(summary["ledger_keys"])}
