"""The 智策 path: desensitize → scenario → trigger rules → agents (extractive, then the LLM
composer when one is configured) under one deadline → compliance → rank → chart."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agents.base import AgentContext, Draft, Turn
from agents.charts import comparison_chart
from agents.retrieval import rival_and_ours
from agents.compliance import ComplianceGuard
from agents.composers.extractive import near_duplicate
from agents.composers.grounded import AgentRun, draft_with_llm
from agents.controls import Controls
from agents.registry import AgentRegistry
from agents.router import classify
from agents.rules import Signals
from agents.rules.engine import Effects, Evaluation
from knowledge.catalog import Catalog
from knowledge.desensitize import Pseudonyms
from knowledge.desensitize.cache import ConversationCache
from knowledge.store import KnowledgeStore
from prompts.library import PromptLibrary

if TYPE_CHECKING:
    from agents.composers.llm import LlmComposer

TOP = 3
CONTEXT_WINDOW = 20
RULES_SHARE = 0.1  # of the budget, at most, for the trigger rules
# Agents run in a pool of their own: an agent cut at the deadline keeps its thread
# until it returns, and must not starve desensitization or the next request.
_AGENT_THREADS = ThreadPoolExecutor(max_workers=16, thread_name_prefix="zhice-agent")


@dataclass(frozen=True)
class Suggestion:
    id: str
    scenario: str
    agent: str
    agent_version: str
    text: str  # desensitized
    confidence: float
    anchors: tuple[dict[str, str], ...]
    sources: tuple[dict[str, Any], ...]
    prompt_version: str | None = None  # the prompt (id@version) the LLM composed it with


@dataclass
class Outcome:
    scenario: str
    suggestions: list[Suggestion]
    chart: dict[str, Any] | None
    degraded: bool
    reasons: list[str]
    context: list[dict[str, str]]  # desensitized turns given to the agents
    agents: list[str]
    interventions: list[dict[str, Any]] = field(default_factory=list)
    pseudonyms: Pseudonyms = field(default_factory=Pseudonyms)
    tags: list[str] = field(default_factory=list)  # from trigger rules, shown to the rep
    rules: dict[str, Any] = field(default_factory=lambda: {"fired": [], "errors": []})
    case_libraries: list[str] = field(default_factory=list)
    llm: list[dict[str, Any]] = field(default_factory=list)  # per agent: prompt, used or why not


class SuggestPipeline:
    def __init__(
        self,
        registry: AgentRegistry,
        store: KnowledgeStore,
        catalog: Catalog,
        guard: ComplianceGuard,
        cache: ConversationCache,
        prompts: PromptLibrary,
    ) -> None:
        self._registry, self._store, self._catalog = registry, store, catalog
        self._guard, self._cache, self._prompts = guard, cache, prompts

    @property
    def agent_names(self) -> list[str]:
        return self._registry.names

    async def run(self, **request: Any) -> Outcome:
        """The whole outcome at once (see :meth:`stream` for the arguments)."""
        async for kind, value in self.stream(**request):
            if kind == "done":
                return value
        raise RuntimeError("stream ended without an outcome")

    async def stream(
        self,
        *,
        owner: str,
        conversation_id: str,
        industry: str | None,
        attributes: dict[str, Any],
        messages: Sequence[tuple[str, str]],
        agents: Sequence[str] | None,
        budget_ms: int,
        controls: Controls,
        composer: LlmComposer | None = None,
        started_at: float | None = None,
    ) -> AsyncIterator[tuple[str, Any]]:
        """Yield ("start", Outcome) once the scenario is known, ("suggestion", Suggestion)
        as each passes the guard, ("chart", dict) if there is one, then ("done", Outcome);
        all within ``budget_ms``. With a ``composer``, agents' drafts are reworded by the
        LLM from the same grounding; if it fails or runs late the extractive drafts stand.
        ``started_at`` (perf_counter) is when the request arrived: the budget counts from there."""
        deadline = (started_at or time.perf_counter()) + budget_ms / 1000
        window = list(messages)[-CONTEXT_WINDOW:]
        masked, pseudonyms = await asyncio.to_thread(self._cache.desensitize, owner, conversation_id, [text for _, text in window])
        turns = tuple(Turn(role, result.text) for (role, _), result in zip(window, masked, strict=True))
        customer_turns = [t.text for t in turns if t.role == "customer"]
        scenario = await asyncio.to_thread(classify, customer_turns, self._catalog, controls.taxonomy, self._store)
        signals = Signals(
            scenario=scenario,
            industry=industry,
            turns=len(turns),
            customer_turns=len(customer_turns),
            competitors=tuple(p.name for p in self._catalog.mentioned("\n".join(customer_turns)) if not p.ours),
            text=customer_turns[-1] if customer_turns else "",
        )
        try:  # rules get a slice of the budget: a costly rule must not eat the agents' time
            rules_timeout = max(0.0, min(RULES_SHARE * budget_ms / 1000, deadline - time.perf_counter()))
            evaluation = await asyncio.wait_for(asyncio.to_thread(controls.rule_set.evaluate, attributes, signals), rules_timeout)
        except TimeoutError:
            evaluation = Evaluation([], [("*", f"触发规则未在 {round(rules_timeout * 1000)} ms 内算完，本次未应用")], Effects())
        effects = evaluation.effects
        names = list(dict.fromkeys(agents)) if agents else [a.name for a in self._registry.for_scenario(scenario)]
        if not agents:
            names += [name for name in effects.boost_agents if name in self._registry.names and name not in names]
        chosen = [self._registry.get(name) for name in names]
        context = AgentContext(turns, scenario, industry, attributes, self._store, self._catalog, tuple(effects.retrieve_tags))
        outcome = Outcome(scenario, [], None, False, [], [{"role": t.role, "text": t.text} for t in turns], names, pseudonyms=pseudonyms)
        outcome.tags, outcome.case_libraries = list(effects.tags), list(effects.case_libraries)
        outcome.rules = {"fired": list(evaluation.fired), "errors": [{"rule": rule, "error": error} for rule, error in evaluation.errors]}
        outcome.reasons += [error for rule, error in evaluation.errors if rule == "*"]
        yield "start", outcome

        if time.perf_counter() >= deadline:  # desensitizing a long, new conversation used the whole budget
            chosen = []
            outcome.degraded = True
            outcome.reasons.append(f"对话脱敏、场景判断与触发规则已用完 {budget_ms} ms 预算，本次未运行智能体")
        conversation = f"{owner}\x00{conversation_id}"
        tasks = {
            asyncio.ensure_future(
                draft_with_llm(agent, context, _AGENT_THREADS, composer, controls.prompt_for(self._prompts, agent.name, conversation) if composer else None, deadline)
            ): agent
            for agent in chosen
        }
        pending = set(tasks)
        while pending and (remaining := deadline - time.perf_counter()) > 0:
            done, pending = await asyncio.wait(pending, timeout=remaining, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if task.exception() is not None:
                    outcome.degraded = True
                    outcome.reasons.append(f"{tasks[task].name} 出错，已跳过")
                    continue
                run: AgentRun = task.result()
                if run.llm is not None:
                    outcome.llm.append(run.llm)
                    if run.llm.get("failure"):
                        outcome.degraded = True
                        outcome.reasons.append(f"{tasks[task].name}：{run.llm['message']}已改用检索式建议")
                for suggestion in self._accept(run.drafts, outcome, controls, run.prompt_version):
                    yield "suggestion", suggestion
        for task in pending:
            outcome.degraded = True
            outcome.reasons.append(f"{tasks[task].name} 未在 {budget_ms} ms 内完成，已跳过")
        if len(outcome.suggestions) < TOP:
            outcome.reasons.append(f"证据不足：只有 {len(outcome.suggestions)} 条建议达到置信度阈值并通过合规检查")
        rival, ours = rival_and_ours(context)
        if rival and ours:
            outcome.chart = {"title": f"{ours.name} 与 {rival.name} 对比", "vega_lite": comparison_chart(ours, rival, scenario)}
            yield "chart", outcome.chart
        yield "done", outcome

    def _accept(self, drafts: list[Draft], outcome: Outcome, controls: Controls, prompt_version: str | None) -> list[Suggestion]:
        """One agent's drafts, best first, through the guard and the threshold, added to
        the outcome until it holds three; returns the ones added now."""
        kept: list[Suggestion] = []
        for draft in sorted(drafts, key=lambda d: d.confidence, reverse=True):
            if len(outcome.suggestions) + len(kept) == TOP:
                break
            enforced = self._guard.enforce(draft.text)
            if enforced.violations:
                outcome.interventions.append(
                    {"agent": draft.agent, "rules": sorted({v.rule for v in enforced.violations}), "dropped": enforced.text is None}
                )
            if enforced.text is None or draft.confidence < controls.threshold(draft.agent):
                continue
            if any(near_duplicate(enforced.text, other.text) for other in (*outcome.suggestions, *kept)):
                continue
            anchors = [
                {"id": a.id, "law": a.law, "article": a.article, "summary": a.summary, "rule": "content", "complies": "依据该条提出"}
                for a in draft.anchors
            ] + [
                {"id": t.anchor.id, "law": t.anchor.law, "article": t.anchor.article, "summary": t.anchor.summary, "rule": t.rule, "complies": t.complies}
                for t in self._guard.attestations(draft.agent)
            ]
            kept.append(
                Suggestion(
                    id=uuid.uuid4().hex,
                    scenario=outcome.scenario,
                    agent=draft.agent,
                    agent_version=self._registry.get(draft.agent).version,
                    text=enforced.text,
                    confidence=draft.confidence,
                    anchors=tuple(anchors),
                    sources=tuple({"snippet_id": s.snippet_id, "score": s.score} for s in draft.sources),
                    prompt_version=prompt_version,
                )
            )
        outcome.suggestions.extend(kept)
        return kept
