"""The pipeline's deadline: a slow agent is cut, the rest still answers, the response says so."""

from __future__ import annotations

import asyncio
import time

from agents.base import AgentContext, Draft, Source
from agents.compliance import get_guard
from agents.controls import Controls, build_controls
from agents.registry import AgentRegistry
from agents.suggestions import SuggestionRequest, SuggestPipeline
from agents.suggestions.model import ChatMessage, CustomerRef
from audit.ledger import Actor
from knowledge.catalog import load_catalog
from knowledge.desensitize.cache import ConversationCache
from prompts.library import get_prompt_library


class QuickAgent:
    name, version, scenarios = "quick", "1", frozenset({"price"})

    def draft(self, context: AgentContext) -> list[Draft]:
        texts = ["理解您的顾虑，可以分期付款。", "我把总拥有成本算一笔账发您。", "可以先试用一段时间再决定。"]
        return [Draft(self.name, text, 0.9 - n / 10) for n, text in enumerate(texts)]


class SlowAgent:
    name, version, scenarios = "slow", "1", frozenset({"price"})

    def draft(self, context: AgentContext) -> list[Draft]:
        time.sleep(1.5)
        return [Draft(self.name, "来得太晚的建议", 0.99)]


class BoastfulAgent:
    name, version, scenarios = "boastful", "1", frozenset({"price"})

    def draft(self, context: AgentContext) -> list[Draft]:
        return [Draft(self.name, "我们是行业第一，稳赚不赔。", 0.95), Draft(self.name, "这是最好的方案。", 0.94)]


def _pipeline(desensitizer, *agents) -> SuggestPipeline:
    return SuggestPipeline(
        AgentRegistry(list(agents)), store=None, catalog=load_catalog(), guard=get_guard(), cache=ConversationCache(desensitizer), prompts=get_prompt_library()
    )


def _run(pipeline: SuggestPipeline, budget_ms: int, controls: Controls | None = None, attributes: dict | None = None):
    """The outcome and how long the pipeline took (asyncio.run itself then waits for stray threads)."""

    async def timed():
        started = time.perf_counter()
        request = SuggestionRequest(
            owner=Actor(key_id="k", role="rep"),
            conversation_id="c",
            customer=CustomerRef("c1", None, attributes or {}),
            messages=(ChatMessage("customer", "太贵了"),),
            arrived_at=started,
            budget_ms=budget_ms,
        )
        outcome = await pipeline.run(request, controls or build_controls({}))
        return outcome, time.perf_counter() - started

    return asyncio.run(timed())


def test_when_an_agent_misses_the_deadline_then_it_is_dropped_and_the_response_is_degraded(desensitizer) -> None:
    _run(_pipeline(desensitizer, QuickAgent()), budget_ms=2000)  # cold start (first LAC and CEL runs) is not what this test is about
    outcome, seconds = _run(_pipeline(desensitizer, QuickAgent(), SlowAgent()), budget_ms=300)
    assert seconds < 1.2  # the slow agent needs 1.5 s: still cut, with room for a busy CI box
    assert outcome.degraded and any("slow" in note for note in outcome.reasons)
    assert [s.agent for s in outcome.suggestions] == ["quick", "quick", "quick"]


def test_when_drafts_break_rules_then_they_are_repaired_or_dropped_and_recorded(desensitizer) -> None:
    outcome, _ = _run(_pipeline(desensitizer, BoastfulAgent()), budget_ms=800)
    assert [s.text for s in outcome.suggestions] == ["这是更合适的方案。"]
    assert {tuple(i["rules"]) for i in outcome.interventions} == {("guaranteed-return", "ranking-claim"), ("superlative",)}
    assert any("证据不足" in note for note in outcome.reasons)


def test_when_trigger_rules_are_too_costly_then_they_are_skipped_within_the_budget(desensitizer) -> None:
    costly = {"id": "costly", "description": "嵌套推导", "condition": "customer.attributes.xs.exists(a, customer.attributes.xs.exists(b, a + b < 0))", "action": {"tags": ["never"]}}
    outcome, seconds = _run(_pipeline(desensitizer), budget_ms=400, controls=build_controls({}, rules=[costly]), attributes={"xs": list(range(50))})
    assert seconds < 0.6 and outcome.rules["fired"] == []
    assert any("触发规则未在" in note for note in outcome.reasons)


def test_when_moves_fit_then_a_won_deals_reply_only_fills_what_is_left() -> None:
    from agents.suggestions.pipeline import _ranked

    moves = [Draft("a", f"打法{n}", 0.6 - n / 100, move=f"price.m{n}") for n in range(3)]
    retrieved = [Draft("a", "赢单回复", 0.9, sources=(Source("snippet-1", 0.9),))]
    assert [d.text for d in _ranked(moves + retrieved)] == ["打法0", "打法1", "打法2", "赢单回复"]
    assert [d.text for d in _ranked(moves[:2] + retrieved)][2] == "赢单回复"  # two moves fit: the won deal's reply is the third


def test_when_a_trigger_rule_asked_for_a_won_deal_then_it_takes_second_place() -> None:
    from agents.suggestions.pipeline import _ranked

    moves = [Draft("a", f"打法{n}", 0.6 - n / 100, move=f"price.m{n}") for n in range(3)]
    asked = Draft("a", "规则要的赢单回复", 0.5, sources=(Source("snippet-2", 0.5),), asked_for=True)
    assert [d.text for d in _ranked([*moves, asked])][:3] == ["打法0", "规则要的赢单回复", "打法1"]


def test_when_a_model_draft_and_high_value_won_deals_compete_then_each_has_its_place() -> None:
    from agents.suggestions.pipeline import _ranked

    moves = [Draft("a", f"打法{n}", 0.9 - n / 100, move=f"price.m{n}") for n in range(3)]
    model = Draft("a", "模型写的", 0.55, prompt_version="script@1")
    vetted = Draft("a", "高价值赢单", 0.95, sources=(Source("snippet-3", 0.95),), high_value=True)
    assert [d.text for d in _ranked([*moves, model, vetted])][:3] == ["高价值赢单", "模型写的", "打法0"]
