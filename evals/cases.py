"""Reading an eval dataset: JSON Lines, one case per line, each validated, filtered by split."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel

CaseT = TypeVar("CaseT", bound=BaseModel)


def read_cases(path: Path, model: type[CaseT], split: str | None = None) -> list[CaseT]:
    """The cases of ``split`` ("dev", "heldout", … or None for all), validated by ``model``."""
    with path.open(encoding="utf-8") as handle:
        cases = [model.model_validate_json(line) for line in handle if line.strip()]
    return [case for case in cases if split is None or getattr(case, "split") == split]
