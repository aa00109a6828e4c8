"""The contract risk agent: the demo clause library as a table, party perspective, the API."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from agents.contract_risk import get_reviewer, split_clauses
from core.keys import Role

LIBRARY = yaml.safe_load((Path(__file__).parents[2] / "knowledge" / "demo" / "clauses.yaml").read_text(encoding="utf-8"))["clauses"]


@pytest.mark.parametrize("clause", LIBRARY, ids=[c["id"] for c in LIBRARY])
def test_when_a_library_clause_is_reviewed_then_its_labelled_risk_is_found(clause: dict) -> None:
    found = {risk.type for risk in get_reviewer().review(clause["text"])}
    if clause["risk"] == "none":
        assert found == set()
    else:
        assert clause["risk"] in found


def test_when_the_library_is_loaded_then_it_covers_every_risk_type() -> None:
    assert len(LIBRARY) >= 40
    rules = {rule.id for rule in get_reviewer().rules}
    assert {c["risk"] for c in LIBRARY} == rules | {"none"}


def test_when_we_are_the_buyer_then_penalties_on_the_seller_are_not_our_risk() -> None:
    clause = "乙方逾期交货的，每逾期一日按合同总价的1%支付违约金，且违约金总额不设上限。"
    assert [r.type for r in get_reviewer().review(clause)] == ["excessive_liquidated_damages"]
    assert get_reviewer().review(clause, our_party="甲方") == []


def test_when_a_risk_is_found_then_it_carries_explanation_counter_clause_and_anchor() -> None:
    (risk,) = get_reviewer().review("甲方应于合同签订后支付合同总价 30% 的定金。")
    assert risk.type == "deposit_over_20_percent" and risk.severity == "medium"
    assert "20%" in risk.counter_clause and "{them}" not in risk.counter_clause
    assert [a.id for a in risk.legal_anchors] == ["cc-deposit", "cc-deposit-rules"]


def test_when_a_contract_is_numbered_then_it_splits_into_clauses() -> None:
    text = "第一条 甲方有权随时解除本合同。第二条 付款：验收后30日内支付。\n3. 争议由原告所在地法院管辖；"
    assert split_clauses(text) == ["第一条 甲方有权随时解除本合同。", "第二条 付款：验收后30日内支付。", "3. 争议由原告所在地法院管辖；"]


def test_when_a_contract_is_reviewed_over_the_api_then_risks_come_back_in_order(client: TestClient, make_key: Callable[[Role], str]) -> None:
    text = "甲方有权随时解除本合同。乙方应承担甲方因此遭受的全部损失，包括间接损失。争议提交甲方所在地人民法院诉讼解决。"
    response = client.post("/v1/contracts/review", json={"text": text}, headers={"Authorization": f"Bearer {make_key(Role.legal)}"})
    assert response.status_code == 200
    assert [r["type"] for r in response.json()["risks"]] == ["unilateral_termination", "unlimited_liability", "unfavourable_jurisdiction"]
    bad = client.post("/v1/contracts/review", json={"text": text, "our_party": "丙方"}, headers={"Authorization": f"Bearer {make_key(Role.rep)}"})
    assert bad.status_code == 422


def test_when_our_own_counter_clauses_are_reviewed_then_they_are_clean() -> None:
    reviewer = get_reviewer()
    for rule in reviewer.rules:
        assert reviewer.review(rule.counter_clause.replace("{us}", "乙方").replace("{them}", "甲方")) == [], rule.id


@pytest.mark.parametrize(
    ("clause", "risk"),
    [
        ("乙方逾期交货的，每逾期一日按合同总价的千分之五支付违约金。", "excessive_liquidated_damages"),
        ("乙方违约的，应按合同总价的百分之五十支付违约金。", "excessive_liquidated_damages"),
        ("甲方于验收合格后九十日内支付货款。", "long_payment_terms"),
        ("甲方于验收合格后三个月内支付货款。", "long_payment_terms"),
        ("甲方在完成内部审批流程后支付货款。", "long_payment_terms"),
        ("甲方对乙方人员在现场发生的任何损失不承担责任。", "exemption_of_other_party"),
    ],
)
def test_when_numbers_are_written_in_chinese_then_limits_still_apply(clause: str, risk: str) -> None:
    assert risk in {r.type for r in get_reviewer().review(clause)}


def test_when_a_daily_rate_has_a_cap_beside_it_then_the_cap_is_not_read_as_daily() -> None:
    clause = "乙方逾期交货的，每逾期一日按逾期部分货款的0.1%支付违约金，最高不超过合同总价的5%。"
    assert get_reviewer().review(clause) == []


def test_when_any_risk_is_reported_then_it_carries_a_legal_anchor() -> None:
    assert all(rule.anchors for rule in get_reviewer().rules)



def test_when_the_contract_classifier_ships_then_it_knows_every_risk_type_and_leaves_fair_terms_alone() -> None:
    from agents.contract_risk.classifier import load_contract_model

    model = load_contract_model()
    assert model is not None, "agents/contract_risk/contract_model.npz must ship (zhice eval train-contracts)"
    assert set(model.classes) == {rule.id for rule in get_reviewer().rules} | {"none"}
    assert model.risk("甲方应在验收合格并收到发票后30日内支付全部货款。") is None


def test_when_a_rule_replies_in_chat_then_its_figures_are_the_counter_clauses_and_it_asks_back() -> None:
    import regex

    figure = regex.compile(r"\d+(?:\.\d+)?\s*(?:%|日|个工作日)")
    for rule in get_reviewer().rules:
        assert "“" not in rule.chat_reply and "{" not in rule.chat_reply, rule.id  # plain words, no quoted clause
        assert set(figure.findall(rule.chat_reply)) <= set(figure.findall(rule.counter_clause)), rule.id
        assert rule.chat_reply.endswith(("？", "?")), rule.id


def test_when_chat_names_a_deposit_forfeit_or_losses_without_liquidated_damages_then_those_rules_speak() -> None:
    reviewer = get_reviewer()
    assert [r.type for r in reviewer.review_chat("签完付30%定金 你们要是延期交货 定金双倍返还")] == ["deposit_over_20_percent"]
    assert [r.type for r in reviewer.review_chat("因乙方原因导致数据泄露 乙方承担全部损失 含间接损失和监管罚款 不设上限")] == ["unlimited_liability"]
    both = {r.type for r in reviewer.review_chat("违约金按总价百分之二十走，然后我们所有损失全部你们兜底，没有上限")}
    assert both == {"excessive_liquidated_damages", "unlimited_liability"}
