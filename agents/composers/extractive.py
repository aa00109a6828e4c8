"""The extractive composer (default, no LLM): adapts the best retrieved replies to this
conversation, removes near-duplicates, ranks."""

from __future__ import annotations

import regex as re

from agents.base import Draft, Source
from knowledge.store import Hit

_VOCATIVE = re.compile(r"^<PERSON_\d+>[\p{Han}]{0,3}[，,：:！!]\s*")
_PLACEHOLDER = re.compile(r"<[A-Z][A-Z_]*_\d+>")
DUPLICATE_OVERLAP = 0.6
_AMOUNT = re.compile(r"\d+(?:\.\d+)?\s*(?:万|元|块|%|％)")
FOREIGN_AMOUNT_PENALTY = 0.2
# Another deal's reply is shown as-is only when it is this close to the conversation: below,
# it tends to carry its own deal's situation (a 进修, a 财务 who objects, a driver on the
# road) that no specifics check can see, and a playbook move written for here serves better.
AS_IS_FLOOR = 0.8


def adapt(reply: str) -> str | None:
    """Someone else's reply made fit for this conversation: the greeting to their
    customer goes; a reply that still names people or contacts of theirs is unusable."""
    text = _VOCATIVE.sub("", reply.strip())
    return None if _PLACEHOLDER.search(text) else text


def _grams(text: str) -> set[str]:
    return {text[i : i + 3] for i in range(max(1, len(text) - 2))}


def _without_shared_ends(a: str, b: str) -> tuple[str, str]:
    """``a`` and ``b`` without the beginning and the ending they share when those are
    sentences long (the same fact opening two moves, the same sentence added to both) and
    what is left of each is still a sentence; else as they are."""
    original = (a, b)
    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    start = start if start >= 10 else 0
    a, b = a[start:], b[start:]
    shared = 0
    while shared < min(len(a), len(b)) and a[-1 - shared] == b[-1 - shared]:
        shared += 1
    a, b = (a[: len(a) - shared], b[: len(b) - shared]) if shared >= 10 else (a, b)
    return (a, b) if min(len(a), len(b)) >= 12 else original


def near_duplicate(a: str, b: str) -> bool:
    """Whether two replies say nearly the same (trigram overlap), shared long ends aside."""
    a, b = _without_shared_ends(a, b)
    grams_a, grams_b = _grams(a), _grams(b)
    return len(grams_a & grams_b) / max(1, min(len(grams_a), len(grams_b))) > DUPLICATE_OVERLAP


def confidence(hit: Hit) -> float:
    """Relevance to the customer's words, weighted by the annotators' quality mark."""
    quality = float(hit.metadata.get("quality", 3)) / 5
    return round(max(0.0, min(1.0, 0.7 * hit.relevance + 0.3 * quality)), 3)


def foreign_amounts(reply: str, conversation: str) -> list[str]:
    """Money amounts in a retrieved reply that this conversation never mentioned:
    another customer's deal, which must not be presented as this one's."""
    said = {re.sub(r"\s", "", m) for m in _AMOUNT.findall(conversation)}
    return [m for m in _AMOUNT.findall(reply) if re.sub(r"\s", "", m) not in said]


def compose(agent: str, hits: list[Hit], limit: int = 3, conversation: str = "", floor: float = 0.0, chosen: frozenset[str] = frozenset()) -> list[Draft]:
    """Up to ``limit`` distinct drafts from the hits' replies scoring at least ``floor``
    (``chosen`` hits, which a manager's trigger rule asked for, whatever they score),
    best first; replies that quote another deal's amounts rank lower."""
    candidates = []
    for hit in hits:
        text = adapt(hit.metadata.get("reply", hit.document))
        if text is None:
            continue
        score = confidence(hit) - (FOREIGN_AMOUNT_PENALTY if foreign_amounts(text, conversation) else 0.0)
        if score >= floor or hit.id in chosen:
            candidates.append((round(max(0.0, score), 3), text, hit))
    drafts: list[Draft] = []
    for score, text, hit in sorted(candidates, key=lambda c: c[0], reverse=True):
        if len(text) < 8 or any(near_duplicate(text, d.text) for d in drafts):
            continue
        drafts.append(Draft(agent=agent, text=text, confidence=score, sources=(Source(hit.id, round(hit.score, 4)),), asked_for=hit.id in chosen, high_value=bool(hit.metadata.get("high_value"))))
        if len(drafts) == limit:
            break
    return drafts
