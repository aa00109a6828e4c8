"""Fit and measure the scenario classifier (``zhice eval train-router``).

Training examples are the labelled pool shipped with the demo (its customer turns and
annotated scenario), the short labelled turns of ``agents/scenario_examples.yaml`` (small
talk and one-liners the pool rarely holds) and the dev split's conversations (desensitized first, as the
suggestion path sees them; their first scenario key). Held-out splits are never read here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from agents.router import CHASED, cue_scores, unanswered
from agents.scenario_model import Example, ScenarioModel, fit, model_text
from evals.suggest import SuggestCase
from knowledge.catalog import Catalog
from knowledge.desensitize import Desensitizer
from knowledge.taxonomy import Taxonomy

ROOT = Path(__file__).resolve().parents[1]
DEMO_POOL = ROOT / "knowledge" / "demo" / "snippets.jsonl"
SHORT_TURNS = ROOT / "agents" / "scenario_examples.yaml"
CASE_WEIGHT = 2.0  # a whole conversation written like a real chat teaches more than a pool snippet
FOLDS = 6


def cue_keys(taxonomy: Taxonomy) -> tuple[str, ...]:
    return (*taxonomy.keys, CHASED)


def _example(turns: Sequence[str], unanswered: int, scenario: str, catalog: Catalog, taxonomy: Taxonomy, weight: float) -> Example:
    scores = cue_scores(turns, catalog, taxonomy, unanswered)
    return Example(model_text(turns), tuple(scores[key] for key in cue_keys(taxonomy)), scenario, weight)


def pool_examples(catalog: Catalog, taxonomy: Taxonomy, path: Path = DEMO_POOL) -> list[Example]:
    """The labelled pool's snippets (already desensitized): customer turns and scenario."""
    examples = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                record = json.loads(line)
                examples.append(_example(record["customer"].split("\n"), 0, record["scenario"], catalog, taxonomy, 1.0))
    return examples


def short_turn_examples(catalog: Catalog, taxonomy: Taxonomy, path: Path = SHORT_TURNS) -> list[Example]:
    """The labelled short turns (" / " separates a customer's consecutive turns)."""
    with path.open(encoding="utf-8") as handle:
        by_scenario: dict[str, list[str]] = yaml.safe_load(handle)
    unknown = set(by_scenario) - set(taxonomy.keys)
    if unknown:
        raise ValueError(f"{path.name}: unknown scenarios {sorted(unknown)}")
    return [_example(text.split(" / "), 0, scenario, catalog, taxonomy, 1.0) for scenario, texts in by_scenario.items() for text in texts]


def case_examples(cases: Sequence[SuggestCase], desensitizer: Desensitizer, catalog: Catalog, taxonomy: Taxonomy) -> list[Example]:
    """Each case's customer turns, desensitized, with its main scenario."""
    examples = []
    for case in cases:
        turns = [desensitizer.desensitize(m.text).text for m in case.messages if m.role == "customer"]
        examples.append(_example(turns, unanswered([m.role for m in case.messages]), case.scenarios[0], catalog, taxonomy, CASE_WEIGHT))
    return examples


@dataclass(frozen=True)
class CrossValidation:
    folds: int
    cases: int
    accuracy: float


def cross_validate(labelled: list[Example], cases: list[Example], taxonomy: Taxonomy, folds: int = FOLDS) -> CrossValidation:
    """Accuracy on the dev cases, each predicted by a model fitted without its fold."""
    if not cases:
        raise ValueError("no dev cases to cross-validate on")
    right = 0
    for fold in range(folds):
        held = [example for index, example in enumerate(cases) if index % folds == fold]
        kept = [example for index, example in enumerate(cases) if index % folds != fold]
        model = fit(labelled + kept, cue_keys(taxonomy), "cross-validation")
        right += sum(_predict(model, example) == example.scenario for example in held)
    return CrossValidation(folds, len(cases), round(right / len(cases), 3))


def _predict(model: ScenarioModel, example: Example) -> str:
    return next(iter(model.probabilities(example.text, example.cue_scores)))


def train(labelled: list[Example], cases: list[Example], taxonomy: Taxonomy, when: str) -> ScenarioModel:
    """Fit on ``labelled`` (pool snippets and short turns) and the dev ``cases``."""
    return fit(labelled + cases, cue_keys(taxonomy), f"{len(labelled)} labelled snippets and turns and {len(cases)} dev conversations, {when}")
