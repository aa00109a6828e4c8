"""Split a contract into clauses and find the risky ones, from our party's side."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import regex as re
import yaml
from pydantic import BaseModel, ConfigDict, Field

from agents.contract_risk import figures
from agents.contract_risk.classifier import NONE, ContractModel, load_contract_model
from knowledge.anchors import LegalAnchor, load_anchors

RULES_FILE = Path(__file__).with_name("rules.yaml")
PARTIES = ("甲方", "乙方")

_CLAUSE_END = re.compile(r"(?<=[。；;！!？?\n])|(?=(?:^|\s)(?:第[一二三四五六七八九十百\d]+条|\d+(?:\.\d+)*[、.．]\s?|[（(][一二三四五六七八九十\d]+[）)](?!\s*(?:times|days|months|years|%|percent))))")
class Limits(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    percent_above: float | None = None
    daily_percent_above: float | None = None
    days_above: int | None = None


class ChatPatterns(BaseModel):
    """How a buyer puts the same term in a chat, often with no subject (逾期一天扣1%，不封顶)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    requires: tuple[str, ...] = Field(min_length=1)
    triggers: tuple[str, ...] = Field((".",), description="Default: the required patterns are enough.")
    unless: tuple[str, ...] = ()


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
    chat_reply: str = Field(description="The reply a rep sends when a customer raises the term in chat: the risk in plain words and the counter clause's fair term.")
    chat: ChatPatterns | None = None


class RiskRuleSet(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    term_words: str = Field(description="Words of contract terms: the classifier reads only a clause that has one.")
    rules: tuple[RiskRule, ...]


@dataclass(frozen=True)
class Risk:
    type: str
    title: str
    clause: str
    severity: str
    explanation: str
    counter_clause: str
    chat_reply: str
    legal_anchors: tuple[LegalAnchor, ...]


def split_clauses(text: str) -> list[str]:
    """Clauses in order: sentences ending in 。；！？ or new lines, and numbered items."""
    return [part.strip() for part in _CLAUSE_END.split(text) if part and part.strip(" \n\t。；;")]


def _over_limit(limits: Limits, clause: str) -> bool:
    if limits.percent_above is not None and any(p > limits.percent_above for p in figures.percents(clause)):
        return True
    if limits.daily_percent_above is not None and any(p > limits.daily_percent_above for p in figures.daily_percents(clause)):
        return True
    return limits.days_above is not None and any(d > limits.days_above for d in figures.days(clause))


class ContractReviewer:
    """Applies the risk rules to each clause, with ``{us}``/``{them}`` set by the party we are."""

    def __init__(self, rules: RiskRuleSet, model: ContractModel | None = None) -> None:
        self._rules, self._model = rules.rules, model
        self._term_words = re.compile(rules.term_words)
        if model is not None and (unknown := set(model.classes) - {rule.id for rule in rules.rules} - {NONE}):
            raise ValueError(f"the contract model knows risk types that do not exist: {sorted(unknown)}; {model.refit}")
        anchors = load_anchors()
        self._anchors = {rule.id: tuple(anchors.get(a) for a in rule.anchors) for rule in self._rules}
        self._compiled: dict[str, list[tuple[RiskRule, list[re.Pattern], list[re.Pattern], list[re.Pattern]]]] = {}
        self._chat: dict[str, list[tuple[RiskRule, list[re.Pattern], list[re.Pattern], list[re.Pattern]]]] = {}
        for us in PARTIES:
            them = PARTIES[1 - PARTIES.index(us)]

            def compile_all(patterns: tuple[str, ...], us: str = us, them: str = them) -> list[re.Pattern]:
                return [re.compile(p.replace("{us}", us).replace("{them}", them)) for p in patterns]

            self._compiled[us] = [
                (rule, compile_all(rule.requires), compile_all(rule.triggers), compile_all(rule.unless)) for rule in self._rules
            ]
            self._chat[us] = [
                (rule, compile_all(rule.chat.requires), compile_all(rule.chat.triggers), compile_all(rule.unless + rule.chat.unless))
                for rule in self._rules
                if rule.chat is not None
            ]

    @property
    def rules(self) -> tuple[RiskRule, ...]:
        return self._rules

    def review(self, text: str, our_party: str = "乙方") -> list[Risk]:
        """Every risky clause, in contract order; a clause may carry several risks."""
        return self._review(with_parties(text, our_party), our_party, chat=False)

    def review_chat(self, chat: str, our_party: str = "乙方") -> list[Risk]:
        """The risky terms a customer's chat message puts forward (我们 = the customer), by the
        rules' contract patterns and their chat patterns."""
        return self._review(as_clauses(chat, our_party), our_party, chat=True)

    def _model_may_read(self, clause: str, our_party: str) -> bool:
        """The classifier speaks only on a clause that talks about a contract term (the rule set's
        ``term_words``) and only for 乙方: it learned the seller's view and does not tell who pays."""
        return self._model is not None and our_party == "乙方" and self._term_words.search(clause) is not None

    def _review(self, text: str, our_party: str, *, chat: bool) -> list[Risk]:
        if our_party not in PARTIES:
            raise ValueError(f"our_party must be one of {PARTIES}")
        them = PARTIES[1 - PARTIES.index(our_party)]
        risks = []
        for clause in split_clauses(text):
            fired = [rule for rule, *patterns in self._compiled[our_party] if _fires(rule, clause, *patterns)]
            if chat:
                fired += [rule for rule, *patterns in self._chat[our_party] if rule not in fired and _fires(rule, clause, *patterns)]
            if not fired and self._model_may_read(clause, our_party) and (guess := self._model.risk(clause)) is not None:
                fired = [rule for rule in self._rules if rule.id == guess]
            risks += [
                Risk(
                    type=rule.id,
                    title=rule.title,
                    clause=clause,
                    severity=rule.severity,
                    explanation=rule.explanation,
                    counter_clause=rule.counter_clause.replace("{us}", our_party).replace("{them}", them),
                    chat_reply=rule.chat_reply,
                    legal_anchors=self._anchors[rule.id],
                )
                for rule in sorted(fired, key=self._rules.index)
            ]
        return risks


def _fires(rule: RiskRule, clause: str, requires: list[re.Pattern], triggers: list[re.Pattern], unless: list[re.Pattern]) -> bool:
    if not all(p.search(clause) for p in requires) or any(p.search(clause) for p in unless):
        return False
    return any(p.search(clause) for p in triggers) or _over_limit(rule.limits, clause)


# contracts also name the parties by role (发包人, 承包人 …): read as 甲方 (buyer) and 乙方 (seller);
# a buyer writing in a chat says 我们 for themselves and 你们 for us
_BUYER_ROLES = re.compile(r"发包人|委托方|委托人|采购方|采购人|买方|需方|招标人|定作人")
_SELLER_ROLES = re.compile(r"承包人|受托方|受托人|供方|卖方|供货方|供应商|服务商|承揽人|中标人")
_THEIR_WORDS = re.compile(r"我们(?:公司|单位|医院|厂|这边)?|我方|我司|咱们|我这边|我院|本公司|本院")
_OUR_WORDS = re.compile(r"你们(?:公司|那边)?|贵司|贵方|你方|您们|你司|您那边|您公司|厂家")


def with_parties(text: str, our_party: str = "乙方") -> str:
    """Role names read as the contract's parties (we are the seller, ``our_party``)."""
    them = PARTIES[1 - PARTIES.index(our_party)]
    return _SELLER_ROLES.sub(our_party, _BUYER_ROLES.sub(them, text))


def as_clauses(chat: str, our_party: str = "乙方") -> str:
    """A customer's chat message with the parties named as in a contract (我们 → the buyer)."""
    them = PARTIES[1 - PARTIES.index(our_party)]
    return with_parties(_OUR_WORDS.sub(our_party, _THEIR_WORDS.sub(them, chat)), our_party)


@lru_cache(maxsize=1)
def get_reviewer() -> ContractReviewer:
    with RULES_FILE.open(encoding="utf-8") as handle:
        return ContractReviewer(RiskRuleSet.model_validate(yaml.safe_load(handle)), load_contract_model())
