"""Objection handling grounded in won-deal snippets and sample scripts for the scenario."""

from __future__ import annotations

from agents.base import AgentContext, Draft
from agents.composer import compose
from knowledge.store import POOL, SCRIPTS

TAGGED_POOL = 24


def tagged(hits: list, tags: tuple[str, ...]) -> list:
    """The hits carrying any of ``tags`` (pool metadata keeps tags comma-joined)."""
    wanted = set(tags)
    return [hit for hit in hits if wanted & set(str(hit.metadata.get("tags", "")).split(","))]


def won_examples(context: AgentContext, scenario: str, k: int = 8) -> list:
    """Nearest approved won-deal snippets: those carrying a tag a trigger rule asked for
    first, then of the scenario in the customer's industry, then of the scenario anywhere,
    then any won deal; plus the scenario's sample scripts."""
    query = context.query
    filters = [{"$and": [{"scenario": scenario}, {"outcome": "won"}]}, {"outcome": "won"}]
    if context.industry:
        filters.insert(0, {"$and": [{"scenario": scenario}, {"outcome": "won"}, {"industry": context.industry}]})
    hits: list = []
    if context.retrieve_tags:
        hits = tagged(context.store.search(POOL, query, TAGGED_POOL, {"outcome": "won"}), context.retrieve_tags)[:k]
    for where in filters:
        if len(hits) >= 3:
            break
        seen = {h.id for h in hits}
        hits += [h for h in context.store.search(POOL, query, k, where) if h.id not in seen]
    return hits + context.store.search(SCRIPTS, query, 3, {"scenario": scenario})


class ScriptSuggestionAgent:
    name = "script_suggestion"
    version = "extractive-1"
    scenarios = frozenset({"price", "stall", "procurement", "delivery", "after_sales", "other"})

    def draft(self, context: AgentContext) -> list[Draft]:
        return compose(self.name, won_examples(context, context.scenario), conversation="\n".join(context.customer_turns))
