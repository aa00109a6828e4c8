"""The legal review gate over HTTP."""

import json

from fastapi import APIRouter, Response, status
from pydantic import BaseModel

from api.deps import (
    ControlsDep,
    CurrentLegal,
    DesensitizerDep,
    EngineDep,
    SettingsDep,
    StoreDep,
)
from api.params import SnippetId
from api.routes.annotation import SnippetView
from core.db import write_session
from core.logging import request_id_var
from knowledge.snippets.review import (
    ReviewDecision,
    annotations_of,
    decide,
    next_for_reviewer,
)

router = APIRouter(prefix="/v1/review", tags=["fuel"])


class ReviewItem(SnippetView):
    outcome: str | None
    scenario: str | None
    quality: int | None
    high_value: bool | None
    tags: list[str]
    disputed: bool
    annotations: list[dict]
    scenarios: list[dict[str, str]]


@router.get("/next", response_model=ReviewItem, responses={204: {"description": "没有待审核的片段"}})
def review_next(legal: CurrentLegal, engine: EngineDep, settings: SettingsDep, controls: ControlsDep):
    """The next labelled snippet with its annotators' labels, reserved for this reviewer; 204 when none waits."""
    with write_session(engine) as session:
        snippet = next_for_reviewer(session, legal.key_id, settings.annotation_lease_seconds)
        if snippet is None:
            return Response(status_code=status.HTTP_204_NO_CONTENT)
        labels = [
            {"outcome": a.outcome, "scenario": a.scenario, "quality": a.quality, "high_value": a.high_value, "tags": json.loads(a.tags), "note": a.note}
            for a in annotations_of(session, snippet.id)
        ]
    return ReviewItem(
        **SnippetView.of(snippet).model_dump(),
        outcome=snippet.outcome, scenario=snippet.scenario, quality=snippet.quality, high_value=snippet.high_value,
        tags=json.loads(snippet.tags), disputed=snippet.disputed, annotations=labels, scenarios=controls.taxonomy.options(),
    )


class Decided(BaseModel):
    snippet_id: str
    status: str


@router.post("/{snippet_id:snippet}")
def review_post(
    snippet_id: SnippetId, body: ReviewDecision, legal: CurrentLegal, engine: EngineDep, store: StoreDep, desensitizer: DesensitizerDep, controls: ControlsDep
) -> Decided:
    """Approve (the snippet enters the pool at once) or reject (it can never ground a suggestion)."""
    body = body.model_copy(update={"reason": desensitizer.desensitize(body.reason).text})
    with write_session(engine) as session:
        snippet = decide(
            session, store, snippet_id, legal.key_id, body,
            scenarios=set(controls.taxonomy.keys), actor=legal.actor, request_id=request_id_var.get(),
        )
    return Decided(snippet_id=snippet.id, status=snippet.status)
