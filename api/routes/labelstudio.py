"""Label Studio interop: the labelling config, pending snippets as tasks, completed annotations back in."""

import json
from typing import Any

from fastapi import APIRouter, Body, Query
from fastapi.responses import Response
from sqlmodel import select

from agents.router import scenario_options
from api.deps import (
    ControlsDep,
    DesensitizerDep,
    EngineDep,
    ManagerOrAnnotator,
    SessionDep,
    SettingsDep,
)
from core.db import write_session
from core.errors import ClientError
from core.logging import request_id_var
from knowledge.ingest.formats import Skipped
from knowledge.labelstudio import export_tasks, import_annotations, label_config
from knowledge.snippets.models import Snippet, SnippetStatus
from knowledge.snippets.queue import Labels, record_labels

router = APIRouter(prefix="/v1/annotation/labelstudio", tags=["fuel"])


@router.get("/config", response_class=Response, responses={200: {"content": {"application/xml": {}}}})
def labelstudio_config(_caller: ManagerOrAnnotator, controls: ControlsDep) -> Response:
    """The labelling interface to paste into a Label Studio project (Settings → Labeling Interface)."""
    options = [(s["key"], s["label"]) for s in scenario_options(controls.taxonomy)]
    return Response(label_config(options), media_type="application/xml")


@router.get("/tasks")
def labelstudio_tasks(_caller: ManagerOrAnnotator, session: SessionDep, limit: int = Query(500, ge=1, le=5000)) -> list[dict[str, Any]]:
    """Snippets still waiting for labels, oldest first, as Label Studio tasks (Import → JSON)."""
    rows = session.exec(
        select(Snippet).where(Snippet.status == SnippetStatus.annotating).order_by(Snippet.created_at, Snippet.id).limit(limit)
    ).all()
    return export_tasks({"snippet_id": s.id, "customer": s.customer, "reply": s.reply, "context": json.loads(s.context)} for s in rows)


@router.post("/import")
def labelstudio_import(
    caller: ManagerOrAnnotator,
    engine: EngineDep,
    settings: SettingsDep,
    desensitizer: DesensitizerDep,
    controls: ControlsDep,
    payload: Any = Body(..., description="Label Studio's JSON export (Export → JSON): a list of tasks with annotations."),
) -> dict[str, Any]:
    """Record each completed annotation as its Label Studio user's labels; the rest reported and skipped."""
    options = {s["key"]: s["label"] for s in scenario_options(controls.taxonomy)}
    imported, skipped = 0, []
    for index, item in enumerate(import_annotations(payload, options)):
        if isinstance(item, Skipped):
            skipped.append({"location": item.location, "reason": item.reason, "kind": item.kind})
            continue
        labels = Labels(outcome=item.outcome, scenario=item.scenario, quality=item.quality, high_value=item.high_value,
                        note=desensitizer.desensitize(item.note).text)
        try:
            with write_session(engine) as session:
                record_labels(session, item.snippet_id, f"labelstudio:{item.annotator}"[:80], labels, scenarios=options.keys(),
                              tz=settings.tz, actor=caller.actor, request_id=request_id_var.get(), require_lease=False)
            imported += 1
        except ClientError as error:
            skipped.append({"location": f"labels[{index}]", "reason": error.detail, "kind": "malformed"})
    return {"imported": imported, "skipped": skipped}
