"""The extractive composer: other conversations' placeholders removed, near-duplicates dropped."""

from __future__ import annotations

from agents.composers.extractive import AS_IS_FLOOR, adapt, compose, near_duplicate
from knowledge.store import Hit


def test_when_a_reply_greets_or_names_someone_else_then_it_is_adapted_or_unusable() -> None:
    assert adapt("<PERSON_1>总，理解您的顾虑，我们可以分期。") == "理解您的顾虑，我们可以分期。"
    assert adapt("原来的<PERSON_1>调走了，接手的是<PERSON_2>") is None
    assert adapt("方案发到<EMAIL_ADDRESS_1>了") is None


def test_when_replies_repeat_then_only_the_best_is_kept() -> None:
    hits = [
        Hit("a", 0.9, "贵", {"reply": "理解您对价格的顾虑，我们可以按总拥有成本算一笔账。", "quality": 5}, 0.9),
        Hit("b", 0.8, "贵", {"reply": "理解您对价格的顾虑，我们可以按总拥有成本算一下账。", "quality": 4}, 0.8),
        Hit("c", 0.7, "贵", {"reply": "可以申请分期付款，首付三成，我帮您走特价流程。", "quality": 4}, 0.7),
    ]
    drafts = compose("script_suggestion", hits)
    assert [d.sources[0].snippet_id for d in drafts] == ["a", "c"]
    assert drafts[0].confidence > drafts[1].confidence
    assert near_duplicate(hits[0].metadata["reply"], hits[1].metadata["reply"])


def test_when_a_reply_quotes_another_deals_amount_then_it_ranks_lower() -> None:
    hits = [
        Hit("a", 0.9, "贵", {"reply": "68万两台确实有缺口，可以先上一台。", "quality": 5}, 0.9),
        Hit("b", 0.85, "贵", {"reply": "理解预算压力，我们可以按总拥有成本算一笔账。", "quality": 5}, 0.85),
    ]
    drafts = compose("script_suggestion", hits, conversation="我们预算只有 38 万")
    assert [d.sources[0].snippet_id for d in drafts] == ["b", "a"]
    assert compose("script_suggestion", hits, conversation="预算 68 万，想买两台")[0].sources[0].snippet_id == "a"


def test_when_a_reply_is_not_close_to_this_conversation_then_it_is_not_shown_as_is_unless_a_rule_chose_it() -> None:
    hits = [
        Hit("close", 0.95, "贵", {"reply": "理解预算压力，我们可以按总拥有成本算一笔账。", "quality": 5}, 0.95),
        Hit("far", 0.6, "贵", {"reply": "祝主任进修顺利，这段时间我不打扰。", "quality": 5}, 0.6),
    ]
    assert [d.sources[0].snippet_id for d in compose("script_suggestion", hits, floor=AS_IS_FLOOR)] == ["close"]
    chosen = compose("script_suggestion", hits, floor=AS_IS_FLOOR, chosen=frozenset({"far"}))
    assert [d.sources[0].snippet_id for d in chosen] == ["close", "far"]


def test_when_two_moves_share_a_long_opening_or_ending_then_what_differs_decides() -> None:
    fact = "BT-40的2–8℃ 保温时长是 96 小时，按您说的四天算刚好够。"
    assert not near_duplicate(fact + "完整的参数表我发您一份。", fact + "方便的话安排样箱按实际线路测一测。")
    assert near_duplicate(fact + "完整的参数表我发您一份。", fact + "完整的参数表我发您一份吧。")
