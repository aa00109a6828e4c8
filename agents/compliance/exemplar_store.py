"""Legal's additions to the exemplar bank: add, retire, list; each step in the ledger."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from agents.compliance.exemplar_table import ComplianceExemplar
from agents.compliance.exemplars import Exemplar
from audit import ledger
from audit.events import ExemplarAdded, ExemplarRetired
from core import clock
from core.db import read_session
from core.desensitized import DesensitizedText
from core.errors import Conflict, NotFound, Unprocessable


class ExemplarCreate(BaseModel):
    """A sentence legal says breaks ``rule`` (violation) or is fair under it (fair)."""

    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=4, max_length=300, description="一句话（会先脱敏再保存）。")
    rule: str = Field(min_length=1, max_length=64, description="合规规则 id，如 guaranteed-return。")
    verdict: Literal["violation", "fair"] = "violation"


def add(session: Session, text: DesensitizedText, rule: str, verdict: str, *, rules: set[str], actor: ledger.Actor, request_id: str | None = None) -> ComplianceExemplar:
    """Store a desensitized exemplar; it is read by every guard from its next refresh."""
    if rule not in rules:
        raise Unprocessable(f"没有合规规则 {rule!r}；可选：{'、'.join(sorted(rules))}。")
    row = ComplianceExemplar(id=uuid.uuid4().hex, text=text, rule=rule, verdict=verdict, added_at=clock.now(), added_by=actor.key_id)
    session.add(row)
    ledger.append(session, ExemplarAdded(exemplar_id=row.id, rule=rule, verdict=verdict, text=text), actor=actor, request_id=request_id)
    return row


def retire(session: Session, exemplar_id: str, *, actor: ledger.Actor, request_id: str | None = None) -> ComplianceExemplar:
    row = session.get(ComplianceExemplar, exemplar_id)
    if row is None:
        raise NotFound(f"没有编号为 {exemplar_id} 的合规范例。")
    if row.retired_at is not None:
        raise Conflict(f"合规范例 {exemplar_id} 已停用。")
    row.retired_at = clock.now()
    session.add(row)
    ledger.append(session, ExemplarRetired(exemplar_id=row.id, rule=row.rule), actor=actor, request_id=request_id)
    return row


def listing(session: Session) -> list[ComplianceExemplar]:
    """Legal's exemplars in force, oldest first."""
    return list(session.exec(select(ComplianceExemplar).where(col(ComplianceExemplar.retired_at).is_(None)).order_by(col(ComplianceExemplar.added_at))))


def stored(engine: Engine) -> list[Exemplar]:
    """Legal's exemplars in force, as the bank reads them."""
    with read_session(engine) as session:
        return [Exemplar(id=row.id, text=row.text, rule=row.rule, verdict=row.verdict) for row in listing(session)]  # type: ignore[arg-type]
