"""The annotation queue over HTTP: next item under a lease, labels, progress and agreement."""

import json
from datetime import date, timedelta

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel

from api.deps import (
    ControlsDep,
    CurrentAnnotator,
    DesensitizerDep,
    EngineDep,
    FuelOverseers,
    SessionDep,
    SettingsDep,
)
from api.params import IsoDay, SnippetId
from core import clock
from core.db import write_session
from core.errors import Unprocessable
from core.keys import list_keys
from core.logging import request_id_var
from knowledge.snippets.agreement import agreement
from knowledge.snippets.models import Snippet
from knowledge.snippets.queue import (
    Labels,
    business_day,
    daily_stats,
    next_for_annotator,
    progress,
    queue_sizes,
    record_labels,
)

router = APIRouter(prefix="/v1/annotation", tags=["fuel"])


class SnippetView(BaseModel):
    """A snippet as a person sees it: all text desensitized."""

    snippet_id: str
    text: str  # the customer's turn
    reply: str  # the rep's reply
    context: list[dict[str, str]]  # the turns before, oldest first
    industry: str | None
    source: str

    @classmethod
    def of(cls, snippet: Snippet) -> "SnippetView":
        return cls(snippet_id=snippet.id, text=snippet.customer, reply=snippet.reply, context=json.loads(snippet.context), industry=snippet.industry, source=snippet.source)


class AnnotationItem(SnippetView):
    lease_expires_in_s: int
    double_labelled: bool
    progress: dict
    scenarios: list[dict[str, str]]


@router.get("/next", response_model=AnnotationItem, responses={204: {"description": "队列已空"}})
def annotation_next(annotator: CurrentAnnotator, engine: EngineDep, settings: SettingsDep, controls: ControlsDep):
    """The next snippet to label, reserved for this annotator for ZHICE_ANNOTATION_LEASE_SECONDS; 204 when the queue is empty."""
    with write_session(engine) as session:
        snippet = next_for_annotator(session, annotator.key_id, settings.annotation_lease_seconds)
        today = progress(session, annotator.key_id, business_day(clock.now(), settings.tz), settings.annotation_daily_quota)
    if snippet is None:
        return Response(status_code=status.HTTP_204_NO_CONTENT, headers={"X-Zhice-Quota": json.dumps(today)})
    return AnnotationItem(
        **SnippetView.of(snippet).model_dump(),
        lease_expires_in_s=settings.annotation_lease_seconds,
        double_labelled=snippet.labels_needed > 1,
        progress=today,
        scenarios=controls.taxonomy.options(),
    )


class Recorded(BaseModel):
    snippet_id: str
    to_review: bool
    progress: dict


@router.post("/{snippet_id:snippet}", status_code=status.HTTP_201_CREATED)
def annotation_post(
    snippet_id: SnippetId, labels: Labels, annotator: CurrentAnnotator, engine: EngineDep, settings: SettingsDep, desensitizer: DesensitizerDep, controls: ControlsDep
) -> Recorded:
    """Record this annotator's labels; 409 when the lease went to someone else or the item left the queue."""
    labels = labels.model_copy(update={"note": desensitizer.desensitize(labels.note).text})
    if labels.move:
        controls.playbook.check_label(labels.scenario, labels.move)
    with write_session(engine) as session:
        record_labels(
            session, snippet_id, annotator.key_id, labels,
            scenarios=set(controls.taxonomy.keys), tz=settings.tz, actor=annotator.actor, request_id=request_id_var.get(),
        )
        snippet = session.get(Snippet, snippet_id)
        today = progress(session, annotator.key_id, business_day(clock.now(), settings.tz), settings.annotation_daily_quota)
    return Recorded(snippet_id=snippet_id, to_review=snippet.status != "annotating", progress=today)


@router.get("/stats")
def annotation_stats(
    _caller: FuelOverseers,
    session: SessionDep,
    settings: SettingsDep,
    since: IsoDay | None = Query(None, alias="from", description="First business day, YYYY-MM-DD (default: 6 days before `to`)."),
    until: IsoDay | None = Query(None, alias="to", description="Last business day, YYYY-MM-DD (default: today)."),
) -> dict:
    """Labels per annotator and day against the quota, Cohen's κ per label on double-labelled items, queue sizes."""
    until = until or date.fromisoformat(business_day(clock.now(), settings.tz))
    since = since or (until - timedelta(days=6) if until > date.min + timedelta(days=6) else date.min)
    if since > until:
        raise Unprocessable("from 不能晚于 to。")
    names = {key.id: key.name for key in list_keys(session, include_revoked=True)}
    return {
        "from": since.isoformat(),
        "to": until.isoformat(),
        "quota": settings.annotation_daily_quota,
        "days": daily_stats(session, since.isoformat(), until.isoformat(), settings.annotation_daily_quota, names),
        "agreement": agreement(session),
        "queue": queue_sizes(session),
    }
