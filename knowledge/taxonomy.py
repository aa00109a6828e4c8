"""The scenario taxonomy: the one definition of scenario keys, labels and cues.

The shipped scenarios are data (``taxonomy.yaml`` next to this module); managers
may add more at run time (``agents.controls``), never remove the fixed ones,
whose keys are part of the API contract.
"""

from __future__ import annotations

from collections.abc import Collection
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, model_validator

from core.errors import Unprocessable

TAXONOMY_FILE = Path(__file__).with_name("taxonomy.yaml")
FIXED_KEYS = ("price", "competitor", "contract", "stall", "delivery", "after_sales", "procurement", "other")


class Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    key: str
    label: str
    cues: tuple[str, ...]
    blockers: tuple[str, ...] = ()  # longer words holding a cue that mean something else

    def hits(self, text: str) -> int:
        """How many of this scenario's cues ``text`` holds, outside its blockers."""
        for blocker in self.blockers:
            text = text.replace(blocker, " ")
        return sum(text.count(cue) for cue in self.cues)


class Taxonomy(BaseModel):
    """The scenarios in force, in order; the fixed keys are always among them."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    scenarios: tuple[Scenario, ...]

    @model_validator(mode="after")
    def _fixed_keys_kept(self) -> Taxonomy:
        missing = set(FIXED_KEYS) - {s.key for s in self.scenarios}
        if missing:
            raise ValueError(f"the taxonomy may grow but must keep {sorted(missing)}")
        return self

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(s.key for s in self.scenarios)

    @property
    def labels(self) -> dict[str, str]:
        """Each key's Chinese label, in taxonomy order."""
        return {s.key: s.label for s in self.scenarios}

    def options(self) -> list[dict[str, str]]:
        """The scenario keys and labels annotators and managers choose from."""
        return [{"key": s.key, "label": s.label} for s in self.scenarios]


@lru_cache(maxsize=1)
def load_taxonomy(path: Path = TAXONOMY_FILE) -> Taxonomy:
    """The shipped taxonomy (without managers' additions)."""
    with path.open(encoding="utf-8") as handle:
        return Taxonomy.model_validate(yaml.safe_load(handle))


def require_scenario(scenario: str, scenarios: Collection[str]) -> None:
    """Unprocessable unless ``scenario`` is a key of the taxonomy in force."""
    if scenario not in scenarios:
        raise Unprocessable(f"场景 {scenario!r} 不在场景分类中：可选 {', '.join(sorted(scenarios))}。")
