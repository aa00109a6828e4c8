"""The annotation queue: leases, labels, the daily quota.

:func:`next_for_annotator` hands an annotator the oldest snippet still needing
labels under a lease (:func:`lease_next`, which legal review's queue uses too);
writers take turns (core.db.write_session), so two annotators never hold the
same item unless it is one of the double-labelled share, and then never the
same person twice. Expired leases count for nothing.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import delete, func
from sqlmodel import Session, select

from audit import ledger
from audit.events import AnnotationRecorded
from core import clock
from core.desensitized import require_desensitized
from core.errors import Conflict, NotFound
from core.json_types import NUMBER_ONLY, JsonBool
from knowledge.snippets.models import Annotation, Lease, Snippet, SnippetStatus, Stage
from knowledge.taxonomy import require_scenario

Tag = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]


class Labels(BaseModel):
    """An annotator's labels for one snippet (``tags`` are slugs such as ``low_price``)."""

    model_config = ConfigDict(extra="forbid")
    outcome: Literal["won", "lost", "unknown"]
    scenario: str = Field(min_length=1, max_length=64)
    quality: Annotated[int, Field(ge=1, le=5), NUMBER_ONLY]
    high_value: JsonBool = False
    tags: list[Tag] = Field(default_factory=list, max_length=10)
    move: str | None = Field(None, pattern=r"^[a-z_]+\.[a-z_]+$", max_length=64, description="回复所用的话术打法（playbook 的 move id，可不填）。")
    note: str = Field("", max_length=1000)


def business_day(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).date().isoformat()


def _live_leases(stage: Stage, now: datetime):
    return select(Lease).where(Lease.stage == stage, Lease.expires_at > now)


def lease_next(session: Session, holder: str, stage: Stage, status: SnippetStatus, capacity, lease_seconds: int) -> Snippet | None:
    """The item ``holder`` already holds at ``stage`` (if still at ``status``), or the
    oldest free one (renewing or taking a lease); ``capacity(snippet)`` is how many people
    may hold or have done it. Work is per page of candidates, not per table."""
    now = clock.now()
    session.exec(delete(Lease).where(Lease.expires_at <= now))
    expires = now + timedelta(seconds=lease_seconds)
    for held in session.exec(_live_leases(stage, now).where(Lease.holder == holder)).all():
        snippet = session.get(Snippet, held.snippet_id)
        if snippet is not None and snippet.status == status:
            held.expires_at = expires
            session.add(held)
            return snippet
        session.delete(held)  # the item left this stage meanwhile: the lease means nothing now
    offset, batch = 0, 200
    while True:
        page = session.exec(
            select(Snippet).where(Snippet.status == status).order_by(Snippet.created_at, Snippet.id).offset(offset).limit(batch)
        ).all()
        ids = [snippet.id for snippet in page]
        busy = dict(session.exec(
            select(Lease.snippet_id, func.count()).where(Lease.stage == stage, Lease.expires_at > now, Lease.snippet_id.in_(ids)).group_by(Lease.snippet_id)
        ).all())
        counts = _annotation_counts(session, ids) if stage == Stage.annotate else {}
        done = set(session.exec(select(Annotation.snippet_id).where(Annotation.annotator == holder, Annotation.snippet_id.in_(ids))).all())
        for snippet in page:
            if snippet.id not in done and busy.get(snippet.id, 0) + counts.get(snippet.id, 0) < capacity(snippet):
                session.add(Lease(snippet_id=snippet.id, stage=stage, holder=holder, expires_at=expires))
                return snippet
        if len(page) < batch:
            return None
        offset += batch


def _annotation_counts(session: Session, snippet_ids: Collection[str]) -> dict[str, int]:
    query = select(Annotation.snippet_id, func.count()).where(Annotation.snippet_id.in_(list(snippet_ids))).group_by(Annotation.snippet_id)
    return dict(session.exec(query).all())


def next_for_annotator(session: Session, annotator: str, lease_seconds: int) -> Snippet | None:
    """The next snippet for ``annotator`` to label, leased to them; None when the queue is empty."""
    return lease_next(session, annotator, Stage.annotate, SnippetStatus.annotating, lambda s: s.labels_needed, lease_seconds)


def record_labels(
    session: Session,
    snippet_id: str,
    annotator: str,
    labels: Labels,
    *,
    scenarios: Collection[str],
    tz: ZoneInfo,
    actor: ledger.Actor,
    request_id: str | None = None,
) -> Annotation:
    """Keep ``annotator``'s labels (``labels.note`` desensitized text); when the
    snippet has all the labels it needs, it moves on to legal review. Without a live lease
    of their own, labels count only if no one else holds the place (a late submit is
    fine while the item is still free)."""
    require_desensitized(labels.note, "labels.note")
    require_scenario(labels.scenario, scenarios)
    snippet = session.get(Snippet, snippet_id)
    if snippet is None:
        raise NotFound("没有这条片段：它可能已被删除（被遗忘权请求）或编号有误。")
    if snippet.status != SnippetStatus.annotating:
        raise Conflict("这条片段已不在标注队列中（标注已满或已进入审核）。")
    now = clock.now()
    if session.exec(select(Annotation.id).where(Annotation.snippet_id == snippet_id, Annotation.annotator == annotator)).first():
        raise Conflict("你已经标注过这条片段。")
    lease = session.get(Lease, (snippet_id, Stage.annotate.value, annotator))
    if lease is None or lease.expires_at <= now:
        others = session.exec(_live_leases(Stage.annotate, now).where(Lease.snippet_id == snippet_id, Lease.holder != annotator)).all()
        if len(others) + _annotation_counts(session, [snippet_id]).get(snippet_id, 0) >= snippet.labels_needed:
            raise Conflict("这条片段已由其他标注员领取（或你的租约已过期被改派）：请领取下一条。")
    if lease is not None:
        session.delete(lease)
    labelled = {"snippet_id": snippet_id, "annotator": annotator, **labels.model_dump(include={"outcome", "scenario", "quality", "high_value", "move"})}
    annotation = Annotation(**labelled, tags=json.dumps(labels.tags), note=labels.note, day=business_day(now, tz), created_at=now)
    session.add(annotation)
    session.flush()
    all_labels = session.exec(select(Annotation).where(Annotation.snippet_id == snippet_id).order_by(Annotation.id)).all()
    complete = len(all_labels) >= snippet.labels_needed
    if complete:
        _settle(snippet, all_labels)
        session.add(snippet)
        session.exec(delete(Lease).where(Lease.snippet_id == snippet_id, Lease.stage == Stage.annotate))
    event = AnnotationRecorded(**labelled, tags=labels.tags, to_review=complete, disputed=snippet.disputed)
    ledger.append(session, event, actor=actor, request_id=request_id)
    return annotation


def _settle(snippet: Snippet, labels: list[Annotation]) -> None:
    """The labels that go to legal: the first annotator's; a disagreement on outcome or
    scenario is flagged for legal to settle."""
    first = labels[0]
    snippet.status = SnippetStatus.review
    snippet.outcome, snippet.scenario, snippet.quality = first.outcome, first.scenario, first.quality
    snippet.move = next((a.move for a in labels if a.move), None)
    snippet.high_value = any(a.high_value for a in labels)
    snippet.tags = json.dumps(list(dict.fromkeys(t for a in labels for t in json.loads(a.tags))))
    snippet.disputed = any((a.outcome, a.scenario) != (first.outcome, first.scenario) for a in labels[1:])


def progress(session: Session, annotator: str, day: str, quota: int) -> dict:
    """``annotator``'s labels on ``day`` against the daily quota of high-value snippets."""
    rows = session.exec(select(Annotation.high_value).where(Annotation.annotator == annotator, Annotation.day == day)).all()
    high_value = sum(1 for flag in rows if flag)
    return {"day": day, "labelled": len(rows), "high_value": high_value, "quota": quota, "remaining": max(0, quota - high_value), "met": high_value >= quota}


def queue_sizes(session: Session) -> dict[str, int]:
    return {status: count for status, count in session.exec(select(Snippet.status, func.count()).group_by(Snippet.status)).all()}


def daily_stats(session: Session, since: str, until: str, quota: int, names: dict[str, str]) -> list[dict]:
    """Labels per annotator and business day in [since, until], against the quota."""
    rows = session.exec(
        select(Annotation.annotator, Annotation.day, Annotation.high_value).where(Annotation.day >= since, Annotation.day <= until)
    ).all()
    table: dict[tuple[str, str], list[int]] = {}
    for annotator, day, high_value in rows:
        cell = table.setdefault((annotator, day), [0, 0])
        cell[0] += 1
        cell[1] += int(bool(high_value))
    return [
        {"annotator": annotator, "name": names.get(annotator, annotator), "day": day, "labelled": labelled,
         "high_value": high_value, "quota": quota, "met": high_value >= quota}
        for (annotator, day), (labelled, high_value) in sorted(table.items(), key=lambda item: (item[0][1], item[0][0]))
    ]
