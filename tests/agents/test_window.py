"""The recent window a suggest request reads: bounded, newest first, never cutting an identifier."""

from __future__ import annotations

from agents.suggestions.model import ChatMessage
from agents.clipping import CLIPPED, clip_end
from agents.suggestions.window import recent_window


def test_when_a_message_is_longer_than_the_budget_then_its_end_is_kept() -> None:
    text = "前面的背景介绍。" * 500 + "最后的问题：下周一能到货吗？"
    window = recent_window([ChatMessage("customer", text)], max_chars=400)
    assert len(window) == 1 and window[0].text.endswith("下周一能到货吗？") and len(window[0].text) <= 201


def test_when_the_cut_falls_inside_a_phone_number_then_the_partial_number_is_left_out() -> None:
    text = "联系我13812345678" + "好" * 100
    clipped = clip_end(text, 105)  # the cut lands inside the number
    assert clipped.startswith(CLIPPED) and not any(ch.isdigit() for ch in clipped)


def test_when_messages_are_many_then_the_newest_fill_the_budget_and_order_is_kept() -> None:
    messages = [ChatMessage("customer" if n % 2 else "rep", f"第{n}条消息，内容一般长短。") for n in range(40)]
    window = recent_window(messages, max_chars=100)
    assert window[-1].text == messages[-1].text and sum(len(m.text) for m in window) <= 100
    assert [(m.role, m.text) for m in window] == [(m.role, m.text) for m in messages[-len(window):]]  # whole: no scrap of an older one


def test_when_the_rep_wrote_the_long_last_messages_then_the_latest_customer_turn_is_still_there() -> None:
    messages = [ChatMessage("customer", "价格能再低点吗？"), ChatMessage("rep", "方案说明。" * 300), ChatMessage("rep", "补充说明。" * 300)]
    window = recent_window(messages, max_chars=300)
    assert window[0] == ChatMessage("customer", "价格能再低点吗？") and sum(len(m.text) for m in window) <= 300 + 20


def test_when_the_cut_falls_inside_a_full_width_or_spaced_card_number_then_no_digit_of_it_is_kept() -> None:
    for number in ("６２２２０２０２０２０２０２０２０２０", "6222 0202 0202 0202 020", "138\u200b1234\u200b5678"):
        text = "卡号" + number + "，" + "好" * 40
        for limit in range(41, 41 + len(number)):
            assert not any(ch.isdigit() for ch in clip_end(text, limit)), (number, limit)


def test_when_a_long_question_has_its_only_mark_at_the_end_then_the_clip_keeps_the_question() -> None:
    question = "想了解一下你们这款设备如果一次采购二十台的话价格能不能再优惠一些另外售后响应一般多久能到现场" * 2 + "？"
    assert len(clip_end(question, 80)) > 40
