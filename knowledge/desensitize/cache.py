"""Per-conversation memory of what was already desensitized, so a suggest request
(the last 20 messages) only pays for the messages it has not seen before.

Entries hold raw text and the placeholder mapping, in this process's memory
only, and expire ``ttl_seconds`` after the conversation was last used; nothing here is ever written anywhere.
Memory is bounded by characters, not by conversations (one conversation of 64 messages of
4,000 characters weighs as much as a thousand short ones): past ``max_chars`` the least
recently used conversations go first.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from threading import Lock

from cachetools import TTLCache

from knowledge.desensitize.engine import Desensitizer
from knowledge.desensitize.pseudonyms import Desensitized, Pseudonyms


MESSAGES_KEPT = 64  # a suggest request looks at the last 20; keep a margin, not the whole history
MAX_CHARS = 4_000_000  # raw and desensitized text kept in all: ~2,000 everyday conversations, ≤ ~100 MB


@dataclass
class _Conversation:
    pseudonyms: Pseudonyms = field(default_factory=Pseudonyms)
    done: OrderedDict[str, Desensitized] = field(default_factory=OrderedDict)
    lock: Lock = field(default_factory=Lock)

    def chars(self) -> int:
        """Its weight in the cache: the characters it keeps (at least 1)."""
        return 1 + sum(len(text) + len(result.text) for text, result in self.done.items())


class ConversationCache:
    """Desensitize a conversation's messages, reusing earlier results and placeholders."""

    def __init__(self, desensitizer: Desensitizer, *, ttl_seconds: float = 1800, max_chars: int = MAX_CHARS) -> None:
        self._desensitizer = desensitizer
        self._conversations: TTLCache[tuple[str, str], _Conversation] = TTLCache(max_chars, ttl_seconds, getsizeof=_Conversation.chars)
        self._lock = Lock()

    def reply(self, text: str, pseudonyms: Pseudonyms) -> Desensitized:
        """A text written for the conversation (a suggestion), desensitized with its
        placeholders before it is kept; not remembered as one of its messages."""
        return self._desensitizer.desensitize(text, pseudonyms)

    def _conversation(self, key: tuple[str, str]) -> _Conversation:
        with self._lock:
            conversation = self._conversations.get(key) or _Conversation()
            self._conversations[key] = conversation  # (re)starts its time to live
            return conversation

    def desensitize(self, owner: str, conversation_id: str, texts: Sequence[str]) -> tuple[list[Desensitized], Pseudonyms]:
        """Results in the order given, and the conversation's pseudonyms for re-identification.

        ``owner`` (the caller's key id, say) scopes the conversation id: another
        caller who sends the same id never sees these values. Placeholders are
        numbered in the order messages are first seen, which is reading order
        as long as a conversation only grows at its end.
        """
        key = (owner, conversation_id)
        conversation = self._conversation(key)
        with conversation.lock:
            results = []
            for text in texts:
                result = conversation.done.pop(text, None) or self._desensitizer.desensitize(text, conversation.pseudonyms)
                conversation.done[text] = result  # most recently used last
                results.append(result)
            while len(conversation.done) > MESSAGES_KEPT:
                conversation.done.popitem(last=False)
            with self._lock:  # weighed again now that it holds these messages (unless already evicted)
                if key in self._conversations:
                    self._conversations[key] = conversation
            return results, conversation.pseudonyms
