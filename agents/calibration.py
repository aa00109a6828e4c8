"""Confidence that means fit: the share of suggestions of the same kind (the kind of move:
a refusal, a catalog answer, a price move, a won deal's reply …) that a rep reading the dev
split judged sendable after at most a small edit (usefulness ≥ 4). ``zhice eval calibrate``
fits it on the dev split only and writes ``calibration.yaml``; without that file the
confidence shown is the ranking score. Ranking always uses the moves' scores.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

CALIBRATION_FILE = Path(__file__).with_name("calibration.yaml")
PRIOR_WEIGHT = 4  # a kind with few judged suggestions leans this many judgments' worth towards the overall share


class KindRate(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    sendable: float = Field(ge=0.0, le=1.0)
    judged: int = Field(ge=0)


class Calibration(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    fitted_on: str
    overall: float = Field(ge=0.0, le=1.0)
    kinds: dict[str, KindRate]

    def confidence(self, kind: str) -> float:
        """The calibrated chance a suggestion of this kind is sendable (smoothed towards the overall share)."""
        rate = self.kinds.get(kind)
        if rate is None:
            return round(self.overall, 3)
        return round((rate.sendable * rate.judged + self.overall * PRIOR_WEIGHT) / (rate.judged + PRIOR_WEIGHT), 3)


def kind_of(move: str | None, sources: Iterable[str]) -> str:
    """A suggestion's kind: its move's family (decline, answer, price …), else where it came
    from (catalog: a fact comparison, rule: a contract counter-term, won: a won deal's reply)."""
    if move:
        return move.split(".")[0]
    first = next(iter(sources), "")
    return first.split(":")[0] if ":" in first else "won"


@lru_cache(maxsize=2)
def load_calibration(path: Path = CALIBRATION_FILE) -> Calibration | None:
    if not path.exists():
        return None
    with path.open(encoding="utf-8") as handle:
        return Calibration.model_validate(yaml.safe_load(handle))
