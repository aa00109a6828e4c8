"""The LLM composer: reply drafts from an OpenAI-compatible chat model, grounded in the
approved facts it is given, under one hard deadline.

The prompt (:mod:`prompts.library`) gets the facts and the customer's words as two
JSON data blocks between ``<data>…</data>`` and ``<customer_messages>…</customer_messages>``;
``<``, ``>`` and ``&`` inside them are written ``\\u003c``, ``\\u003e``, ``\\u0026``, so
nothing a customer types can close a block. The answer must be JSON
``{"suggestions": [{"text", "source_ids"}]}``; a suggestion that cites no data item,
or one that was not given, is dropped. Any failure raises :class:`ComposerFailed`
with a machine ``reason``; the caller falls back to the extractive composer.

How the budget is kept with ``langchain-openai`` 1.7 (see :meth:`LlmComposer.for_endpoint`):
``max_retries=0``; the remaining budget goes to every call as ``astream(..., timeout=s)``,
which ChatOpenAI merges into the request payload and the openai SDK applies as the
httpx2 timeout of that request (per phase: connect, read gap, write, pool); the whole
call, streaming included, also runs inside ``asyncio.timeout``, the real bound.
Customer text is never logged; LangSmith tracing is switched off around each call.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import sys
import time
from contextlib import aclosing
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal

from langchain_core.exceptions import ModelError, ModelRateLimitError, ModelTimeoutError
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from langsmith import tracing_context
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from agents.composers.breaker import CircuitBreaker
from agents.composers.checks import unusable
from prompts.library import PromptTemplate

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

log = logging.getLogger(__name__)

MAX_SUGGESTIONS = 3
MAX_ANSWER_CHARS = 16_000  # a runaway answer is cut here rather than at the deadline
Reason = Literal[
    "timeout", "http_error", "rate_limited", "truncated", "invalid_json", "invalid_schema", "ungrounded", "unusable", "empty", "circuit_open", "busy"
]
# the endpoint did not answer properly: these count towards opening the circuit
ENDPOINT_FAILURES = frozenset({"timeout", "http_error", "rate_limited", "truncated"})
FAIR_TIMEOUT_S = 0.3  # a timeout with less time than this says nothing about the endpoint
_MESSAGES: dict[str, str] = {
    "timeout": "大模型未在预算内给出建议，已放弃本次生成；如经常发生，请提高预算或换用更快的模型。",
    "http_error": "大模型服务调用失败，本次未生成建议；请检查模型服务的地址与状态。",
    "rate_limited": "大模型服务限流（HTTP 429），本次未生成建议；请降低并发或提高配额。",
    "invalid_json": "大模型的回答不是合法 JSON，已丢弃；请确认该服务支持 JSON 模式（response_format=json_object）。",
    "invalid_schema": "大模型的回答不符合 {\"suggestions\": [{\"text\", \"source_ids\"}]} 格式，已丢弃；请检查提示词的输出格式说明。",
    "ungrounded": "大模型给出的建议都没有引用所给资料（或引用了不存在的条目），已全部丢弃。",
    "empty": "大模型没有给出任何建议。",
    "truncated": "大模型的回答被截断（流中断或达到 max_tokens），已丢弃；如经常发生，请提高 ZHICE_LLM_MAX_TOKENS 或检查模型服务。",
    "unusable": "大模型的建议不可用（照抄提示词的格式示例、留有占位符、复述客户原话或没有实际内容），已全部丢弃。",
    "circuit_open": "大模型连续失败，已暂停调用（熔断中），本次直接使用检索式建议。",
    "busy": "同时进行中的大模型调用已达上限，本次直接使用检索式建议。",
}
_FENCE = re.compile(r"^```(?:json|JSON)?\s*\n?(.*?)\n?\s*```$", re.DOTALL)
_THINK = re.compile(r"^<think>.*?</think>\s*", re.DOTALL)  # reasoning models on local servers


@dataclass(frozen=True)
class GroundingItem:
    """One fact the model may use: an approved snippet, a sample script, a catalog fact
    or a legal anchor, under the id a suggestion cites it by."""

    id: str
    kind: Literal["snippet", "script", "fact", "anchor"]
    text: str

    def __post_init__(self) -> None:
        if not self.id or self.kind not in ("snippet", "script", "fact", "anchor"):
            raise ValueError(f"grounding item needs an id and a known kind, got {self.id!r}/{self.kind!r}")


@dataclass(frozen=True)
class ComposedDraft:
    """A suggestion text and the ids of the grounding items it rests on (all of them given)."""

    text: str
    source_ids: tuple[str, ...]


class ComposerFailed(Exception):
    """The LLM gave no usable draft; ``reason`` says why (a slug, see :data:`Reason`)."""

    def __init__(self, reason: Reason, detail: str = "") -> None:
        self.reason = reason
        self.message = f"{_MESSAGES[reason]}（{reason}{'：' + detail if detail else ''}）"
        super().__init__(self.message)


class _Answer(BaseModel):
    model_config = ConfigDict(extra="ignore")
    suggestions: list[Any]


class _Suggestion(BaseModel):
    model_config = ConfigDict(extra="ignore")
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=4, max_length=400)]
    source_ids: list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]] = Field(default_factory=list)


def json_block(value: Any) -> str:
    """``value`` as JSON that cannot close an HTML-like delimiter: ``<``, ``>`` and ``&``
    become ``\\u003c``, ``\\u003e``, ``\\u0026`` (they only ever occur inside strings)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))  # compact: fewer tokens to prefill
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_messages(
    prompt: PromptTemplate, *, customer_turns: list[str], grounding: list[GroundingItem], scenario: str, max_suggestions: int = MAX_SUGGESTIONS
) -> list[BaseMessage]:
    """The system and user messages for one call; the data and the customer's words
    go in as escaped JSON blocks."""
    values = {
        "scenario": json_block(scenario)[1:-1],  # a bare, escaped string
        "data": json_block([{"id": g.id, "kind": g.kind, "text": g.text} for g in grounding]),
        "customer_messages": json_block(list(customer_turns)),
        "max_suggestions": max_suggestions,
    }
    system, user = prompt.render(values)
    return [SystemMessage(content=system), HumanMessage(content=user)]


def parse_answer(content: str, grounding_ids: set[str], limit: int = MAX_SUGGESTIONS) -> list[ComposedDraft]:
    """The grounded drafts in a model's answer, in its order, at most ``limit``.

    Tolerates a Markdown ``json`` fence and a leading ``<think>`` block; a suggestion
    whose text is out of bounds (4–400 characters) is dropped, as is one citing no id
    or any id not in ``grounding_ids``. Raises ComposerFailed when nothing usable is left."""
    text = _THINK.sub("", content.strip())
    if fenced := _FENCE.match(text):
        text = fenced.group(1).strip()
    if not text:
        raise ComposerFailed("empty")
    try:
        data = json.loads(text)
    except ValueError:
        raise ComposerFailed("invalid_json", f"{len(text)} 个字符") from None
    try:
        answer = _Answer.model_validate(data)
    except ValidationError:
        raise ComposerFailed("invalid_schema", "缺少 suggestions 列表") from None
    if not answer.suggestions:
        raise ComposerFailed("empty")
    valid: list[_Suggestion] = []
    for item in answer.suggestions:
        try:
            valid.append(_Suggestion.model_validate(item))
        except ValidationError:
            continue
    if not valid:
        raise ComposerFailed("invalid_schema", f"{len(answer.suggestions)} 条建议的字段都不符合要求")
    drafts: list[ComposedDraft] = []
    for suggestion in valid:
        ids = tuple(dict.fromkeys(suggestion.source_ids))
        if not ids or not set(ids) <= grounding_ids or any(d.text == suggestion.text for d in drafts):
            continue
        drafts.append(ComposedDraft(suggestion.text, ids))
    if not drafts:
        raise ComposerFailed("ungrounded", f"{len(valid)} 条建议均未引用所给资料")
    return drafts[:limit]


def _endpoint_failed(failure: ComposerFailed, timeout_s: float) -> bool | None:
    """Whether a failed call counts against the endpoint (for the circuit breaker): a
    timeout only when the model had a fair time to answer, not a caller's tiny budget."""
    if failure.reason == "timeout" and timeout_s < FAIR_TIMEOUT_S:
        return None
    return failure.reason in ENDPOINT_FAILURES


def usable(drafts: list[ComposedDraft], prompt: PromptTemplate, customer_turns: list[str]) -> list[ComposedDraft]:
    """The drafts :func:`agents.composers.checks.unusable` lets through; ComposerFailed
    ("unusable") when none is left."""
    template = f"{prompt.system}\n{prompt.user}"
    reasons = [unusable(d.text, prompt_text=template, customer_turns=customer_turns) for d in drafts]
    kept = [d for d, reason in zip(drafts, reasons, strict=True) if reason is None]
    if not kept:
        raise ComposerFailed("unusable", "、".join(sorted({r for r in reasons if r})))
    return kept


def failure_of(exc: BaseException) -> ComposerFailed | None:
    """The ComposerFailed for an exception raised while calling the model (openai SDK,
    httpx2, LangChain model errors, an unparseable response body), or None."""
    openai = sys.modules.get("openai")  # imported by langchain-openai; not needed for other models
    if openai is not None:
        if isinstance(exc, openai.APITimeoutError):
            return ComposerFailed("timeout", "HTTP 超时")
        if isinstance(exc, openai.APIStatusError):
            status = exc.status_code
            return ComposerFailed("rate_limited") if status == 429 else ComposerFailed("http_error", f"HTTP {status}")
        if isinstance(exc, openai.APIConnectionError):
            return ComposerFailed("http_error", "无法连接")
        if isinstance(exc, (openai.LengthFinishReasonError, openai.ContentFilterFinishReasonError)):
            return ComposerFailed("invalid_json", "回答被截断")
        if isinstance(exc, openai.APIError):
            return ComposerFailed("http_error", type(exc).__name__)
    httpx2 = sys.modules.get("httpx2")  # raw transport errors can surface mid-stream
    if httpx2 is not None and isinstance(exc, httpx2.HTTPError):
        return ComposerFailed("timeout" if isinstance(exc, httpx2.TimeoutException) else "http_error", type(exc).__name__)
    if isinstance(exc, ModelTimeoutError):
        return ComposerFailed("timeout", type(exc).__name__)
    if isinstance(exc, ModelRateLimitError):
        return ComposerFailed("rate_limited")
    if isinstance(exc, ModelError):
        return ComposerFailed("http_error", type(exc).__name__)
    if isinstance(exc, ValueError):  # a body that is not an SSE stream of chunks (bad JSON, HTML, none at all)
        return ComposerFailed("invalid_json", f"响应体无法解析（{type(exc).__name__}）")
    return None


class LlmComposer:
    """Drafts from a LangChain chat model (a ChatOpenAI on any OpenAI-compatible
    endpoint in production, a fake in tests)."""

    def __init__(self, model: BaseChatModel, *, max_suggestions: int = MAX_SUGGESTIONS, breaker: CircuitBreaker | None = None) -> None:
        self.model = model
        self.max_suggestions = max_suggestions
        self.breaker = breaker or CircuitBreaker()
        base = sys.modules.get("langchain_openai.chat_models.base")
        # Only the OpenAI models take a per-request `timeout`; others might forward it as a model parameter.
        self._per_call_timeout = base is not None and isinstance(model, base.BaseChatOpenAI)
        self._owned_client: Any | None = None

    @classmethod
    def for_endpoint(
        cls,
        base_url: str,
        model: str,
        api_key: str,
        *,
        http_async_client: Any | None = None,
        temperature: float = 0.2,
        max_suggestions: int = MAX_SUGGESTIONS,
        max_tokens: int = 600,
        breaker: CircuitBreaker | None = None,
    ) -> LlmComposer:
        """A composer on an OpenAI-compatible endpoint (``base_url`` ends in ``/v1``).

        JSON mode is ``response_format={"type": "json_object"}`` (not ``json_schema``, which
        many local servers lack), sent with every request through ``extra_body``.
        ``http_async_client`` must be an ``httpx2.AsyncClient`` (openai 3.x), e.g. one with a
        ``MockTransport`` in tests; without one the composer makes its own, used from one
        event loop and closed by :meth:`aclose`. Nothing is fetched at construction: the
        endpoint is the only host ever contacted, and token counting (tiktoken) is never used."""
        import openai  # heavy, like langchain_openai (~2.5 s together): only when an LLM is configured
        from langchain_openai import ChatOpenAI

        # Our own client rather than langchain-openai's process-wide cached one: pooled connections
        # belong to the event loop that opened them, and a shared pool would leak them across loops.
        owned = openai.DefaultAsyncHttpxClient() if http_async_client is None else None
        chat = ChatOpenAI(
            base_url=base_url,
            api_key=api_key,
            model=model,
            temperature=temperature,
            max_tokens=max_tokens,  # bounds what an abandoned answer costs the model server
            max_retries=0,  # a retry cannot fit in a sub-second budget
            streaming=True,
            timeout=30.0,  # a ceiling only: every call passes its remaining budget
            use_responses_api=False,  # local servers only speak /v1/chat/completions
            # JSON mode in extra_body, not model_kwargs/bind: a top-level response_format makes
            # langchain-openai 1.7 stream through client.beta.chat.completions.stream, whose first
            # use imports openai's beta types (~1 s, blocking the event loop). The wire body is the same.
            extra_body={"response_format": {"type": "json_object"}},
            http_async_client=http_async_client or owned,
        )
        composer = cls(chat, max_suggestions=max_suggestions, breaker=breaker)
        composer._owned_client = owned
        return composer

    async def aclose(self) -> None:
        """Close the HTTP client :meth:`for_endpoint` made (not one passed in)."""
        if self._owned_client is not None:
            await self._owned_client.aclose()
            self._owned_client = None

    async def compose(
        self, prompt: PromptTemplate, *, customer_turns: list[str], grounding: list[GroundingItem], scenario: str, timeout_s: float
    ) -> list[ComposedDraft]:
        """Up to ``max_suggestions`` grounded, usable drafts within ``timeout_s`` seconds, or
        ComposerFailed (see :data:`Reason`). No call goes out while the circuit is open
        or the endpoint has as many calls in flight as it may take."""
        started = time.perf_counter()
        ids = [item.id for item in grounding]
        if len(ids) != len(set(ids)):
            raise ValueError("grounding ids must be unique: a citation has to name exactly one item")
        try:
            if not grounding:
                raise ComposerFailed("ungrounded", "没有可供引用的资料，未调用模型")
            if timeout_s <= 0:
                raise ComposerFailed("timeout", "预算已用完")
            permit = self.breaker.acquire()
            if isinstance(permit, str):
                raise ComposerFailed(permit)  # type: ignore[arg-type]
            failed: bool | None = None  # cancelled: no verdict on the endpoint
            try:
                messages = render_messages(
                    prompt, customer_turns=customer_turns, grounding=grounding, scenario=scenario, max_suggestions=self.max_suggestions
                )
                content = await self._stream(messages, started + timeout_s, timeout_s)
                failed = False
            except ComposerFailed as failure:
                failed = _endpoint_failed(failure, timeout_s)
                raise
            finally:
                self.breaker.release(permit, failed)
            drafts = usable(parse_answer(content, set(ids), self.max_suggestions), prompt, customer_turns)
        except ComposerFailed as failure:
            level = logging.INFO if failure.reason in ("circuit_open", "busy") else logging.WARNING
            log.log(level, "llm composer failed", extra={"prompt": prompt.ref, "reason": failure.reason, "circuit": self.breaker.state, "ms": _ms(started)})
            raise
        log.info("llm composer drafted", extra={"prompt": prompt.ref, "drafts": len(drafts), "chars": len(content), "ms": _ms(started)})
        return drafts

    async def _stream(self, messages: list[BaseMessage], deadline: float, timeout_s: float) -> str:
        """The streamed answer, accumulated; model errors mapped to ComposerFailed."""
        kwargs: dict[str, Any] = {}
        if self._per_call_timeout:
            kwargs["timeout"] = max(0.001, deadline - time.perf_counter())
        parts: list[str] = []
        size = 0
        finish: str | None = None
        try:
            async with asyncio.timeout(max(0.0, deadline - time.perf_counter())):
                with tracing_context(enabled=False):  # prompts carry customer text: never to LangSmith
                    async with aclosing(self.model.astream(messages, **kwargs)) as chunks:
                        async for chunk in chunks:
                            finish = chunk.response_metadata.get("finish_reason") or finish
                            parts.append(chunk.text)
                            size += len(parts[-1])
                            if size > MAX_ANSWER_CHARS:
                                raise ComposerFailed("invalid_json", f"回答超过 {MAX_ANSWER_CHARS} 个字符")
        except TimeoutError:
            raise ComposerFailed("timeout", f"{timeout_s * 1000:.0f} ms") from None
        except ComposerFailed:
            raise
        except Exception as exc:
            failure = failure_of(exc)
            if failure is None:
                raise
            raise failure from exc
        if self._per_call_timeout and finish in (None, "length"):  # a finished OpenAI-compatible stream names why it ended
            raise ComposerFailed("truncated", f"finish_reason={finish or '无'}")
        return "".join(parts)


def _ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)
