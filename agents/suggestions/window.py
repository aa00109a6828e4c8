"""The part of a conversation one suggest request works on: the most recent messages,
within a character budget, so a long message costs a bounded amount of CPU.

Desensitization (~30 µs a character), the router, retrieval's query and the slots all
read this window and nothing else. A message that does not fit whole keeps its end
(the customer's question is usually there), cut where no identifier can be split.
"""

from __future__ import annotations

from collections.abc import Sequence

from agents.clipping import CLIPPED, clip_end
from agents.suggestions.model import ChatMessage

MAX_MESSAGES = 20
MIN_FRAGMENT = 40  # the least room worth clipping an older message into


def recent_window(messages: Sequence[ChatMessage], max_chars: int, max_messages: int = MAX_MESSAGES) -> list[ChatMessage]:
    """The latest messages, oldest first, at most ``max_chars`` characters together.

    Read newest first: each message gets what is left of the budget, at most half of the
    whole (one long message leaves room for the turns before it), clipped at its start.
    The latest customer message is always there."""
    window: list[ChatMessage] = []
    left = max_chars
    for message in reversed(messages[-max_messages:]):
        if left <= 0:
            break
        room = min(left, max_chars // 2)
        if len(message.text) > room and room < MIN_FRAGMENT:
            break  # a few characters from the middle of an older message say nothing
        text = clip_end(message.text, room)
        if text.strip(CLIPPED):
            window.append(ChatMessage(message.role, text))
            left -= len(text)
    if not any(m.role == "customer" for m in window):
        latest = next((m for m in reversed(messages) if m.role == "customer"), None)
        if latest is not None:
            window.append(ChatMessage("customer", clip_end(latest.text, max_chars // 2)))
    return window[::-1]
