"""Per-conversation memory of what was already desensitized, so a suggest request
(the last 20 messages) only pays for the messages it has not seen before.

Entries hold raw text and the placeholder mapping, in this process's memory
only, and expire ``ttl_seconds`` after the conversation was last used; nothing here is ever written anywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from threading import Lock

from cachetools import TTLCache

from knowledge.desensitize.engine import Desensitizer
from knowledge.desensitize.pseudonyms import Desensitized, Pseudonyms


@dataclass
class _Conversation:
    pseudonyms: Pseudonyms = field(default_factory=Pseudonyms)
    done: dict[str, Desensitized] = field(default_factory=dict)
    lock: Lock = field(default_factory=Lock)


class ConversationCache:
    """Desensitize a conversation's messages, reusing earlier results and placeholders."""

    def __init__(self, desensitizer: Desensitizer, *, ttl_seconds: float = 1800, max_conversations: int = 10_000) -> None:
        self._desensitizer = desensitizer
        self._conversations: TTLCache[str, _Conversation] = TTLCache(max_conversations, ttl_seconds)
        self._lock = Lock()

    def _conversation(self, conversation_id: str) -> _Conversation:
        with self._lock:
            conversation = self._conversations.get(conversation_id) or _Conversation()
            self._conversations[conversation_id] = conversation  # (re)starts its time to live
            return conversation

    def desensitize(self, conversation_id: str, texts: Sequence[str]) -> tuple[list[Desensitized], Pseudonyms]:
        """Results in the order given, and the conversation's pseudonyms for re-identification."""
        conversation = self._conversation(conversation_id)
        with conversation.lock:
            results = []
            for text in texts:
                if text not in conversation.done:
                    conversation.done[text] = self._desensitizer.desensitize(text, conversation.pseudonyms)
                results.append(conversation.done[text])
            return results, conversation.pseudonyms
