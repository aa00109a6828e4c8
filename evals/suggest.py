"""`zhice eval suggest`: what the product says, measured on realistic conversations.

The cases (evals/datasets/suggest_zh.<split>.jsonl, synthetic) go through the real
suggestion service on the demo data, exactly as a rep's press of 智策 would. Per split:
the share of requests with three suggestions; scenario accuracy with the confusions;
the **foreign-specific share** (a suggestion carrying a specific that neither the
conversation, the customer record nor the catalog entries of the line discussed ground,
see :mod:`evals.specifics`); the **other-line share** (a suggestion naming a product,
model or metric of another line); charts where a comparison helps and charts elsewhere;
usefulness from the judged file (1–5 per suggestion, by people reading as a rep would)
and how confidence tracks it; latency.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agents.calibration import Calibration, KindRate, kind_of
from agents.contract_risk import get_reviewer
from evals.anchoring import anchoring
from agents.services import Services, build_services
from agents.suggestions.model import ChatMessage, CustomerRef, Done, SuggestionRequest
from audit.ledger import Actor
from core.settings import Settings
from knowledge.specifics import Grounding, Specific, allowed_text
from knowledge.catalog import Catalog, Product, load_catalog
from knowledge.lines import load_lines

DATASETS = Path(__file__).parent / "datasets"
SPLITS = ("dev", "heldout", "heldout2")  # heldout2: a second blind set, written after the first was judged
JUDGED = DATASETS / "suggest_zh.judged.jsonl"
SENDABLE = 4  # usefulness ≥ 4: sendable as is or after a small edit
Scenario = Literal["price", "competitor", "contract", "stall", "delivery", "after_sales", "procurement", "other"]
TARGETS = {"three_share": 0.90, "foreign_share": 0.03, "other_line_share": 0.0, "scenario_accuracy": 0.90, "chart_recall": 0.90, "chart_elsewhere": 0.0, "sendable_share": 0.80}


class _Case(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CaseCustomer(_Case):
    id: str
    industry: str | None
    attributes: dict[str, Any] = Field(default_factory=dict)


class CaseMessage(_Case):
    role: Literal["customer", "rep"]
    text: str = Field(min_length=1)


class SuggestCase(_Case):
    """One conversation and what a good answer to it looks like."""

    id: str
    split: Literal["dev", "heldout", "heldout2"]
    customer: CaseCustomer
    product_line: str | None
    messages: tuple[CaseMessage, ...] = Field(min_length=1)
    scenarios: tuple[Scenario, ...] = Field(min_length=1)
    rival: str | None
    chart_expected: bool
    grounded_specifics: tuple[str, ...]
    must_not: tuple[str, ...]
    good_moves: tuple[str, ...]
    note: str = ""


class Judgment(_Case):
    """A person's verdict on one suggestion to one case, as a rep would judge it."""

    case: str
    text: str
    usefulness: int = Field(ge=1, le=5)
    judge: str
    why: str = ""


def load_cases(split: str, directory: Path = DATASETS) -> list[SuggestCase]:
    with (directory / f"suggest_zh.{split}.jsonl").open(encoding="utf-8") as handle:
        return [SuggestCase.model_validate_json(line) for line in handle if line.strip()]


def load_judgments(path: Path = JUDGED) -> dict[tuple[str, str], Judgment]:
    if not path.exists():
        return {}
    with path.open(encoding="utf-8") as handle:
        judged = [Judgment.model_validate_json(line) for line in handle if line.strip()]
    return {(j.case, j.text): j for j in judged}


@dataclass(frozen=True)
class Answer:
    case: SuggestCase
    done: Done
    seconds: float
    foreign: tuple[tuple[Specific, ...], ...]  # per suggestion
    other_line: tuple[tuple[str, ...], ...]  # per suggestion: names of another line's products or metrics


@dataclass
class SuggestReport:
    split: str
    answers: list[Answer] = field(default_factory=list)
    judgments: dict[tuple[str, str], Judgment] = field(default_factory=dict)
    rivals: tuple[str, ...] = ()  # competitor names and aliases, to tell comparison talk

    @property
    def suggestions(self) -> int:
        return sum(len(a.done.suggestions) for a in self.answers)

    def figures(self) -> dict[str, Any]:
        answers, n = self.answers, len(self.answers)
        shown = self.suggestions or 1
        chart_cases = [a for a in answers if a.case.chart_expected]
        other_cases = [a for a in answers if not a.case.chart_expected]
        judged = [(s.confidence, j.usefulness) for a in answers for s in a.done.suggestions if (j := self.judgments.get((a.case.id, s.text)))]
        latencies = sorted(a.seconds * 1000 for a in answers)
        return {
            "split": self.split,
            "cases": n,
            "suggestions": self.suggestions,
            "three_share": round(sum(len(a.done.suggestions) == 3 for a in answers) / n, 3),
            "none_share": round(sum(not a.done.suggestions for a in answers) / n, 3),
            "scenario_accuracy": round(sum(a.done.scenario == a.case.scenarios[0] for a in answers) / n, 3),
            "scenario_in_expected": round(sum(a.done.scenario in a.case.scenarios for a in answers) / n, 3),
            "confusions": dict(Counter(f"{a.case.scenarios[0]}→{a.done.scenario}" for a in answers if a.done.scenario not in a.case.scenarios).most_common()),
            "foreign_share": round(sum(bool(f) for a in answers for f in a.foreign) / shown, 3),
            "foreign_by_kind": dict(Counter(s.kind for a in answers for f in a.foreign for s in f).most_common()),
            "other_line_share": round(sum(bool(o) for a in answers for o in a.other_line) / shown, 3),
            "chart_recall": round(sum(a.done.chart is not None for a in chart_cases) / len(chart_cases), 3) if chart_cases else None,
            "chart_elsewhere": round(sum(a.done.chart is not None for a in other_cases) / len(other_cases), 3) if other_cases else None,
            "degraded_share": round(sum(a.done.degraded for a in answers) / n, 3),
            "judged": len(judged),
            "mean_usefulness": round(statistics.fmean(u for _, u in judged), 2) if judged else None,
            "sendable_share": round(sum(u >= SENDABLE for _, u in judged) / len(judged), 3) if judged else None,
            "confidence_ece": _ece(judged),
            "latency_ms": {"p50": round(statistics.median(latencies)), "p95": round(latencies[int(0.95 * (n - 1))]), "max": round(latencies[-1])},
            "anchoring": anchoring(
                ((s.agent, s.text, frozenset(a.id for a in s.legal_anchors)) for a in answers for s in a.done.suggestions),
                self.rivals,
            ),
        }

    def unjudged(self) -> list[dict[str, Any]]:
        """Suggestions nobody has judged yet, with their conversation, to hand to a judge."""
        return [
            {"case": a.case.id, "text": s.text, "agent": s.agent, "confidence": s.confidence, "messages": [m.model_dump() for m in a.case.messages],
             "customer": a.case.customer.model_dump(), "product_line": a.case.product_line, "good_moves": list(a.case.good_moves), "must_not": list(a.case.must_not)}
            for a in self.answers
            for s in a.done.suggestions
            if (a.case.id, s.text) not in self.judgments
        ]


def fit_calibration(report: SuggestReport, when: str) -> Calibration:
    """Per kind of suggestion, the share judged sendable on this report's split (dev only:
    the held-out split measures the calibration, it never fits it)."""
    if report.split != "dev":
        raise ValueError("calibration is fitted on the dev split only")
    by_kind: dict[str, list[int]] = {}
    for answer in report.answers:
        for s in answer.done.suggestions:
            if (judged := report.judgments.get((answer.case.id, s.text))) is not None:
                kind = kind_of(s.move, (str(source.get("snippet_id", "")) for source in s.sources))
                by_kind.setdefault(kind, []).append(judged.usefulness >= SENDABLE)
    every = [sendable for marks in by_kind.values() for sendable in marks]
    if not every:
        raise ValueError("no judged suggestions in this report: judge some first (--unjudged-out)")
    return Calibration(
        fitted_on=f"dev split, {len(every)} judged suggestions, {when}",
        overall=round(sum(every) / len(every), 3),
        kinds={kind: KindRate(sendable=round(sum(marks) / len(marks), 3), judged=len(marks)) for kind, marks in sorted(by_kind.items())},
    )


def _ece(judged: list[tuple[float, int]], bins: int = 5) -> float | None:
    """Expected calibration error of confidence against "sendable" (usefulness ≥ 4)."""
    if not judged:
        return None
    error = 0.0
    for index in range(bins):
        low, high = index / bins, (index + 1) / bins
        in_bin = [(c, u) for c, u in judged if low <= c < high or (index == bins - 1 and c == 1.0)]
        if in_bin:
            sendable = sum(u >= SENDABLE for _, u in in_bin) / len(in_bin)
            error += len(in_bin) / len(judged) * abs(sendable - statistics.fmean(c for c, _ in in_bin))
    return round(error, 3)


def case_allowed_text(case: SuggestCase, catalog: Catalog) -> str:
    """Everything a reply to ``case`` may draw specifics from (the same rule as the
    suggestion path's grounding check, on the case's own record and line, plus the fair
    counter-terms our contract rules propose: approved terms of ours, like the catalog)."""
    industry = load_lines().industry(case.customer.industry)
    allowed = allowed_text((m.text for m in case.messages), case.customer.model_dump_json(), catalog, case.product_line, industry)
    return "\n".join([allowed, *(rule.counter_clause for rule in get_reviewer().rules)])


def other_line_terms(case: SuggestCase, catalog: Catalog) -> list[str]:
    """Names, aliases and metric labels of products outside the line discussed."""
    def terms(product: Product) -> list[str]:
        return [product.name, *product.aliases, *(m.label for m in product.metrics)]

    own = {term for p in catalog.products if p.industry == case.product_line for term in terms(p)}
    return sorted({term for p in catalog.products if p.industry != case.product_line for term in terms(p)} - own)


async def _answer(services: Services, case: SuggestCase, budget_ms: int) -> Answer:
    request = SuggestionRequest(
        owner=Actor(key_id="eval", role="rep"),
        conversation_id=f"eval-{case.id}",
        customer=CustomerRef(case.customer.id, case.customer.industry, dict(case.customer.attributes)),
        messages=tuple(ChatMessage(m.role, m.text) for m in case.messages),
        arrived_at=time.perf_counter(),
        budget_ms=budget_ms,
    )
    done = await services.suggestions.answer(request)
    seconds = time.perf_counter() - request.arrived_at
    grounding, others = Grounding(case_allowed_text(case, services.catalog)), other_line_terms(case, services.catalog)
    return Answer(
        case,
        done,
        seconds,
        tuple(tuple(grounding.foreign(s.text)) for s in done.suggestions),
        tuple(tuple(term for term in others if term in s.text) for s in done.suggestions),
    )


def evaluate(settings: Settings, cases: list[SuggestCase], split: str, *, budget_ms: int, judged: Path = JUDGED) -> SuggestReport:
    """Every case through the suggestion service on the demo data in ``settings``' data dir
    (use a fresh one), one at a time, as one rep would press."""

    async def run() -> list[Answer]:
        services = build_services(settings, throttle_keys=False)  # inside the loop: an LLM composer's client belongs to it
        services.start(demo=True)
        try:
            return [await _answer(services, case, budget_ms) for case in cases]
        finally:
            await services.aclose()

    rivals = tuple(name for p in load_catalog().competitors() for name in (p.name, *p.aliases))
    return SuggestReport(split, asyncio.run(run()), load_judgments(judged), rivals)


def write_unjudged(report: SuggestReport, path: Path) -> int:
    rows = report.unjudged()
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return len(rows)
