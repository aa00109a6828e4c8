"""A compiled set of trigger rules and its evaluation against one request."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from celpy import celtypes
from pydantic import ValidationError

from agents.rules.cel import Condition, RuleInvalid, error_kind, to_cel
from agents.rules.model import (
    RULE_FORMAT,
    RULES_FILE,
    Signals,
    TriggerRule,
    load_rules,
)
from core.errors import validation_failed

log = logging.getLogger(__name__)

# what a failed rule reports, by the Python error under it: never the values involved
_RUN_TIME_ERRORS: dict[type[BaseException], str] = {
    KeyError: "条件读取的字段不存在：先用 has(customer.attributes.字段) 判断，再比较",
    TypeError: "条件里的类型不匹配（如字符串与数字比较）：请核对字段类型，或先用 int()/string() 转换",
    ZeroDivisionError: "条件里出现除以零：请先判断除数不为 0",
    ValueError: "条件里的数值溢出或转换失败：请核对字段取值范围",
    OverflowError: "条件里的数值溢出：请核对字段取值范围",
    AttributeError: "条件在空值（null）上读取了字段：先用 has() 或 != null 判断",
}


@dataclass(frozen=True)
class Effects:
    """What the fired rules ask for, merged in rule order without duplicates."""

    retrieve_tags: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    boost_agents: list[str] = field(default_factory=list)
    case_libraries: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Evaluation:
    """Rules that fired, rules skipped at run time (id, message), and the merged effects."""

    fired: list[str]
    errors: list[tuple[str, str]]
    effects: Effects


def _merge(rules: Iterable[TriggerRule]) -> Effects:
    retrieve: dict[str, None] = {}
    tags: dict[str, None] = {}
    agents: dict[str, None] = {}
    libraries: dict[str, None] = {}
    for rule in rules:
        retrieve.update(dict.fromkeys(rule.action.retrieve_tags))
        tags.update(dict.fromkeys(rule.action.tags))
        agents.update(dict.fromkeys(rule.action.boost_agents))
        if rule.action.case_library:
            libraries[rule.action.case_library] = None
    return Effects(list(retrieve), list(tags), list(agents), list(libraries))


_CEL_TYPE_NAMES = (
    (celtypes.IntType, "int"),
    (celtypes.UintType, "uint"),
    (celtypes.DoubleType, "double"),
    (celtypes.StringType, "string"),
    (celtypes.BytesType, "bytes"),
    (celtypes.ListType, "list"),
    (celtypes.MapType, "map"),
)


def _cel_type_name(value: Any) -> str:
    if value is None:
        return "null"
    return next((name for cel_type, name in _CEL_TYPE_NAMES if isinstance(value, cel_type)), type(value).__name__)


def _run_time_message(kind: type[BaseException]) -> str:
    for error_type, message in _RUN_TIME_ERRORS.items():
        if issubclass(kind, error_type):
            return f"{message}（{kind.__name__}）；本次已跳过该规则。"
    return f"条件运行出错（{kind.__name__}）；本次已跳过该规则。"


class RuleSet:
    """Trigger rules, every condition compiled once; refused as a whole if any rule is invalid."""

    def __init__(self, rules: Iterable[TriggerRule]) -> None:
        self._rules = tuple(rules)
        seen: set[str] = set()
        for rule in self._rules:
            if rule.id in seen:
                raise RuleInvalid(f"触发规则 id {rule.id} 重复：每条规则需要唯一的 id。", rule=rule.id)
            seen.add(rule.id)
        self._conditions = {rule.id: Condition(rule.id, rule.condition) for rule in self._rules}

    @classmethod
    def from_yaml(cls, path: Path | str = RULES_FILE) -> RuleSet:
        """The rules of a YAML file, compiled (default: the shipped ``rules.yaml``)."""
        return cls(load_rules(path))

    @property
    def rules(self) -> tuple[TriggerRule, ...]:
        return self._rules

    def evaluate(self, attributes: Mapping[str, Any], signals: Signals) -> Evaluation:
        """Run every enabled rule against ``customer.attributes`` and ``conversation``.

        Never raises for run-time problems: a rule that fails (missing field, type
        mismatch, non-boolean result, ...) is skipped, listed in ``errors`` and logged
        by id and error type only.
        """
        enabled = [rule for rule in self._rules if rule.enabled]
        try:
            variables = {"customer": to_cel({"attributes": dict(attributes or {})}), "conversation": to_cel(signals.as_dict())}
        except (TypeError, ValueError, AttributeError, RecursionError) as exc:
            log.warning("trigger rules skipped: inputs are not JSON (%s)", type(exc).__name__)
            message = f"客户属性或对话信号不是 JSON 值（{type(exc).__name__}）；本次已跳过该规则。"
            return Evaluation([], [(rule.id, message) for rule in enabled], Effects())
        fired: list[TriggerRule] = []
        errors: list[tuple[str, str]] = []
        for rule in enabled:
            condition = self._conditions[rule.id]
            if any(name not in (attributes or {}) for name in condition.requires):
                continue  # its leading has() guard is false: so is the rule (celpy costs ~0.5 ms a rule)
            try:
                value = condition.run(variables)
            except Exception as exc:  # a rule must never break the request
                kind = error_kind(exc)
                log.warning("trigger rule %s skipped: %s", rule.id, kind.__name__)
                errors.append((rule.id, _run_time_message(kind)))
                continue
            if not isinstance(value, (bool, celtypes.BoolType)):
                cel_type = _cel_type_name(value)
                log.warning("trigger rule %s skipped: non-boolean result (%s)", rule.id, cel_type)
                errors.append((rule.id, f"条件的结果不是布尔值（得到 {cel_type}）：请改写为 true/false 的判断；本次已跳过该规则。"))
                continue
            if value:
                fired.append(rule)
        return Evaluation([rule.id for rule in fired], errors, _merge(fired))


def validate_rule(data: dict[str, Any]) -> TriggerRule:
    """Validate and compile one rule, as the manager API does before saving it.

    Raises ``ValidationFailed`` for bad fields and ``RuleInvalid`` (a ``ValidationFailed``)
    for a condition that does not compile or names unknown variables.
    """
    try:
        rule = TriggerRule.model_validate(data)
    except ValidationError as exc:
        raise validation_failed(exc, subject="触发规则的", fix=RULE_FORMAT) from exc
    Condition(rule.id, rule.condition)
    return rule

