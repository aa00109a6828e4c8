"""What the shipped text classifiers (:mod:`agents.text_model`) are fitted on, and how well
they do on dev cases held back from fitting."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

ModelT = TypeVar("ModelT")
FOLDS = 5


@dataclass(frozen=True)
class Labelled:
    text: str
    label: str
    scored: bool  # a dev case (scored in cross-validation) or approved wording / a library item (fitting only)


def cross_validated(
    rows: Sequence[Labelled], fit: Callable[[list[str], list[str]], ModelT], flags: Callable[[ModelT, str], bool], negative: str, seed: int = 7
) -> dict[str, float]:
    """The classifier alone on dev cases held back from fitting (5 folds): the share of
    positives it flags, and of ``negative`` cases it flags (false alarms)."""
    scored = [i for i, row in enumerate(rows) if row.scored]
    random.Random(seed).shuffle(scored)
    caught = positives = alarms = negatives = 0
    for fold in range(FOLDS):
        held = set(scored[fold::FOLDS])
        model = fit([r.text for i, r in enumerate(rows) if i not in held], [r.label for i, r in enumerate(rows) if i not in held])
        for i in held:
            hit = flags(model, rows[i].text)
            if rows[i].label == negative:
                negatives, alarms = negatives + 1, alarms + hit
            else:
                positives, caught = positives + 1, caught + hit
    return {"caught": round(caught / max(positives, 1), 3), "false_alarms": round(alarms / max(negatives, 1), 3)}


def described(rows: Sequence[Labelled], when: str) -> str:
    scored = sum(r.scored for r in rows)
    return f"{scored} dev cases, {len(rows) - scored} library or approved texts, {when}"
