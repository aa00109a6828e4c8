"""POST /v1/suggest, the rep's action on a suggestion, and the chart as SVG."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field, field_validator, model_validator
from rapidfuzz.distance import Levenshtein
from sqlalchemy import Engine

from agents.charts import render_svg
from agents.controls import Controls
from agents.pipeline import SuggestPipeline
from api.deps import (
    ComposerDep,
    ControlsDep,
    CurrentRep,
    DesensitizerDep,
    EngineDep,
    PipelineDep,
    Principal,
    RepManagerAuditor,
    SessionDep,
    SettingsDep,
)
from audit import ledger
from core.db import read_session, write_session
from core.errors import Conflict, NotFound, ValidationFailed
from core.keys import Role
from core.settings import Settings
from knowledge.desensitize import Pseudonyms

router = APIRouter(prefix="/v1", tags=["suggest"])
log = logging.getLogger("zhice.suggest")


MAX_ATTRIBUTES_CHARS = 4000
MAX_ATTRIBUTE_LIST = 50


def _longest_list(value: Any) -> int:
    if isinstance(value, dict):
        return max((_longest_list(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return max([len(value), *(_longest_list(v) for v in value)])
    return 0


class Customer(BaseModel):
    id: str = Field(min_length=1, max_length=128)
    industry: str | None = Field(None, max_length=64)
    attributes: dict[str, Any] = Field(default_factory=dict, description="客户属性（触发规则可读），JSON 不超过 4000 字符，列表不超过 50 项。")

    @field_validator("attributes")
    @classmethod
    def _small(cls, attributes: dict[str, Any]) -> dict[str, Any]:
        if len(json.dumps(attributes, ensure_ascii=False)) > MAX_ATTRIBUTES_CHARS or _longest_list(attributes) > MAX_ATTRIBUTE_LIST:
            raise ValueError(f"attributes too large: at most {MAX_ATTRIBUTES_CHARS} characters of JSON and lists of {MAX_ATTRIBUTE_LIST} items")
        return attributes


class Message(BaseModel):
    role: Literal["customer", "rep"]
    text: str = Field(min_length=1, max_length=4000)
    ts: str | None = None


class SuggestRequest(BaseModel):
    conversation_id: str = Field(min_length=1, max_length=128)
    customer: Customer
    messages: list[Message] = Field(min_length=1, max_length=200)
    agents: list[str] | None = Field(None, description="只运行这些智能体（默认按场景选择）。")
    budget_ms: int | None = Field(None, ge=50, le=10_000, description="本次请求的时间预算（毫秒）。")

    @field_validator("messages")
    @classmethod
    def _has_customer_turn(cls, messages: list[Message]) -> list[Message]:
        if not any(m.role == "customer" for m in messages):
            raise ValueError("messages must contain at least one customer turn")
        return messages


class AnchorPublic(BaseModel):
    id: str
    law: str
    article: str
    summary: str
    rule: str
    complies: str


class SuggestionPublic(BaseModel):
    id: str
    agent: str
    text: str
    confidence: float
    legal_anchors: list[AnchorPublic]
    sources: list[dict[str, Any]]


class ChartPublic(BaseModel):
    id: str
    title: str
    vega_lite: dict[str, Any]
    svg_url: str


class SuggestResponse(BaseModel):
    request_id: str
    scenario: str
    suggestions: list[SuggestionPublic]
    chart: ChartPublic | None
    latency_ms: int
    degraded: bool
    notes: list[str] = Field(description="为什么建议少于三条、哪些步骤被跳过。")
    tags: list[str] = Field(default_factory=list, description="触发规则给出的标记，如 escalate_vp（建议升级到 VP 跟进）。")
    rules_fired: list[str] = Field(default_factory=list, description="本次触发的规则 id。")
    case_libraries: list[str] = Field(default_factory=list, description="触发规则附上的案例库。")


def _pseudonymous(value: str, secret: str) -> str:
    return hashlib.sha256(f"{secret}:{value}".encode()).hexdigest()[:16]


def _public(suggestion, pseudonyms: Pseudonyms) -> SuggestionPublic:
    """The rep's view: the conversation's own values back in place of placeholders."""
    return SuggestionPublic(
        id=suggestion.id,
        agent=suggestion.agent,
        text=pseudonyms.reidentify(suggestion.text),
        confidence=suggestion.confidence,
        legal_anchors=[AnchorPublic(**a) for a in suggestion.anchors],
        sources=list(suggestion.sources),
    )


def _chart(request_id: str, chart: dict[str, Any]) -> ChartPublic:
    return ChartPublic(id=request_id, svg_url=f"/v1/charts/{request_id}.svg", **chart)


@dataclass
class Delivery:
    """Whether the client is still there; suggestions it never received are not "shown"."""

    connected: bool = True
    shown: list[str] = field(default_factory=list)


_DRAINING: set[asyncio.Task] = set()  # keeps stream producers alive until they finish


@dataclass(frozen=True)
class SuggestPath:
    """What both suggest routes need: the rep, the pipeline and its inputs, the arrival time."""

    rep: Principal
    pipeline: SuggestPipeline
    engine: Engine
    settings: Settings
    controls: Controls
    composer: Any  # LlmComposer | None
    started: float  # perf_counter at arrival: latency and the budget count from here


def _suggest_path(
    request: Request, rep: CurrentRep, pipeline: PipelineDep, engine: EngineDep, settings: SettingsDep, controls: ControlsDep, composer: ComposerDep
) -> SuggestPath:
    started = getattr(request.state, "received_at", None) or time.perf_counter()  # set by RequestContextMiddleware
    return SuggestPath(rep, pipeline, engine, settings, controls, composer, started)


SuggestPathDep = Annotated[SuggestPath, Depends(_suggest_path)]


async def _events(body: SuggestRequest, path: SuggestPath, delivery: Delivery | None = None) -> AsyncIterator[tuple[str, Any]]:
    """The suggest path as events; each suggestion is in the ledger before it is yielded,
    and the request's summary always is, even when the client has gone."""
    rep, pipeline, engine, settings, started = path.rep, path.pipeline, path.engine, path.settings, path.started
    delivery = delivery or Delivery()
    unknown = sorted(set(body.agents or ()) - set(pipeline.agent_names))
    if unknown:
        raise ValidationFailed(f"未知的智能体 {', '.join(unknown)}：可选 {', '.join(pipeline.agent_names)}。")
    request_id = uuid.uuid4().hex  # ours, not the client's X-Request-ID: it names the chart and the ledger events
    request = {
        "owner": rep.key_id,
        "conversation_id": body.conversation_id,
        "industry": body.customer.industry,
        "attributes": body.customer.attributes,
        "messages": [(m.role, m.text) for m in body.messages],
        "agents": body.agents,
        "budget_ms": body.budget_ms or settings.latency_budget_ms,
        "controls": path.controls,
        "composer": path.composer,
        "started_at": started,
    }
    async for kind, value in pipeline.stream(**request):
        latency_ms = round((time.perf_counter() - started) * 1000)
        if kind == "suggestion" and delivery.connected:
            await run_in_threadpool(_record_shown, engine, rep, request_id, value, latency_ms)
            delivery.shown.append(value.id)
        if kind == "done":
            if not delivery.connected:
                value.reasons.append("客户端在接收途中断开：未送达的建议未计入展示")
            secret = settings.secret_key.get_secret_value()
            await run_in_threadpool(_record_response, engine, rep, request_id, value, delivery.shown, latency_ms, body, secret)
        if delivery.connected:
            yield kind, (request_id, value, latency_ms)


@router.post("/suggest")
async def suggest(body: SuggestRequest, path: SuggestPathDep) -> SuggestResponse:
    """Three compliant reply suggestions with legal anchors, and one comparison chart."""
    async for kind, (request_id, value, latency_ms) in _events(body, path):
        if kind == "done":
            return SuggestResponse(
                request_id=request_id,
                scenario=value.scenario,
                suggestions=[_public(s, value.pseudonyms) for s in value.suggestions],
                chart=_chart(request_id, value.chart) if value.chart else None,
                latency_ms=latency_ms,
                degraded=value.degraded,
                notes=value.reasons,
                tags=value.tags,
                rules_fired=value.rules["fired"],
                case_libraries=value.case_libraries,
            )
    raise RuntimeError("the suggest path ended without an outcome")


def _record_shown(engine, rep, request_id: str, suggestion, latency_ms: int) -> None:
    """A suggestion goes into the ledger, desensitized, before the rep sees it."""
    with write_session(engine) as session:
        ledger.append(
            session,
            "suggestion.shown",
            {
                "scenario": suggestion.scenario,
                "agent": suggestion.agent,
                "agent_version": suggestion.agent_version,
                "prompt_version": suggestion.prompt_version,  # null: extractive
                "text": suggestion.text,
                "confidence": suggestion.confidence,
                "sources": list(suggestion.sources),
                "anchors": [a["id"] for a in suggestion.anchors],
                "latency_ms": latency_ms,
            },
            actor=rep.actor,
            request_id=request_id,
            suggestion_id=suggestion.id,
        )


def _record_response(engine, rep, request_id: str, outcome, shown: list[str], latency_ms: int, body: SuggestRequest, secret: str) -> None:
    """The request's summary: context (desensitized), chart, interventions, latency."""
    with write_session(engine) as session:
        ledger.append(
            session,
            "suggest.response",
            {
                "conversation": _pseudonymous(body.conversation_id, secret),
                "customer": _pseudonymous(body.customer.id, secret),
                "industry": body.customer.industry,
                "scenario": outcome.scenario,
                "agents": outcome.agents,
                "context": outcome.context,
                "suggestions": shown,
                "interventions": outcome.interventions,
                "chart": outcome.chart,
                "degraded": outcome.degraded,
                "notes": outcome.reasons,
                "rules": outcome.rules,
                "tags": outcome.tags,
                "llm": outcome.llm,
                "latency_ms": latency_ms,
            },
            actor=rep.actor,
            request_id=request_id,
        )


class ActionRequest(BaseModel):
    action: Literal["adopted", "edited", "rejected", "ignored"]
    final_text: str | None = Field(None, max_length=4000, description="发送给客户的最终文本：edited 时必填，其他操作不填。")
    reason: str | None = Field(None, max_length=500, description="不采用的原因（可选，会脱敏后记录）。")

    @model_validator(mode="after")
    def _final_text_only_when_edited(self) -> ActionRequest:
        if (self.action == "edited") != bool(self.final_text):
            raise ValueError("final_text is required with action 'edited' and not allowed with the others")
        return self


class ActionPublic(BaseModel):
    event_id: int
    suggestion_id: str
    action: str
    edit_distance: int | None


@router.post("/suggestions/{suggestion_id}/action", status_code=status.HTTP_201_CREATED)
def act(suggestion_id: str, body: ActionRequest, rep: CurrentRep, engine: EngineDep, desensitizer: DesensitizerDep) -> ActionPublic:
    """Record what the rep did with a suggestion; once per suggestion."""
    final = desensitizer.desensitize(body.final_text).text if body.final_text else None
    reason = desensitizer.desensitize(body.reason).text if body.reason else None
    with read_session(engine) as session:
        shown = ledger.find(session, "suggestion.shown", suggestion_id=suggestion_id)
    if not shown or shown[0].actor_key_id != rep.key_id:
        raise NotFound(f"没有编号为 {suggestion_id} 的建议（或它不属于你）：请使用 /v1/suggest 返回的建议 id。")
    distance = Levenshtein.distance(ledger.LedgerEventPublic.of(shown[0]).payload["text"], final) if final is not None else None
    if distance == 0:
        raise ValidationFailed("final_text 与建议完全相同：请把 action 记为 adopted。")
    with write_session(engine) as session:
        if ledger.find(session, "suggestion.action", suggestion_id=suggestion_id):
            raise Conflict("这条建议已经记录过操作；每条建议只记录一次。")
        event = ledger.append(
            session,
            "suggestion.action",
            {"action": body.action, "final_text": final, "edit_distance": distance, "reason": reason},
            actor=rep.actor,
            request_id=shown[0].request_id,
            suggestion_id=suggestion_id,
        )
        return ActionPublic(event_id=event.seq, suggestion_id=suggestion_id, action=body.action, edit_distance=distance)


@router.get("/charts/{chart_id}.svg", response_class=Response)
async def chart_svg(chart_id: str, caller: RepManagerAuditor, session: SessionDep) -> Response:
    """The chart of a suggest response, rendered offline (a rep sees only their own)."""
    found = ledger.find(session, "suggest.response", request_id=chart_id)
    mine = found and (caller.role != Role.rep or found[0].actor_key_id == caller.key_id)
    chart = ledger.LedgerEventPublic.of(found[0]).payload.get("chart") if mine else None
    if chart is None:
        raise NotFound(f"没有编号为 {chart_id} 的图表：请使用 /v1/suggest 返回的 chart.svg_url。")
    svg = await run_in_threadpool(render_svg, chart["vega_lite"])
    return Response(svg, media_type="image/svg+xml")



class StreamSummary(BaseModel):
    request_id: str
    scenario: str
    suggestion_ids: list[str]
    latency_ms: int
    degraded: bool
    notes: list[str]
    tags: list[str] = Field(default_factory=list)
    rules_fired: list[str] = Field(default_factory=list)


def _sse(event: str, data: BaseModel) -> str:
    return f"event: {event}\ndata: {data.model_dump_json()}\n\n"


@router.post("/suggest/stream", response_class=StreamingResponse)
async def suggest_stream(body: SuggestRequest, path: SuggestPathDep) -> StreamingResponse:
    """Server-Sent Events, same body as /v1/suggest: `start` (scenario), then each
    `suggestion` as soon as it passed the compliance guard, the `chart`, and `done`."""
    delivery = Delivery()
    events = _events(body, path, delivery)
    first = await anext(events)  # bad requests become problem details before the stream starts
    queue: asyncio.Queue = asyncio.Queue()

    async def produce() -> None:
        """Runs apart from the response, so a client that leaves cannot cut the ledger short."""
        try:
            await queue.put(first)
            async for item in events:
                await queue.put(item)
        except Exception:
            log.exception("suggest stream failed")
        finally:
            await queue.put(None)

    _DRAINING.add(task := asyncio.get_running_loop().create_task(produce()))
    task.add_done_callback(_DRAINING.discard)

    async def frames() -> AsyncIterator[str]:
        pseudonyms = Pseudonyms()
        try:
            while (item := await queue.get()) is not None:
                kind, (request_id, value, latency_ms) = item
                if kind == "start":
                    pseudonyms = value.pseudonyms
                    yield _sse("start", StreamSummary(request_id=request_id, scenario=value.scenario, suggestion_ids=[], latency_ms=latency_ms, degraded=False, notes=[]))
                elif kind == "suggestion":
                    yield _sse("suggestion", _public(value, pseudonyms))
                elif kind == "chart":
                    yield _sse("chart", _chart(request_id, value))
                else:
                    summary = StreamSummary(
                        request_id=request_id,
                        scenario=value.scenario,
                        suggestion_ids=[s.id for s in value.suggestions],
                        latency_ms=latency_ms,
                        degraded=value.degraded,
                        notes=value.reasons,
                        tags=value.tags,
                        rules_fired=value.rules["fired"],
                    )
                    yield _sse("done", summary)
        finally:
            delivery.connected = False  # from here on, nothing more reaches this client

    return StreamingResponse(frames(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
