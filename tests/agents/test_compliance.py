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
    ("衡川那台经常坏，售后差。", ["disparage", "disparage"], None),
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


@pytest.mark.parametrize("agent", ["script_suggestion", "competitor_response"])
def test_when_an_agent_suggests_then_it_is_attested_against_at_least_one_anchor(agent: str) -> None:
    attestations = get_guard().attestations(agent)
    assert attestations and all(a.complies and a.anchor.summary for a in attestations)
    if agent == "competitor_response":
        assert {"ad-disparage", "aucl-disparage"} <= {a.anchor.id for a in attestations}


def test_when_text_is_checked_over_the_api_then_violations_carry_anchors(client: TestClient, make_key: Callable[[Role], str]) -> None:
    headers = {"Authorization": f"Bearer {make_key(Role.legal)}"}
    body = client.post("/v1/compliance/check", json={"text": "我们是最好的，对手是垃圾"}, headers=headers).json()
    assert body["compliant"] is False
    assert [(v["rule"], v["anchor"]["id"]) for v in body["violations"]] == [("superlative", "ad-absolute"), ("disparage", "ad-disparage")]
    assert client.post("/v1/compliance/check", json={"text": "交期 21 天"}, headers=headers).json() == {"compliant": True, "violations": []}
    assert client.post("/v1/compliance/check", json={"text": ""}, headers=headers).status_code == 422
