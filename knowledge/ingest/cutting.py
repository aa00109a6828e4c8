"""Cut conversations into snippets: a customer turn, the rep's reply to it, and a little context before.

A turn is what one side said before the other answered: consecutive messages of
the same role merged with newlines. Snippet keys hash the conversation and the
two turns only, so re-ingesting a conversation that has grown since gives the
same keys for the snippets it already had.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from knowledge.ingest.formats import Message, Role

_NEVER = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class SpeakerTurn:
    """What one side said before the other answered."""

    role: Role
    text: str


@dataclass(frozen=True)
class SnippetDraft:
    """A customer turn and the rep turn right after it; ``position`` is the customer turn's index."""

    customer: str
    reply: str
    context: tuple[SpeakerTurn, ...]
    position: int


def group_conversations(messages: Iterable[Message]) -> dict[str, list[Message]]:
    """Messages by conversation id, in order: by ``ts`` when every message has one, else as read.

    The sort is stable, so messages with the same time stamp keep their file order.
    """
    groups: dict[str, list[Message]] = {}
    for message in messages:
        groups.setdefault(message.conversation_id, []).append(message)
    for group in groups.values():
        if all(message.ts is not None for message in group):
            group.sort(key=lambda message: message.ts or _NEVER)
    return groups


def turns_of(messages: Iterable[Message]) -> list[SpeakerTurn]:
    """Consecutive messages of the same role merged into one turn, joined with newlines."""
    turns: list[SpeakerTurn] = []
    for message in messages:
        if turns and turns[-1].role == message.role:
            turns[-1] = SpeakerTurn(message.role, f"{turns[-1].text}\n{message.text}")
        else:
            turns.append(SpeakerTurn(message.role, message.text))
    return turns


def cut(turns: Sequence[SpeakerTurn], context_turns: int = 2) -> list[SnippetDraft]:
    """One draft per customer turn that a rep turn immediately follows, with up to ``context_turns`` turns before it."""
    if context_turns < 0:
        raise ValueError("context_turns must be 0 or more")
    drafts: list[SnippetDraft] = []
    for index, (turn, following) in enumerate(itertools.pairwise(turns)):
        if turn.role == "customer" and following.role == "rep":
            context = tuple(turns[max(0, index - context_turns) : index])
            drafts.append(SnippetDraft(turn.text, following.text, context, index))
    return drafts


def snippet_key(conversation_ref: str, draft: SnippetDraft) -> str:
    """A stable sha256 hex key over the conversation reference, the customer turn and the reply.

    Position and context are left out on purpose: a conversation that grew
    later keeps the keys of the snippets it already had.
    """
    payload = json.dumps([conversation_ref, draft.customer, draft.reply], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
