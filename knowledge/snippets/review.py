"""The legal review gate: only what legal approves is embedded into the pool."""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import delete
from sqlmodel import Session, select

from audit import ledger
from audit.events import ReviewApproved, ReviewRejected
from core import clock
from core.db import after_commit
from core.errors import Conflict, NotFound, Unprocessable
from knowledge.lines import load_lines
from knowledge.snippets.models import Annotation, Lease, Snippet, SnippetStatus, Stage
from knowledge.snippets.queue import lease_next
from knowledge.store import POOL, KnowledgeStore
from knowledge.taxonomy import require_scenario


class Decision(BaseModel):
    """Legal's approve or reject (of a snippet here, of a sample script in knowledge.scripts); a rejection says why."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={  # a rejection's reason is not blank, as JSON Schema says it
            "if": {"properties": {"decision": {"const": "reject"}}},
            "then": {"required": ["reason"], "properties": {"reason": {"pattern": r"\S"}}},
        },
    )
    decision: Literal["approve", "reject"]
    reason: str = Field("", max_length=1000)

    @model_validator(mode="after")
    def _reason_for_rejection(self) -> Decision:
        if self.decision == "reject" and not self.reason.strip():
            raise ValueError("驳回时请写明理由（reason），提交者据此改进")
        return self


class ReviewDecision(Decision):
    """Legal's decision; ``outcome``/``scenario`` settle a disagreement between annotators."""

    outcome: Literal["won", "lost", "unknown"] | None = None
    scenario: str | None = Field(None, min_length=1, max_length=64)


def pool_entry(snippet: Snippet) -> tuple[str, str, dict]:
    """What the pool holds for an approved snippet: the customer's words are embedded,
    the reply and labels ride along as metadata (the line as its key when it resolves)."""
    metadata = {
        "reply": snippet.reply,
        "scenario": snippet.scenario or "other",
        "outcome": snippet.outcome or "unknown",
        "quality": snippet.quality or 3,
        "tags": ",".join(json.loads(snippet.tags)),
        "source": snippet.source,
        "approval_id": snippet.decided_by or "",
        "high_value": bool(snippet.high_value),
    }
    if snippet.move:  # the annotator's label: the move won deals vote for (agents.move_labels)
        metadata["move"] = snippet.move
    if snippet.industry:  # the pool is filtered by our product line: "SaaS软件" and "saas" are one
        line = load_lines().line(snippet.industry)
        metadata["industry"] = line.key if line else snippet.industry
    return snippet.id, snippet.customer, metadata


def next_for_reviewer(session: Session, reviewer: str, lease_seconds: int) -> Snippet | None:
    """The next labelled snippet for ``reviewer``, leased to them; None when none waits."""
    return lease_next(session, reviewer, Stage.review, SnippetStatus.review, lambda _: 1, lease_seconds)


def annotations_of(session: Session, snippet_id: str) -> list[Annotation]:
    return list(session.exec(select(Annotation).where(Annotation.snippet_id == snippet_id).order_by(Annotation.id)).all())


def decide(
    session: Session,
    store: KnowledgeStore,
    snippet_id: str,
    reviewer: str,
    decision: ReviewDecision,
    *,
    scenarios: Collection[str],
    actor: ledger.Actor,
    request_id: str | None = None,
) -> Snippet:
    """Approve (embed into the pool) or reject a labelled snippet (``decision.reason``
    already desensitized). The pool write happens inside the transaction: if it
    fails, nothing is approved."""
    snippet = session.get(Snippet, snippet_id)
    if snippet is None:
        raise NotFound("没有这条片段：它可能已被删除（被遗忘权请求）或编号有误。")
    if snippet.status != SnippetStatus.review:
        raise Conflict(f"这条片段当前状态为 {snippet.status}，不在待审核队列中。")
    now = clock.now()
    other = session.exec(
        select(Lease).where(Lease.snippet_id == snippet_id, Lease.stage == Stage.review, Lease.holder != reviewer, Lease.expires_at > now)
    ).first()
    if other is not None:
        raise Conflict("另一位法务正在审核这条片段：请领取下一条。")
    if snippet.disputed and decision.decision == "approve" and (decision.outcome is None or decision.scenario is None):
        raise Unprocessable("标注员意见不一致：批准时请同时给出 outcome 和 scenario 作为定论。")
    if decision.scenario is not None:
        require_scenario(decision.scenario, scenarios)
    snippet.outcome = decision.outcome or snippet.outcome
    snippet.scenario = decision.scenario or snippet.scenario
    snippet.status = SnippetStatus.approved if decision.decision == "approve" else SnippetStatus.rejected
    snippet.decided_at, snippet.decided_by, snippet.decision_reason = now, reviewer, decision.reason or None
    session.add(snippet)
    session.exec(delete(Lease).where(Lease.snippet_id == snippet_id))
    event = ReviewApproved if decision.decision == "approve" else ReviewRejected
    fields = {"snippet_id": snippet_id, "outcome": snippet.outcome, "scenario": snippet.scenario, "disputed": snippet.disputed}
    ledger.append(session, event(**fields, reason=decision.reason), actor=actor, request_id=request_id)
    if snippet.status == SnippetStatus.approved:
        entry = pool_entry(snippet)
        # into the pool only once the approval is durable; if this write fails, `zhice pool sync`
        # (and every start) adds it: an unapproved snippet is never retrievable
        after_commit(session, lambda: store.upsert(POOL, *([value] for value in entry)))
    return snippet
