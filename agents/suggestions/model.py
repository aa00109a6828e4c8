"""What goes into the suggestion service and what comes out of it, free of any transport.

A :class:`SuggestionRequest` goes in; a stream of :data:`SuggestEvent` comes out
(``Started``, then ``Shown`` per suggestion, ``ChartReady`` if there is a chart,
``Done``), a discriminated union on ``kind``. Texts in these events are the rep's
view (the conversation's own values restored); the ledger holds the desensitized ones.
A rep's action on a suggestion is an :class:`ActionRequest`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from audit.ledger import Actor


@dataclass(frozen=True)
class ChatMessage:
    role: Literal["customer", "rep"]
    text: str  # raw: desensitized by the pipeline before anything else sees it


@dataclass(frozen=True)
class CustomerRef:
    id: str
    industry: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SuggestionRequest:
    """One press of 智策: who asks, about which conversation, within which budget."""

    owner: Actor
    conversation_id: str
    customer: CustomerRef
    messages: tuple[ChatMessage, ...]
    arrived_at: float  # time.perf_counter() at arrival: the budget and latency count from here
    budget_ms: int
    agents: tuple[str, ...] | None = None  # only these agents (default: chosen by scenario)


class AnchorPublic(BaseModel):
    """A provision the suggestion's content touches, and why the text complies with it."""

    id: str
    law: str
    article: str
    summary: str
    topic: str = Field(description="建议内容涉及的话题（如 payment、liquidated-damages；proposal 表示所提对等条款的依据）。")
    complies: str = Field(description="这条建议为什么符合该条（针对这段文字写的）。")


class CheckedAnchor(BaseModel):
    id: str
    law: str
    article: str


class CheckedPublic(BaseModel):
    """A compliance rule the guard ran on the suggestion without a finding."""

    rule: str
    title: str
    anchors: list[CheckedAnchor]


class SuggestionPublic(BaseModel):
    """A suggestion as the rep sees it."""

    id: str
    agent: str
    text: str
    confidence: float
    legal_anchors: list[AnchorPublic] = Field(description="建议内容涉及的法条及其合规理由；只作寒暄、提问的建议可为空。")
    checked: list[CheckedPublic] = Field(default_factory=list, description="已检查且未发现问题的合规规则（侧栏中默认折叠）。")
    sources: list[dict[str, Any]]
    move: str | None = Field(None, description="这条建议所用的话术打法（playbook 的 move id），检索或模型生成的为 null。")
    composer: Literal["playbook", "retrieved", "rule", "llm"] = Field(
        "retrieved", description="谁写的：playbook（话术打法）、retrieved（成交片段）、rule（合同规则或产品目录对比）、llm（大模型）。"
    )
    rep_note: str | None = Field(None, description="给销售本人看的说明（为什么这样回、要注意什么），不属于发送给客户的文本。")


class ChartPublic(BaseModel):
    id: str
    title: str
    vega_lite: dict[str, Any]
    svg_url: str


class ResponseSummary(BaseModel):
    """What every answer to a press of 智策 says about itself."""

    request_id: str
    scenario: str
    intents: list[str] = Field(default_factory=list, description="客户这几句话里的全部意图，主场景在前（如 price 之外还问了 delivery）。")
    latency_ms: int
    degraded: bool
    notes: list[str] = Field(description="为什么建议少于三条、哪些步骤被跳过。")
    tags: list[str] = Field(default_factory=list, description="触发规则给出的标记，如 escalate_vp（建议升级到 VP 跟进）。")
    rules_fired: list[str] = Field(default_factory=list, description="本次触发的规则 id。")
    case_libraries: list[str] = Field(default_factory=list, description="触发规则附上的案例库。")
    industry: str | None = Field(None, description="客户所在行业，按 CRM 传来的值解析（knowledge/lines.yaml 的键）；未识别为 null。")
    product_line: str | None = Field(None, description="在谈的产品线（目录中的产品线键）；未识别为 null，此时建议只用通用说法。")


class _Event(BaseModel):
    request_id: str
    latency_ms: int  # since the request arrived


class Started(_Event):
    kind: Literal["started"] = "started"
    scenario: str


class Shown(_Event):
    """A suggestion that passed the guard; it is in the ledger before this event exists."""

    kind: Literal["shown"] = "shown"
    suggestion: SuggestionPublic


class ChartReady(_Event):
    kind: Literal["chart"] = "chart"
    chart: ChartPublic


class Done(ResponseSummary):
    """The whole answer; its summary is in the ledger before this event exists."""

    kind: Literal["done"] = "done"
    suggestions: list[SuggestionPublic]
    chart: ChartPublic | None


SuggestEvent = Annotated[Started | Shown | ChartReady | Done, Field(discriminator="kind")]


class ActionRequest(BaseModel):
    """What the rep did with a suggestion: recorded once per suggestion."""

    model_config = ConfigDict(
        json_schema_extra={  # final_text with "edited" and only then, as JSON Schema says it
            "if": {"properties": {"action": {"const": "edited"}}},
            "then": {"required": ["final_text"], "properties": {"final_text": {"type": "string", "minLength": 1}}},
            "else": {"properties": {"final_text": {"enum": [None, ""]}}},
        }
    )

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
