"""Suggestions: the typed request and events (model), the path (pipeline) and the service
that records every step in the ledger (service)."""

from agents.suggestions.model import ActionRequest, ActionPublic, Done, SuggestEvent, SuggestionRequest
from agents.suggestions.pipeline import SuggestPipeline
from agents.suggestions.service import SuggestionService

__all__ = ["ActionRequest", "ActionPublic", "Done", "SuggestEvent", "SuggestPipeline", "SuggestionRequest", "SuggestionService"]
