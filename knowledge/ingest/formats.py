"""Read chat exports (WeCom archive JSONL, CSV, meeting transcripts, API JSON) into normalized messages.

Every reader yields :class:`Message` or :class:`Skipped` items in file order and
streams the file line by line. A bad record is reported as ``Skipped`` with its
location ("第 12 行", or "messages[3]" for the API) and the reader carries on.
Reasons name locations and fields only, never message text or user ids: those
are personal information, and reports are read by managers and kept in logs.
"""

from __future__ import annotations

import codecs
import csv
import json
import re
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, ValidationError

from core.errors import BadRequest, field_errors, invalid_fields

Role = Literal["customer", "rep"]
SkipKind = Literal["malformed", "non_text", "empty"]
Format = Literal["wecom", "csv", "transcript"]

MAX_TEXT_CHARS = 4000
CSV_COLUMNS = ("conversation_id", "ts", "role", "text")
NOT_UTF8 = "这一行不是 UTF-8 编码：请把文件另存为 UTF-8 后重新导入。"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Message:
    """One chat message: ``text`` is stripped and non-empty, ``ts`` is UTC (or None when unknown)."""

    conversation_id: str
    ts: datetime | None
    role: Role
    text: str
    location: str


@dataclass(frozen=True)
class Skipped:
    """A record that was not imported: where it is, why (Chinese first, how to fix), and what kind of skip."""

    location: str
    reason: str
    kind: SkipKind = "malformed"


def line_location(number: int) -> str:
    """The location of a line in a file, as shown in reports."""
    return f"第 {number} 行"


def _utf8_ok(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate such as "\ud800" parses as JSON but cannot be written
        return False
    return True


def _build(location: str, conversation_id: str, ts: datetime | None, role: Role, text: str) -> Message | Skipped:
    """A message once the shared checks pass: conversation id present, text non-empty, not too long, writable."""
    conversation_id, text = conversation_id.strip(), text.strip()
    if not conversation_id or not _utf8_ok(conversation_id):
        return Skipped(location, "会话 id 为空或含有无法编码的字符：请检查导出的会话 id。")
    if "\x00" in conversation_id or "\x00" in text:
        return Skipped(location, "含有空字符（\\x00）：数据库不接受，请修正导出后重新导入。")
    if not text:
        return Skipped(location, "文本为空：这条消息没有内容，已跳过。", "empty")
    if len(text) > MAX_TEXT_CHARS:
        return Skipped(location, f"文本超过 {MAX_TEXT_CHARS} 字：请把它拆成几条消息后再导入。")
    if not _utf8_ok(text):
        return Skipped(location, "文本含有无法编码为 UTF-8 的字符：请修正后重新导出。")
    return Message(conversation_id, ts, role, text, location)


def _bad_field(location: str, name: str, how: str = "请检查导出是否完整。") -> Skipped:
    return Skipped(location, f"字段 {name} 缺失或类型不对：{how}")


def timezone_of(name: str) -> tzinfo:
    """The IANA time zone ``name``; BadRequest saying how to fix when it is unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise BadRequest(f"未知的时区 {name!r}：请用 IANA 时区名，例如 Asia/Shanghai。") from exc


def _to_utc(value: datetime, zone: tzinfo) -> datetime:
    """``value`` in UTC (naive values are in ``zone``); ValueError when that falls outside
    the years 1–9999 (e.g. 0001-01-01 in a zone east of UTC)."""
    try:
        return (value if value.tzinfo is not None else value.replace(tzinfo=zone)).astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("time out of range") from exc


def _raw_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            yield number, raw.removeprefix(codecs.BOM_UTF8) if number == 1 else raw


def _lines(path: Path) -> Iterator[tuple[int, str | None]]:
    """(line number, text without line ending) per line; None for a line that is not UTF-8."""
    for number, raw in _raw_lines(path):
        try:
            yield number, raw.decode("utf-8").rstrip("\r\n")
        except UnicodeDecodeError:
            yield number, None


# -- 1. WeCom message archive (企业微信会话内容存档), one JSON record a line ---------------------------

_WECOM_TYPES = frozenset({  # msgtype values that are not text; others are shown as "其他类型"
    "image", "voice", "video", "file", "emotion", "link", "weapp", "card", "location", "revoke", "agree",
    "disagree", "chatrecord", "todo", "vote", "collect", "redpacket", "meeting", "docmsg", "markdown", "news",
    "calendar", "mixed", "meeting_voice_call", "voip_doc_share", "external_redpacket", "sphfeed", "voiptext",
})


def _string(record: dict[str, Any], name: str) -> str | None:
    value = record.get(name)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _wecom_record(record: dict[str, Any], location: str) -> Message | Skipped:
    if record.get("action") == "switch":
        return Skipped(location, "切换企业的日志，不是聊天消息，已跳过。", "non_text")
    for name in ("action", "msgtype", "from"):
        if _string(record, name) is None:
            return _bad_field(location, name)
    if (msgtype := record["msgtype"]) != "text":
        return Skipped(location, f"非文本消息（{msgtype if msgtype in _WECOM_TYPES else '其他类型'}），不导入。", "non_text")
    msgtime = record.get("msgtime")
    try:
        if isinstance(msgtime, bool) or not isinstance(msgtime, int):
            raise TypeError
        ts = _EPOCH + timedelta(milliseconds=msgtime)
    except (TypeError, OverflowError):
        return _bad_field(location, "msgtime", "应为毫秒时间戳（整数）。")
    if not isinstance(record.get("roomid") or "", str):
        return _bad_field(location, "roomid")
    sender = record["from"].strip()
    conversation_id = _string(record, "roomid")
    if conversation_id is None:  # a direct chat: the same id whichever side sends
        tolist = record.get("tolist")
        if not isinstance(tolist, list) or not tolist or not isinstance(tolist[0], str) or not tolist[0].strip():
            return _bad_field(location, "tolist", "单聊消息须有接收人。")
        conversation_id = "dm:" + "|".join(sorted((sender, tolist[0].strip())))
    body = record.get("text")
    if not isinstance(content := body.get("content") if isinstance(body, dict) else None, str):
        return _bad_field(location, "text.content")
    # WeCom external contacts' userids start with "wo" or "wm"; colleagues' do not.
    return _build(location, conversation_id, ts, "customer" if sender.startswith(("wo", "wm")) else "rep", content)


def read_wecom(path: Path) -> Iterator[Message | Skipped]:
    """Read a WeCom archive JSONL file; a repeated ``msgid`` (an already imported record) is silently dropped."""
    seen: set[str] = set()
    for number, line in _lines(path):
        location = line_location(number)
        if line is None:
            yield Skipped(location, NOT_UTF8)
            continue
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):
            record = None
        if not isinstance(record, dict):
            yield Skipped(location, "不是合法的 JSON 对象：每行应是一条 JSON 记录 {…}（JSONL）。")
            continue
        msgid = record.get("msgid")
        if not isinstance(msgid, str) or not msgid:
            yield _bad_field(location, "msgid")
        elif msgid not in seen:
            item = _wecom_record(record, location)
            if isinstance(item, Message) or item.kind != "malformed":
                seen.add(msgid)  # a malformed first copy does not hide a good later one
            yield item


# -- 2. CSV with the header conversation_id, ts, role, text ---------------------------------------

_ROLE_NAMES: dict[str, Role] = {"customer": "customer", "客户": "customer", "rep": "rep", "销售": "rep"}


def _csv_row(row: list[str], columns: dict[str, int], width: int, start: int, end: int, zone: tzinfo) -> Message | Skipped:
    location = line_location(start)
    if len(row) > width:
        return Skipped(location, "这一行的值比表头的列多：含逗号的文本要用双引号括起来。")
    if len(row) <= max(columns.values()):
        return Skipped(location, "这一行的值比表头的列少：每行须有 conversation_id, ts, role, text。")
    role = _ROLE_NAMES.get(row[columns["role"]].strip().lower())
    if role is None:
        return _bad_field(location, "role", "应为 customer / rep（或 客户 / 销售）。")
    ts: datetime | None = None
    if raw_ts := row[columns["ts"]].strip():
        try:
            ts = _to_utc(datetime.fromisoformat(raw_ts), zone)
        except ValueError:
            return _bad_field(location, "ts", "应为 ISO 8601 时间，例如 2025-03-01T10:00:00+08:00，或留空。")
    text = row[columns["text"]]
    if end > start and len(text.strip()) > MAX_TEXT_CHARS:
        return Skipped(location, f"文本超过 {MAX_TEXT_CHARS} 字且一直延续到第 {end} 行：可能有双引号没有闭合，请检查这一行。")
    return _build(location, row[columns["conversation_id"]], ts, role, text)


def read_csv(path: Path, *, default_tz: str) -> Iterator[Message | Skipped]:
    """Read a CSV export; extra columns are ignored, naive ``ts`` values are read in ``default_tz``.

    Line numbers count the header as line 1; a record spanning several lines
    (a quoted multi-line text) is reported at its first line.
    """
    return _read_csv(path, timezone_of(default_tz))


def _read_csv(path: Path, zone: tzinfo) -> Iterator[Message | Skipped]:
    not_utf8: set[int] = set()

    def decoded() -> Iterator[str]:
        for number, raw in _raw_lines(path):
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError:
                not_utf8.add(number)
                yield raw.decode("utf-8", errors="replace")

    reader = csv.reader(decoded())
    try:
        header = next(reader, None)
    except csv.Error:
        header = []
    names = [name.strip().lower() for name in header or []]
    missing = [name for name in CSV_COLUMNS if name not in names]
    repeated = [name for name in CSV_COLUMNS if names.count(name) > 1]
    if 1 in not_utf8 or missing or repeated:
        why = NOT_UTF8 if 1 in not_utf8 else f"表头缺少列 {', '.join(missing)}：CSV 第一行须包含 {', '.join(CSV_COLUMNS)}。"
        why = why if 1 in not_utf8 or missing else f"表头里 {', '.join(repeated)} 出现了不止一次：请让每列名字唯一。"
        yield Skipped(line_location(1), why)
        return
    columns = {name: names.index(name) for name in CSV_COLUMNS}
    previous = reader.line_num
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error:
            row = None
        start, previous = previous + 1, reader.line_num
        if row is None:
            yield Skipped(line_location(start), "CSV 格式错误（引号或字段长度不对）：请用表格软件重新导出为 CSV。")
        elif any(number in not_utf8 for number in range(start, previous + 1)):
            yield Skipped(line_location(start), NOT_UTF8)
        elif row:  # an empty row is a blank line
            yield _csv_row(row, columns, len(names), start, previous, zone)


# -- 3. Meeting transcripts: "说话人: 文本" lines ----------------------------------------------------

_TIME_PREFIX = re.compile(r"^\s*(?:\[\s*\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?\s*\]|\d{1,2}:\d{2}:\d{2}(?:[.,]\d{1,3})?)\s*")
_SPEAKER_LINE = re.compile(  # not "10:30 开会" (a time) nor "https://…" (a link): those continue a message
    r"^(?![\d\s]+[:：])(?P<speaker>[^:：，。！？,.!?;；\s][^:：，。！？,.!?;；]{0,23}?)\s*[:：](?!//)\s*(?P<text>.*)$"
)
_CUSTOMER_LABELS = frozenset({"客户", "买方", "甲方", "customer"})
_REP_LABELS = frozenset({"销售", "我方", "乙方", "rep", "sales"})


def _speaker_roles(rep_speakers: Iterable[str], customer_speakers: Iterable[str]) -> dict[str, Role]:
    reps = {name.strip().casefold() for name in rep_speakers if name.strip()}
    customers = {name.strip().casefold() for name in customer_speakers if name.strip()}
    if reps & customers:
        raise BadRequest("同一个说话人不能既是客户又是销售：请检查 --rep-speaker 和 --customer-speaker。")
    roles: dict[str, Role] = {label: "customer" for label in _CUSTOMER_LABELS}
    roles.update({label: "rep" for label in _REP_LABELS})
    roles.update({name: "rep" for name in reps})
    roles.update({name: "customer" for name in customers})
    return roles


def read_transcript(
    path: Path, conversation_id: str, *, rep_speakers: Collection[str] = (), customer_speakers: Collection[str] = ()
) -> Iterator[Message | Skipped]:
    """Read a transcript; a line without a speaker continues the previous speaker's message.

    Time stamps such as ``[00:01:23]`` are ignored (``ts`` is None). A message is
    reported at the line where its speaker starts.
    """
    return _read_transcript(path, conversation_id, _speaker_roles(rep_speakers, customer_speakers))


def _read_transcript(path: Path, conversation_id: str, roles: dict[str, Role]) -> Iterator[Message | Skipped]:
    current: tuple[int, Role, list[str]] | None = None
    held: list[Skipped] = []  # problems inside the current message, reported after it
    orphaned = False  # inside the message of a speaker we could not place
    size = 0  # characters in the current message so far
    for number, line in _lines(path):
        if line is None:
            problem = Skipped(line_location(number), NOT_UTF8)
            if current is not None:
                held.append(problem)
            else:
                yield problem
            continue
        rest = _TIME_PREFIX.sub("", line, count=1).strip()
        if not rest:
            continue
        match = _SPEAKER_LINE.match(rest)
        if match is None:
            if current is None and not orphaned:
                yield Skipped(line_location(number), "这一行没有说话人：每段话须以「说话人: 文本」开头。")
            elif current is not None and size <= MAX_TEXT_CHARS:  # beyond it, the message is too long anyway
                current[2].append(rest)
                size += len(rest) + 1
            continue
        yield from _transcript_flush(current, conversation_id, held)
        role = roles.get(match["speaker"].strip().casefold())
        current, orphaned = (None, True) if role is None else ((number, role, [match["text"]]), False)
        size = len(match["text"])
        if role is None:
            yield Skipped(line_location(number), "无法判断这一行的说话人是客户还是销售，这段话（连同后面的续行）已跳过：用 --rep-speaker / --customer-speaker 指明。")
    yield from _transcript_flush(current, conversation_id, held)


def _transcript_flush(
    current: tuple[int, Role, list[str]] | None, conversation_id: str, held: list[Skipped]
) -> Iterator[Message | Skipped]:
    if current is not None:
        start, role, parts = current
        yield _build(line_location(start), conversation_id, None, role, "\n".join(parts))
    yield from held
    held.clear()


# -- 4. The HTTP API's messages ----------------------------------------------------------------------


class ApiMessage(BaseModel):
    """One message as the API receives it."""

    model_config = ConfigDict(extra="forbid")
    conversation_id: str
    ts: datetime | None = None
    role: Role
    text: str


def _api_reason(exc: ValidationError) -> str:
    fields = [name for name in invalid_fields(exc) if name in ApiMessage.model_fields]
    extra = any(error["type"] == "extra_forbidden" for error in field_errors(exc))
    parts = ([f"字段 {', '.join(fields)} 缺失或不合法"] if fields else []) + (["有多余的字段"] if extra else [])
    return "；".join(parts) + "：每条消息应为 {conversation_id, ts?, role: customer|rep, text}。"


def read_api_messages(items: list[Any], *, default_tz: str = "UTC") -> list[Message | Skipped]:
    """Validate the API's message objects one by one; a bad item is skipped, the others kept."""
    zone = timezone_of(default_tz)
    out: list[Message | Skipped] = []
    for index, item in enumerate(items):
        location = f"messages[{index}]"
        if not isinstance(item, dict):
            out.append(Skipped(location, "不是 JSON 对象：每条消息应为 {conversation_id, ts?, role, text}。"))
            continue
        try:
            parsed = ApiMessage.model_validate(item)
        except ValidationError as exc:
            out.append(Skipped(location, _api_reason(exc)))
            continue
        try:
            ts = _to_utc(parsed.ts, zone) if parsed.ts is not None else None
        except ValueError:
            out.append(_bad_field(location, "ts", "时间超出可表示的范围（公元 1–9999 年）。"))
            continue
        out.append(_build(location, parsed.conversation_id, ts, parsed.role, parsed.text))
    return out


# -- Files ---------------------------------------------------------------------------------------------

_SUFFIXES: dict[str, Format] = {".jsonl": "wecom", ".json": "wecom", ".csv": "csv", ".txt": "transcript"}


def detect_format(path: Path) -> Format:
    """The format of ``path`` by its suffix: .jsonl/.json → wecom, .csv → csv, .txt → transcript."""
    fmt = _SUFFIXES.get(Path(path).suffix.lower())
    if fmt is None:
        raise BadRequest(f"不支持的文件类型 {Path(path).suffix!r}：请提供 .jsonl/.json（企业微信存档）、.csv 或 .txt（会议转写）文件。")
    return fmt


def read_file(
    path: Path,
    fmt: Format | None = None,
    *,
    default_tz: str,
    rep_speakers: Collection[str] = (),
    customer_speakers: Collection[str] = (),
) -> Iterator[Message | Skipped]:
    """Read ``path`` in ``fmt`` (by default from its suffix); a transcript's conversation id is the file stem."""
    path = Path(path)
    fmt = fmt or detect_format(path)
    if fmt == "wecom":
        return read_wecom(path)
    if fmt == "csv":
        return read_csv(path, default_tz=default_tz)
    if fmt == "transcript":
        return read_transcript(path, path.stem, rep_speakers=rep_speakers, customer_speakers=customer_speakers)
    raise BadRequest(f"未知的格式 {fmt!r}：可选 wecom、csv、transcript。")
