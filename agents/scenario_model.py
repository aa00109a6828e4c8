"""The trained scenario classifier: character n-grams of the customer's recent turns plus
the taxonomy's cue counts (:mod:`agents.text_model`).

The weights ship as ``agents/scenario_model.npz``; ``zhice eval train-router`` refits them
on the labelled pool and the dev split only, never on held-out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from agents.text_model import NGRAMS, TextModel

__all__ = ["NGRAMS", "Example", "ScenarioModel", "cue_features", "fit", "load_scenario_model", "model_text"]

MODEL_PATH = Path(__file__).with_name("scenario_model.npz")
TEXT_TURNS = 3  # the customer's last turns the n-grams read
WINDOW_CHARS = 600  # of those, the most recent characters only: a long message costs no more


def model_text(customer_turns: Sequence[str]) -> str:
    """The text the classifier reads: the last turns, most recent characters kept."""
    return "\n".join(customer_turns[-TEXT_TURNS:])[-WINDOW_CHARS:]


def cue_features(cue_scores: Sequence[float]) -> np.ndarray:
    """Cue scores squashed so that many repeated cues do not drown the text."""
    return np.log1p(np.asarray(cue_scores, dtype=np.float64))


class ScenarioModel(TextModel):
    """``classes`` are scenario keys; ``extra_keys`` the order of the cue features (the last one is "chased")."""

    refit = "refit with `zhice eval train-router`"

    @property
    def cue_keys(self) -> tuple[str, ...]:
        return self.extra_keys

    def probabilities(self, text: str, cue_scores: Sequence[float]) -> dict[str, float]:
        """Each scenario's probability, highest first."""
        return self.shares(text, cue_features(cue_scores))


@lru_cache(maxsize=4)
def load_scenario_model(path: Path = MODEL_PATH) -> ScenarioModel | None:
    """The shipped classifier, or None when none was fitted (the cue rule then decides)."""
    return ScenarioModel.load(path)


@dataclass(frozen=True)
class Example:
    """One labelled conversation: its classifier text, its cue scores and its main scenario."""

    text: str
    cue_scores: tuple[float, ...]
    scenario: str
    weight: float = 1.0


def fit(examples: Sequence[Example], cue_keys: Sequence[str], fitted_on: str, regularization: float = 30.0) -> ScenarioModel:
    """Fit the classifier on ``examples`` (scikit-learn, from the ``train`` extra)."""
    if len({example.scenario for example in examples}) < 3:
        raise ValueError("the scenario classifier needs examples of at least three scenarios")
    return ScenarioModel.fit(
        [example.text for example in examples],
        [example.scenario for example in examples],
        extras=np.stack([cue_features(example.cue_scores) for example in examples]),
        extra_keys=cue_keys,
        weights=[example.weight for example in examples],
        fitted_on=fitted_on,
        regularization=regularization,
    )
