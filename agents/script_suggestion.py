"""Objection handling: the scenario's playbook moves written for this conversation, and
replies from won-deal snippets and sample scripts (shown only when the grounding check
finds nothing in them from another deal)."""

from __future__ import annotations

from agents.base import AgentContext, Draft
from agents.playbook import playbook_drafts
from agents.retrieval import won_examples, won_replies


class ScriptSuggestionAgent:
    name = "script_suggestion"
    version = "playbook-1"
    scenarios = frozenset({"price", "stall", "procurement", "delivery", "after_sales", "other"})

    def draft(self, context: AgentContext) -> list[Draft]:
        if context.scenario == "other":  # no won deal answers small talk or an unclear ask
            return playbook_drafts(self.name, context)
        hits = won_examples(context, context.scenario)
        return won_replies(self.name, context, hits) + playbook_drafts(self.name, context, won=hits)
