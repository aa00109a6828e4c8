"""Suggestions: the typed request and events (model), the path (pipeline) and the service
that records every step in the ledger (service)."""

from agents.suggestions.model import ActionCommand, ActionRecorded, Done, SuggestEvent, SuggestionRequest
from agents.suggestions.pipeline import SuggestPipeline
from agents.suggestions.service import SuggestionService

__all__ = ["ActionCommand", "ActionRecorded", "Done", "SuggestEvent", "SuggestPipeline", "SuggestionRequest", "SuggestionService"]
