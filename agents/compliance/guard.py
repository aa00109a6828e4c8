"""Rules, matchers (one small registry) and the guard."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import regex as re
import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from knowledge.anchors import AnchorLibrary, LegalAnchor, load_anchors

RULES_FILE = Path(__file__).with_name("rules.yaml")


class ComplianceRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    title: str
    matcher: Literal["terms", "regex"]
    terms: tuple[str, ...] = ()
    regex: str | None = None
    severity: Literal["repair", "block"]
    replacements: dict[str, str] = Field(default_factory=dict)
    anchors: tuple[str, ...] = Field(min_length=1)
    complies: str = Field(description="What a compliant text does, shown to reps with the anchor.")
    exempt_before: str | None = Field(
        None, description="A finding right after this in its clause (a refusal: 不能给…) is no violation."
    )
    exempt_sentence: str | None = Field(None, description="A finding in a sentence matching this (…违法) is no violation.")
    attest_for: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _matcher_has_input(self) -> ComplianceRule:
        if (self.matcher == "terms") != bool(self.terms) or (self.matcher == "regex") != bool(self.regex):
            raise ValueError(f"{self.id}: a terms rule needs terms, a regex rule a regex, and nothing else")
        unknown = set(self.replacements) - set(self.terms)
        if self.matcher == "terms" and unknown:
            raise ValueError(f"{self.id}: replacements for terms the rule does not have: {sorted(unknown)}")
        return self


class ComplianceRuleSet(BaseModel):
    """The compliance rules file (rules.yaml), validated."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    rules: tuple[ComplianceRule, ...]


def _terms_matcher(rule: ComplianceRule) -> Callable[[str], Iterator[tuple[int, int]]]:
    pattern = re.compile("|".join(re.escape(term) for term in sorted(rule.terms, key=len, reverse=True)))
    return lambda text: (m.span() for m in pattern.finditer(text))


def _regex_matcher(rule: ComplianceRule) -> Callable[[str], Iterator[tuple[int, int]]]:
    pattern = re.compile(rule.regex)
    return lambda text: (m.span() for m in pattern.finditer(text))


MATCHERS: dict[str, Callable[[ComplianceRule], Callable[[str], Iterator[tuple[int, int]]]]] = {
    "terms": _terms_matcher,
    "regex": _regex_matcher,
}


@dataclass(frozen=True)
class Violation:
    rule: str
    start: int
    end: int
    severity: str
    anchor: LegalAnchor


@dataclass(frozen=True)
class Attestation:
    """An anchor a suggestion was checked against, the rule, and why it complies."""

    anchor: LegalAnchor
    rule: str
    complies: str


@dataclass(frozen=True)
class Enforced:
    """The text that may be shown (None when the draft is dropped) and what was found in the draft."""

    text: str | None
    violations: tuple[Violation, ...]


_SENTENCE_END = "。！？!?；;\n"


def _sentence(text: str, position: int) -> str:
    start = max(text.rfind(mark, 0, position) for mark in _SENTENCE_END) + 1
    ends = [i for mark in _SENTENCE_END if (i := text.find(mark, position)) != -1]
    return text[start : min(ends, default=len(text))]


_CLAUSE_MARKS = "，,。！？!?；;\n"


def _exempt(rule: ComplianceRule, text: str, start: int) -> bool:
    clause_start = max(text.rfind(mark, 0, start) for mark in _CLAUSE_MARKS) + 1
    if rule.exempt_before and re.search(rule.exempt_before + "$", text[clause_start:start]):
        return True
    return bool(rule.exempt_sentence and re.search(rule.exempt_sentence, _sentence(text, start)))


class ComplianceGuard:
    def __init__(self, rules: ComplianceRuleSet, anchors: AnchorLibrary) -> None:
        self._rules = rules.rules
        self._anchors = anchors
        for rule in self._rules:
            for anchor_id in rule.anchors:
                anchors.get(anchor_id)  # fail at load, not at request time
        self._matchers = {rule.id: MATCHERS[rule.matcher](rule) for rule in self._rules}

    def check(self, text: str) -> list[Violation]:
        """Every finding in reading order; a finding carries the rule's first anchor."""
        found = [
            Violation(rule.id, start, end, rule.severity, self._anchors.get(rule.anchors[0]))
            for rule in self._rules
            for start, end in self._matchers[rule.id](text)
            if not _exempt(rule, text, start)
        ]
        return sorted(found, key=lambda v: (v.start, v.end))

    def enforce(self, text: str) -> Enforced:
        """Repair what can be repaired; drop the draft if anything else remains."""
        violations = tuple(self.check(text))
        if not violations:
            return Enforced(text, ())
        rules = {rule.id: rule for rule in self._rules}
        repaired = text
        for violation in sorted(violations, key=lambda v: v.start, reverse=True):
            found = text[violation.start : violation.end]
            replacement = rules[violation.rule].replacements.get(found)
            if violation.severity != "repair" or replacement is None:
                return Enforced(None, violations)
            repaired = repaired[: violation.start] + replacement + repaired[violation.end :]
        return Enforced(repaired if not self.check(repaired) else None, violations)

    def attestations(self, agent: str) -> list[Attestation]:
        """The anchors a suggestion of ``agent`` was checked against, with why it complies."""
        return [
            Attestation(self._anchors.get(anchor_id), rule.id, rule.complies)
            for rule in self._rules
            if agent in rule.attest_for
            for anchor_id in rule.anchors
        ]


@lru_cache(maxsize=1)
def get_guard() -> ComplianceGuard:
    with RULES_FILE.open(encoding="utf-8") as handle:
        rules = ComplianceRuleSet.model_validate(yaml.safe_load(handle))
    return ComplianceGuard(rules, load_anchors())
