"""Evaluate the contract reviewer on evals/datasets/contracts_zh.jsonl.

Formal items are contract clauses (甲方 the buyer, 乙方 us); chat items are what a buyer writes
in a chat, reviewed as the suggest path reviews a customer's turn. A risk is *recognised*
when the reviewer names its type; a benign item with any finding is a false alarm.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from evals.cases import read_cases
from agents.contract_risk.detector import ContractReviewer

DATASET = Path(__file__).parent / "datasets" / "contracts_zh.jsonl"
SPLITS = ("dev", "heldout")


class Case(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    split: str
    form: Literal["formal", "chat"]
    text: str
    risks: tuple[str, ...]
    note: str = ""


def load_cases(path: Path = DATASET, split: str | None = None) -> list[Case]:
    """The cases of ``split`` ("dev", "heldout", or None for all), validated."""
    return read_cases(path, Case, split)


@dataclass
class FormScore:
    risks: int = 0
    recognised: int = 0
    benign: int = 0
    false_alarms: int = 0


@dataclass
class ContractReport:
    cases: int
    by_form: dict[str, FormScore] = field(default_factory=dict)
    by_type: dict[str, tuple[int, int]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    @property
    def recognised_rate(self) -> float:
        risks = sum(s.risks for s in self.by_form.values())
        return sum(s.recognised for s in self.by_form.values()) / risks if risks else 0.0

    @property
    def false_alarms(self) -> int:
        return sum(s.false_alarms for s in self.by_form.values())

    def figures(self) -> dict[str, object]:
        return {
            "cases": self.cases,
            "recognised": round(self.recognised_rate, 3),
            "false_alarms": self.false_alarms,
            "by_form": {form: vars(score) for form, score in sorted(self.by_form.items())},
            "by_type": {risk: {"recognised": found, "of": total} for risk, (found, total) in sorted(self.by_type.items())},
        }


def evaluate(reviewer: ContractReviewer, cases: list[Case]) -> ContractReport:
    report = ContractReport(len(cases))
    for case in cases:
        risks = reviewer.review(case.text) if case.form == "formal" else reviewer.review_chat(case.text)
        found = {risk.type for risk in risks}
        score = report.by_form.setdefault(case.form, FormScore())
        if not case.risks:
            score.benign += 1
            if found:
                score.false_alarms += 1
                report.errors.append(f"false  {case.id} {case.form} {sorted(found)} {case.text}")
            continue
        for risk in case.risks:
            score.risks += 1
            hit = risk in found
            score.recognised += hit
            done, total = report.by_type.get(risk, (0, 0))
            report.by_type[risk] = (done + hit, total + 1)
            if not hit:
                report.errors.append(f"missed {case.id} {case.form} {risk} (found {sorted(found)}) {case.text}")
    return report
