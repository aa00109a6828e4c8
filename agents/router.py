"""The scenario of a conversation, from the customer's recent turns (the taxonomy: :mod:`knowledge.taxonomy`)."""

from __future__ import annotations

from collections.abc import Sequence

from agents.base import query_of
from agents.reading import approver, put_off_until, their_price
from agents.slots import AMOUNT
from knowledge.catalog import Catalog
from knowledge.store import POOL, KnowledgeStore
from knowledge.taxonomy import Taxonomy, load_taxonomy

RECENT_TURNS = 3
NEIGHBOURS = 7
NEIGHBOUR_WEIGHT = 0.5
NEIGHBOURS_ALONE = 0.6  # without a cue, the neighbours' vote must reach this, else "other"
PROPOSED_PRICE = 2  # a price the customer proposes (给个六千五, 一百一十万行的话) counts as two price cues
CHASED = 2  # the rep wrote twice or more since the customer's last word: a stall, weighing as two cues


def _read_cues(scenario: str, turn: str) -> int:
    """Cues read from what the turn says rather than from single words: a price the
    customer proposes or names; a time they put the matter off to, or who must approve."""
    if scenario == "price":
        return PROPOSED_PRICE if their_price([turn]) else int(bool(AMOUNT.search(turn)))
    if scenario == "stall":
        return int(bool(put_off_until([turn]))) + int(bool(approver([turn])))
    return 0


def classify(
    customer_turns: Sequence[str],
    catalog: Catalog,
    taxonomy: Taxonomy | None = None,
    store: KnowledgeStore | None = None,
    unanswered: int = 0,
) -> str:
    """The scenario key: cue hits in the last turns (outside blocker words), the latest
    turn weighing most; naming a competitor from the catalog counts as a competitor cue,
    a price named or proposed as a price cue, a time put off to or an approver as a stall
    cue, and ``unanswered`` rep turns (two or more since the customer's last) as a stall;
    with a store, the annotated scenarios of the nearest approved snippets vote too.
    With no cue and only a weak vote, ``other``: small talk is not a stall."""
    taxonomy = taxonomy or load_taxonomy()
    scores: dict[str, float] = {}
    if store is not None and customer_turns:
        for hit in store.search(POOL, query_of(list(customer_turns)), NEIGHBOURS):
            scenario = hit.metadata.get("scenario")
            if scenario:
                scores[scenario] = scores.get(scenario, 0.0) + NEIGHBOUR_WEIGHT * hit.relevance
    recent = list(customer_turns)[-RECENT_TURNS:]
    cued = False
    for age, turn in enumerate(reversed(recent)):
        weight = 1.0 / (1 + age)
        for scenario in taxonomy.scenarios:
            hits = scenario.hits(turn)
            if scenario.key == "competitor":
                hits += 3 * sum(1 for product in catalog.mentioned(turn) if not product.ours)
            hits += _read_cues(scenario.key, turn)
            if hits:
                cued = True
                scores[scenario.key] = scores.get(scenario.key, 0.0) + weight * hits
    if unanswered >= 2:
        cued = True
        scores["stall"] = scores.get("stall", 0.0) + CHASED
    if not scores or (not cued and max(scores.values()) < NEIGHBOURS_ALONE):
        return "other"
    order = {scenario.key: index for index, scenario in enumerate(taxonomy.scenarios)}
    return max(scores, key=lambda key: (scores[key], -order[key]))

