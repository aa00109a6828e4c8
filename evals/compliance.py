"""Evaluate the compliance guard on evals/datasets/compliance_zh.jsonl.

Each case is a rep's message, desensitized first as on the suggest path, then checked. A
violation is *caught* when the guard flags it at all, and *named* when one finding names its
rule; a fair message flagged by any rule is a false alarm.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from evals.cases import read_cases
from agents.compliance import ComplianceGuard
from knowledge.desensitize.engine import Desensitizer

DATASET = Path(__file__).parent / "datasets" / "compliance_zh.jsonl"
SPLITS = ("dev", "heldout")


class Case(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    split: str
    text: str
    rule: str | None
    note: str = ""


def load_cases(path: Path = DATASET, split: str | None = None) -> list[Case]:
    """The cases of ``split`` ("dev", "heldout", or None for all), validated."""
    return read_cases(path, Case, split)


@dataclass
class RuleScore:
    violations: int = 0
    caught: int = 0
    named: int = 0
    false_alarms: int = 0  # fair messages this rule flagged


@dataclass
class ComplianceReport:
    cases: int
    by_rule: dict[str, RuleScore]
    fair: int
    flagged_fair: int
    unanchored: int
    by_exemplar: int  # violations caught only by the exemplar bank
    misses: list[str] = field(default_factory=list)
    false_alarms: list[str] = field(default_factory=list)

    @property
    def violations(self) -> int:
        return sum(score.violations for score in self.by_rule.values())

    @property
    def caught(self) -> int:
        return sum(score.caught for score in self.by_rule.values())

    @property
    def caught_rate(self) -> float:
        return self.caught / self.violations if self.violations else 0.0

    @property
    def false_alarm_rate(self) -> float:
        return self.flagged_fair / self.fair if self.fair else 0.0

    def figures(self) -> dict[str, object]:
        return {
            "cases": self.cases,
            "violations": self.violations,
            "caught": round(self.caught_rate, 3),
            "named": round(sum(s.named for s in self.by_rule.values()) / max(self.violations, 1), 3),
            "fair": self.fair,
            "false_alarms": round(self.false_alarm_rate, 3),
            "unanchored_flags": self.unanchored,
            "caught_by_exemplar_only": self.by_exemplar,
            "by_rule": {rule: vars(score) for rule, score in sorted(self.by_rule.items())},
        }


def evaluate(guard: ComplianceGuard, desensitizer: Desensitizer, cases: list[Case]) -> ComplianceReport:
    """Check every case as the suggest path would (desensitized text) and count."""
    report = ComplianceReport(len(cases), {}, 0, 0, 0, 0)
    for case in cases:
        text = desensitizer.desensitize(case.text).text
        found = guard.check(text)
        report.unanchored += sum(1 for v in found if v.anchor is None)
        rules = Counter(v.rule for v in found)
        if case.rule is None:
            report.fair += 1
            if found:
                report.flagged_fair += 1
                report.false_alarms.append(f"{case.id} {sorted(rules)} {case.text}")
            for rule in rules:
                report.by_rule.setdefault(rule, RuleScore()).false_alarms += 1
            continue
        score = report.by_rule.setdefault(case.rule, RuleScore())
        score.violations += 1
        score.caught += bool(found)
        score.named += case.rule in rules
        report.by_exemplar += bool(found) and all(v.how == "exemplar" for v in found)
        if not found:
            report.misses.append(f"{case.id} {case.rule} {case.text}")
    return report
