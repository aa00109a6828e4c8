"""The 智策 path, as named steps: desensitize → scenario → trigger rules → agents (extractive,
then the LLM composer when one is configured) under one deadline → compliance → rank → chart.

It yields :data:`Stage` values; :mod:`agents.suggestions.service` records them in the
ledger and turns them into the rep's events."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agents.base import Agent, AgentContext, Draft, Turn
from agents.calibration import Calibration, kind_of, load_calibration
from agents.charts import comparison_chart
from agents.retrieval import rival_and_ours
from agents.compliance import ComplianceGuard, Enforced
from agents.compliance.topics import TopicDetector, get_topics
from agents.composers.extractive import near_duplicate
from agents.composers.grounded import AgentRun, draft_with_llm
from agents.controls import Controls
from agents.grounding import check, grounding_for
from agents.playbook import rules_out_chart
from agents.registry import AgentRegistry
from agents.router import intents_of, scenario_odds, unanswered
from agents.scenario_model import load_scenario_model
from agents.rules import Signals
from agents.rules.engine import Effects, Evaluation
from knowledge.anchors import LegalAnchor
from knowledge.catalog import Catalog
from knowledge.desensitize import Pseudonyms
from knowledge.desensitize.cache import ConversationCache
from knowledge.lines import Lines, Resolved, load_lines, resolve
from knowledge.specifics import Grounding
from knowledge.store import KnowledgeStore
from agents.suggestions.model import SuggestionRequest
from agents.suggestions.window import recent_window
from core.desensitized import DesensitizedText
from prompts.library import PromptLibrary

if TYPE_CHECKING:
    from agents.composers.llm import LlmComposer

TOP = 3
RULES_SHARE = 0.1  # of the budget, at most, for the trigger rules
TAIL_S = 0.1  # kept back from the agents for the last checks, the ledger and the response (at most an eighth of the budget)
CHART_SCENARIOS = frozenset({"price", "competitor"})
COMPARE_CUES = ("对比", "比较", "比一比", "哪个好", "区别")
# Agents run in a pool of their own: an agent cut at the deadline keeps its thread
# until it returns, and must not starve desensitization or the next request.
_AGENT_THREADS = ThreadPoolExecutor(max_workers=16, thread_name_prefix="zhice-agent")


@dataclass(frozen=True)
class Suggestion:
    id: str
    scenario: str
    agent: str
    agent_version: str
    text: DesensitizedText  # what the rep may send, with the conversation's placeholders
    confidence: float
    anchors: tuple[dict[str, str], ...]  # the provisions its content touches, each with why it complies
    sources: tuple[dict[str, Any], ...]
    checked: tuple[dict[str, Any], ...] = ()  # the guard's rules it passed, with their anchors
    prompt_version: str | None = None  # the prompt (id@version) the LLM composed it with
    composer: str = "retrieved"  # who wrote it (agents.base.Draft.composer)
    move: str | None = None  # the playbook move it makes, when it comes from one
    rep_note: str | None = None  # for the rep only, never sent


@dataclass
class Outcome:
    scenario: str
    suggestions: list[Suggestion]
    chart: dict[str, Any] | None
    reasons: list[str]
    context: tuple[Turn, ...]  # the desensitized turns given to the agents
    agents: list[str]
    interventions: list[dict[str, Any]] = field(default_factory=list)
    pseudonyms: Pseudonyms = field(default_factory=Pseudonyms)
    tags: list[str] = field(default_factory=list)  # from trigger rules, shown to the rep
    rules: dict[str, Any] = field(default_factory=lambda: {"fired": [], "errors": []})
    case_libraries: list[str] = field(default_factory=list)
    llm: list[dict[str, Any]] = field(default_factory=list)  # per agent: prompt, used or why not
    resolved: Resolved = field(default_factory=lambda: Resolved(None, None, None))  # product line and customer industry
    intents: tuple[str, ...] = ()  # every scenario the customer's turns carry, the main one first
    degraded_by: list[str] = field(default_factory=list)  # why it is not the full path, as slugs (for metrics)
    agent_ms: dict[str, int] = field(default_factory=dict)  # how long each agent that returned (or ran late) took
    fingerprints: tuple[str, ...] = ()  # erasure fingerprints of the values in the context: they point at its ledger key

    @property
    def degraded(self) -> bool:
        """Whether the answer is not the full path (see :attr:`degraded_by`)."""
        return bool(self.degraded_by)

    def degrade(self, slug: str, note: str) -> None:
        """Mark the answer as not the full path: ``slug`` for metrics, ``note`` for the rep."""
        self.degraded_by.append(slug)
        self.reasons.append(note)


@dataclass(frozen=True)
class ScenarioKnown:
    outcome: Outcome  # filled in as the agents answer


@dataclass(frozen=True)
class Accepted:
    suggestion: Suggestion


@dataclass(frozen=True)
class Charted:
    chart: dict[str, Any]  # {"title", "vega_lite"}


@dataclass(frozen=True)
class Finished:
    outcome: Outcome


Stage = ScenarioKnown | Accepted | Charted | Finished


class SuggestPipeline:
    """The agents and what they draw on, composed once; one :meth:`stream` per press of 智策."""

    def __init__(
        self,
        registry: AgentRegistry,
        store: KnowledgeStore,
        catalog: Catalog,
        guard: ComplianceGuard,
        cache: ConversationCache,
        prompts: PromptLibrary,
        lines: Lines | None = None,
        calibration: Calibration | None = None,
        topics: TopicDetector | None = None,
        context_chars: int = 2000,
    ) -> None:
        self._registry, self._store, self._catalog = registry, store, catalog
        self._guard, self._cache, self._prompts = guard, cache, prompts
        self._lines = lines or load_lines()
        self._context_chars = context_chars
        self._topics = topics or get_topics()
        self._calibration = calibration or load_calibration()  # None when no calibration was fitted
        self._scenario_model = load_scenario_model()  # read and checked once, at start: a broken file fails here, not per request

    @property
    def agent_names(self) -> list[str]:
        return self._registry.names

    async def run(self, request: SuggestionRequest, controls: Controls, composer: LlmComposer | None = None) -> Outcome:
        """The whole outcome at once (see :meth:`stream`)."""
        async for stage in self.stream(request, controls, composer):
            if isinstance(stage, Finished):
                return stage.outcome
        raise RuntimeError("stream ended without an outcome")

    async def stream(self, request: SuggestionRequest, controls: Controls, composer: LlmComposer | None = None) -> AsyncIterator[Stage]:
        """Yield :class:`ScenarioKnown` once the scenario is known, :class:`Accepted` as each
        suggestion passes the guard, :class:`Charted` if there is a chart, then :class:`Finished`;
        all within the request's budget, counted from its arrival. With a ``composer``, agents'
        drafts are joined by the LLM's from the same grounding; if it fails or runs late the
        extractive drafts stand alone."""
        # the agents stop a little before the deadline: what follows them (the checks of the
        # last drafts, the ledger, the response) must fit in the budget too, also under load
        deadline = request.arrived_at + request.budget_ms / 1000 - min(TAIL_S, request.budget_ms / 1000 / 8)
        turns, pseudonyms, fingerprints = await self._desensitize(request)
        customer_turns = [t.text for t in turns if t.role == "customer"]
        odds = await asyncio.to_thread(scenario_odds, customer_turns, self._catalog, controls.taxonomy, unanswered([t.role for t in turns]), self._scenario_model)
        scenario, intents = next(iter(odds), "other"), intents_of(odds)
        evaluation = await self._trigger_rules(request, turns, scenario, controls, deadline)
        names = self._agent_names(request, scenario, evaluation.effects)
        customer = request.customer
        resolved = resolve(self._lines, self._catalog, customer.industry, customer.attributes, "\n".join(t.text for t in turns))
        context = AgentContext(
            turns, scenario, resolved.line_key, customer.attributes, self._store, self._catalog, tuple(evaluation.effects.retrieve_tags),
            customer_industry=resolved.industry.key if resolved.industry else None,
            playbook=controls.playbook,
            intents=intents,
            industry_label=customer.industry,
        )
        outcome = Outcome(scenario, [], None, [], turns, names, pseudonyms=pseudonyms, resolved=resolved, intents=intents, fingerprints=fingerprints)
        if resolved.product_line is None:
            outcome.reasons.append("未能确定在谈的产品线：建议只用通用说法，不引用具体产品的数据")
        outcome.tags, outcome.case_libraries = list(evaluation.effects.tags), list(evaluation.effects.case_libraries)
        outcome.rules = {"fired": list(evaluation.fired), "errors": [{"rule": rule, "error": error} for rule, error in evaluation.errors]}
        outcome.reasons += [error for rule, error in evaluation.errors if rule == "*"]
        yield ScenarioKnown(outcome)

        chosen = [self._registry.get(name) for name in names]
        if time.perf_counter() >= deadline:  # desensitizing a long, new conversation used the whole budget
            chosen = []
            outcome.degrade("budget_spent_before_agents", f"对话脱敏、场景判断与触发规则已用完 {request.budget_ms} ms 预算，本次未运行智能体")
        async for suggestion in self._run_agents(chosen, context, request, controls, composer, deadline, outcome):
            yield Accepted(suggestion)
        if len(outcome.suggestions) < TOP:
            outcome.reasons.append(f"证据不足：只有 {len(outcome.suggestions)} 条建议达到置信度阈值并通过合规检查")
        leading = outcome.suggestions[0].move if outcome.suggestions else None
        outcome.chart = None if rules_out_chart(leading, controls.playbook) else self._chart(context)
        if outcome.chart is not None:
            yield Charted(outcome.chart)
        yield Finished(outcome)

    def window_chars(self, request: SuggestionRequest) -> int:
        """How many characters of the conversation this request would read (its cost)."""
        return sum(len(m.text) for m in recent_window(request.messages, self._context_chars))

    async def _desensitize(self, request: SuggestionRequest) -> tuple[tuple[Turn, ...], Pseudonyms, tuple[str, ...]]:
        """The recent window (agents.suggestions.window), desensitized (placeholders numbered per
        conversation), and the erasure fingerprints of the values it held."""
        window = recent_window(request.messages, self._context_chars)
        masked, pseudonyms = await asyncio.to_thread(
            self._cache.desensitize, request.owner.key_id or "", request.conversation_id, [m.text for m in window]
        )
        turns = tuple(Turn(m.role, result.text) for m, result in zip(window, masked, strict=True))
        return turns, pseudonyms, tuple(dict.fromkeys(p for result in masked for p in result.fingerprints))

    async def _trigger_rules(self, request: SuggestionRequest, turns: tuple[Turn, ...], scenario: str, controls: Controls, deadline: float) -> Evaluation:
        """The trigger rules, within their slice of the budget: a costly rule must not eat the agents' time."""
        customer_turns = [t.text for t in turns if t.role == "customer"]
        signals = Signals(
            scenario=scenario,
            industry=request.customer.industry,
            turns=len(turns),
            customer_turns=len(customer_turns),
            competitors=tuple(p.name for p in self._catalog.mentioned("\n".join(customer_turns)) if not p.ours),
            text=customer_turns[-1] if customer_turns else "",
        )
        timeout = max(0.0, min(RULES_SHARE * request.budget_ms / 1000, deadline - time.perf_counter()))
        try:
            return await asyncio.wait_for(asyncio.to_thread(controls.rule_set.evaluate, request.customer.attributes, signals), timeout)
        except TimeoutError:
            return Evaluation([], [("*", f"触发规则未在 {round(timeout * 1000)} ms 内算完，本次未应用")], Effects())

    def _agent_names(self, request: SuggestionRequest, scenario: str, effects: Effects) -> list[str]:
        """The agents asked for, else the scenario's, plus those the trigger rules add."""
        if request.agents:
            return list(dict.fromkeys(request.agents))
        names = [a.name for a in self._registry.for_scenario(scenario)]
        return names + [name for name in effects.boost_agents if name in self._registry.names and name not in names]

    async def _run_agents(
        self, chosen: list[Agent], context: AgentContext, request: SuggestionRequest, controls: Controls, composer: LlmComposer | None, deadline: float, outcome: Outcome
    ) -> AsyncIterator[Suggestion]:
        """The agents concurrently; each one's drafts through the checks as soon as it returns."""
        grounding = grounding_for(context, self._lines)
        conversation = f"{request.owner.key_id}\x00{request.conversation_id}"
        tasks = {
            asyncio.ensure_future(
                draft_with_llm(
                    agent, context, _AGENT_THREADS, composer, controls.prompt_for(self._prompts, agent.name, conversation) if composer else None, deadline, self._topics
                )
            ): agent
            for agent in chosen
        }
        pending = set(tasks)
        started = time.perf_counter()
        while pending and (remaining := deadline - time.perf_counter()) > 0:
            done, pending = await asyncio.wait(pending, timeout=remaining, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                outcome.agent_ms[tasks[task].name] = round((time.perf_counter() - started) * 1000)
                if task.exception() is not None:
                    outcome.degrade("agent_error", f"{tasks[task].name} 出错，已跳过")
                    continue
                run: AgentRun = task.result()
                if run.llm is not None:
                    outcome.llm.append(run.llm)
                    if run.llm.get("failure"):
                        outcome.degrade("llm_failed", f"{tasks[task].name}：{run.llm['message']}已改用检索式建议")
                # guard, grounding and re-desensitization are CPU work: off the event loop
                for suggestion in await asyncio.to_thread(self._accept, run.drafts, outcome, controls, grounding):
                    yield suggestion
        for task in pending:
            outcome.agent_ms[tasks[task].name] = round((time.perf_counter() - started) * 1000)  # at least this long
            outcome.degrade("agent_late", f"{tasks[task].name} 未在 {request.budget_ms} ms 内完成，已跳过")

    def _chart(self, context: AgentContext) -> dict[str, Any] | None:
        """One comparison chart from the catalog, only where a comparison helps: price or
        competitor talk (the main intent or another one), or a customer asking to compare.
        Against the rival someone named; in price talk with none named, against the line's
        usual alternative."""
        if not CHART_SCENARIOS & set(context.intents) and not any(cue in turn for turn in context.customer_turns[-2:] for cue in COMPARE_CUES):
            return None
        rival, ours = rival_and_ours(context)
        if rival is None and "price" in context.intents and ours is not None:
            rival = next(iter(context.catalog.competitors(ours.industry)), None)
        if not (rival and ours):
            return None
        return {"title": f"{ours.name} 与 {rival.name} 对比", "vega_lite": comparison_chart(ours, rival, context.scenario)}

    def _shown_confidence(self, draft: Draft) -> float:
        """The calibrated chance a rep sends this kind of suggestion (agents.calibration), or
        the ranking score when no calibration was fitted."""
        if self._calibration is None:
            return draft.confidence
        if draft.composer == "llm":  # no judged model-written suggestions yet: the overall share
            return self._calibration.confidence("llm")
        return self._calibration.confidence(kind_of(draft.move, (s.snippet_id for s in draft.sources)))

    def _grounds(self, draft: Draft, enforced: Enforced) -> tuple[tuple[dict[str, str], ...], tuple[dict[str, Any], ...]]:
        """The provisions the text touches (agents.compliance.topics), then those the agent
        rested it on (a counter-clause's article); and the guard's rules it passed."""
        grounds = [_anchor(g.anchor, g.topic, g.complies) for g in self._topics.grounds(enforced.text or "")]
        cited = {g["id"] for g in grounds}
        grounds += [_anchor(a, "proposal", "所提条款让双方责任对等，依据该条") for a in draft.anchors if a.id not in cited]
        found = {v.rule for v in enforced.violations}
        checked = tuple(
            {"rule": c.rule, "title": c.title, "anchors": [{"id": a.id, "law": a.law, "article": a.article} for a in c.anchors]}
            for c in self._guard.checked(found)
        )
        return tuple(grounds), checked

    def _accept(self, drafts: list[Draft], outcome: Outcome, controls: Controls, grounding: Grounding) -> list[Suggestion]:
        """One agent's drafts, best first, through the grounding check, the guard and the
        threshold, added to the outcome until it holds three; returns the ones added now."""
        kept: list[Suggestion] = []
        for draft in _ranked(drafts):
            if len(outcome.suggestions) + len(kept) == TOP:
                break
            grounded = check(draft.text, grounding.plus(draft.proposes))
            if grounded.foreign:
                outcome.interventions.append({"agent": draft.agent, "rules": ["grounding"], "dropped": grounded.text is None})
            if grounded.text is None:
                continue
            enforced = self._guard.enforce(grounded.text, draft.phrasing or draft.text)
            if enforced.violations:
                rules = sorted({v.rule for v in enforced.violations})
                anchors = sorted({a.id for rule in rules for a in self._guard.anchors_of(rule)})
                outcome.interventions.append({"agent": draft.agent, "rules": rules, "dropped": enforced.text is None, "anchors": anchors})
            if enforced.text is None or draft.confidence < controls.threshold(draft.agent):
                continue
            if any(near_duplicate(enforced.text, other.text) for other in (*outcome.suggestions, *kept)):
                continue
            anchors, checked = self._grounds(draft, enforced)
            kept.append(
                Suggestion(
                    id=uuid.uuid4().hex,
                    scenario=outcome.scenario,
                    agent=draft.agent,
                    agent_version=self._registry.get(draft.agent).version,
                    text=self._cache.reply(enforced.text, outcome.pseudonyms).text,
                    confidence=self._shown_confidence(draft),
                    anchors=anchors,
                    checked=checked,
                    sources=tuple({"snippet_id": s.snippet_id, "score": s.score} for s in draft.sources),
                    prompt_version=draft.prompt_version,
                    composer=draft.composer,
                    move=draft.move,
                    rep_note=draft.rep_note,
                )
            )
        outcome.suggestions.extend(kept)
        return kept


def _anchor(anchor: LegalAnchor, topic: str, complies: str) -> dict[str, str]:
    return {"id": anchor.id, "law": anchor.law, "article": anchor.article, "summary": anchor.summary, "topic": topic, "complies": complies}


def _ranked(drafts: list[Draft]) -> list[Draft]:
    """Best first, with won deals' replies after every other draft unless annotators marked
    them high-value (and legal approved them): another deal's words, shown as they were
    written, fill a place only when fewer than three drafts written for this conversation
    (moves, counter-terms, comparisons, a model's) fit. Judged on the dev split they were
    the weakest kind (mean usefulness 1.8 of 5, 1 in 10 sendable): they carry their own
    deal's claims that no specifics check can see. Right after the best draft come the
    replies a manager's trigger rule asked for (its tags), so the rule is seen to work even
    when the grounding check drops the first of them, and the model's best draft when an
    LLM is configured, so it is seen (and checked) beside the playbook's."""
    ranked = sorted(drafts, key=lambda d: (d.composer == "retrieved" and not d.high_value, -d.confidence))
    promoted = [d for d in ranked if d.asked_for] + [d for d in ranked if d.composer == "llm"][:1]
    rest = [d for d in ranked if not any(d is p for p in promoted)]
    return rest[:1] + promoted + rest[1:]