"""Objection handling grounded in won-deal snippets and sample scripts for the scenario."""

from __future__ import annotations

from agents.base import AgentContext, Draft
from agents.composers.extractive import compose
from agents.retrieval import won_examples


class ScriptSuggestionAgent:
    name = "script_suggestion"
    version = "extractive-1"
    scenarios = frozenset({"price", "stall", "procurement", "delivery", "after_sales", "other"})

    def draft(self, context: AgentContext) -> list[Draft]:
        return compose(self.name, won_examples(context, context.scenario), conversation="\n".join(context.customer_turns))
