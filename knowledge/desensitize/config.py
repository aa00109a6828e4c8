"""The desensitizer's configuration as validated data: recognizers.yaml and names.yaml."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

HERE = Path(__file__).parent


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PatternConfig(_Data):
    name: str
    regex: str
    score: float = Field(ge=0, le=1)


class RecognizerConfig(_Data):
    """One recognizer: a list of patterns, or a built-in kind that needs code."""

    name: str
    entity: str = Field(pattern=r"^[A-Z][A-Z_]*$")
    kind: Literal["pattern", "lac_person", "surname_title", "english_given_name", "street_address"] = "pattern"
    enabled: bool = True
    score: float = Field(0.85, ge=0, le=1, description="Score of kinds without patterns.")
    patterns: tuple[PatternConfig, ...] = ()
    context: tuple[str, ...] = ()
    validator: Literal["cn_id_card", "bank_card", "hk_id", "tw_id", "account_digits"] | None = None
    normalizer: Literal["cn_phone", "cn_landline", "digits", "lower", "email", "upper_alnum", "plate", "compact"] = "compact"
    verified: bool = Field(True, description="False for recognizers that mask a value without a checksum, after an explicit cue (privacy first).")
    exclude_after: tuple[str, ...] = Field((), description="A match right after one of these words is not PII (订单号 …).")

    @model_validator(mode="after")
    def _patterns_match_kind(self) -> RecognizerConfig:
        if (self.kind == "pattern") != bool(self.patterns):
            raise ValueError(f"{self.name}: kind 'pattern' needs patterns; other kinds take none")
        return self


class RecognizerSet(_Data):
    score_threshold: float = Field(ge=0, le=1)
    recognizers: tuple[RecognizerConfig, ...]

    @model_validator(mode="after")
    def _unique_names(self) -> RecognizerSet:
        names = [r.name for r in self.recognizers]
        if len(names) != len(set(names)):
            raise ValueError("recognizer names must be unique")
        return self


class NameData(_Data):
    titles: tuple[str, ...]
    prefixes: tuple[str, ...]
    surnames: tuple[str, ...]
    compound_surnames: tuple[str, ...]
    introducers: tuple[str, ...]
    name_cues: tuple[str, ...]
    title_words: tuple[str, ...]
    name_blockers: tuple[str, ...]
    name_tails: tuple[str, ...]
    name_followers: tuple[str, ...]
    not_names: tuple[str, ...]
    english_given_names: tuple[str, ...]
    pinyin_surnames: tuple[str, ...]
    cantonese_surnames: tuple[str, ...]


def _load(path: Path) -> dict:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@lru_cache(maxsize=4)
def load_recognizer_set(path: Path = HERE / "recognizers.yaml") -> RecognizerSet:
    return RecognizerSet.model_validate(_load(path))


@lru_cache(maxsize=4)
def load_name_data(path: Path = HERE / "names.yaml") -> NameData:
    return NameData.model_validate(_load(path))
