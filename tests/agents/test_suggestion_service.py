"""The suggestion service without any transport: typed events in order, the ledger written
before each event, and the summary recorded even when the caller stops listening."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from agents.base import AgentContext, Draft
from agents.compliance import get_guard
from agents.controls import build_controls
from agents.registry import AgentRegistry
from agents.suggestions import SuggestionRequest, SuggestionService, SuggestPipeline
from agents.suggestions.model import ChatMessage, CustomerRef, Done, Shown, Started
from audit import ledger
from audit.ledger import Actor
from audit.sealing import Keyring
from core.db import get_engine, read_session, upgrade
from knowledge.catalog import load_catalog
from knowledge.desensitize.cache import ConversationCache
from prompts.library import get_prompt_library

REP = Actor(key_id="rep-1", role="rep")


class TwoMoves:
    name, version, scenarios = "two_moves", "1", frozenset({"price"})

    def draft(self, context: AgentContext) -> list[Draft]:
        return [Draft(self.name, "理解您的顾虑，付款可以拆成几期。", 0.9), Draft(self.name, "我把总拥有成本算一笔账发您。", 0.8)]


def _service(tmp_path: Path, desensitizer) -> tuple[SuggestionService, object]:
    engine = get_engine(f"sqlite:///{tmp_path / 'zhice.db'}")
    upgrade(engine)
    pipeline = SuggestPipeline(AgentRegistry([TwoMoves()]), None, load_catalog(), get_guard(), ConversationCache(desensitizer), get_prompt_library())
    return SuggestionService(pipeline, engine, desensitizer, "s" * 32, lambda: build_controls({}), keyring=Keyring("m" * 32)), engine


def _request(text: str = "王总说太贵了，13800138000 找他") -> SuggestionRequest:
    return SuggestionRequest(REP, "conv-1", CustomerRef("cust-1"), (ChatMessage("customer", text),), time.perf_counter(), 2000)


def _kinds(engine) -> list[str]:
    with read_session(engine) as session:
        return [event.kind for event in ledger.events(session)]


def test_when_a_caller_listens_to_the_end_then_events_come_in_order_each_already_in_the_ledger(tmp_path: Path, desensitizer) -> None:
    service, engine = _service(tmp_path, desensitizer)

    async def run() -> list:
        events = []
        async for event in service.stream(_request()):
            if isinstance(event, Shown):  # written before the caller sees it
                with read_session(engine) as session:
                    assert ledger.find(session, "suggestion.shown", suggestion_id=event.suggestion.id)
            events.append(event)
        return events

    events = asyncio.run(run())
    assert [type(e) for e in events] == [Started, Shown, Shown, Done]
    assert events[-1].suggestions == [e.suggestion for e in events[1:3]]
    assert _kinds(engine) == ["suggestion.shown", "suggestion.shown", "suggest.response"]
    with read_session(engine) as session:
        response = ledger.LedgerEventPublic.of(ledger.find(session, "suggest.response")[0]).payload
    assert "13800138000" not in str(response) and "conv-1" not in str(response) and "cust-1" not in str(response)


def test_when_the_caller_leaves_after_the_start_then_the_summary_is_still_recorded_with_nothing_shown(tmp_path: Path, desensitizer) -> None:
    service, engine = _service(tmp_path, desensitizer)

    async def leave_early() -> None:
        events = service.stream(_request())
        assert isinstance(await anext(events), Started)
        await events.aclose()
        for _ in range(200):  # the producer goes on apart from the caller
            if "suggest.response" in _kinds(engine):
                return
            await asyncio.sleep(0.02)

    asyncio.run(leave_early())
    assert _kinds(engine) == ["suggest.response"]
    with read_session(engine) as session:
        response = ledger.LedgerEventPublic.of(ledger.find(session, "suggest.response")[0]).payload
    assert response["suggestions"] == [] and any("断开" in note for note in response["notes"])


def test_when_the_path_fails_after_a_suggestion_was_shown_then_a_degraded_summary_is_still_recorded(tmp_path: Path, desensitizer, monkeypatch) -> None:
    service, engine = _service(tmp_path, desensitizer)

    def broken_chart(self, context):
        raise RuntimeError("a bug in the chart step")

    monkeypatch.setattr(SuggestPipeline, "_chart", broken_chart)
    done = asyncio.run(service.answer(_request()))
    assert done.degraded and any("内部错误" in note for note in done.notes)
    with read_session(engine) as session:
        shown = [e.suggestion_id for e in ledger.find(session, "suggestion.shown")]
        response = ledger.LedgerEventPublic.of(ledger.find(session, "suggest.response")[0]).payload
    assert shown and response["suggestions"] == shown == [s.id for s in done.suggestions] and response["degraded"]
