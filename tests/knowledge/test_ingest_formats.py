"""Ingest readers and snippet cutting: every good record kept, every bad one reported at its line, no PII in reasons."""

from __future__ import annotations

import codecs
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.errors import BadRequest
from knowledge.ingest.cutting import (
    SnippetDraft,
    SpeakerTurn,
    cut,
    group_conversations,
    snippet_key,
    turns_of,
)
from knowledge.ingest.formats import (
    MAX_TEXT_CHARS,
    NOT_UTF8,
    Message,
    Skipped,
    detect_format,
    read_api_messages,
    read_csv,
    read_file,
    read_transcript,
    read_wecom,
)

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"
# Values from the fixtures that are personal information: no skip reason may repeat them.
PII = ["wmCustA001", "woCustB002", "zhangsan", "lisi", "王总", "陈工", "李经理", "13800138000", "13912345678", "boss", "not-a-time"]


def _summary(items: list[Message | Skipped]) -> list[tuple[str, str]]:
    return [(item.location, item.role if isinstance(item, Message) else item.kind) for item in items]


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# -- WeCom archive -----------------------------------------------------------------------------------


def test_when_a_wecom_archive_is_read_then_text_is_kept_and_everything_else_reported_at_its_line() -> None:
    items = list(read_wecom(FIXTURES / "wecom_sample.jsonl"))
    assert _summary(items) == [
        ("第 1 行", "customer"),
        ("第 2 行", "rep"),  # line 3 repeats msgid m1: silently dropped
        ("第 4 行", "non_text"),  # image
        ("第 5 行", "non_text"),  # switch
        ("第 7 行", "malformed"),  # line 6 is blank
        ("第 8 行", "malformed"),
        ("第 9 行", "customer"),
        ("第 10 行", "empty"),
        ("第 11 行", "non_text"),  # revoke
        ("第 12 行", "malformed"),
        ("第 13 行", "malformed"),
        ("第 14 行", "malformed"),
        ("第 15 行", "rep"),
    ]
    first, reply, group, group_reply = (item for item in items if isinstance(item, Message))
    assert first.conversation_id == reply.conversation_id == "dm:wmCustA001|zhangsan"
    assert first.ts == datetime(2025, 1, 1, 1, 0, tzinfo=UTC)
    assert first.text == "你们报价太高了，我手机 13800138000"
    assert group.conversation_id == group_reply.conversation_id == "wrRoom01"
    reasons = {item.location: item.reason for item in items if isinstance(item, Skipped)}
    assert "msgtime" in reasons["第 8 行"] and "tolist" in reasons["第 12 行"] and "msgid" in reasons["第 13 行"]
    assert "image" in reasons["第 4 行"]


@pytest.mark.parametrize(
    ("record", "field"),
    [
        ('{"msgid": "x", "action": "send", "from": "a", "tolist": ["b"], "msgtime": "1", "msgtype": "text", "text": {"content": "hi"}}', "msgtime"),
        ('{"msgid": "x", "action": "send", "from": "a", "tolist": ["b"], "msgtime": 1, "msgtype": "text", "text": "hi"}', "text.content"),
        ('{"msgid": "x", "action": "send", "from": 5, "tolist": ["b"], "msgtime": 1, "msgtype": "text", "text": {"content": "hi"}}', "from"),
        ('{"msgid": "x", "action": "send", "from": "a", "roomid": 7, "msgtime": 1, "msgtype": "text", "text": {"content": "hi"}}', "roomid"),
        ('{"msgid": "x", "from": "a", "tolist": ["b"], "msgtime": 1, "msgtype": "text", "text": {"content": "hi"}}', "action"),
        ('{"msgid": "x", "action": "send", "from": "a", "tolist": ["b"], "msgtime": 10000000000000000, "msgtype": "text", "text": {"content": "hi"}}', "msgtime"),
    ],
)
def test_when_a_wecom_field_is_missing_or_ill_typed_then_the_reason_names_it(tmp_path: Path, record: str, field: str) -> None:
    (item,) = read_wecom(_write(tmp_path, "a.jsonl", record.encode()))
    assert isinstance(item, Skipped) and item.kind == "malformed" and f"字段 {field} " in item.reason


def test_when_a_wecom_file_has_a_bom_invalid_utf8_and_crlf_then_only_the_bad_line_is_lost(tmp_path: Path) -> None:
    good = '{"msgid": "%s", "action": "send", "from": "wmA", "tolist": ["rep1"], "msgtime": 0, "msgtype": "text", "text": {"content": "在吗"}}'
    data = codecs.BOM_UTF8 + (good % "a").encode() + b"\r\n\xff\xfe\r\n" + (good % "b").encode()
    items = list(read_wecom(_write(tmp_path, "a.jsonl", data)))
    assert _summary(items) == [("第 1 行", "customer"), ("第 2 行", "malformed"), ("第 3 行", "customer")]
    assert items[1].reason == NOT_UTF8


def test_when_a_text_is_too_long_then_it_is_malformed_and_at_the_cap_it_is_kept(tmp_path: Path) -> None:
    line = '{"msgid": "%s", "action": "send", "from": "rep1", "roomid": "r", "msgtime": 0, "msgtype": "text", "text": {"content": "%s"}}'
    data = "\n".join([line % ("a", "字" * MAX_TEXT_CHARS), line % ("b", "字" * (MAX_TEXT_CHARS + 1))]).encode()
    kept, long = read_wecom(_write(tmp_path, "a.jsonl", data))
    assert isinstance(kept, Message) and isinstance(long, Skipped) and str(MAX_TEXT_CHARS) in long.reason


# -- CSV -----------------------------------------------------------------------------------------


def test_when_a_csv_is_read_then_bad_rows_are_reported_with_csv_line_numbers() -> None:
    items = list(read_csv(FIXTURES / "chat_sample.csv", default_tz="Asia/Shanghai"))
    assert _summary(items) == [
        ("第 2 行", "customer"),
        ("第 3 行", "rep"),  # line 4 is blank
        ("第 5 行", "customer"),  # a quoted text over lines 5–6
        ("第 7 行", "malformed"),  # role
        ("第 8 行", "malformed"),  # ts
        ("第 9 行", "malformed"),  # an unquoted comma
        ("第 10 行", "malformed"),  # no conversation id
        ("第 11 行", "empty"),
        ("第 12 行", "customer"),
    ]
    messages = [item for item in items if isinstance(item, Message)]
    assert messages[0].ts == datetime(2025, 3, 1, 2, 0, tzinfo=UTC)  # naive, read in Asia/Shanghai
    assert messages[0].text == "王总说价格太高, 能不能便宜"
    assert messages[1].ts == datetime(2025, 3, 1, 2, 1, tzinfo=UTC)
    assert messages[2].ts is None and messages[2].text == "第一行\n第二行"
    assert messages[3].ts == datetime(2025, 3, 1, 11, 1, tzinfo=UTC) and messages[3].conversation_id == "c2"
    reasons = [item.reason for item in items if isinstance(item, Skipped)]
    assert "字段 role " in reasons[0] and "字段 ts " in reasons[1] and "双引号" in reasons[2] and "会话 id" in reasons[3]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"conversation_id,role,text\nc1,rep,hi\n", [("第 1 行", "malformed")]),
        (b"", [("第 1 行", "malformed")]),
        (b"\xff\xfeconversation_id,ts,role,text\nc1,,rep,hi\n", [("第 1 行", "malformed")]),
        (codecs.BOM_UTF8 + b" Conversation_ID , TS,Role,Text\nc1,,rep,hi\n", [("第 2 行", "rep")]),
        (b"conversation_id,ts,role,text\nc1,,rep,hi\nc1,,rep,\xff\nc1,,customer,\"a\n\xff\"\nc1,,customer,ok\n", [("第 2 行", "rep"), ("第 3 行", "malformed"), ("第 4 行", "malformed"), ("第 6 行", "customer")]),
        (b"conversation_id,ts,role,text\r\nc1,,rep,hi\r\nc1,,rep\r\n", [("第 2 行", "rep"), ("第 3 行", "malformed")]),
        (b"conversation_id,ts,role,text,text\nc1,,rep,hi,ho\n", [("第 1 行", "malformed")]),
        (b"conversation_id,ts,role,text\nc1,,rep," + b"x" * 200_000 + b"\nc1,,rep,ok\n", [("第 2 行", "malformed"), ("第 3 行", "rep")]),
    ],
)
def test_when_a_csv_header_or_encoding_is_wrong_then_it_is_reported_and_nothing_else_lost(
    tmp_path: Path, content: bytes, expected: list[tuple[str, str]]
) -> None:
    assert _summary(list(read_csv(_write(tmp_path, "a.csv", content), default_tz="UTC"))) == expected


def test_when_a_csv_header_lacks_a_column_then_the_reason_names_it(tmp_path: Path) -> None:
    (item,) = read_csv(_write(tmp_path, "a.csv", b"conversation_id,role,text,note\nc1,rep,hi,x\n"), default_tz="UTC")
    assert isinstance(item, Skipped) and "缺少列 ts" in item.reason


def test_when_a_csv_quote_is_never_closed_then_the_reason_points_at_the_quote(tmp_path: Path) -> None:
    body = "conversation_id,ts,role,text\nc1,,rep,\"开了引号\n" + "\n".join(["c1,,customer,内容很长" * 60] * 12)
    (item,) = read_csv(_write(tmp_path, "a.csv", body.encode()), default_tz="UTC")
    assert isinstance(item, Skipped) and item.location == "第 2 行" and "引号" in item.reason and "第 14 行" in item.reason


def test_when_the_time_zone_is_unknown_then_reading_fails_at_once_saying_how_to_fix(tmp_path: Path) -> None:
    with pytest.raises(BadRequest, match="Asia/Shanghai"):
        read_file(_write(tmp_path, "a.csv", b"conversation_id,ts,role,text\n"), default_tz="Mars/Olympus")


# -- Transcripts -----------------------------------------------------------------------------------


def test_when_a_transcript_names_its_speakers_then_continuations_join_the_message() -> None:
    items = list(read_transcript(FIXTURES / "meeting_sample.txt", "meeting-1", customer_speakers={"王总"}))
    assert _summary(items) == [
        ("第 1 行", "rep"),
        ("第 2 行", "customer"),
        ("第 4 行", "rep"),
        ("第 6 行", "customer"),
        ("第 8 行", "malformed"),  # 陈工 is neither; line 9 is his and goes with him
        ("第 10 行", "rep"),
    ]
    texts = [item.text for item in items if isinstance(item, Message)]
    assert texts[1] == "价格还是太高了。\n我们预算只有五十万。"
    assert texts[3] == "那交期呢？\nhttp://example.com/spec 这是规格"
    assert all(item.conversation_id == "meeting-1" and item.ts is None for item in items if isinstance(item, Message))
    assert "--customer-speaker" in items[4].reason


def test_when_a_speaker_is_unknown_then_that_message_is_skipped_and_the_others_kept() -> None:
    items = list(read_file(FIXTURES / "meeting_sample.txt", default_tz="UTC"))
    assert _summary(items) == [
        ("第 1 行", "rep"),
        ("第 2 行", "malformed"),
        ("第 4 行", "rep"),
        ("第 6 行", "customer"),
        ("第 8 行", "malformed"),
        ("第 10 行", "rep"),
    ]
    assert items[0].conversation_id == "meeting_sample"  # the file stem


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("开场白没有说话人\n客户：你好\n", [("第 1 行", "malformed"), ("第 2 行", "customer")]),
        ("客户：你好\n10:30 开会\n[00:01:23]\n", [("第 1 行", "customer")]),
        ("Sales: hello\nCUSTOMER：hi\n销售：\n", [("第 1 行", "rep"), ("第 2 行", "customer"), ("第 3 行", "empty")]),
        ("老周：你好\n阿May: 在的\n", [("第 1 行", "rep"), ("第 2 行", "customer")]),
        ("客户：开头\n" + "很长的续行。\n" * 1000 + "销售：好\n", [("第 1 行", "malformed"), ("第 1002 行", "rep")]),
    ],
)
def test_when_transcript_lines_vary_then_each_is_read_as_expected(tmp_path: Path, content: str, expected: list[tuple[str, str]]) -> None:
    path = _write(tmp_path, "m.txt", content.encode())
    items = list(read_transcript(path, "m", rep_speakers=["老周"], customer_speakers=["阿may"]))
    assert _summary(items) == expected


def test_when_a_transcript_has_a_bom_and_a_bad_line_inside_a_message_then_the_message_comes_first(tmp_path: Path) -> None:
    data = codecs.BOM_UTF8 + "客户：第一句\n".encode() + b"\xc3\x28\n" + "接着说\n销售：好的\n".encode()
    items = list(read_transcript(_write(tmp_path, "m.txt", data), "m"))
    assert _summary(items) == [("第 1 行", "customer"), ("第 2 行", "malformed"), ("第 4 行", "rep")]
    assert items[0].text == "第一句\n接着说"


def test_when_a_speaker_is_named_both_rep_and_customer_then_reading_fails_at_once(tmp_path: Path) -> None:
    with pytest.raises(BadRequest, match="既是客户又是销售"):
        read_file(_write(tmp_path, "m.txt", b""), default_tz="UTC", rep_speakers=["A"], customer_speakers=["a "])


# -- API -------------------------------------------------------------------------------------------


def test_when_api_items_are_read_then_bad_items_are_skipped_and_the_others_kept() -> None:
    items = read_api_messages(
        [
            {"conversation_id": "c1", "role": "customer", "text": " 太贵了 ", "ts": "2025-03-01T10:00:00"},
            "not an object",
            {"conversation_id": "c1", "role": "boss", "text": "hi"},
            {"conversation_id": "c1", "role": "rep"},
            {"conversation_id": "c1", "role": "rep", "text": "hi", "phone": "13800138000"},
            {"conversation_id": "c1", "role": "rep", "text": "  "},
            {"conversation_id": " ", "role": "rep", "text": "hi"},
            {"conversation_id": "c1", "role": "rep", "text": "可以", "ts": "2025-03-01T10:01:00+08:00"},
        ],
        default_tz="Asia/Shanghai",
    )
    assert _summary(items) == [
        ("messages[0]", "customer"),
        ("messages[1]", "malformed"),
        ("messages[2]", "malformed"),
        ("messages[3]", "malformed"),
        ("messages[4]", "malformed"),
        ("messages[5]", "empty"),
        ("messages[6]", "malformed"),
        ("messages[7]", "rep"),
    ]
    assert items[0].text == "太贵了" and items[0].ts == datetime(2025, 3, 1, 2, 0, tzinfo=UTC)
    assert "字段 role " in items[2].reason and "字段 text " in items[3].reason and "多余的字段" in items[4].reason
    assert "phone" not in items[4].reason


# -- Files -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fmt"), [("a.jsonl", "wecom"), ("a.JSON", "wecom"), ("a.csv", "csv"), ("a.txt", "transcript")]
)
def test_when_a_suffix_is_known_then_its_format_is_detected(name: str, fmt: str) -> None:
    assert detect_format(Path(name)) == fmt


def test_when_a_suffix_is_unknown_then_the_error_says_what_is_supported() -> None:
    with pytest.raises(BadRequest, match=r"\.csv"):
        detect_format(Path("chat.xlsx"))


def test_when_fixtures_have_bad_records_then_no_reason_repeats_their_text_or_ids() -> None:
    items = [
        *read_file(FIXTURES / "wecom_sample.jsonl", default_tz="UTC"),
        *read_file(FIXTURES / "chat_sample.csv", default_tz="Asia/Shanghai"),
        *read_file(FIXTURES / "meeting_sample.txt", default_tz="UTC"),
        *read_api_messages([{"conversation_id": "王总", "role": "lisi", "text": 13800138000, "zhangsan": "陈工"}]),
    ]
    reasons = [item.reason for item in items if isinstance(item, Skipped)]
    assert len(reasons) >= 15
    leaks = [(reason, token) for reason in reasons for token in PII if token in reason]
    assert leaks == []


# -- Snippets --------------------------------------------------------------------------------------


def _m(conversation: str, role: str, text: str, minute: int | None = None) -> Message:
    ts = datetime(2025, 3, 1, 10, minute, tzinfo=UTC) if minute is not None else None
    return Message(conversation, ts, role, text, f"第 {minute} 行")  # type: ignore[arg-type]


def test_when_every_message_has_a_time_then_conversations_are_sorted_by_it_keeping_ties_in_file_order() -> None:
    groups = group_conversations([_m("a", "rep", "3", 3), _m("b", "rep", "x"), _m("a", "customer", "1", 1), _m("a", "rep", "2a", 2), _m("a", "rep", "2b", 2)])
    assert [m.text for m in groups["a"]] == ["1", "2a", "2b", "3"]
    assert list(groups) == ["a", "b"]


def test_when_a_message_lacks_a_time_then_its_conversation_keeps_file_order() -> None:
    groups = group_conversations([_m("a", "rep", "3", 3), _m("a", "customer", "?"), _m("a", "customer", "1", 1)])
    assert [m.text for m in groups["a"]] == ["3", "?", "1"]


def test_when_one_side_speaks_several_times_then_the_messages_merge_into_one_turn() -> None:
    turns = turns_of([_m("a", "customer", "在吗"), _m("a", "customer", "太贵了"), _m("a", "rep", "可以谈"), _m("a", "customer", "好")])
    assert turns == [SpeakerTurn("customer", "在吗\n太贵了"), SpeakerTurn("rep", "可以谈"), SpeakerTurn("customer", "好")]


@pytest.mark.parametrize(
    ("roles", "context_turns", "expected"),
    [
        ("crcrc", 2, [(0, 0), (2, 2)]),  # the last customer turn has no reply
        ("rcrcr", 2, [(1, 1), (3, 2)]),
        ("rcrcr", 0, [(1, 0), (3, 0)]),
        ("crcrcr", 10, [(0, 0), (2, 2), (4, 4)]),
        ("c", 2, []),
        ("", 2, []),
    ],
)
def test_when_turns_are_cut_then_each_replied_customer_turn_gives_one_draft_with_its_context(
    roles: str, context_turns: int, expected: list[tuple[int, int]]
) -> None:
    turns = [SpeakerTurn("customer" if r == "c" else "rep", f"{r}{i}") for i, r in enumerate(roles)]
    drafts = cut(turns, context_turns=context_turns)
    assert [(d.position, len(d.context)) for d in drafts] == expected
    for draft in drafts:
        assert draft.customer == turns[draft.position].text and draft.reply == turns[draft.position + 1].text
        assert draft.context == tuple(turns[draft.position - len(draft.context) : draft.position])


def test_when_context_turns_is_negative_then_cut_refuses() -> None:
    with pytest.raises(ValueError):
        cut([], context_turns=-1)


def test_when_a_conversation_grows_then_its_earlier_snippets_keep_their_keys() -> None:
    before = cut([SpeakerTurn("customer", "太贵"), SpeakerTurn("rep", "可以分期")])
    after = cut([SpeakerTurn("rep", "您好"), SpeakerTurn("customer", "太贵"), SpeakerTurn("rep", "可以分期"), SpeakerTurn("customer", "好"), SpeakerTurn("rep", "谢谢")])
    assert before[0].position != after[0].position and before[0].context != after[0].context
    assert snippet_key("wecom:dm:1", before[0]) == snippet_key("wecom:dm:1", after[0])
    assert snippet_key("wecom:dm:2", before[0]) != snippet_key("wecom:dm:1", before[0])
    assert snippet_key("r", SnippetDraft("a|b", "c", (), 0)) != snippet_key("r", SnippetDraft("a", "b|c", (), 0))
    assert len(snippet_key("r", before[0])) == 64 and int(snippet_key("r", before[0]), 16) >= 0
