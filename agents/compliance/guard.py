"""The guard: every draft checked against the rules (patterns) and legal's exemplar bank."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

import regex as re

from agents.compliance.rules import SENTENCE_END, ComplianceRule, ComplianceRuleSet, finders, load_rules
from knowledge.anchors import AnchorLibrary, LegalAnchor, load_anchors
from knowledge.catalog import Catalog, load_catalog

if TYPE_CHECKING:
    from agents.compliance.classifier import GuardModel
    from agents.compliance.exemplars import ExemplarBank


@dataclass(frozen=True)
class Violation:
    rule: str
    start: int
    end: int
    severity: str
    anchor: LegalAnchor
    how: Literal["pattern", "exemplar", "model"] = "pattern"
    exemplar: str | None = None  # the id of the exemplar the text is close to


@dataclass(frozen=True)
class Checked:
    """A rule the guard ran on a draft without a finding, with its anchors."""

    rule: str
    title: str
    anchors: tuple[LegalAnchor, ...]


@dataclass(frozen=True)
class Enforced:
    """The text that may be shown (None when the draft is dropped) and what was found in the draft."""

    text: str | None
    violations: tuple[Violation, ...]


_CLAUSE_MARKS = "，,。！？!?；;\n"


def _sentence(text: str, position: int) -> str:
    start = max(text.rfind(mark, 0, position) for mark in SENTENCE_END) + 1
    ends = [i for mark in SENTENCE_END if (i := text.find(mark, position)) != -1]
    return text[start : min(ends, default=len(text))]


def _exempt(rule: ComplianceRule, text: str, start: int) -> bool:
    clause_start = max(text.rfind(mark, 0, start) for mark in _CLAUSE_MARKS) + 1
    if rule.exempt_before and re.search(f"(?:{rule.exempt_before})$", text[clause_start:start]):
        return True
    return bool(rule.exempt_sentence and re.search(rule.exempt_sentence, _sentence(text, start)))


def _without_overlaps(found: set[Violation]) -> list[Violation]:
    """Reading order; where two patterns of one rule found overlapping spans, the longer one."""
    kept: list[Violation] = []
    for violation in sorted(found, key=lambda v: (v.start, v.start - v.end, v.rule)):
        if not any(k.rule == violation.rule and k.start < violation.end and violation.start < k.end for k in kept):
            kept.append(violation)
    return kept


class ComplianceGuard:
    """Rules (patterns) first; then, for text no pattern flagged, the exemplar bank; then the
    classifier fitted on legal's labelled sentences."""

    def __init__(
        self, rules: ComplianceRuleSet, anchors: AnchorLibrary, catalog: Catalog, exemplars: ExemplarBank | None = None, model: GuardModel | None = None
    ) -> None:
        self._rules = {rule.id: rule for rule in rules.rules}
        self._anchors = {rule.id: tuple(anchors.get(a) for a in rule.anchors) for rule in rules.rules}  # fail at load
        rivals = tuple(name for product in catalog.competitors() for name in (product.name, *product.aliases))
        self._finders = {rule.id: finders(rule, rivals) for rule in rules.rules}
        self._exemplars, self._model = exemplars, model
        if exemplars is not None:
            exemplars.check_rules(set(self._rules))
        if model is not None and (unknown := set(model.classes) - set(self._rules) - {"fair"}):
            raise ValueError(f"the guard model knows rules that do not exist: {sorted(unknown)}; {model.refit}")

    @property
    def exemplars(self) -> ExemplarBank | None:
        return self._exemplars

    def anchors_of(self, rule_id: str) -> tuple[LegalAnchor, ...]:
        return self._anchors[rule_id]

    def check(self, text: str, meaning: str | None = None) -> list[Violation]:
        """Every finding in reading order; a finding carries the rule's first anchor.
        ``meaning``: the approved wording ``text`` was filled from, read by the exemplar bank
        instead of ``text`` (its vectors are cached across requests); a finding then spans ``text``."""
        found = {
            Violation(rule.id, start, end, rule.severity, self._anchors[rule.id][0])
            for rule in self._rules.values()
            for find in self._finders[rule.id]
            for start, end in find(text)
            if not _exempt(rule, text, start)
        }
        if not found and self._exemplars is not None and (match := self._exemplars.nearest(meaning or text)) is not None:
            rule = self._rules[match.rule]
            start, end = (match.start, match.end) if meaning is None else (0, len(text))
            found.add(Violation(rule.id, start, end, "block", self._anchors[rule.id][0], "exemplar", match.exemplar))
        if not found and self._model is not None and (guess := self._model.violation(meaning or text)) is not None:
            found.add(Violation(guess[0], 0, len(text), "block", self._anchors[guess[0]][0], "model"))
        return _without_overlaps(found)

    def enforce(self, text: str, meaning: str | None = None) -> Enforced:
        """Repair what can be repaired; drop the draft if anything else remains."""
        violations = tuple(self.check(text, meaning))
        if not violations:
            return Enforced(text, ())
        repaired = text
        for violation in sorted(violations, key=lambda v: v.start, reverse=True):
            replacement = self._rules[violation.rule].replacements.get(text[violation.start : violation.end])
            if violation.severity != "repair" or replacement is None or violation.how != "pattern":
                return Enforced(None, violations)
            repaired = repaired[: violation.start] + replacement + repaired[violation.end :]
        return Enforced(repaired if not self.check(repaired, meaning) else None, violations)

    def checked(self, found: set[str] = frozenset()) -> list[Checked]:
        """The rules a draft was checked against without a finding (all but ``found``)."""
        return [Checked(rule.id, rule.title, self._anchors[rule.id]) for rule in self._rules.values() if rule.id not in found]


def build_guard(exemplars: ExemplarBank | None = None) -> ComplianceGuard:
    """The shipped rules, anchors and classifier, with legal's exemplar bank when given."""
    from agents.compliance.classifier import load_guard_model

    return ComplianceGuard(load_rules(), load_anchors(), load_catalog(), exemplars, load_guard_model())


@lru_cache(maxsize=1)
def get_guard() -> ComplianceGuard:
    """The rules and the classifier (no exemplar bank), for code with no services: built once."""
    return build_guard()
