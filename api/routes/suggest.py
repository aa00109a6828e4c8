"""POST /v1/suggest (JSON and SSE), the rep's action on a suggestion, and the chart as SVG:
request and response schemas and framing only; the work is the suggestion service's."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from agents.suggestions.model import (
    ActionRequest,
    ActionPublic,
    ChartReady,
    ChartPublic,
    ChatMessage,
    CustomerRef,
    Done,
    ResponseSummary,
    Shown,
    Started,
    SuggestionRequest,
    SuggestionPublic,
)
from api.deps import CurrentRep, Principal, RepManagerAuditor, SettingsDep, SuggestionsDep
from core.json_types import NUMBER_ONLY

router = APIRouter(prefix="/v1", tags=["suggest"])

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
    model_config = ConfigDict(extra="forbid")
    conversation_id: str = Field(min_length=1, max_length=128)
    customer: Customer
    messages: list[Message] = Field(
        min_length=1,
        max_length=200,
        description="对话（按时间顺序），至少一条客户消息。",
        json_schema_extra={"contains": {"properties": {"role": {"const": "customer"}}, "required": ["role"]}},
    )
    agents: list[str] | None = Field(None, description="只运行这些智能体（默认按场景选择）。")
    budget_ms: Annotated[int, Field(ge=50, le=10_000), NUMBER_ONLY] | None = Field(None, description="本次请求的时间预算（毫秒，整数）。")

    @field_validator("messages")
    @classmethod
    def _has_customer_turn(cls, messages: list[Message]) -> list[Message]:
        if not any(m.role == "customer" for m in messages):
            raise ValueError("messages must contain at least one customer turn")
        return messages

    def to_request(self, rep: Principal, arrived_at: float, default_budget_ms: int) -> SuggestionRequest:
        return SuggestionRequest(
            owner=rep.actor,
            conversation_id=self.conversation_id,
            customer=CustomerRef(self.customer.id, self.customer.industry, self.customer.attributes),
            messages=tuple(ChatMessage(m.role, m.text) for m in self.messages),
            arrived_at=arrived_at,
            budget_ms=self.budget_ms or default_budget_ms,
            agents=tuple(self.agents) if self.agents else None,
        )


class SuggestResponse(ResponseSummary):
    suggestions: list[SuggestionPublic]
    chart: ChartPublic | None


class StreamSummary(ResponseSummary):
    suggestion_ids: list[str]


def _request(body: SuggestRequest, http: Request, rep: Principal, settings) -> SuggestionRequest:
    arrived_at = getattr(http.state, "received_at", None) or time.perf_counter()  # set by RequestContextMiddleware
    return body.to_request(rep, arrived_at, settings.latency_budget_ms)


@router.post("/suggest")
async def suggest(body: SuggestRequest, http: Request, rep: CurrentRep, settings: SettingsDep, suggestions: SuggestionsDep) -> SuggestResponse:
    """Three compliant reply suggestions with legal anchors, and one comparison chart."""
    done = await suggestions.answer(_request(body, http, rep, settings))
    return SuggestResponse.model_validate(done.model_dump(exclude={"kind"}))


def _sse(event: str, data: BaseModel) -> str:
    return f"event: {event}\ndata: {data.model_dump_json()}\n\n"


def _frame(event: Started | Shown | ChartReady | Done) -> str:
    match event:
        case Started():
            return _sse("start", StreamSummary(request_id=event.request_id, scenario=event.scenario, suggestion_ids=[], latency_ms=event.latency_ms, degraded=False, notes=[]))
        case Shown():
            return _sse("suggestion", event.suggestion)
        case ChartReady():
            return _sse("chart", event.chart)
        case Done():
            return _sse("done", StreamSummary(**event.model_dump(exclude={"kind", "suggestions", "chart"}), suggestion_ids=[s.id for s in event.suggestions]))


@router.post("/suggest/stream", response_class=StreamingResponse)
async def suggest_stream(body: SuggestRequest, http: Request, rep: CurrentRep, settings: SettingsDep, suggestions: SuggestionsDep) -> StreamingResponse:
    """Server-Sent Events, same body as /v1/suggest: `start` (scenario), then each
    `suggestion` as soon as it passed the compliance guard, the `chart`, and `done`."""
    events = suggestions.stream(_request(body, http, rep, settings))
    first = await anext(events)  # bad requests become problem details before the stream starts

    async def frames() -> AsyncIterator[str]:
        async with aclosing(events):  # a client that leaves closes the stream at once
            yield _frame(first)
            async for event in events:
                yield _frame(event)

    return StreamingResponse(frames(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})


@router.post("/suggestions/{suggestion_id}/action", status_code=status.HTTP_201_CREATED)
def act(suggestion_id: str, body: ActionRequest, rep: CurrentRep, suggestions: SuggestionsDep) -> ActionPublic:
    """Record what the rep did with a suggestion; once per suggestion."""
    return suggestions.act(rep.actor, suggestion_id, body)


@router.get("/charts/{chart_id}.svg", response_class=Response)
async def chart_svg(chart_id: str, caller: RepManagerAuditor, suggestions: SuggestionsDep) -> Response:
    """The chart of a suggest response, rendered offline (a rep sees only their own)."""
    return Response(await suggestions.chart_svg(caller.actor, chart_id), media_type="image/svg+xml")
