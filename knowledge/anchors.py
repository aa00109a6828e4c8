"""The legal anchor library (knowledge/anchors.yaml): law, version, article, summary."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

ANCHORS_FILE = Path(__file__).with_name("anchors.yaml")


class LegalAnchor(BaseModel):
    """One article a suggestion or a rule rests on."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    law: str
    version: str = Field(description="Version or effective date of the law.")
    article: str
    summary: str


class AnchorLibrary(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    anchors: tuple[LegalAnchor, ...]

    @model_validator(mode="after")
    def _unique(self) -> AnchorLibrary:
        ids = [anchor.id for anchor in self.anchors]
        if len(ids) != len(set(ids)):
            raise ValueError("anchor ids must be unique")
        return self

    def get(self, anchor_id: str) -> LegalAnchor:
        for anchor in self.anchors:
            if anchor.id == anchor_id:
                return anchor
        raise KeyError(f"no legal anchor {anchor_id!r} in {ANCHORS_FILE.name}")


@lru_cache(maxsize=4)
def load_anchors(path: Path = ANCHORS_FILE) -> AnchorLibrary:
    with path.open(encoding="utf-8") as handle:
        return AnchorLibrary.model_validate(yaml.safe_load(handle))
