"""The suggestion service: the one way in to the 智策 path, for the API, the demo simulation
and the benchmarks alike.

:meth:`SuggestionService.stream` runs the pipeline apart from its caller and yields typed
events; each suggestion is in the ledger before it is yielded, and the request's summary
always is, also when the caller stops listening half-way (a rep who closes the sidebar):
suggestions that never reached the caller are not counted as shown.
:meth:`SuggestionService.act` holds the rules for a rep's action, and
:meth:`SuggestionService.chart_svg` the rule for who may see a chart.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rapidfuzz.distance import Levenshtein
from sqlalchemy import Engine

from agents.charts import render_svg
from agents.controls import Controls
from agents.suggestions.model import (
    ActionRequest,
    ActionPublic,
    AnchorPublic,
    CheckedPublic,
    ChartReady,
    ChartPublic,
    Done,
    Shown,
    Started,
    SuggestEvent,
    SuggestionRequest,
    SuggestionPublic,
)
from agents.suggestions.admission import Admission
from agents.suggestions.allowance import TextAllowance
from agents.suggestions.pipeline import (
    Accepted,
    Charted,
    Finished,
    Outcome,
    ScenarioKnown,
    Suggestion,
    SuggestPipeline,
)
from audit import events, ledger
from audit.ledger import Actor
from audit.sealing import ERASED, UNREADABLE, Keyring
from core.db import read_session, write_session
from core.errors import Conflict, NotFound, TooManyRequests, Unprocessable
from core.hashing import pseudonym
from core.metrics import Metrics
from knowledge.desensitize import Desensitizer, Pseudonyms

if TYPE_CHECKING:
    from agents.composers.llm import LlmComposer

log = logging.getLogger("zhice.suggest")


@dataclass
class _Delivery:
    """Whether the caller still listens, and which suggestions it received."""

    connected: bool = True
    shown: list[str] = field(default_factory=list)


class SuggestionService:
    """Suggestions, the rep's actions on them, and their charts; every step in the ledger."""

    def __init__(
        self,
        pipeline: SuggestPipeline,
        engine: Engine,
        desensitizer: Desensitizer,
        secret: str,
        controls: Callable[[], Controls],
        composer: LlmComposer | None = None,
        admission: Admission | None = None,
        metrics: Metrics | None = None,
        allowance: TextAllowance | None = None,
        *,
        keyring: Keyring,
    ) -> None:
        self._pipeline, self._engine, self._desensitizer = pipeline, engine, desensitizer
        self._keyring = keyring
        self._secret, self._controls, self._composer = secret, controls, composer
        self._admission = admission or Admission(in_flight=64, per_key=64, queue_ms=60_000)
        self._metrics = metrics or Metrics()
        self._allowance = allowance
        self._draining: set[asyncio.Task] = set()  # keeps producers alive until they finish

    @property
    def agent_names(self) -> list[str]:
        return self._pipeline.agent_names

    async def stream(self, request: SuggestionRequest) -> AsyncIterator[SuggestEvent]:
        """``Started``, ``Shown`` per suggestion, ``ChartReady``, ``Done``. A bad request raises
        before the first event, as does one refused by the admission limits
        (TooManyRequests, Overloaded); a failure inside the path is logged and ends the
        stream without ``Done``."""
        unknown = sorted(set(request.agents or ()) - set(self.agent_names))
        if unknown:
            raise Unprocessable(f"未知的智能体 {', '.join(unknown)}：可选 {', '.join(self.agent_names)}。")
        key = request.owner.key_id or ""
        if self._allowance is not None:
            try:
                self._allowance.take(key, self._pipeline.window_chars(request))
            except TooManyRequests:
                self._metrics.shed.labels("text_volume").inc()
                raise
        release = await self._admission.enter(key, request.arrived_at, request.budget_ms)
        request_id = uuid.uuid4().hex  # names the chart and the ledger events
        delivery = _Delivery()
        queue: asyncio.Queue[SuggestEvent | None] = asyncio.Queue()
        task = asyncio.get_running_loop().create_task(self._produce(request, request_id, delivery, queue, release))
        self._draining.add(task)
        task.add_done_callback(self._draining.discard)
        try:
            while (event := await queue.get()) is not None:
                yield event
        finally:
            delivery.connected = False  # from here on, nothing more reaches this caller

    async def answer(self, request: SuggestionRequest) -> Done:
        """The whole answer at once."""
        async with aclosing(self.stream(request)) as events:
            async for event in events:
                if isinstance(event, Done):
                    return event
        raise RuntimeError("the suggest path ended without an outcome (see the log)")

    async def _produce(
        self, request: SuggestionRequest, request_id: str, delivery: _Delivery, queue: asyncio.Queue, release: Callable[[], None]
    ) -> None:
        """Runs apart from the caller, so a caller that leaves cannot cut the ledger short.
        The request's admission place is given back once the summary is recorded, before
        the caller hears ``Done`` (so its next request finds the place free)."""
        try:
            async for event in self._events(request, request_id, delivery):
                if isinstance(event, Done):
                    release()
                if delivery.connected:
                    queue.put_nowait(event)
        except Exception:
            log.exception("suggest path failed")
        finally:
            release()  # idempotent
            queue.put_nowait(None)

    async def _events(self, request: SuggestionRequest, request_id: str, delivery: _Delivery) -> AsyncIterator[SuggestEvent]:
        """The pipeline's stages as events, each recorded first. A failure inside the path
        still ends in a recorded, degraded summary and ``Done`` with what was shown."""
        outcome: Outcome | None = None
        try:
            controls = await asyncio.to_thread(self._controls)
            async for stage in self._pipeline.stream(request, controls, self._composer):
                latency_ms = _latency(request)
                match stage:
                    case ScenarioKnown():
                        outcome = stage.outcome
                        yield Started(request_id=request_id, scenario=outcome.scenario, latency_ms=latency_ms)
                    case Accepted(suggestion=suggestion) if delivery.connected:
                        await asyncio.to_thread(self._record_shown, request, request_id, suggestion, outcome.fingerprints, latency_ms)
                        delivery.shown.append(suggestion.id)  # recorded as shown: the summary agrees with the ledger
                        yield Shown(request_id=request_id, suggestion=_view(suggestion, outcome.pseudonyms), latency_ms=latency_ms)
                    case Charted(chart=chart):
                        yield ChartReady(request_id=request_id, chart=_chart_view(request_id, chart), latency_ms=latency_ms)
                    case Finished():
                        outcome = stage.outcome
        except Exception:
            log.exception("suggest path failed; the summary records what was shown")
            outcome = outcome or Outcome("other", [], None, [], (), [])
            outcome.suggestions = [s for s in outcome.suggestions if s.id in delivery.shown]
            outcome.degrade("internal_error", "内部错误：本次建议未能完整生成，已记录已展示的部分")
        if not delivery.connected:
            outcome.reasons.append("客户端在接收途中断开：未送达的建议未计入展示")
        latency_ms = _latency(request)
        await asyncio.to_thread(self._record_response, request, request_id, outcome, delivery.shown, latency_ms)
        self._observe(outcome)
        yield _done(request_id, outcome, latency_ms)

    def _observe(self, outcome: Outcome) -> None:
        """The answer in the metrics: degraded or not and why, each agent's time, the model's outcome."""
        metrics = self._metrics
        metrics.suggest_answers.labels(str(outcome.degraded).lower()).inc()
        for slug in dict.fromkeys(outcome.degraded_by):
            metrics.degraded.labels(slug).inc()
        for agent, ms in outcome.agent_ms.items():
            metrics.agent_seconds.labels(agent).observe(ms / 1000)
        for run in outcome.llm:
            metrics.llm_calls.labels(run.get("failure") or "ok").inc()

    def _append(self, request: SuggestionRequest, payload: events.LedgerPayload, fingerprints: tuple[str, ...], **ids: str) -> None:
        """One event into the ledger, its conversation text sealed under the conversation's
        key (to which ``fingerprints`` point), its append time measured."""
        started = time.perf_counter()
        with write_session(self._engine) as session:
            sealer = self._keyring.sealer(session, self._conversation(request), fingerprints)
            ledger.append(session, payload, actor=request.owner, sealer=sealer, **ids)
        self._metrics.ledger_seconds.observe(time.perf_counter() - started)

    async def drain(self, timeout_s: float = 5.0) -> None:
        """Wait (a bounded time) for answers still being produced, so their summaries land."""
        if self._draining:
            await asyncio.wait(set(self._draining), timeout=timeout_s)

    def _conversation(self, request: SuggestionRequest) -> str:
        return pseudonym(self._secret, request.conversation_id, "conversation")

    def _record_shown(
        self, request: SuggestionRequest, request_id: str, suggestion: Suggestion, fingerprints: tuple[str, ...], latency_ms: int
    ) -> None:
        """A suggestion goes into the ledger, desensitized, before the rep sees it."""
        shown = events.SuggestionShown(
            scenario=suggestion.scenario,
            agent=suggestion.agent,
            agent_version=suggestion.agent_version,
            prompt_version=suggestion.prompt_version,  # null: extractive
            move=suggestion.move,
            composer=suggestion.composer,
            text=suggestion.text,
            confidence=suggestion.confidence,
            sources=[events.SourceRef(**source) for source in suggestion.sources],
            anchors=[anchor["id"] for anchor in suggestion.anchors],
            latency_ms=latency_ms,
        )
        self._append(request, shown, fingerprints, request_id=request_id, suggestion_id=suggestion.id)

    def _record_response(self, request: SuggestionRequest, request_id: str, outcome: Outcome, shown: list[str], latency_ms: int) -> None:
        """The request's summary: context (desensitized), chart, interventions, latency."""
        response = events.SuggestSummary(
            conversation=self._conversation(request),
            customer=pseudonym(self._secret, request.customer.id, "customer"),
            industry=request.customer.industry,
            product_line=outcome.resolved.line_key,
            scenario=outcome.scenario,
            agents=outcome.agents,
            context=[events.ContextTurn(role=turn.role, text=turn.text) for turn in outcome.context],
            suggestions=shown,
            interventions=[events.Intervention(**intervention) for intervention in outcome.interventions],
            chart=events.Chart(**outcome.chart) if outcome.chart else None,
            degraded=outcome.degraded,
            notes=outcome.reasons,
            rules=events.RulesRun.model_validate(outcome.rules),
            tags=outcome.tags,
            llm=[events.LlmRun.model_validate(run) for run in outcome.llm],
            latency_ms=latency_ms,
        )
        self._append(request, response, outcome.fingerprints, request_id=request_id)

    def act(self, actor: Actor, suggestion_id: str, command: ActionRequest) -> ActionPublic:
        """Record what the rep did with one of their suggestions; once per suggestion.
        The final text (only when edited) and the reason are stored desensitized and
        sealed under the conversation's key, like the suggestion."""
        final = self._desensitizer.desensitize(command.final_text) if command.final_text else None
        reason = self._desensitizer.desensitize(command.reason) if command.reason else None
        with read_session(self._engine) as session:
            shown = ledger.find(session, "suggestion.shown", suggestion_id=suggestion_id)
            if not shown or shown[0].actor_key_id != actor.key_id:
                raise NotFound(f"没有编号为 {suggestion_id} 的建议（或它不属于你）：请使用 /v1/suggest 返回的建议 id。")
            stored = events.parse(shown[0].kind, shown[0].payload)
            suggested = self._keyring.opener(session).open(stored.text)
            conversation = self._keyring.conversation_of(session, stored.text) or f"request:{shown[0].request_id}"
        readable = suggested not in (ERASED, UNREADABLE)  # an erased conversation: no distance to measure
        distance = Levenshtein.distance(suggested, final.text) if final is not None and readable else None
        if distance == 0:
            raise Unprocessable("final_text 与建议完全相同：请把 action 记为 adopted。")
        prints = tuple(p for masked in (final, reason) if masked is not None for p in masked.fingerprints)
        with write_session(self._engine) as session:
            if ledger.find(session, "suggestion.action", suggestion_id=suggestion_id):
                raise Conflict("这条建议已经记录过操作；每条建议只记录一次。")
            recorded = events.SuggestionAction(
                action=command.action, final_text=final and final.text, edit_distance=distance, reason=reason and reason.text
            )
            sealer = self._keyring.sealer(session, conversation, prints)
            event = ledger.append(session, recorded, actor=actor, request_id=shown[0].request_id, suggestion_id=suggestion_id, sealer=sealer)
            return ActionPublic(event_id=event.seq, suggestion_id=suggestion_id, action=command.action, edit_distance=distance)

    async def chart_svg(self, caller: Actor, chart_id: str) -> str:
        """A response's chart rendered offline; a rep sees only their own."""
        with read_session(self._engine) as session:
            found = ledger.find(session, "suggest.response", request_id=chart_id)
        mine = found and (caller.role != "rep" or found[0].actor_key_id == caller.key_id)
        chart = events.parse(found[0].kind, found[0].payload).chart if mine else None
        if chart is None:
            raise NotFound(f"没有编号为 {chart_id} 的图表：请使用 /v1/suggest 返回的 chart.svg_url。")
        return await asyncio.to_thread(render_svg, chart.vega_lite)


def _latency(request: SuggestionRequest) -> int:
    return round((time.perf_counter() - request.arrived_at) * 1000)


def _view(suggestion: Suggestion, pseudonyms: Pseudonyms) -> SuggestionPublic:
    """The rep's view: the conversation's own values back in place of placeholders."""
    return SuggestionPublic(
        id=suggestion.id,
        agent=suggestion.agent,
        text=pseudonyms.reidentify(suggestion.text),
        confidence=suggestion.confidence,
        legal_anchors=[AnchorPublic(**a) for a in suggestion.anchors],
        checked=[CheckedPublic(**c) for c in suggestion.checked],
        sources=list(suggestion.sources),
        move=suggestion.move,
        composer=suggestion.composer,
        rep_note=suggestion.rep_note,
    )


def _chart_view(request_id: str, chart: dict) -> ChartPublic:
    return ChartPublic(id=request_id, svg_url=f"/v1/charts/{request_id}.svg", **chart)


def _done(request_id: str, outcome: Outcome, latency_ms: int) -> Done:
    return Done(
        request_id=request_id,
        scenario=outcome.scenario,
        intents=list(outcome.intents),
        suggestions=[_view(s, outcome.pseudonyms) for s in outcome.suggestions],
        chart=_chart_view(request_id, outcome.chart) if outcome.chart else None,
        latency_ms=latency_ms,
        degraded=outcome.degraded,
        notes=outcome.reasons,
        tags=outcome.tags,
        rules_fired=outcome.rules["fired"],
        case_libraries=outcome.case_libraries,
        industry=outcome.resolved.industry.key if outcome.resolved.industry else None,
        product_line=outcome.resolved.line_key,
    )
