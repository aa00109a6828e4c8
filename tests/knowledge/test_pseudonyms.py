"""Placeholders: consistent, numbered in reading order, titles outside; fingerprints; the cache."""

from __future__ import annotations

import re

from knowledge.desensitize import Desensitizer, Pseudonyms
from knowledge.desensitize.cache import ConversationCache
from knowledge.desensitize.pseudonyms import fingerprint


def test_when_a_title_follows_a_name_then_it_stays_outside_the_placeholder(desensitizer: Desensitizer) -> None:
    assert desensitizer.desensitize("王总，合同今天能回签吗？").text == "<PERSON_1>总，合同今天能回签吗？"


def test_when_values_repeat_in_variants_then_they_share_a_placeholder(desensitizer: Desensitizer) -> None:
    pseudonyms = Pseudonyms()
    first = desensitizer.desensitize("李经理手机138 0013 8000", pseudonyms)
    second = desensitizer.desensitize("再确认下 +86 13800138000，李经理", pseudonyms)
    assert first.text == "<PERSON_1>经理手机<CN_MOBILE_1>"
    assert second.text == "再确认下 <CN_MOBILE_1>，<PERSON_1>经理"
    assert first.fingerprints == second.fingerprints  # the phone's; 李 alone would match every 李


def test_when_several_values_appear_then_numbers_follow_reading_order(desensitizer: Desensitizer) -> None:
    text = "张先生和黄女士，再加上张先生的同事刘娜"
    result = desensitizer.desensitize(text)
    assert result.text == "<PERSON_1>先生和<PERSON_2>女士，再加上<PERSON_1>先生的同事<PERSON_3>"
    assert [e.placeholder for e in result.entities] == ["<PERSON_1>", "<PERSON_2>", "<PERSON_1>", "<PERSON_3>"]
    assert [text[e.start : e.end] for e in result.entities] == ["张", "黄", "张", "刘娜"]


def test_when_only_a_surname_is_known_then_no_erasure_fingerprint_is_kept(desensitizer: Desensitizer) -> None:
    assert desensitizer.desensitize("王总好").fingerprints == ()
    assert len(desensitizer.desensitize("王建国到了").fingerprints) == 1


def test_when_a_data_subject_asks_then_every_way_their_value_was_written_is_found(desensitizer: Desensitizer) -> None:
    candidates = set(desensitizer.fingerprints_for("+86 138-0013-8000"))
    for written in ("我手机13800138000", "电话 138 0013 8000", "手机：１３８００１３８０００"):
        assert set(desensitizer.desensitize(written).fingerprints) <= candidates, written
    landline = set(desensitizer.fingerprints_for("021-62345678"))
    assert set(desensitizer.desensitize("Tel: +86 21 6234 5678").fingerprints) <= landline


def test_when_reidentified_then_the_rep_sees_the_original(desensitizer: Desensitizer) -> None:
    pseudonyms = Pseudonyms()
    text = "请王总把盖章版发到wang.jg@huaxin-tech.com"
    masked = desensitizer.desensitize(text, pseudonyms).text
    assert "wang.jg" not in masked
    assert pseudonyms.reidentify(masked) == text
    assert pseudonyms.reidentify("<PERSON_9> 未知占位符保持原样") == "<PERSON_9> 未知占位符保持原样"


def test_when_fingerprints_are_made_then_they_hide_the_value_and_depend_on_the_secret(desensitizer: Desensitizer) -> None:
    result = desensitizer.desensitize("身份证11010519491231002X")
    assert len(result.fingerprints) == 1 and re.fullmatch(r"[0-9a-f]{64}", result.fingerprints[0])
    assert result.fingerprints[0] == fingerprint("11010519491231002X", "test-secret-" + "x" * 32)
    assert result.fingerprints[0] != fingerprint("11010519491231002X", "another-secret-" + "y" * 32)
    assert "11010519491231002X" not in repr(result.fingerprints)


def test_when_a_conversation_grows_then_only_new_messages_are_analysed(desensitizer: Desensitizer) -> None:
    calls: list[str] = []

    class Counting:
        def desensitize(self, text, pseudonyms):
            calls.append(text)
            return desensitizer.desensitize(text, pseudonyms)

    cache = ConversationCache(Counting())
    messages = ["王总好", "我手机13800138000", "价格能再低点吗"]
    first, _ = cache.desensitize("rep-a", "c1", messages)
    second, pseudonyms = cache.desensitize("rep-a", "c1", [*messages, "王总，13800138000 打不通"])
    assert calls == [*messages, "王总，13800138000 打不通"]
    assert second[:3] == first
    assert second[3].text == "<PERSON_1>总，<CN_MOBILE_1> 打不通"
    assert pseudonyms.reidentify(second[3].text) == "王总，13800138000 打不通"
    other, _ = cache.desensitize("rep-a", "c2", ["我手机13900139000"])
    assert other[0].text == "我手机<CN_MOBILE_1>"
    _, stranger = cache.desensitize("rep-b", "c1", ["你好"])
    assert stranger.reidentify("<PERSON_1>总") == "<PERSON_1>总"  # another caller's c1 is another conversation


def test_when_a_conversation_runs_long_then_the_cache_keeps_a_bounded_window(desensitizer: Desensitizer) -> None:
    from knowledge.desensitize.cache import MESSAGES_KEPT

    cache = ConversationCache(desensitizer)
    for turn in range(MESSAGES_KEPT + 30):
        cache.desensitize("rep", "long", [f"第{turn}条消息"])
    conversation = cache._conversations[("rep", "long")]
    assert len(conversation.done) == MESSAGES_KEPT


def test_when_many_long_conversations_arrive_then_the_cache_keeps_within_its_character_budget() -> None:
    from knowledge.desensitize.pseudonyms import Desensitized

    class Echo:  # the cache's bookkeeping, without the analysers' cost
        def desensitize(self, text, pseudonyms):
            return Desensitized(text, (), ())

    cache = ConversationCache(Echo(), max_chars=100_000)
    long_message = "设备" * 2000  # 4,000 characters, as the API allows
    for n in range(100):
        cache.desensitize("rep", f"c{n}", [f"{long_message}{n}", f"第二条{n}"])
    kept = cache._conversations
    assert kept.currsize <= 100_000
    assert ("rep", "c99") in kept and ("rep", "c0") not in kept  # the least recently used went first
    assert 5 < len(kept) < 20  # weighed by what each holds, not counted
