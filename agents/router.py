"""Scenario from the recent customer turns, and which agents serve it."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, model_validator

from agents.base import query_of
from knowledge.catalog import Catalog
from knowledge.store import POOL, KnowledgeStore

TAXONOMY_FILE = Path(__file__).with_name("taxonomy.yaml")
FIXED_KEYS = ("price", "competitor", "contract", "stall", "delivery", "after_sales", "procurement", "other")
RECENT_TURNS = 3


class Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    key: str
    label: str
    cues: tuple[str, ...]


class Taxonomy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    scenarios: tuple[Scenario, ...]

    @model_validator(mode="after")
    def _fixed_keys_kept(self) -> Taxonomy:
        missing = set(FIXED_KEYS) - {s.key for s in self.scenarios}
        if missing:
            raise ValueError(f"the taxonomy may grow but must keep {sorted(missing)}")
        return self


@lru_cache(maxsize=1)
def load_taxonomy(path: Path = TAXONOMY_FILE) -> Taxonomy:
    with path.open(encoding="utf-8") as handle:
        return Taxonomy.model_validate(yaml.safe_load(handle))


NEIGHBOURS = 7
NEIGHBOUR_WEIGHT = 0.5


def classify(
    customer_turns: Sequence[str], catalog: Catalog, taxonomy: Taxonomy | None = None, store: KnowledgeStore | None = None
) -> str:
    """The scenario key: cue hits in the last turns, the latest turn weighing most;
    naming a competitor from the catalog counts as a competitor cue; with a store,
    the annotated scenarios of the nearest approved snippets vote too."""
    taxonomy = taxonomy or load_taxonomy()
    scores: dict[str, float] = {}
    if store is not None and customer_turns:
        for hit in store.search(POOL, query_of(list(customer_turns)), NEIGHBOURS):
            scenario = hit.metadata.get("scenario")
            if scenario:
                scores[scenario] = scores.get(scenario, 0.0) + NEIGHBOUR_WEIGHT * hit.relevance
    recent = list(customer_turns)[-RECENT_TURNS:]
    for age, turn in enumerate(reversed(recent)):
        weight = 1.0 / (1 + age)
        for scenario in taxonomy.scenarios:
            hits = sum(turn.count(cue) for cue in scenario.cues)
            if scenario.key == "competitor":
                hits += 3 * sum(1 for product in catalog.mentioned(turn) if not product.ours)
            if hits:
                scores[scenario.key] = scores.get(scenario.key, 0.0) + weight * hits
    if not scores:
        return "other"
    order = {scenario.key: index for index, scenario in enumerate(taxonomy.scenarios)}
    return max(scores, key=lambda key: (scores[key], -order[key]))


def scenario_options(taxonomy: Taxonomy | None = None) -> list[dict[str, str]]:
    """The scenario keys and labels annotators and managers choose from."""
    return [{"key": s.key, "label": s.label} for s in (taxonomy or load_taxonomy()).scenarios]
