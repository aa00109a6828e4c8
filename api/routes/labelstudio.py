"""Label Studio interop: the labelling config, pending snippets as tasks, completed annotations back in."""

import json
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlmodel import select

from api.deps import (
    ControlsDep,
    CurrentManager,
    DesensitizerDep,
    EngineDep,
    ManagerOrAnnotator,
    SessionDep,
    SettingsDep,
)
from core.db import write_session
from core.errors import BadRequest, ClientError
from core.hashing import pseudonym
from core.logging import request_id_var
from knowledge.ingest.formats import Skipped
from knowledge.labelstudio import export_tasks, import_annotations, label_config
from knowledge.snippets.models import Snippet, SnippetStatus
from knowledge.snippets.queue import Labels, record_labels

router = APIRouter(prefix="/v1/annotation/labelstudio", tags=["fuel"])


@router.get("/config", response_class=Response, responses={200: {"content": {"application/xml": {}}}})
def labelstudio_config(_caller: ManagerOrAnnotator, controls: ControlsDep) -> Response:
    """The labelling interface to paste into a Label Studio project (Settings → Labeling Interface)."""
    return Response(label_config(list(controls.taxonomy.labels.items())), media_type="application/xml")


@router.get("/tasks")
def labelstudio_tasks(_caller: ManagerOrAnnotator, session: SessionDep, limit: int = Query(500, ge=1, le=5000)) -> list[dict[str, Any]]:
    """Snippets still waiting for labels, oldest first, as Label Studio tasks (Import → JSON)."""
    rows = session.exec(
        select(Snippet).where(Snippet.status == SnippetStatus.annotating).order_by(Snippet.created_at, Snippet.id).limit(limit)
    ).all()
    return export_tasks({"snippet_id": s.id, "customer": s.customer, "reply": s.reply, "context": json.loads(s.context)} for s in rows)


@router.post("/import", openapi_extra={"requestBody": {"content": {"application/json": {}}, "required": True}})
async def labelstudio_import(
    request: Request,
    manager: CurrentManager,
    engine: EngineDep,
    settings: SettingsDep,
    desensitizer: DesensitizerDep,
    controls: ControlsDep,
) -> dict[str, Any]:
    """Label Studio's JSON export (Export → JSON) as the body, whatever its Content-Type.
    Each completed annotation counts as the labels of its Label Studio user (kept as a
    keyed hash, never the e-mail); items someone else holds, or already full, are skipped."""
    try:
        payload = json.loads(await request.body())
    except ValueError:
        raise BadRequest("请求体不是 JSON：请上传 Label Studio 的 Export → JSON 文件。") from None
    return await run_in_threadpool(_import, payload, manager, engine, settings, desensitizer, controls)


def _import(payload: Any, manager, engine, settings, desensitizer, controls) -> dict[str, Any]:
    options = controls.taxonomy.labels
    secret = settings.secret_key.get_secret_value()
    imported, skipped = 0, []
    for item in import_annotations(payload, options):
        if isinstance(item, Skipped):
            skipped.append({"location": item.location, "reason": item.reason, "kind": item.kind})
            continue
        user = pseudonym(secret, item.annotator, "labelstudio")
        try:
            labels = Labels(outcome=item.outcome, scenario=item.scenario, quality=item.quality, high_value=item.high_value)
            labels = labels.model_copy(update={"note": desensitizer.desensitize(item.note[:1000]).text})
            with write_session(engine) as session:
                record_labels(session, item.snippet_id, f"labelstudio:{user}", labels, scenarios=options.keys(),
                              tz=settings.tz, actor=manager.actor, request_id=request_id_var.get())
            imported += 1
        except ClientError as error:
            skipped.append({"location": f"snippet {item.snippet_id[:12]}", "reason": error.detail, "kind": "malformed"})
    return {"imported": imported, "skipped": skipped}
