"""Trigger rules: CEL conditions compiled once, refused when invalid, evaluated without ever raising."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from agents.rules import (
    RULES_FILE,
    RuleAction,
    RuleInvalid,
    RuleSet,
    Signals,
    TriggerRule,
    dump_rules,
    load_rules,
    validate_rule,
)
from core.errors import ValidationFailed

BUDGET = "customer.attributes.budget_sensitive == true"
RENEWAL = "customer.attributes.renewal_score < 70 && customer.attributes.complaints > 2"
PRICE_TALK = Signals(scenario="price", industry="cold_chain", turns=4, customer_turns=2, competitors=("华为",), text="太贵了")


def rule(rule_id: str, condition: str, enabled: bool = True, **action: Any) -> TriggerRule:
    return TriggerRule(id=rule_id, description="测试规则", condition=condition, action=RuleAction(**(action or {"tags": ["flag"]})), enabled=enabled)


def fired(condition: str, attributes: dict[str, Any], signals: Signals = PRICE_TALK) -> bool:
    evaluation = RuleSet([rule("r1", condition)]).evaluate(attributes, signals)
    assert evaluation.errors == [], evaluation.errors
    return evaluation.fired == ["r1"]


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        ({"budget_sensitive": True}, True),
        ({"budget_sensitive": False}, False),
        ({"budget_sensitive": "true"}, False),  # a string is not the boolean true
        ({"budget_sensitive": 1}, False),  # values of different types are unequal, not an error
        ({}, None),  # missing: an error, see below
    ],
)
def test_when_the_budget_example_sees_an_attribute_then_it_fires_only_on_true(attributes: dict, expected: bool | None) -> None:
    evaluation = RuleSet([rule("budget", BUDGET, retrieve_tags=["low_price"])]).evaluate(attributes, PRICE_TALK)
    if expected is None:
        assert evaluation.fired == [] and [rule_id for rule_id, _ in evaluation.errors] == ["budget"]
    else:
        assert evaluation.errors == [] and (evaluation.fired == ["budget"]) is expected
        assert evaluation.effects.retrieve_tags == (["low_price"] if expected else [])


@pytest.mark.parametrize(
    ("renewal_score", "complaints", "expected"),
    [
        (65, 3, True),
        (65.0, 3.0, True),  # integral floats, as some JSON encoders send them
        (65.0, 3, True),
        (65, 3.0, True),
        (69.9, 2.5, True),
        (70, 3, False),
        (70.0, 3.0, False),
        (65, 2, False),
        (65.0, 2.0, False),
        (90.5, 9, False),
    ],
)
def test_when_the_renewal_example_sees_ints_or_floats_then_it_fires_on_the_same_numbers(
    renewal_score: float, complaints: float, expected: bool
) -> None:
    assert fired(RENEWAL, {"renewal_score": renewal_score, "complaints": complaints}) is expected


@pytest.mark.parametrize(
    ("condition", "value", "expected"),
    [
        ("customer.attributes.x == 65", 65.0, True),
        ("customer.attributes.x == 65", 65.5, False),
        ("customer.attributes.x != 65", 65.0, False),
        ("customer.attributes.x == 65.0", 65, True),
        ("customer.attributes.x < 70.0", 65, True),
        ("customer.attributes.x >= 0.5", 1, True),
        ("70 > customer.attributes.x", 65.5, True),
        ("1.0 == customer.attributes.x", 1, True),
        ("customer.attributes.x <= 65u", 65.0, True),
        ("customer.attributes.x + 1 == 66", 65.0, True),
        ("type(customer.attributes.x) == int", 65.0, True),
        ("[1, 2.5].exists(n, n == customer.attributes.x)", 1.0, True),
        ("customer.attributes.x > 1", 2**70, True),  # beyond int64: compared as a double, not an error
    ],
)
def test_when_ints_and_doubles_meet_then_they_compare_by_value(condition: str, value: float, expected: bool) -> None:
    assert fired(condition, {"x": value}) is expected


@pytest.mark.parametrize(
    ("condition", "signals", "expected"),
    [
        ("conversation.scenario == 'price'", PRICE_TALK, True),
        ("'华为' in conversation.competitors", PRICE_TALK, True),
        ("size(conversation.competitors) >= 2", PRICE_TALK, False),
        ("conversation.text.contains('贵') && conversation.turns > 3", PRICE_TALK, True),
        ("conversation.customer_turns == 2 && conversation.industry == 'cold_chain'", PRICE_TALK, True),
        ("conversation.industry == null", Signals(scenario="other"), True),
    ],
)
def test_when_a_condition_reads_the_conversation_then_it_sees_the_signals(condition: str, signals: Signals, expected: bool) -> None:
    assert fired(condition, {}, signals) is expected


@pytest.mark.parametrize(
    ("condition", "line", "column", "parser_text"),
    [
        ("customer.attributes.x > 2 &&", 1, 27, "Unexpected token"),
        ("customer.attributes.budget_sensitive = true", 1, 38, "No terminal matches '='"),
        ("customer.attributes.tier == 'gold", 1, 29, "No terminal matches"),
        ("customer.attributes.x > 2\n  && (", 2, 6, "Unexpected token"),
        ("   ", 1, 1, "Unexpected token"),
    ],
)
def test_when_a_condition_does_not_parse_then_the_rule_is_refused_with_the_cel_error(
    condition: str, line: int, column: int, parser_text: str
) -> None:
    with pytest.raises(RuleInvalid) as refused:
        RuleSet([rule("ok-rule", BUDGET), rule("broken-rule", condition)])
    error = refused.value
    assert isinstance(error, ValidationFailed) and error.status == 422
    assert error.detail.startswith("触发规则 broken-rule 的条件不是合法的 CEL 表达式")
    assert parser_text in error.detail and parser_text in error.extensions["cel_error"]
    assert (error.extensions["rule"], error.extensions["line"], error.extensions["column"]) == ("broken-rule", line, column)


@pytest.mark.parametrize(
    ("condition", "unknown"),
    [
        ("request.user == 'admin'", ["request"]),
        ("customer.attributes.x > limit", ["limit"]),
        ("[1, 2].exists(n, n > threshold)", ["threshold"]),
        (".secrets.key == 'x'", ["secrets"]),
        ("cust.attributes.x == 1 || conv.turns > 1", ["conv", "cust"]),
        ("google.protobuf.Int32Value{value: 1} == 1", ["google"]),
        ("[1].exists(n, n > 0) && n > 0", ["n"]),  # a macro variable outside its macro
    ],
)
def test_when_a_condition_names_an_unknown_variable_then_it_is_refused(condition: str, unknown: list[str]) -> None:
    with pytest.raises(RuleInvalid) as refused:
        validate_rule({"id": "bad-vars", "description": "x", "condition": condition, "action": {"tags": ["flag"]}})
    assert refused.value.extensions["unknown_names"] == unknown
    assert "未知变量" in refused.value.detail and "bad-vars" in refused.value.detail


@pytest.mark.parametrize(("nesting", "refused"), [(30, False), (80, True)])
def test_when_a_condition_nests_too_deep_then_it_is_refused_before_it_can_overflow(nesting: int, refused: bool) -> None:
    condition = "(" * nesting + "customer.attributes.vip == true" + ")" * nesting
    if refused:
        with pytest.raises(RuleInvalid, match="嵌套过深"):
            RuleSet([rule("deep", condition)])
    else:
        assert RuleSet([rule("deep", condition)]).evaluate({"vip": True}, PRICE_TALK).fired == ["deep"]


@pytest.mark.parametrize(
    "condition",
    [
        "conversation.competitors.exists(c, c == '华为')",
        "customer.attributes.orders.all(o, o.amount > 0)",
        "[1, 2].map(x, x * 2).exists(y, y > 3)",
        "type(customer.attributes.tier) == string",
        "has(customer.attributes.tier) && !has(customer.attributes.churned)",
    ],
)
def test_when_a_condition_uses_macro_variables_or_type_names_then_it_compiles(condition: str) -> None:
    assert validate_rule({"id": "good-vars", "description": "x", "condition": condition, "action": {"tags": ["flag"]}}).condition == condition


@pytest.mark.parametrize(
    ("condition", "attributes", "kind"),
    [
        ("customer.attributes.renewal_score < 70", {}, "KeyError"),
        ("customer.attributes.renewal_score < 70", {"renewal_score": "低"}, "TypeError"),
        ("customer.attributes.owner.name == 'x'", {"owner": None}, "TypeError"),
        ("customer.attributes.total / customer.attributes.count > 1", {"total": 5, "count": 0}, "ZeroDivisionError"),
        ("customer.attributes.name", {"name": "张三"}, "string"),
        ("customer.attributes.complaints + 1", {"complaints": 3}, "int"),
    ],
)
def test_when_a_rule_fails_at_run_time_then_it_is_skipped_and_listed_and_others_still_fire(
    condition: str, attributes: dict, kind: str
) -> None:
    rules = RuleSet([rule("failing", condition, tags=["failing_tag"]), rule("always", "true", tags=["always_tag"])])
    evaluation = rules.evaluate({**attributes, "budget_sensitive": True}, PRICE_TALK)
    assert evaluation.fired == ["always"]
    assert [rule_id for rule_id, _ in evaluation.errors] == ["failing"]
    assert kind in evaluation.errors[0][1] and "跳过" in evaluation.errors[0][1]
    assert evaluation.effects.tags == ["always_tag"]


def test_when_attributes_are_not_json_then_every_rule_is_listed_and_nothing_raises() -> None:
    evaluation = RuleSet([rule("rule-a", "true"), rule("rule-b", BUDGET)]).evaluate({"when": object()}, PRICE_TALK)
    assert evaluation.fired == [] and [rule_id for rule_id, _ in evaluation.errors] == ["rule-a", "rule-b"]


def test_when_a_rule_is_disabled_then_it_is_kept_but_never_fired_nor_run() -> None:
    rules = RuleSet([rule("off", "true", enabled=False), rule("off-broken", "customer.attributes.missing > 1", enabled=False)])
    evaluation = rules.evaluate({}, PRICE_TALK)
    assert [r.id for r in rules.rules] == ["off", "off-broken"]
    assert evaluation.fired == [] and evaluation.errors == []


def test_when_a_disabled_rule_does_not_compile_then_the_set_is_still_refused() -> None:
    with pytest.raises(RuleInvalid, match="off-broken"):
        RuleSet([rule("off-broken", "1 +", enabled=False)])


def test_when_several_rules_fire_then_effects_merge_in_rule_order_without_duplicates() -> None:
    rules = RuleSet(
        [
            rule("first", "true", retrieve_tags=["low_price", "discount"], tags=["escalate_vp"], boost_agents=["script_suggestion"]),
            rule("not-firing", "false", retrieve_tags=["never"], case_library="never"),
            rule("second", "true", retrieve_tags=["discount", "tco"], tags=["escalate_vp", "urgent"], case_library="renewals"),
            rule("third", "true", boost_agents=["competitor_response", "script_suggestion"], case_library="renewals"),
        ]
    )
    evaluation = rules.evaluate({}, PRICE_TALK)
    assert evaluation.fired == ["first", "second", "third"]
    assert evaluation.effects.retrieve_tags == ["low_price", "discount", "tco"]
    assert evaluation.effects.tags == ["escalate_vp", "urgent"]
    assert evaluation.effects.boost_agents == ["script_suggestion", "competitor_response"]
    assert evaluation.effects.case_libraries == ["renewals"]


def test_when_rule_ids_repeat_then_the_set_is_refused() -> None:
    with pytest.raises(RuleInvalid, match="重复"):
        RuleSet([rule("same", "true"), rule("same", "false")])


def test_when_rules_are_dumped_to_yaml_then_they_load_back_the_same(tmp_path: Path) -> None:
    rules = [
        rule("budget-sensitive", BUDGET, retrieve_tags=["low_price"]),
        rule("renewal-risk", RENEWAL, tags=["escalate_vp"], boost_agents=["script_suggestion"], case_library="renewals"),
        rule("paused", "conversation.turns > 10", enabled=False, tags=["long_talk"]),
    ]
    path = tmp_path / "rules.yaml"
    path.write_text(dump_rules(rules), encoding="utf-8")
    assert load_rules(path) == rules
    evaluation = RuleSet.from_yaml(path).evaluate({"budget_sensitive": True, "renewal_score": 60.0, "complaints": 4}, PRICE_TALK)
    assert evaluation.fired == ["budget-sensitive", "renewal-risk"]


def test_when_the_shipped_rules_load_then_they_compile_and_the_two_examples_fire() -> None:
    shipped = RuleSet.from_yaml()
    by_id = {r.id: r for r in shipped.rules}
    assert all(r.enabled for r in shipped.rules) and len(by_id) >= 2
    assert by_id["budget-sensitive"].action.retrieve_tags == ["low_price"]
    assert by_id["renewal-at-risk"].action.tags == ["escalate_vp"]
    quiet = Signals(scenario="other")
    assert shipped.evaluate({}, quiet).fired == [] and shipped.evaluate({}, quiet).errors == []
    both = shipped.evaluate({"budget_sensitive": True, "renewal_score": 65.0, "complaints": 3}, quiet)
    assert both.fired == ["budget-sensitive", "renewal-at-risk"] and both.errors == []
    assert both.effects.retrieve_tags == ["low_price"] and both.effects.tags == ["escalate_vp"]
    assert shipped.evaluate({"budget_sensitive": False, "renewal_score": 80, "complaints": 3}, quiet).fired == []


def test_when_the_shipped_file_is_read_then_it_is_the_default_path() -> None:
    assert RULES_FILE.name == "rules.yaml" and [r.id for r in load_rules()] == [r.id for r in RuleSet.from_yaml(RULES_FILE).rules]


def test_when_a_rule_fails_then_the_log_names_the_rule_and_error_type_but_no_values(caplog: pytest.LogCaptureFixture) -> None:
    secret_name, secret_score = "王总-13800138000", "七十九分"
    rules = RuleSet(
        [
            rule("score-rule", "customer.attributes.renewal_score < 70"),
            rule("name-rule", "customer.attributes.name"),
            rule("text-rule", "conversation.text > 3"),
        ]
    )
    caplog.set_level(logging.DEBUG)
    signals = Signals(scenario="price", text="联系人 " + secret_name)
    evaluation = rules.evaluate({"renewal_score": secret_score, "name": secret_name}, signals)
    assert [rule_id for rule_id, _ in evaluation.errors] == ["score-rule", "name-rule", "text-rule"]
    warnings = [r.getMessage() for r in caplog.records if r.name == "agents.rules.engine"]
    assert any("score-rule" in m and "TypeError" in m for m in warnings)
    assert any("name-rule" in m for m in warnings) and any("text-rule" in m for m in warnings)
    logged = "\n".join(r.getMessage() for r in caplog.records) + caplog.text
    assert secret_name not in logged and secret_score not in logged and "13800138000" not in logged
    assert all(secret_name not in message and secret_score not in message for _, message in evaluation.errors)


def test_when_a_valid_rule_is_validated_then_it_comes_back_as_a_model() -> None:
    data = {"id": "renewal-at-risk", "description": "续约风险", "condition": RENEWAL, "action": {"tags": ["escalate_vp"]}}
    validated = validate_rule(data)
    assert validated.id == "renewal-at-risk" and validated.enabled is True and validated.action.tags == ["escalate_vp"]


def test_when_a_rule_with_a_bad_condition_is_validated_then_the_cel_error_comes_back() -> None:
    data = {"id": "typo", "description": "x", "condition": "customer.attributes.a === 1", "action": {"tags": ["flag"]}}
    with pytest.raises(RuleInvalid) as refused:
        validate_rule(data)
    assert "typo" in refused.value.detail and "No terminal matches" in refused.value.detail
    assert refused.value.extensions["column"] == 25


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"id": "x", "description": "d", "condition": "true", "action": {"tags": ["flag"]}}, "id"),
        ({"id": "Bad_Id", "description": "d", "condition": "true", "action": {"tags": ["flag"]}}, "id"),
        ({"id": "no-action", "description": "d", "condition": "true", "action": {}}, "action"),
        ({"id": "bad-tag", "description": "d", "condition": "true", "action": {"tags": ["Escalate VP"]}}, "action.tags.0"),
        ({"id": "bad-retrieve", "description": "d", "condition": "true", "action": {"retrieve_tags": ["low-price"]}}, "action.retrieve_tags.0"),
        ({"id": "extra", "description": "d", "condition": "true", "action": {"tags": ["flag"]}, "priority": 1}, "priority"),
        ({"id": "extra-action", "description": "d", "condition": "true", "action": {"tags": ["flag"], "notify": "x"}}, "action.notify"),
        ({"id": "no-condition", "description": "d", "condition": "", "action": {"tags": ["flag"]}}, "condition"),
    ],
)
def test_when_a_rule_has_bad_fields_then_validation_fails_naming_the_field(data: dict, field: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        validate_rule(data)
    assert not isinstance(refused.value, RuleInvalid)
    assert field in [".".join(str(p) for p in e["loc"]) for e in refused.value.extensions["errors"]]


def test_when_a_rules_file_has_a_bad_rule_then_loading_fails_with_a_validation_error(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("rules:\n  - id: no-action\n    description: d\n    condition: 'true'\n    action: {}\n", encoding="utf-8")
    with pytest.raises(ValidationFailed, match="rules.yaml"):
        load_rules(path)
    path.write_text("rules: [\n", encoding="utf-8")
    with pytest.raises(ValidationFailed, match="YAML"):
        load_rules(path)


def test_when_signals_are_turned_into_a_dict_then_every_field_is_there() -> None:
    assert PRICE_TALK.as_dict() == {
        "scenario": "price",
        "industry": "cold_chain",
        "turns": 4,
        "customer_turns": 2,
        "competitors": ["华为"],
        "text": "太贵了",
    }


@pytest.mark.parametrize(
    ("source", "requires"),
    [
        ("has(customer.attributes.a) && customer.attributes.a > 1", ("a",)),
        ("has(customer.attributes.a) && has(customer.attributes.b) && customer.attributes.a < customer.attributes.b", ("a", "b")),
        ("has(customer.attributes.a) && customer.attributes.a > 1 || conversation.turns > 3", ()),
        ("has(customer.attributes.a) ? customer.attributes.a > 1 : true", ()),
        ("conversation.turns > 1 && has(customer.attributes.a)", ()),
    ],
)
def test_when_a_condition_starts_with_has_guards_then_they_are_known_requirements(source: str, requires: tuple[str, ...]) -> None:
    from agents.rules.cel import leading_guards

    assert leading_guards(source) == requires


def test_when_a_guarded_attribute_is_missing_then_the_rule_is_false_without_an_error() -> None:
    rule = TriggerRule(id="guarded", description="d", condition="has(customer.attributes.a) && customer.attributes.a > 1", action={"tags": ["hit"]})
    other = TriggerRule(id="open", description="d", condition="has(customer.attributes.a) && customer.attributes.a > 1 || conversation.turns > 0", action={"tags": ["open_hit"]})
    rules = RuleSet([rule, other])
    missing = rules.evaluate({}, Signals(scenario="price", turns=1))
    assert (missing.fired, missing.errors) == (["open"], [])
    assert rules.evaluate({"a": 2}, Signals(scenario="price", turns=1)).fired == ["guarded", "open"]
