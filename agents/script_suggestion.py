"""Objection handling grounded in won-deal snippets and sample scripts for the scenario."""

from __future__ import annotations

from agents.base import AgentContext, Draft
from agents.composer import compose
from knowledge.store import POOL, SCRIPTS


def won_examples(context: AgentContext, scenario: str, k: int = 8) -> list:
    """Nearest approved won-deal snippets of the scenario, same industry first."""
    query = "\n".join(context.customer_turns[-2:])
    base = [{"scenario": scenario}, {"outcome": "won"}]
    hits = []
    if context.industry:
        hits = context.store.search(POOL, query, k, {"$and": [*base, {"industry": context.industry}]})
    if len(hits) < 3:
        hits += [h for h in context.store.search(POOL, query, k, {"$and": base}) if h.id not in {x.id for x in hits}]
    return hits + context.store.search(SCRIPTS, query, 3, {"scenario": scenario})


class ScriptSuggestionAgent:
    name = "script_suggestion"
    version = "extractive-1"
    scenarios = frozenset({"price", "stall", "procurement", "delivery", "after_sales", "other"})

    def draft(self, context: AgentContext) -> list[Draft]:
        return compose(self.name, won_examples(context, context.scenario), conversation="\n".join(context.customer_turns))
