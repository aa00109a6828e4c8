"""Evaluate the desensitizer on evals/datasets/pii_zh.jsonl (synthetic, written for 智策).

Matching is per entity type: a detected span is a true positive when it
overlaps a gold span of the same type; a gold span is recalled when some
detected span of its type overlaps it. The leak rate is strict: a gold value
leaks when any character of it survives in the output (is not covered by
some detection, of any type).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, model_validator

from evals.cases import read_cases
from knowledge.desensitize.engine import Desensitizer

DATASET = Path(__file__).parent / "datasets" / "pii_zh.jsonl"
SPLITS = ("dev", "heldout")
PATTERN_ENTITIES = (
    "CN_MOBILE", "CN_LANDLINE", "CN_ID_CARD", "CN_BANK_CARD", "EMAIL_ADDRESS",
    "WECHAT_ID", "QQ_NUMBER", "CN_LICENSE_PLATE", "CN_ADDRESS",
    "CN_PASSPORT", "CN_TRAVEL_PERMIT", "HK_ID_CARD", "TW_ID_CARD",
)


class GoldSpan(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    start: int
    end: int
    type: str


class Case(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    split: str
    text: str
    spans: tuple[GoldSpan, ...]

    @model_validator(mode="after")
    def _spans_inside(self) -> Case:
        for span in self.spans:
            if not 0 <= span.start < span.end <= len(self.text):
                raise ValueError(f"{self.id}: span {span.start}-{span.end} outside the text")
        return self


def load_cases(path: Path = DATASET, split: str | None = None) -> list[Case]:
    """The cases of ``split`` ("dev", "heldout", or None for all), validated."""
    return read_cases(path, Case, split)


@dataclass
class EntityScore:
    true_positives: int = 0
    predicted: int = 0
    recalled: int = 0
    gold: int = 0

    @property
    def precision(self) -> float:
        return self.true_positives / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.recalled / self.gold if self.gold else 1.0


@dataclass
class PiiReport:
    cases: int = 0
    by_entity: dict[str, EntityScore] = field(default_factory=dict)
    leaked: list[str] = field(default_factory=list)
    false_positives: list[str] = field(default_factory=list)
    gold_values: int = 0

    def overall(self, entities: Iterable[str] | None = None) -> EntityScore:
        chosen = [self.by_entity[name] for name in (entities or self.by_entity) if name in self.by_entity]
        total = EntityScore()
        for score in chosen:
            total.true_positives += score.true_positives
            total.predicted += score.predicted
            total.recalled += score.recalled
            total.gold += score.gold
        return total

    @property
    def leak_rate(self) -> float:
        return len(self.leaked) / self.gold_values if self.gold_values else 0.0


def _overlaps(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    return a_start < b_end and b_start < a_end


def evaluate(desensitizer: Desensitizer, cases: Iterable[Case]) -> PiiReport:
    report = PiiReport()
    for case in cases:
        report.cases += 1
        found = desensitizer.detect(case.text)
        covered = Counter()
        for detection in found:
            for position in range(detection.start, detection.end):
                covered[position] += 1
        for span in case.spans:
            score = report.by_entity.setdefault(span.type, EntityScore())
            score.gold += 1
            report.gold_values += 1
            if any(d.type == span.type and _overlaps(d.start, d.end, span.start, span.end) for d in found):
                score.recalled += 1
            if any(covered[position] == 0 for position in range(span.start, span.end)):
                report.leaked.append(f"{case.id} {span.type} {case.text[span.start:span.end]!r}")
        for detection in found:
            score = report.by_entity.setdefault(detection.type, EntityScore())
            score.predicted += 1
            if any(s.type == detection.type and _overlaps(detection.start, detection.end, s.start, s.end) for s in case.spans):
                score.true_positives += 1
            else:
                report.false_positives.append(f"{case.id} {detection.type} {case.text[detection.start:detection.end]!r}")
    return report


def report_json(report: PiiReport) -> str:
    """The numbers as JSON, for CI logs and notes."""
    entities = {
        name: {"precision": round(s.precision, 4), "recall": round(s.recall, 4), "gold": s.gold, "predicted": s.predicted}
        for name, s in sorted(report.by_entity.items())
    }
    total = report.overall()
    return json.dumps(
        {
            "cases": report.cases,
            "entities": entities,
            "overall": {"precision": round(total.precision, 4), "recall": round(total.recall, 4)},
            "pattern_entities_recall": round(report.overall(PATTERN_ENTITIES).recall, 4),
            "leak_rate": round(report.leak_rate, 4),
        },
        ensure_ascii=False,
    )
