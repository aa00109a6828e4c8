"""The compliance guard, table-driven, and its API."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from agents.compliance import get_guard
from core.keys import Role

CASES = [
    # (draft, rules found, text after enforce or None when dropped)
    ("我们的质保是 24 个月，您可以对照合同核实。", [], "我们的质保是 24 个月，您可以对照合同核实。"),
    ("这款是最好的选择，最低价给您。", ["superlative", "superlative"], "这款是更合适的选择，优惠价给您。"),
    ("我们是行业第一的品牌。", ["ranking-claim"], None),
    ("第一次合作，第一季度交付没问题。", [], "第一次合作，第一季度交付没问题。"),
    ("我们是国内领先的厂家。", ["unsourced-claim"], None),
    ("买了稳赚不赔，一年保证回本。", ["guaranteed-return", "guaranteed-return"], None),
    ("衡川那家质量差，三天两头坏。", ["disparage", "disparage"], None),
    ("成交后给您个人3个点，当作辛苦费。", ["kickback", "kickback"], None),
    ("别的客户的报价是 35 万，您参考下。", ["other-customer-data"], None),
    ("给个人返点违反规定，我们不能做；优惠都写进合同。", [], "给个人返点违反规定，我们不能做；优惠都写进合同。"),
    ("我们不能给您个人任何好处费。", [], "我们不能给您个人任何好处费。"),
    ("回扣的事您放心，不会让别人知道。", ["kickback"], None),
    ("好处费我们合规处理。", ["kickback"], None),
    ("这个红包不会少您的。", ["kickback"], None),
    ("最好您先确认一下型号。", [], "最好您先确认一下型号。"),
    ("我们的交付是全国最快的。", ["superlative"], None),
    ("市场份额第一，业界第一。", ["ranking-claim", "ranking-claim"], None),
    ("国内首家通过认证。", ["unsourced-claim"], None),
    ("收益有保障，一定能回本。", ["guaranteed-return", "guaranteed-return"], None),
    ("衡川那台经常坏，售后差。", ["disparage"], None),
    ("隔壁李总他们厂的采购价是32万。", ["other-customer-data"], None),
    ("别的型号的价格更高一些。", [], "别的型号的价格更高一些。"),
    ("国家级认证，零故障运行。", ["superlative", "superlative"], None),  # no neutral wording for these
]


@pytest.mark.parametrize(("draft", "rules", "after"), CASES, ids=[c[0][:10] for c in CASES])
def test_when_a_draft_is_enforced_then_it_is_kept_repaired_or_dropped(draft: str, rules: list[str], after: str | None) -> None:
    guard = get_guard()
    assert [v.rule for v in guard.check(draft)] == rules
    assert guard.enforce(draft).text == after


def test_when_a_finding_is_reported_then_it_carries_its_anchor_and_offsets() -> None:
    (violation,) = get_guard().check("对方那套系统就是智商税")
    assert violation.rule == "disparage"
    assert "对方那套系统就是智商税"[violation.start : violation.end] == "智商税"
    assert (violation.anchor.id, violation.anchor.article) == ("ad-disparage", "第十三条")


FAMILIES = [
    # everyday phrasings a phrase list misses, each caught by its rule's pattern family
    ("您放心，这台机器一年内肯定能把本钱赚回来。", "guaranteed-return"),
    ("电费起码能省下三成，我打包票。", "guaranteed-return"),
    ("他们家卖的都是翻新货，用不了多久。", "disparage"),
    ("项目成了，给您准备了一张购物卡，私下给您。", "kickback"),
    ("招标参数按我们型号来写，别家就进不来。", "bid-rigging"),
    ("另外两家我们找来陪标的，您放心。", "bid-rigging"),
    ("宏达机械上个月按38万签的，您参考。", "other-customer-data"),
]
FAIR = [
    "最快下周三到货，具体看物流排班。",
    "按您给的用电数据测算，大约两年回本，实际以运行情况为准。",
    "其他客户的价格我们不方便透露，可以按您的配置单独核算。",
    "按公司规定我们不能给任何个人返点，优惠都写进合同。",
    "那家公司我们不太了解，不好评价，您可以看看他们的资质。",
    "我们不接受任何形式的陪标邀请，这是公司红线。",
]


@pytest.mark.parametrize(("text", "rule"), FAMILIES, ids=[c[1] + c[0][:6] for c in FAMILIES])
def test_when_a_violation_is_phrased_in_everyday_words_then_its_family_catches_it(text: str, rule: str) -> None:
    assert rule in {v.rule for v in get_guard().check(text)}


@pytest.mark.parametrize("text", FAIR, ids=[t[:8] for t in FAIR])
def test_when_a_fair_sentence_looks_like_a_violation_then_it_is_not_flagged(text: str) -> None:
    assert get_guard().check(text) == []


def test_when_a_draft_passes_then_every_rule_it_was_checked_against_is_listed_with_anchors() -> None:
    checked = get_guard().checked()
    assert {c.rule for c in checked} >= {"superlative", "disparage", "kickback", "bid-rigging"}
    assert all(c.anchors and c.title for c in checked)
    assert "kickback" not in {c.rule for c in get_guard().checked({"kickback"})}


def test_when_text_is_checked_over_the_api_then_violations_carry_anchors(client: TestClient, make_key: Callable[[Role], str]) -> None:
    headers = {"Authorization": f"Bearer {make_key(Role.legal)}"}
    body = client.post("/v1/compliance/check", json={"text": "我们是最好的，对手是垃圾"}, headers=headers).json()
    assert body["compliant"] is False
    assert [(v["rule"], v["anchor"]["id"]) for v in body["violations"]] == [("superlative", "ad-absolute"), ("disparage", "ad-disparage")]
    assert client.post("/v1/compliance/check", json={"text": "交期 21 天"}, headers=headers).json() == {"compliant": True, "violations": []}
    assert client.post("/v1/compliance/check", json={"text": ""}, headers=headers).status_code == 422


def test_when_legal_adds_a_missed_sentence_then_the_next_request_flags_it(client: TestClient, make_key: Callable[[Role], str]) -> None:
    legal, rep = ({"Authorization": f"Bearer {make_key(role)}"} for role in (Role.legal, Role.rep))
    missed = "这款外壳用的是航天同款材料，您懂的。"
    assert client.post("/v1/compliance/check", json={"text": missed}, headers=rep).json()["compliant"] is True

    body = {"text": missed, "rule": "unsourced-claim"}
    assert client.post("/v1/compliance/exemplars", json=body, headers=rep).status_code == 403
    assert client.post("/v1/compliance/exemplars", json={**body, "rule": "no-such-rule"}, headers=legal).status_code == 422
    added = client.post("/v1/compliance/exemplars", json=body, headers=legal)
    assert added.status_code == 201

    (violation,) = client.post("/v1/compliance/check", json={"text": missed}, headers=rep).json()["violations"]
    assert (violation["rule"], violation["how"], violation["exemplar"]) == ("unsourced-claim", "exemplar", added.json()["id"])
    assert violation["anchor"]["law"]

    client.post(f"/v1/compliance/exemplars/{added.json()['id']}/retire", headers=legal).raise_for_status()
    assert client.post("/v1/compliance/check", json={"text": missed}, headers=rep).json()["compliant"] is True


def test_when_no_pattern_matches_then_the_classifier_fitted_on_legal_labels_may_still_flag() -> None:
    from agents.compliance.classifier import load_guard_model
    from agents.compliance.guard import ComplianceGuard
    from agents.compliance.rules import ComplianceRuleSet, load_rules
    from knowledge.anchors import load_anchors
    from knowledge.catalog import load_catalog

    model = load_guard_model()
    assert model is not None, "agents/compliance/guard_model.npz must ship (zhice eval train-guard)"
    assert model.violation("您最好先确认一下现场电压，确认后我按型号给您出正式报价。") is None  # approved wording is fair to it too
    silent = ComplianceRuleSet(rules=tuple(r.model_copy(update={"terms": (), "regex": "(?!)", "near": (), "replacements": {}}) for r in load_rules().rules))
    guard = ComplianceGuard(silent, load_anchors(), load_catalog(), model=model)
    (violation,) = guard.check("合同签了我私下微信转您一点，您别跟别人提就行")  # a dev sentence: no pattern left to find it
    assert (violation.rule, violation.how, violation.severity) == ("kickback", "model", "block") and violation.anchor.law
    assert guard.enforce("合同签了我私下微信转您一点，您别跟别人提就行").text is None
