"""The sample-script library: managers write scripts, legal approves them, only approved
ones are in the store's script collection (where agents retrieve them). A script that names
a playbook ``move`` is a phrasing of that move (a slot template, or a new move with its
label): once approved it joins the playbook (agents.playbook) instead of the store.

    pending ──approve──▶ approved ──edit──▶ pending (out of the store until re-approved)
        └──reject───▶ rejected            └──retire──▶ retired (out of the store)
"""

from __future__ import annotations

import uuid
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, select

from audit import ledger
from audit.events import ScriptApproved, ScriptCreated, ScriptEdited, ScriptEvent, ScriptRejected, ScriptRetired
from core import clock
from core.db import after_commit
from core.errors import Conflict, NotFound
from knowledge.script_table import SampleScript
from knowledge.snippets.review import Decision
from knowledge.store import SCRIPTS, KnowledgeStore
from knowledge.taxonomy import require_scenario


class ScriptStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"
    retired = "retired"


class ScriptDraft(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scenario: str = Field(min_length=1, max_length=64)
    text: str = Field(min_length=10, max_length=1000)
    move: str | None = Field(None, pattern=r"^[a-z_]+\.[a-z_]+$", max_length=64, description="它所表述的话术打法（如 price.approval）；填了就作为 playbook 的一种说法，可用 ${budget} 等槽位。")
    move_label: str | None = Field(None, min_length=2, max_length=32, description="新打法的名称（move 在 playbook 中尚不存在时必填）。")


class ApprovedMove(BaseModel):
    """An approved script that phrases a playbook move."""

    model_config = ConfigDict(frozen=True)
    move: str
    label: str | None
    scenario: str
    text: str


class ScriptDecision(Decision):
    """Legal's decision on a pending script revision."""


def _get(session: Session, script_id: str) -> SampleScript:
    script = session.get(SampleScript, script_id)
    if script is None:
        raise NotFound(f"没有编号为 {script_id} 的样板话术。")
    return script


def _event(session: Session, event: type[ScriptEvent], script: SampleScript, actor: ledger.Actor, request_id: str | None, **text) -> None:
    fields = {"script_id": script.id, "revision": script.revision, "scenario": script.scenario, "status": script.status, "move": script.move}
    ledger.append(session, event(**fields, **text), actor=actor, request_id=request_id)


def create(session: Session, draft: ScriptDraft, *, scenarios: set[str], actor: ledger.Actor, request_id: str | None = None) -> SampleScript:
    """A new script (``draft.text`` desensitized), waiting for legal review."""
    require_scenario(draft.scenario, scenarios)
    now = clock.now()
    script = SampleScript(
        id=uuid.uuid4().hex, scenario=draft.scenario, text=draft.text, status=ScriptStatus.pending, revision=1, created_at=now, updated_at=now,
        move=draft.move, move_label=draft.move_label,
    )
    session.add(script)
    _event(session, ScriptCreated, script, actor, request_id, text=draft.text)
    return script


def edit(session: Session, store: KnowledgeStore, script_id: str, draft: ScriptDraft, *, scenarios: set[str], actor: ledger.Actor, request_id: str | None = None) -> SampleScript:
    """A new revision: it leaves the store until legal approves it again."""
    require_scenario(draft.scenario, scenarios)
    script = _get(session, script_id)
    if script.status == ScriptStatus.retired:
        raise Conflict("已停用的样板话术不能再编辑：请新建一条。")
    script.scenario, script.text, script.status = draft.scenario, draft.text, ScriptStatus.pending
    script.move, script.move_label = draft.move, draft.move_label
    script.revision, script.updated_at, script.decided_by, script.decision_reason = script.revision + 1, clock.now(), None, None
    session.add(script)
    _event(session, ScriptEdited, script, actor, request_id, text=draft.text)
    session.flush()
    store.delete(SCRIPTS, [script.id])
    return script


def retire(session: Session, store: KnowledgeStore, script_id: str, *, actor: ledger.Actor, request_id: str | None = None) -> SampleScript:
    script = _get(session, script_id)
    if script.status == ScriptStatus.retired:
        raise Conflict("这条样板话术已经停用。")
    script.status, script.updated_at = ScriptStatus.retired, clock.now()
    session.add(script)
    _event(session, ScriptRetired, script, actor, request_id)
    session.flush()
    store.delete(SCRIPTS, [script.id])
    return script


def review(session: Session, store: KnowledgeStore, script_id: str, decision: ScriptDecision, *, actor: ledger.Actor, request_id: str | None = None) -> SampleScript:
    """Legal approves (the script enters the store) or rejects a pending revision."""
    script = _get(session, script_id)
    if script.status != ScriptStatus.pending:
        raise Conflict(f"只有待审核的样板话术可以审核；这条的状态是 {script.status}。")
    script.status = ScriptStatus.approved if decision.decision == "approve" else ScriptStatus.rejected
    script.decided_by, script.decision_reason, script.updated_at = actor.key_id, decision.reason or None, clock.now()
    session.add(script)
    _event(session, ScriptApproved if script.status == ScriptStatus.approved else ScriptRejected, script, actor, request_id, reason=decision.reason)
    if script.status == ScriptStatus.approved and script.move is None:  # a move's phrasing joins the playbook, not the store
        metadata = {"reply": script.text, "scenario": script.scenario, "quality": 5, "approval_id": actor.key_id or "cli", "revision": script.revision}
        after_commit(session, lambda: store.upsert(SCRIPTS, [script.id], [script.text], [metadata]))
    return script


def approved_moves(session: Session) -> list[ApprovedMove]:
    """The approved scripts that phrase playbook moves, oldest first."""
    query = select(SampleScript).where(SampleScript.status == ScriptStatus.approved, SampleScript.move.is_not(None)).order_by(SampleScript.created_at)
    return [ApprovedMove(move=s.move, label=s.move_label, scenario=s.scenario, text=s.text) for s in session.exec(query).all()]


def listing(session: Session, status: ScriptStatus | None = None) -> list[SampleScript]:
    query = select(SampleScript).order_by(SampleScript.created_at.desc())
    return list(session.exec(query.where(SampleScript.status == status) if status else query).all())
