"""Ingest sales chat exports: read files into normalized messages, then cut conversations into snippets.

Everything here is pure: no database, no network, no desensitization (the caller
desensitizes snippets before anything is stored).
"""

from knowledge.ingest.cutting import (
    SnippetDraft,
    SpeakerTurn,
    cut,
    group_conversations,
    snippet_key,
    turns_of,
)
from knowledge.ingest.formats import (
    Message,
    Skipped,
    detect_format,
    read_api_messages,
    read_file,
)

__all__ = [
    "Message",
    "Skipped",
    "SnippetDraft",
    "SpeakerTurn",
    "cut",
    "detect_format",
    "group_conversations",
    "read_api_messages",
    "read_file",
    "snippet_key",
    "turns_of",
]
