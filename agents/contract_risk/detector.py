"""Split a contract into clauses and find the risky ones, from our party's side."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import regex as re
import yaml
from pydantic import BaseModel, ConfigDict, Field

from knowledge.anchors import LegalAnchor, load_anchors

RULES_FILE = Path(__file__).with_name("rules.yaml")
PARTIES = ("甲方", "乙方")

_CLAUSE_END = re.compile(r"(?<=[。；;！!？?\n])|(?=(?:^|\s)(?:第[一二三四五六七八九十百\d]+条|\d+(?:\.\d+)*[、.．]\s?|[（(][一二三四五六七八九十\d]+[）)]))")
_NUMBER = r"(?:\d+(?:\.\d+)?|[零一二两三四五六七八九十百]+)"
_PERCENT = re.compile(rf"(\d+(?:\.\d+)?)\s*[%％]|百分之({_NUMBER})|千分之({_NUMBER})|万分之({_NUMBER})")
_DAYS = re.compile(rf"({_NUMBER})\s*(?:个)?(?:自然日|工作日|日|天)")
_CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
# months of a warranty period are not a payment term (5% 质保金于 12 个月质保期满后支付)
_MONTHS = re.compile(rf"(?<!(?:质保|保修)期为?\s?)({_NUMBER})\s*个月(?!的?(?:质保|保修))")
_PER_DAY = re.compile(r"每(?:逾期|迟延|延迟)?(?:一)?[日天]|按日")


class Limits(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    percent_above: float | None = None
    daily_percent_above: float | None = None
    days_above: int | None = None


class RiskRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    title: str
    severity: Literal["high", "medium", "low"]
    anchors: tuple[str, ...] = ()
    requires: tuple[str, ...] = Field(min_length=1)
    triggers: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()
    limits: Limits = Limits()
    explanation: str
    counter_clause: str


class RiskRuleSet(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    rules: tuple[RiskRule, ...]


@dataclass(frozen=True)
class Risk:
    type: str
    title: str
    clause: str
    severity: str
    explanation: str
    counter_clause: str
    legal_anchors: tuple[LegalAnchor, ...]


def split_clauses(text: str) -> list[str]:
    """Clauses in order: sentences ending in 。；！？ or new lines, and numbered items."""
    return [part.strip() for part in _CLAUSE_END.split(text) if part and part.strip(" \n\t。；;")]


def number(text: str) -> float:
    """12, 0.5, 五, 十五, 九十, 一百二十 → a number."""
    if text[0].isdigit():
        return float(text)
    total, current = 0, 0
    for char in text:
        if char in _CN_DIGITS:
            current = _CN_DIGITS[char]
        elif char == "十":
            total += (current or 1) * 10
            current = 0
        elif char == "百":
            total += (current or 1) * 100
            current = 0
    return float(total + current)


def _percents(text: str) -> list[float]:
    values = []
    for percent, hundredths, thousandths, ten_thousandths in _PERCENT.findall(text):
        if percent or hundredths:
            values.append(number(percent or hundredths))
        elif thousandths:
            values.append(number(thousandths) / 10)
        else:
            values.append(number(ten_thousandths) / 100)
    return values


def _days(clause: str) -> list[float]:
    return [number(d) for d in _DAYS.findall(clause)] + [number(m) * 30 for m in _MONTHS.findall(clause)]


def _over_limit(limits: Limits, clause: str) -> bool:
    if limits.percent_above is not None and any(p > limits.percent_above for p in _percents(clause)):
        return True
    if limits.daily_percent_above is not None:
        # only a rate in the same part as 每日 is a daily rate (a 5% cap beside it is not)
        daily = [p for part in re.split(r"[，,；;]", clause) if _PER_DAY.search(part) for p in _percents(part)]
        if any(p > limits.daily_percent_above for p in daily):
            return True
    return limits.days_above is not None and any(d > limits.days_above for d in _days(clause))


class ContractReviewer:
    """Applies the risk rules to each clause, with ``{us}``/``{them}`` set by the party we are."""

    def __init__(self, rules: RiskRuleSet) -> None:
        self._rules = rules.rules
        anchors = load_anchors()
        self._anchors = {rule.id: tuple(anchors.get(a) for a in rule.anchors) for rule in self._rules}
        self._compiled: dict[str, list[tuple[RiskRule, list[re.Pattern], list[re.Pattern], list[re.Pattern]]]] = {}
        for us in PARTIES:
            them = PARTIES[1 - PARTIES.index(us)]

            def compile_all(patterns: tuple[str, ...], us: str = us, them: str = them) -> list[re.Pattern]:
                return [re.compile(p.replace("{us}", us).replace("{them}", them)) for p in patterns]

            self._compiled[us] = [
                (rule, compile_all(rule.requires), compile_all(rule.triggers), compile_all(rule.unless)) for rule in self._rules
            ]

    def review(self, text: str, our_party: str = "乙方") -> list[Risk]:
        """Every risky clause, in contract order; a clause may carry several risks."""
        if our_party not in PARTIES:
            raise ValueError(f"our_party must be one of {PARTIES}")
        them = PARTIES[1 - PARTIES.index(our_party)]
        risks = []
        for clause in split_clauses(text):
            for rule, requires, triggers, unless in self._compiled[our_party]:
                if not all(p.search(clause) for p in requires) or any(p.search(clause) for p in unless):
                    continue
                if any(p.search(clause) for p in triggers) or _over_limit(rule.limits, clause):
                    risks.append(
                        Risk(
                            type=rule.id,
                            title=rule.title,
                            clause=clause,
                            severity=rule.severity,
                            explanation=rule.explanation,
                            counter_clause=rule.counter_clause.replace("{us}", our_party).replace("{them}", them),
                            legal_anchors=self._anchors[rule.id],
                        )
                    )
        return risks


@lru_cache(maxsize=1)
def get_reviewer() -> ContractReviewer:
    with RULES_FILE.open(encoding="utf-8") as handle:
        return ContractReviewer(RiskRuleSet.model_validate(yaml.safe_load(handle)))
