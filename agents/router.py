"""The scenario of a conversation, from the customer's recent turns (the taxonomy: :mod:`knowledge.taxonomy`).

The trained classifier (:mod:`agents.scenario_model`) reads the turns' characters and the
taxonomy's cue counts; a scenario a manager added to the taxonomy (unknown to the
classifier) wins when its cues are the strongest. Without a fitted classifier the cue
counts alone decide.
"""

from __future__ import annotations

from collections.abc import Sequence

from agents.reading import approver, put_off_until, their_price
from agents.scenario_model import ScenarioModel, load_scenario_model, model_text
from agents.slots import AMOUNT
from knowledge.catalog import Catalog
from knowledge.taxonomy import Taxonomy, load_taxonomy

RECENT_TURNS = 3
PROPOSED_PRICE = 2  # a price the customer proposes (给个六千五, 一百一十万行的话) counts as two price cues
RIVAL_NAMED = 3  # naming a competitor from the catalog counts as three competitor cues
CHASED = "chased"  # the rep wrote twice or more since the customer's last word (a stall signal)
SECOND_INTENT = 0.2  # another scenario this likely is a second intent (a price haggle inside delivery talk)
UNSURE = 0.35  # a classifier lead below this, with no cue at all, is a guess: "other" (a clarifying reply) leads instead


def _read_cues(scenario: str, turn: str) -> int:
    """Cues read from what the turn says rather than from single words: a price the
    customer proposes or names; a time they put the matter off to, or who must approve."""
    if scenario == "price":
        return PROPOSED_PRICE if their_price([turn]) else int(bool(AMOUNT.search(turn)))
    if scenario == "stall":
        return int(bool(put_off_until([turn]))) + int(bool(approver([turn])))
    return 0


def cue_scores(customer_turns: Sequence[str], catalog: Catalog, taxonomy: Taxonomy, unanswered: int = 0) -> dict[str, float]:
    """Per scenario key, its cue hits in the last turns (outside blocker words), the latest
    turn weighing most; and ``chased`` (1.0 when two or more rep turns went unanswered)."""
    scores = {scenario.key: 0.0 for scenario in taxonomy.scenarios}
    for age, turn in enumerate(reversed(list(customer_turns)[-RECENT_TURNS:])):
        weight = 1.0 / (1 + age)
        for scenario in taxonomy.scenarios:
            hits = scenario.hits(turn) + _read_cues(scenario.key, turn)
            if scenario.key == "competitor":
                hits += RIVAL_NAMED * sum(1 for product in catalog.mentioned(turn) if not product.ours)
            scores[scenario.key] += weight * hits
    scores[CHASED] = float(unanswered >= 2)
    return scores


def scenario_odds(
    customer_turns: Sequence[str],
    catalog: Catalog,
    taxonomy: Taxonomy | None = None,
    unanswered: int = 0,
    model: ScenarioModel | None = None,
) -> dict[str, float]:
    """Each scenario's probability, highest first. A manager's added scenario with the
    strongest cues takes the lead whatever the classifier says; an unsure lead with no
    cue gives way to "other"; "other" after two unanswered rep turns is a stall."""
    taxonomy = taxonomy or load_taxonomy()
    model = model or load_scenario_model()
    scores = cue_scores(customer_turns, catalog, taxonomy, unanswered)
    if model is None:
        return cue_odds(scores, taxonomy)
    odds = model.probabilities(model_text(customer_turns), [scores.get(key, 0.0) for key in model.cue_keys])
    added = {key: score for key, score in scores.items() if key not in odds and key != CHASED and score > 0}
    if added and max(added.values()) >= max(scores.get(key, 0.0) for key in model.classes):
        leader = max(added, key=added.__getitem__)
        return {leader: 1.0, **{key: share * 0.5 for key, share in odds.items()}}
    if next(iter(odds.values())) < UNSURE and not any(scores.values()):
        return {"other": 1.0}  # a guess is not an intent: nothing else rides along
    if scores[CHASED] and next(iter(odds)) == "other":
        return {"stall": 1.0}  # chased twice, they answer with nothing in particular: a stall
    return odds


def cue_odds(scores: dict[str, float], taxonomy: Taxonomy) -> dict[str, float]:
    """Cue counts as shares, ties to the taxonomy's order; "other" when nothing was cued."""
    stall_chased = dict(scores)
    stall_chased["stall"] = stall_chased.get("stall", 0.0) + 2 * stall_chased.pop(CHASED, 0.0)
    total = sum(stall_chased.values())
    if not total:
        return {"other": 1.0}
    order = {scenario.key: index for index, scenario in enumerate(taxonomy.scenarios)}
    ranked = sorted(stall_chased, key=lambda key: (-stall_chased[key], order.get(key, len(order))))
    return {key: stall_chased[key] / total for key in ranked}


def unanswered(roles: Sequence[str]) -> int:
    """How many rep turns came since the customer's last one (all turns when they never spoke)."""
    return next((i for i, role in enumerate(reversed(roles)) if role == "customer"), len(roles))


def intents_of(odds: dict[str, float]) -> tuple[str, ...]:
    """The main scenario and every other one likely enough to be a second intent."""
    keys = list(odds)
    return tuple(keys[:1] + [key for key in keys[1:] if odds[key] >= SECOND_INTENT])


def classify(
    customer_turns: Sequence[str],
    catalog: Catalog,
    taxonomy: Taxonomy | None = None,
    unanswered: int = 0,
    model: ScenarioModel | None = None,
) -> str:
    """The scenario key most likely for these turns (see :func:`scenario_odds`)."""
    if not customer_turns:
        return "other"
    return next(iter(scenario_odds(customer_turns, catalog, taxonomy, unanswered, model)))
