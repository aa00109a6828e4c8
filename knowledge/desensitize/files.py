"""Desensitize JSONL and CSV files record by record; malformed records are reported and skipped.

Records that carry the same conversation id share placeholders, so a
conversation stays readable after desensitization. Each written record gains
``pii_fingerprints``: the erasure fingerprints of the values it contained.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.errors import BadRequest
from knowledge.desensitize.engine import Desensitizer
from knowledge.desensitize.pseudonyms import Pseudonyms

FINGERPRINTS = "pii_fingerprints"


@dataclass
class FileReport:
    written: int = 0
    skipped: list[str] = field(default_factory=list)


class _Records:
    """Desensitizes the chosen fields of one record at a time."""

    def __init__(self, desensitizer: Desensitizer, fields: tuple[str, ...], conversation_field: str) -> None:
        self._desensitizer = desensitizer
        self._fields = fields
        self._conversation_field = conversation_field
        self._pseudonyms: defaultdict[str, Pseudonyms] = defaultdict(Pseudonyms)

    def apply(self, record: dict[str, Any]) -> str | None:
        """Desensitize ``record`` in place; return why it is malformed, or None."""
        missing = [name for name in self._fields if not isinstance(record.get(name), str)]
        if missing:
            return f"field {', '.join(missing)} missing or not text"
        conversation = record.get(self._conversation_field)
        pseudonyms = self._pseudonyms[str(conversation)] if conversation not in (None, "") else Pseudonyms()
        prints: list[str] = []
        for name in self._fields:
            result = self._desensitizer.desensitize(record[name], pseudonyms)
            record[name] = result.text
            prints.extend(result.fingerprints)
        record[FINGERPRINTS] = list(dict.fromkeys(prints))
        return None


def _unwritable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def count_records(source: Path) -> int:
    with source.open("rb") as handle:
        lines = sum(1 for _ in handle)
    return lines - 1 if source.suffix.lower() == ".csv" else lines


def desensitize_file(
    source: Path,
    target: Path,
    desensitizer: Desensitizer,
    *,
    fields: tuple[str, ...] = ("text",),
    conversation_field: str = "conversation_id",
    advance: Callable[[], None] = lambda: None,
) -> FileReport:
    """Write ``target`` (same format as ``source``: .jsonl or .csv); ``advance`` is called per record."""
    if source.resolve() == target.resolve():
        raise BadRequest("输出文件不能覆盖输入文件：请用 --out 指定另一个路径。")
    records = _Records(desensitizer, fields, conversation_field)
    suffix = source.suffix.lower()
    if suffix == ".jsonl":
        return _jsonl(source, target, records, advance)
    if suffix == ".csv":
        return _csv(source, target, records, fields, advance)
    raise BadRequest(f"不支持的文件类型 {source.suffix!r}：请提供 .jsonl 或 .csv 文件。")


def _jsonl(source: Path, target: Path, records: _Records, advance: Callable[[], None]) -> FileReport:
    report = FileReport()
    with source.open("rb") as lines, target.open("w", encoding="utf-8") as out:
        for number, raw in enumerate(lines, start=1):
            advance()
            if not raw.strip():
                continue  # blank lines hold no record
            problem, record = _parse_json_line(raw)
            problem = problem or records.apply(record)
            line = None if problem else _json_line(record)
            if line is None:
                report.skipped.append(f"{source.name}:{number}: {problem or 'text that cannot be written as UTF-8'}")
                continue
            out.write(line)
            report.written += 1
    return report


def _json_line(record: dict[str, Any]) -> str | None:
    line = json.dumps(record, ensure_ascii=False) + "\n"
    try:
        line.encode("utf-8")  # a lone surrogate (\ud800) parses as JSON but cannot be written
    except UnicodeEncodeError:
        return None
    return line


def _parse_json_line(raw: bytes) -> tuple[str | None, dict[str, Any]]:
    try:
        record = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        return "not UTF-8", {}
    except json.JSONDecodeError as exc:
        return f"not JSON ({exc.msg})", {}
    if not isinstance(record, dict):
        return "not a JSON object", {}
    return None, record


def _csv(source: Path, target: Path, records: _Records, fields: tuple[str, ...], advance: Callable[[], None]) -> FileReport:
    report = FileReport()
    try:
        with source.open(encoding="utf-8-sig", newline="") as handle, target.open("w", encoding="utf-8", newline="") as out:
            reader = csv.DictReader(handle)
            header = list(reader.fieldnames or [])
            missing = [name for name in fields if name not in header]
            if missing:
                raise BadRequest(f"{source.name} 缺少列 {', '.join(missing)}：请用 --field 指定要脱敏的列。")
            if len(set(header)) != len(header):
                raise BadRequest(f"{source.name} 的表头有重名列：请先让每列名字唯一，否则同名列的内容会丢失。")
            writer = csv.DictWriter(out, fieldnames=[*[h for h in header if h != FINGERPRINTS], FINGERPRINTS])
            writer.writeheader()
            for row in reader:
                advance()
                problem = "more values than columns" if None in row else records.apply(row)
                if not problem and any(_unwritable(value) for value in row.values() if isinstance(value, str)):
                    problem = "text that cannot be written as UTF-8"
                if problem:
                    report.skipped.append(f"{source.name}:{reader.line_num}: {problem}")
                    continue
                row[FINGERPRINTS] = " ".join(row[FINGERPRINTS])
                writer.writerow(row)
                report.written += 1
    except UnicodeDecodeError as exc:
        raise BadRequest(f"{source.name} 不是 UTF-8 编码（第 {exc.start} 字节附近）：请另存为 UTF-8 后重试。") from exc
    return report
