"""One agent's run: its extractive drafts, then — with an LLM composer — the same grounding
reworded by the model, within what is left of the deadline.

The LLM only ever sees what the agent retrieved (approved snippets, sample scripts,
catalog facts) and the legal anchors the drafts rest on; a composed draft is scored by
the extractive evidence it cites, never by the model's own say-so. Any failure leaves
the extractive drafts in place and says why.
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from agents.base import Agent, AgentContext, Draft

if TYPE_CHECKING:
    from agents.composers.llm import GroundingItem, LlmComposer
    from prompts.library import PromptTemplate

# time kept back from the deadline for the guard, the ledger and the response
RESERVE_S = 0.08
MIN_LLM_S = 0.05


@dataclass(frozen=True)
class AgentRun:
    drafts: list[Draft]
    prompt_version: str | None = None  # set when the drafts are the LLM's
    llm: dict[str, Any] | None = None  # what happened with the LLM, for the ledger


def grounding_of(drafts: list[Draft]) -> tuple[list[GroundingItem], dict[str, list[Draft]]]:
    """The items the model may cite, and for each id the drafts it comes from."""
    from agents.composers.llm import GroundingItem

    items: dict[str, GroundingItem] = {}
    origin: dict[str, list[Draft]] = {}
    for index, draft in enumerate(drafts):
        ids = [source.snippet_id for source in draft.sources] or [f"{draft.agent}-{index + 1}"]
        kind = "snippet" if draft.sources and ":" not in ids[0] else "fact"  # catalog:… and rule:… are facts
        for item_id in ids[:1]:
            items.setdefault(item_id, GroundingItem(item_id, kind, draft.text))
            origin.setdefault(item_id, []).append(draft)
        for anchor in draft.anchors:
            items.setdefault(anchor.id, GroundingItem(anchor.id, "anchor", f"{anchor.law} {anchor.article}：{anchor.summary}"))
    return list(items.values()), origin


def _cited(agent: str, text: str, source_ids: tuple[str, ...], origin: dict[str, list[Draft]]) -> Draft | None:
    drafts = [draft for item_id in source_ids for draft in origin.get(item_id, [])]
    if not drafts:  # cites anchors only: no evidence for the content
        return None
    sources = tuple(dict.fromkeys(source for draft in drafts for source in draft.sources))
    anchors = tuple(dict.fromkeys(anchor for draft in drafts for anchor in draft.anchors))
    return Draft(agent=agent, text=text, confidence=max(d.confidence for d in drafts), sources=sources, anchors=anchors)


async def draft_with_llm(
    agent: Agent, context: AgentContext, pool: Executor, composer: LlmComposer | None, prompt: PromptTemplate | None, deadline: float
) -> AgentRun:
    """The agent's drafts: extractive, or the LLM's from the same grounding when a
    composer and a prompt are given and the model answers in time with grounded drafts."""
    drafts = await asyncio.get_running_loop().run_in_executor(pool, agent.draft, context)
    if composer is None or prompt is None or not drafts:
        return AgentRun(drafts)
    from agents.composers.llm import ComposerFailed

    timeout = deadline - time.perf_counter() - RESERVE_S
    record: dict[str, Any] = {"agent": agent.name, "prompt": prompt.ref}
    if timeout < MIN_LLM_S:
        return AgentRun(drafts, llm=record | {"failure": "timeout", "message": "检索用完了预算，未调用大模型，"})
    grounding, origin = grounding_of(drafts)
    started = time.perf_counter()
    try:
        composed = await composer.compose(prompt, customer_turns=context.customer_turns, grounding=grounding, scenario=context.scenario, timeout_s=timeout)
    except ComposerFailed as failure:
        record |= {"failure": failure.reason, "message": f"大模型未给出可用建议（{failure.reason}），", "ms": round((time.perf_counter() - started) * 1000)}
        return AgentRun(drafts, llm=record)
    llm_drafts = [d for c in composed if (d := _cited(agent.name, c.text, c.source_ids, origin)) is not None]
    if not llm_drafts:
        return AgentRun(drafts, llm=record | {"failure": "ungrounded", "message": "大模型的建议未引用检索到的片段，"})
    return AgentRun(llm_drafts, prompt.ref, record | {"used": len(llm_drafts), "ms": round((time.perf_counter() - started) * 1000)})
