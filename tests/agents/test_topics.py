"""Anchors by content: which provisions a suggestion's text touches, with a text-specific line."""

from __future__ import annotations

import pytest

from agents.compliance.topics import get_topics

CASES = [
    # (text, anchor ids that must be cited, words its complies line must carry)
    ("逾期交货按每日0.05%计违约金，累计不超过合同总价的10%，您看可以吗？", {"cc-penalty"}, "10%"),
    ("定金按合同额的20%支付，其余到货验收后付清。", {"cc-deposit"}, "20%"),
    ("付款按3:6:1，验收合格后30天内付清尾款。", {"sme-payment"}, "30天"),
    ("按双方公开的参数表，博睿的排气量是10 m³/min。", {"ad-disparage", "aucl-disparage"}, "公开"),
    ("定制开发的部分归贵方，我们既有的技术仍归我们。", {"copyright-commissioned"}, "既有"),
    ("保密协议我们可以先签，双方互相保密。", {"cc-confidentiality"}, "保密"),
    ("我们可以在投标前给您做一次现场演示，按招标文件要求参加。", {"bid-collusion"}, "招标文件"),
]


@pytest.mark.parametrize(("text", "anchors", "words"), CASES, ids=[c[0][:8] for c in CASES])
def test_when_a_suggestion_touches_a_topic_then_it_cites_the_governing_provision(text: str, anchors: set[str], words: str) -> None:
    grounds = get_topics().grounds(text)
    assert anchors <= {g.anchor.id for g in grounds}
    assert any(words in g.complies for g in grounds if g.anchor.id in anchors)


def test_when_a_reply_only_asks_a_question_then_it_cites_nothing() -> None:
    assert get_topics().grounds("您方便的话，我们约个时间线上演示一下？") == []


def test_when_a_reply_touches_many_topics_then_at_most_four_provisions_are_cited() -> None:
    text = "价格给您九五折，付款3:6:1，验收15天内完成，违约金封顶10%，定金20%，保密协议也可以签。"
    grounds = get_topics().grounds(text)
    assert len(grounds) == 4 and len({g.topic for g in grounds}) == 4  # one main provision per topic first
