"""Label Studio interop: the labeling config, tasks to import into it, and its JSON export read back.

Facts relied on (https://labelstud.io/guide/task_format, https://labelstud.io/tags/):
- a task to import is ``{"data": {...}}``; each ``$name`` in the config reads ``data[name]``;
- the JSON export is a list of tasks, each with ``data`` and ``annotations``; an annotation has
  ``id``, ``completed_by`` (a user id, or ``{"id", "email", ...}``), ``was_cancelled`` and ``result``;
- each result region names its control in ``from_name`` and holds the answer in ``value``:
  ``{"choices": [...]}`` for Choices, ``{"rating": n}`` for Rating, ``{"text": [...]}`` for TextArea;
- a Choice's ``alias`` replaces its ``value`` in the results and is not shown, so annotators see
  Chinese labels while the export carries our keys. Labels are accepted too, for older versions.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.errors import BadRequest, invalid_fields
from knowledge.ingest.formats import Skipped
from knowledge.taxonomy import load_taxonomy

OUTCOMES = (("won", "赢单"), ("lost", "丢单"), ("unknown", "未知"))
HIGH_VALUE = (("yes", "是"), ("no", "否"))
ROLE_LABELS = {"customer": "客户", "rep": "销售"}
REQUIRED = ("outcome", "scenario", "quality", "high_value")


def _choices(parent: ET.Element, name: str, to_name: str, options: Sequence[tuple[str, str]]) -> None:
    choices = ET.SubElement(
        parent, "Choices", name=name, toName=to_name, choice="single-radio", required="true", showInline="true"
    )
    for key, label in options:
        ET.SubElement(choices, "Choice", value=label, alias=key)


def label_config(scenarios: Sequence[tuple[str, str]] | None = None) -> str:
    """The labeling config (XML) for ``scenarios`` given as (key, Chinese label) pairs;
    by default the shipped taxonomy's (pass the taxonomy in force where it is at hand)."""
    scenarios = list(load_taxonomy().labels.items()) if scenarios is None else scenarios
    keys, labels = [key for key, _ in scenarios], [label for _, label in scenarios]
    if not keys or not all(k.strip() for k in keys) or not all(v.strip() for v in labels):
        raise BadRequest("场景列表不能为空，每个场景都要有 key 和名称：请检查场景分类。")
    if len(set(keys)) != len(keys) or len(set(labels)) != len(labels):
        raise BadRequest("场景的 key 或名称有重复：请让每个场景的 key 和名称都唯一。")
    view = ET.Element("View")
    ET.SubElement(view, "Style").text = ".htx-text, .lsf-text { white-space: pre-wrap; }"
    for name, header in (("context", "上下文（之前几轮）"), ("customer", "客户"), ("reply", "销售回复")):
        ET.SubElement(view, "Header", value=header)
        ET.SubElement(view, "Text", name=name, value=f"${name}", selectionEnabled="false")
    ET.SubElement(view, "Header", value="结果：这次沟通最终成交了吗？")
    _choices(view, "outcome", "reply", OUTCOMES)
    ET.SubElement(view, "Header", value="场景")
    _choices(view, "scenario", "customer", scenarios)
    ET.SubElement(view, "Header", value="回复质量（1–5 星）")
    ET.SubElement(view, "Rating", name="quality", toName="reply", maxRating="5", required="true")
    ET.SubElement(view, "Header", value="值得推广的高价值话术？")
    _choices(view, "high_value", "reply", HIGH_VALUE)
    ET.SubElement(view, "Header", value="备注（可选）")
    ET.SubElement(view, "TextArea", name="note", toName="reply", rows="2", maxSubmissions="1", editable="true")
    ET.indent(view)
    return ET.tostring(view, encoding="unicode")


class ContextTurn(BaseModel):
    """One turn of context shown before the customer turn."""

    model_config = ConfigDict(extra="forbid")
    role: Literal["customer", "rep"]
    text: str


class ExportItem(BaseModel):
    """A desensitized snippet to label."""

    model_config = ConfigDict(extra="forbid")
    snippet_id: str = Field(min_length=1)
    customer: str
    reply: str
    context: list[ContextTurn] = []


def render_context(turns: Iterable[ContextTurn]) -> str:
    """Context turns as "客户：…" / "销售：…" lines; "（无）" when there are none."""
    lines = [f"{ROLE_LABELS[turn.role]}：{turn.text}" for turn in turns]
    return "\n".join(lines) or "（无）"


def export_tasks(items: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Label Studio tasks (``{"data": {...}}``) whose fields match :func:`label_config`'s ``$variables``."""
    tasks: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        try:
            snippet = ExportItem.model_validate(item)
        except ValidationError as exc:  # name fields only: the values are dialogue
            fields = invalid_fields(exc)
            raise BadRequest(f"第 {index} 个待导出片段的字段 {', '.join(fields) or '?'} 缺失或不合法：须有 snippet_id, customer, reply, context。") from None
        data = {"snippet_id": snippet.snippet_id, "customer": snippet.customer, "reply": snippet.reply}
        tasks.append({"data": {**data, "context": render_context(snippet.context)}})
    return tasks


class ImportedLabel(BaseModel):
    """One annotator's labels for one snippet, read back from Label Studio."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    snippet_id: str
    annotator: str
    outcome: Literal["won", "lost", "unknown"]
    scenario: str
    quality: int = Field(ge=1, le=5)
    high_value: bool
    note: str = ""


def _annotator(completed_by: Any) -> str | None:
    """The Label Studio user as given: a user id, or the email (else id) of a user object."""
    if isinstance(completed_by, dict):
        email = completed_by.get("email")
        completed_by = email if isinstance(email, str) and email.strip() else completed_by.get("id")
    if isinstance(completed_by, bool) or not isinstance(completed_by, int | str):
        return None
    return str(completed_by).strip() or None


def _choice(value: dict[str, Any], table: Mapping[str, Any]) -> Any:
    choices = value.get("choices")
    if not isinstance(choices, list) or len(choices) != 1 or not isinstance(choices[0], str):
        return None
    return table.get(choices[0].strip())


def _rating(value: dict[str, Any]) -> int | None:
    rating = value.get("rating")
    if isinstance(rating, bool) or not isinstance(rating, int | float) or not math.isfinite(rating) or rating != int(rating):
        return None
    return int(rating) if 1 <= rating <= 5 else None


def _tables(scenarios: Collection[str] | Mapping[str, str]) -> dict[str, Mapping[str, Any]]:
    scenario = {key: key for key in scenarios}
    if isinstance(scenarios, Mapping):
        scenario.update({label: key for key, label in scenarios.items()})
    outcome = {**{key: key for key, _ in OUTCOMES}, **{label: key for key, label in OUTCOMES}}
    high_value = {"yes": True, "no": False, "是": True, "否": False}
    return {"outcome": outcome, "scenario": scenario, "high_value": high_value}


def _annotation(snippet_id: str, annotation: Any, tables: dict[str, Mapping[str, Any]], location: str) -> ImportedLabel | Skipped:
    if not isinstance(annotation, dict):
        return Skipped(location, "不是 JSON 对象：请用 Label Studio 的 JSON 格式导出。")
    if annotation.get("was_cancelled") is True:
        return Skipped(location, "标注人跳过了这个任务（cancelled），不导入。", "empty")
    annotator = _annotator(annotation.get("completed_by"))
    result = annotation.get("result")
    if annotator is None or not isinstance(result, list):
        missing = "completed_by" if annotator is None else "result"
        return Skipped(location, f"字段 {missing} 缺失或不合法：请用 Label Studio 的 JSON 格式导出。")
    found: dict[str, Any] = {}
    invalid: set[str] = set()
    notes: list[str] = []
    for region in result:
        name = region.get("from_name") if isinstance(region, dict) else None
        value = region.get("value") if isinstance(region, dict) else None
        if name not in (*REQUIRED, "note"):
            continue  # a control added to the project by someone else
        if not isinstance(value, dict):
            invalid.add(name)
        elif name == "note":
            texts = value.get("text")
            texts = [texts] if isinstance(texts, str) else texts
            if not isinstance(texts, list) or not all(isinstance(text, str) for text in texts):
                invalid.add(name)
            else:
                notes.extend(text.strip() for text in texts if text.strip())
        else:
            answer = _rating(value) if name == "quality" else _choice(value, tables[name])
            if answer is None or found.get(name, answer) != answer:
                invalid.add(name)
            found[name] = answer
    missing = [name for name in REQUIRED if name not in found]
    if invalid or missing:
        parts = ([f"字段 {', '.join(sorted(invalid))} 取值无效"] if invalid else []) + ([f"缺少 {', '.join(missing)}"] if missing else [])
        return Skipped(location, "；".join(parts) + "：请在 Label Studio 里补全这条标注后重新导出。")
    return ImportedLabel(snippet_id=snippet_id, annotator=annotator, note="\n".join(notes), **found)


def import_annotations(payload: Any, scenarios: Collection[str] | Mapping[str, str]) -> list[ImportedLabel | Skipped]:
    """One label per completed annotation in a Label Studio JSON export; the rest reported as Skipped.

    ``scenarios`` holds the valid scenario keys; a mapping of key to label also
    accepts labels. Cancelled annotations and tasks nobody has annotated yet are
    Skipped of kind "empty"; incomplete or invalid ones are "malformed".
    """
    if not isinstance(payload, list):
        return [Skipped("$", "不是 Label Studio 的 JSON 导出（应为任务列表）：请在 Label Studio 里选 Export → JSON。")]
    tables = _tables(scenarios)
    out: list[ImportedLabel | Skipped] = []
    for index, task in enumerate(payload):
        location = f"tasks[{index}]"
        data = task.get("data") if isinstance(task, dict) else None
        snippet_id = data.get("snippet_id") if isinstance(data, dict) else None
        annotations = task.get("annotations") if isinstance(task, dict) else None
        if not isinstance(snippet_id, str) or not snippet_id.strip():
            out.append(Skipped(location, "缺少 data.snippet_id：只能导入由智策导出的任务。"))
        elif not isinstance(annotations, list):
            out.append(Skipped(location, "缺少 annotations 列表：请用 JSON 格式导出（不是 JSON-MIN 或 CSV）。"))
        elif not annotations:
            out.append(Skipped(location, "这个任务还没有人标注。", "empty"))
        else:
            for number, annotation in enumerate(annotations):
                out.append(_annotation(snippet_id.strip(), annotation, tables, f"{location}.annotations[{number}]"))
    return out
