"""Which playbook move a won deal's reply made: the annotator's label when there is one
(pool metadata ``move``), else the move whose phrasings it reads most like (character
bigrams, the slots left out). Won deals near this conversation then vote for their moves,
and the moves they vote for rank first (:func:`won_votes`).
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from string import Template
from typing import TYPE_CHECKING

import regex as re

if TYPE_CHECKING:
    from agents.playbook import Move, Playbook

SAME_MOVE = 0.1  # bigram overlap (Dice) from which a reply may be taken to make a move …
CLEAR_LEAD = 1.3  # … when it reads this much more like that move than like any other
_NOT_WORDS = re.compile(r"[\s\p{P}～]+")


def _bigrams(text: str) -> frozenset[str]:
    text = _NOT_WORDS.sub("", text)
    return frozenset(text[i : i + 2] for i in range(len(text) - 1))


@lru_cache(maxsize=256)
def _move_bigrams(move: Move) -> tuple[frozenset[str], ...]:
    return (_bigrams(move.label), *(_bigrams(Template.pattern.sub("", phrasing)) for phrasing in move.phrasings))


def _dice(a: frozenset[str], b: frozenset[str]) -> float:
    return 2 * len(a & b) / (len(a) + len(b)) if a and b else 0.0


@lru_cache(maxsize=4096)  # the same won replies come back request after request
def propose_move(reply: str, moves: tuple[Move, ...]) -> str | None:
    """The move among ``moves`` that ``reply`` reads most like, when it reads like one."""
    words = _bigrams(reply)
    ranked = sorted(((max(_dice(words, p) for p in _move_bigrams(m)), m.id) for m in moves), reverse=True)
    if not ranked or ranked[0][0] < SAME_MOVE:
        return None
    return ranked[0][1] if len(ranked) == 1 or ranked[0][0] >= CLEAR_LEAD * ranked[1][0] else None


def won_votes(hits: list, playbook: Playbook, scenario: str) -> dict[str, float]:
    """Each of the scenario's moves' share of the won deals' votes (weighted by how close
    each deal is to this conversation), the best-voted move at 1.0; {} when none voted."""
    moves = tuple(m for m in playbook.moves if m.scenario == scenario)
    known = {m.id for m in moves}
    votes: Counter[str] = Counter()
    for hit in hits:
        if hit.metadata.get("outcome", "won") != "won":
            continue
        labelled = hit.metadata.get("move")
        move = labelled if labelled in known else propose_move(str(hit.metadata.get("reply", hit.document)), moves)
        if move is not None:
            votes[move] += max(hit.relevance, 0.0)
    top = max(votes.values(), default=0.0)
    return {move: round(weight / top, 3) for move, weight in votes.items()} if top > 0 else {}
