"""One agent's run: its extractive drafts, then — with an LLM composer — the model's
drafts from the same grounding, within what is left of the deadline, merged with them.

The LLM only ever sees what the agent drew on, each item labelled by kind (a won deal's
reply, a playbook script, a contract rule or catalog fact, a legal anchor). A model's
draft must cite at least one of them, and is ranked on its own merit (how much of what
the customer just said it takes up), not on the confidence of the evidence it cites; the
extractive drafts stay in the running. Any failure leaves the extractive drafts and
says why.
"""

from __future__ import annotations

import asyncio
import re
import time
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from agents.base import Agent, AgentContext, Draft

if TYPE_CHECKING:
    from agents.compliance.topics import TopicDetector
    from agents.composers.llm import GroundingItem, LlmComposer
    from prompts.library import PromptTemplate

# time kept back from the deadline for the guard, the ledger and the response
RESERVE_S = 0.08
MIN_LLM_S = 0.05
# A model's draft ranks between these, by the share of the customer's last words it takes
# up; until judged model-written suggestions exist to calibrate on.
MERIT_FLOOR, MERIT_SPAN, FULL_COVERAGE = 0.5, 0.3, 0.5
_CJK_PAIR = re.compile(r"(?=([\u4e00-\u9fff]{2}))")


@dataclass(frozen=True)
class AgentRun:
    drafts: list[Draft]
    llm: dict[str, Any] | None = None  # what happened with the LLM, for the ledger


def grounding_of(drafts: list[Draft], topics: TopicDetector | None = None) -> tuple[list[GroundingItem], dict[str, list[Draft]]]:
    """The items the model may cite, and for each id the drafts it comes from; the legal
    anchors are those the drafts rest on and, with ``topics``, those their texts touch."""
    from agents.composers.llm import GroundingItem

    items: dict[str, GroundingItem] = {}
    origin: dict[str, list[Draft]] = {}
    for index, draft in enumerate(drafts):
        ids = [source.snippet_id for source in draft.sources] or [f"{draft.agent}-{index + 1}"]
        kind = _KINDS[draft.composer]
        for item_id in ids[:1]:
            items.setdefault(item_id, GroundingItem(item_id, kind, draft.text))
            origin.setdefault(item_id, []).append(draft)
        touched = tuple(g.anchor for g in topics.grounds(draft.text)) if topics else ()
        for anchor in dict.fromkeys((*draft.anchors, *touched)):
            items.setdefault(anchor.id, GroundingItem(anchor.id, "anchor", f"{anchor.law} {anchor.article}：{anchor.summary}"))
    return list(items.values()), origin


_KINDS = {"retrieved": "snippet", "playbook": "script", "rule": "fact"}  # how each agent draft is labelled for the model


def merit(text: str, customer_turns: list[str]) -> float:
    """A model draft's ranking score: how much of the customer's last message it takes up
    (the share of its character pairs found in the draft), between MERIT_FLOOR and
    MERIT_FLOOR + MERIT_SPAN."""
    said = set(_CJK_PAIR.findall(customer_turns[-1])) if customer_turns else set()
    if not said:
        return MERIT_FLOOR
    coverage = len(said & set(_CJK_PAIR.findall(text))) / len(said)
    return round(MERIT_FLOOR + MERIT_SPAN * min(1.0, coverage / FULL_COVERAGE), 3)


def _cited(agent: str, text: str, source_ids: tuple[str, ...], origin: dict[str, list[Draft]], score: float, prompt_version: str) -> Draft | None:
    drafts = [draft for item_id in source_ids for draft in origin.get(item_id, [])]
    if not drafts:  # cites anchors only: no evidence for the content
        return None
    sources = tuple(dict.fromkeys(source for draft in drafts for source in draft.sources))
    anchors = tuple(dict.fromkeys(anchor for draft in drafts for anchor in draft.anchors))
    return Draft(agent=agent, text=text, confidence=score, sources=sources, anchors=anchors, prompt_version=prompt_version)


async def draft_with_llm(
    agent: Agent,
    context: AgentContext,
    pool: Executor,
    composer: LlmComposer | None,
    prompt: PromptTemplate | None,
    deadline: float,
    topics: TopicDetector | None = None,
) -> AgentRun:
    """The agent's extractive drafts, joined by the LLM's from the same grounding when a
    composer and a prompt are given and the model answers in time with usable drafts."""
    drafts = await asyncio.get_running_loop().run_in_executor(pool, agent.draft, context)
    if composer is None or prompt is None or not drafts:
        return AgentRun(drafts)
    from agents.composers.llm import ComposerFailed

    timeout = deadline - time.perf_counter() - RESERVE_S
    record: dict[str, Any] = {"agent": agent.name, "prompt": prompt.ref}
    if timeout < MIN_LLM_S:
        return AgentRun(drafts, llm=record | {"failure": "timeout", "message": "检索用完了预算，未调用大模型，"})
    grounding, origin = grounding_of(drafts, topics)
    started = time.perf_counter()
    try:
        composed = await composer.compose(prompt, customer_turns=context.customer_turns, grounding=grounding, scenario=context.scenario, timeout_s=timeout)
    except ComposerFailed as failure:
        record |= {"failure": failure.reason, "message": f"大模型未给出可用建议（{failure.reason}），", "ms": round((time.perf_counter() - started) * 1000)}
        return AgentRun(drafts, llm=record | {"circuit": composer.breaker.state})
    turns = context.customer_turns
    llm_drafts = [d for c in composed if (d := _cited(agent.name, c.text, c.source_ids, origin, merit(c.text, turns), prompt.ref)) is not None]
    if not llm_drafts:
        return AgentRun(drafts, llm=record | {"failure": "ungrounded", "message": "大模型的建议未引用检索到的片段，"})
    ms = round((time.perf_counter() - started) * 1000)
    return AgentRun(llm_drafts + drafts, llm=record | {"used": len(llm_drafts), "ms": ms, "circuit": composer.breaker.state})
