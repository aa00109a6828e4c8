"""Compliance rules as data (rules.yaml), validated, and the matchers they compile to.

A rule finds a violation by any of three kinds of pattern, each a plugin of one small
registry (:data:`MATCHERS`):

- ``terms``: fixed phrases (可有中性替换 ``replacements``);
- ``regex``: one regular expression;
- ``near``: a *pattern family*: a word of one group close to a word of another in the
  same sentence (a promise word within a few characters of a return word; a reference to
  a competitor near a negative judgement), in either order unless ``ordered``.

``{rivals}`` in a pattern stands for every competitor name and alias in the catalog.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Literal

import regex as re
import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

RULES_FILE = Path(__file__).with_name("rules.yaml")
SENTENCE_END = "。！？!?；;\n"
Finder = Callable[[str], Iterator[tuple[int, int]]]


class Near(BaseModel):
    """A word of ``first`` within ``within`` characters of a word of ``then``, in one sentence."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    first: str = Field(min_length=1, description="A regex alternation, e.g. 保证|肯定|一定")
    then: str = Field(min_length=1)
    within: int = Field(12, ge=0, le=60)
    ordered: bool = Field(False, description="Only ``first`` before ``then`` (default: either order).")

    def pattern(self) -> str:
        gap = f"[^{re.escape(SENTENCE_END)}]{{0,{self.within}}}?"
        forward = f"(?:{self.first}){gap}(?:{self.then})"
        return forward if self.ordered else f"{forward}|(?:{self.then}){gap}(?:{self.first})"


class ComplianceRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    title: str
    terms: tuple[str, ...] = ()
    regex: str | None = None
    near: tuple[Near, ...] = ()
    severity: Literal["repair", "block"]
    replacements: dict[str, str] = Field(default_factory=dict)
    anchors: tuple[str, ...] = Field(min_length=1)
    complies: str = Field(description="What a compliant text does, shown to reps with the anchor.")
    exempt_before: str | None = Field(
        None, description="A finding right after this in its clause (a refusal: 不能给…) is no violation."
    )
    exempt_sentence: str | None = Field(None, description="A finding in a sentence matching this (…违法) is no violation.")

    @field_validator("regex", "exempt_before", "exempt_sentence")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            re.compile(value.replace("{rivals}", "x"))
        return value

    @model_validator(mode="after")
    def _has_a_pattern(self) -> ComplianceRule:
        if not (self.terms or self.regex or self.near):
            raise ValueError(f"{self.id}: a rule needs terms, a regex or a near family")
        unknown = set(self.replacements) - set(self.terms)
        if unknown and not (self.regex or self.near):  # a regex finding is replaced by what it matched
            raise ValueError(f"{self.id}: replacements for terms the rule does not have: {sorted(unknown)}")
        return self


class ComplianceRuleSet(BaseModel):
    """The compliance rules file (rules.yaml), validated."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    rules: tuple[ComplianceRule, ...]

    @model_validator(mode="after")
    def _unique(self) -> ComplianceRuleSet:
        ids = [rule.id for rule in self.rules]
        if len(ids) != len(set(ids)):
            raise ValueError("compliance rule ids must be unique")
        return self


def _finder(pattern: str) -> Finder:
    compiled = re.compile(pattern)
    return lambda text: (m.span() for m in compiled.finditer(text))


def _terms(rule: ComplianceRule, rivals: str) -> str | None:
    return "|".join(re.escape(term) for term in sorted(rule.terms, key=len, reverse=True)) or None


def _regex(rule: ComplianceRule, rivals: str) -> str | None:
    return rule.regex.replace("{rivals}", rivals) if rule.regex else None


def _near(rule: ComplianceRule, rivals: str) -> str | None:
    return "|".join(family.pattern().replace("{rivals}", rivals) for family in rule.near) or None


MATCHERS: dict[str, Callable[[ComplianceRule, str], str | None]] = {"terms": _terms, "regex": _regex, "near": _near}


def finders(rule: ComplianceRule, rivals: tuple[str, ...]) -> list[Finder]:
    """One finder per kind of pattern the rule has."""
    alternation = "|".join(re.escape(name) for name in sorted(rivals, key=len, reverse=True)) or "(?!)"
    patterns = (matcher(rule, f"(?:{alternation})") for matcher in MATCHERS.values())
    return [_finder(pattern) for pattern in patterns if pattern]


@lru_cache(maxsize=1)
def load_rules(path: Path = RULES_FILE) -> ComplianceRuleSet:
    with path.open(encoding="utf-8") as handle:
        return ComplianceRuleSet.model_validate(yaml.safe_load(handle))
