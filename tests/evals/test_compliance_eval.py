"""The compliance and contract evals count what the guard and the reviewer really do."""

from __future__ import annotations

from agents.compliance import get_guard
from agents.contract_risk import get_reviewer
from evals import compliance, contracts


def test_when_the_guard_is_evaluated_then_misses_and_false_alarms_are_counted_per_rule(desensitizer) -> None:
    cases = [
        compliance.Case(id="v1", split="dev", text="我们是行业第一。", rule="ranking-claim"),
        compliance.Case(id="v2", split="dev", text="您好，资料已发您邮箱。", rule="kickback"),  # mislabelled: the guard finds nothing
        compliance.Case(id="f1", split="dev", text="最快下周三到货。", rule=None),
        compliance.Case(id="f2", split="dev", text="这款是国家级认证的顶级产品。", rule=None),  # flagged: a false alarm
    ]
    report = compliance.evaluate(get_guard(), desensitizer, cases)
    assert (report.violations, report.caught, report.fair, report.flagged_fair) == (2, 1, 2, 1)
    assert report.by_rule["kickback"].caught == 0 and report.by_rule["superlative"].false_alarms == 1
    assert [line.split()[0] for line in report.misses] == ["v2"]


def test_when_the_datasets_are_loaded_then_both_splits_are_there_and_valid() -> None:
    for module in (compliance, contracts):
        assert {case.split for case in module.load_cases()} == {"dev", "heldout"}
    assert {c.rule for c in compliance.load_cases(split="heldout")} - {None} == {c.rule for c in get_guard().checked()}


def test_when_contracts_are_evaluated_then_chat_and_formal_items_are_scored_apart() -> None:
    cases = [
        contracts.Case(id="k1", split="dev", form="formal", text="乙方逾期交货的，每逾期一日按合同总价的1%支付违约金，违约金总额不设上限。", risks=("excessive_liquidated_damages",)),
        contracts.Case(id="k2", split="dev", form="chat", text="合同到期默认自动续一年哈", risks=("automatic_renewal",)),
        contracts.Case(id="k3", split="dev", form="chat", text="合同什么时候能盖章？", risks=()),
    ]
    report = contracts.evaluate(get_reviewer(), cases)
    assert report.by_form["formal"].recognised == 1 and report.by_form["chat"].recognised == 1
    assert report.false_alarms == 0 and report.recognised_rate == 1.0
