"""Ingest over HTTP: chat messages in, desensitized snippets into the annotation queue."""

import tempfile
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Query, Request, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from api.deps import DesensitizerDep, EngineDep, ManagerOrAnnotator, SettingsDep
from core.errors import Unprocessable, ValidationFailed
from core.logging import request_id_var
from knowledge.ingest.formats import Skipped, read_api_messages, read_file, read_transcript
from knowledge.snippets.ingest import ingest

router = APIRouter(prefix="/v1", tags=["fuel"])
SOURCE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"


class DialoguesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source: str = Field(pattern=SOURCE_PATTERN, description="Where the messages come from, a slug such as wecom-2026-11 (never a person's name).")
    industry: str | None = Field(None, max_length=64, description="The customers' industry, kept as a retrieval filter.")
    messages: list[Any] = Field(
        min_length=1, max_length=5000,
        description='Items {"conversation_id", "ts", "role": "customer"|"rep", "text"}; a malformed item is reported in skipped, the rest kept.',
    )


MAX_SKIPPED_SHOWN = 50  # a refused file's problems listed in the answer; the count says how many in all


class SkippedPublic(BaseModel):
    location: str
    reason: str
    kind: str


class IngestPublic(BaseModel):
    dialogues: int
    snippets_created: int
    duplicates: int
    non_text: int
    skipped: list[SkippedPublic]


@router.post("/dialogues", status_code=status.HTTP_201_CREATED)
def post_dialogues(body: DialoguesIn, caller: ManagerOrAnnotator, engine: EngineDep, settings: SettingsDep, desensitizer: DesensitizerDep) -> IngestPublic:
    """Desensitize the messages, cut them into snippets and queue those for annotation;
    sending the same content again creates nothing new."""
    return _ingest(read_api_messages(body.messages, default_tz=settings.timezone), body.source, body.industry, caller, engine, settings, desensitizer)


@router.post(
    "/dialogues/import",
    status_code=status.HTTP_201_CREATED,
    openapi_extra={"requestBody": {"content": {"text/plain": {"schema": {"type": "string", "pattern": r"\S"}}}, "required": True}},
)
async def import_dialogues(
    request: Request,
    caller: ManagerOrAnnotator,
    engine: EngineDep,
    settings: SettingsDep,
    desensitizer: DesensitizerDep,
    fmt: Literal["wecom", "csv", "transcript"] = Query(alias="format", description="wecom (message-archive JSONL), csv, or transcript (说话人: 文本)."),
    source: str = Query(pattern=SOURCE_PATTERN),
    industry: str | None = Query(None, max_length=64),
    conversation_id: str | None = Query(None, max_length=200, description="Transcripts: the meeting's id (default: source)."),
    rep_speaker: list[str] = Query(default_factory=list, description="Transcripts: speakers who are our reps."),
    customer_speaker: list[str] = Query(default_factory=list, description="Transcripts: speakers who are the customer."),
) -> IngestPublic:
    """An export file as the request body (up to ZHICE_MAX_BODY_BYTES; larger files: `zhice ingest`).
    Malformed lines are reported with their line numbers and skipped."""
    raw = await request.body()
    if not raw.strip():
        raise ValidationFailed("请求体为空：请把导出文件作为请求体上传。")

    def read() -> list:
        with tempfile.TemporaryDirectory() as folder:  # the readers stream from a file; its name is ours
            path = Path(folder) / "upload"
            path.write_bytes(raw)
            if fmt == "transcript":
                return list(read_transcript(path, conversation_id or source, rep_speakers=rep_speaker, customer_speakers=customer_speaker))
            return list(read_file(path, fmt, default_tz=settings.timezone))

    records = await run_in_threadpool(read)
    if records and all(isinstance(record, Skipped) and record.kind == "malformed" for record in records):  # not a file of this format
        first = records[0]
        raise Unprocessable(
            f"文件里没有一条可读的记录（{len(records)} 处有误；{first.location}：{first.reason}）。请确认 format={fmt} 与文件相符。",
            skipped=[SkippedPublic(location=r.location, reason=r.reason, kind=r.kind).model_dump() for r in records[:MAX_SKIPPED_SHOWN]],
        )
    return await run_in_threadpool(_ingest, records, source, industry, caller, engine, settings, desensitizer)


def _ingest(records, source, industry, caller, engine, settings, desensitizer) -> IngestPublic:
    report = ingest(
        engine,
        records,
        desensitizer=desensitizer,
        secret=settings.secret_key.get_secret_value(),
        source=source,
        industry=industry,
        double_share=settings.annotation_double_share,
        actor=caller.actor,
        request_id=request_id_var.get(),
    )
    return IngestPublic.model_validate(report, from_attributes=True)
