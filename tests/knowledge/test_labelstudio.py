"""Label Studio interop: a valid config, tasks that fill it, and its JSON export read back label by label."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from core.errors import BadRequest
from knowledge.ingest.formats import Skipped
from knowledge.labelstudio import (
    ImportedLabel,
    export_tasks,
    import_annotations,
    label_config,
)
from knowledge.taxonomy import load_taxonomy

SCENARIOS = set(load_taxonomy().keys)
ITEM = {
    "snippet_id": "s-1",
    "customer": "价格太高了，<PERSON_1>那边报价便宜两成",
    "reply": "理解，我们可以分期，并含三年质保",
    "context": [{"role": "rep", "text": "您好"}, {"role": "customer", "text": "在看你们的方案"}],
}


def _region(name: str, kind: str, value: dict[str, Any], to_name: str = "reply") -> dict[str, Any]:
    return {"id": f"r-{name}", "from_name": name, "to_name": to_name, "type": kind, "value": value, "origin": "manual"}


def _annotation(**overrides: Any) -> dict[str, Any]:
    """An annotation shaped like Label Studio's JSON export (https://labelstud.io/guide/task_format)."""
    regions = {
        "outcome": _region("outcome", "choices", {"choices": ["won"]}),
        "scenario": _region("scenario", "choices", {"choices": ["price"]}, "customer"),
        "quality": _region("quality", "rating", {"rating": 4}),
        "high_value": _region("high_value", "choices", {"choices": ["yes"]}),
        "note": _region("note", "textarea", {"text": ["分期说法好用"]}),
    }
    for name, value in overrides.items():
        if value is None:
            regions.pop(name)
        else:
            regions[name] = {**regions[name], "value": value}
    return {"id": 1001, "completed_by": 10, "was_cancelled": False, "ground_truth": False, "lead_time": 4.2, "task": 1, "result": list(regions.values())}


def _export(*annotations: dict[str, Any]) -> list[dict[str, Any]]:
    (task,) = export_tasks([ITEM])
    return [{"id": 1, "project": 83, **task, "annotations": list(annotations), "predictions": []}]


def test_when_the_config_is_parsed_then_it_is_valid_xml_whose_controls_point_at_its_objects() -> None:
    root = ET.fromstring(label_config())
    assert root.tag == "View"
    objects = {el.get("name") for el in root.iter("Text")}
    controls = {el.get("name"): el for el in root if el.tag in ("Choices", "Rating", "TextArea")}
    assert set(controls) == {"outcome", "scenario", "quality", "high_value", "note"}
    assert all(el.get("toName") in objects for el in controls.values())
    assert controls["quality"].get("maxRating") == "5"
    assert [(c.get("alias"), c.get("value")) for c in controls["outcome"]] == [("won", "赢单"), ("lost", "丢单"), ("unknown", "未知")]
    assert {c.get("alias") for c in controls["scenario"]} == SCENARIOS


def test_when_scenarios_have_markup_characters_then_the_config_still_parses() -> None:
    root = ET.fromstring(label_config([("price", '价格 & "折扣" <异议>'), ("other", "其他")]))
    scenario = next(el for el in root if el.get("name") == "scenario")
    assert [c.get("value") for c in scenario] == ['价格 & "折扣" <异议>', "其他"]


@pytest.mark.parametrize("scenarios", [[], [("price", "价格"), ("price", "价")], [("a", "同名"), ("b", "同名")], [("", "空")]])
def test_when_scenarios_are_empty_or_repeated_then_the_config_is_refused(scenarios: list[tuple[str, str]]) -> None:
    with pytest.raises(BadRequest):
        label_config(scenarios)


def test_when_tasks_are_exported_then_their_data_fills_every_variable_of_the_config() -> None:
    (task,) = export_tasks([ITEM])
    variables = set(re.findall(r'value="\$(\w+)"', label_config()))
    assert variables == {"context", "customer", "reply"} and variables <= set(task["data"])
    assert task["data"]["snippet_id"] == "s-1" and task["data"]["customer"] == ITEM["customer"]
    assert task["data"]["context"] == "销售：您好\n客户：在看你们的方案"
    assert export_tasks([{**ITEM, "context": []}])[0]["data"]["context"] == "（无）"


def test_when_an_export_item_is_bad_then_the_error_names_the_field_not_the_text() -> None:
    with pytest.raises(BadRequest, match="reply") as caught:
        export_tasks([ITEM, {"snippet_id": "s-2", "customer": "王总的手机 13800138000"}])
    assert "13800138000" not in str(caught.value) and "第 1 个" in str(caught.value)


def test_when_an_annotated_export_is_imported_then_each_annotation_gives_one_label() -> None:
    by_email = {**_annotation(outcome={"choices": ["lost"]}, note=None), "completed_by": {"id": 11, "email": "anno@example.com", "first_name": "", "last_name": ""}}
    by_id_object = {**_annotation(high_value={"choices": ["no"]}), "completed_by": {"id": 12}}
    labels = import_annotations(_export(_annotation(), by_email, by_id_object), SCENARIOS)
    assert labels == [
        ImportedLabel(snippet_id="s-1", annotator="10", outcome="won", scenario="price", quality=4, high_value=True, note="分期说法好用"),
        ImportedLabel(snippet_id="s-1", annotator="anno@example.com", outcome="lost", scenario="price", quality=4, high_value=True, note=""),
        ImportedLabel(snippet_id="s-1", annotator="12", outcome="won", scenario="price", quality=4, high_value=False, note="分期说法好用"),
    ]


def test_when_an_older_label_studio_exports_display_labels_then_they_map_back_to_keys() -> None:
    annotation = _annotation(outcome={"choices": ["丢单"]}, scenario={"choices": ["竞品对比"]}, high_value={"choices": ["是"]})
    (label,) = import_annotations(_export(annotation), load_taxonomy().labels)
    assert (label.outcome, label.scenario, label.high_value) == ("lost", "competitor", True)
    (refused,) = import_annotations(_export(annotation), SCENARIOS)  # keys only: a label is not a key
    assert isinstance(refused, Skipped) and "scenario" in refused.reason


@pytest.mark.parametrize(
    ("annotation", "kind", "named"),
    [
        ({**_annotation(), "was_cancelled": True}, "empty", "cancelled"),
        (_annotation(quality=None), "malformed", "quality"),
        (_annotation(outcome=None, scenario=None), "malformed", "outcome, scenario"),
        (_annotation(outcome={"choices": ["maybe"]}), "malformed", "outcome"),
        (_annotation(outcome={"choices": ["won", "lost"]}), "malformed", "outcome"),
        (_annotation(scenario={"choices": ["weather"]}), "malformed", "scenario"),
        (_annotation(quality={"rating": 6}), "malformed", "quality"),
        (_annotation(quality={"rating": True}), "malformed", "quality"),
        (_annotation(high_value={"choices": []}), "malformed", "high_value"),
        (_annotation(note={"text": [1]}), "malformed", "note"),
        ({**_annotation(), "completed_by": None}, "malformed", "completed_by"),
        ({**_annotation(), "result": "oops"}, "malformed", "result"),
        ("not an object", "malformed", "JSON"),
    ],
)
def test_when_an_annotation_is_cancelled_incomplete_or_invalid_then_it_is_skipped_naming_the_field(annotation: Any, kind: str, named: str) -> None:
    (skipped,) = import_annotations(_export(annotation), SCENARIOS)
    assert isinstance(skipped, Skipped) and skipped.location == "tasks[0].annotations[0]"
    assert skipped.kind == kind and named in skipped.reason


def test_when_two_regions_of_one_control_disagree_then_the_annotation_is_invalid() -> None:
    annotation = _annotation()
    annotation["result"].append(_region("outcome", "choices", {"choices": ["lost"]}))
    annotation["result"].append(_region("extra_control", "choices", {"choices": ["x"]}))  # not ours: ignored
    (skipped,) = import_annotations(_export(annotation), SCENARIOS)
    assert isinstance(skipped, Skipped) and "outcome" in skipped.reason


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"tasks": []}, [("$", "malformed")]),
        ("[]", [("$", "malformed")]),
        ([], []),
        ([1], [("tasks[0]", "malformed")]),
        ([{"data": {}}], [("tasks[0]", "malformed")]),
        ([{"data": {"snippet_id": "s"}, "outcome": "won"}], [("tasks[0]", "malformed")]),  # JSON-MIN shape
        ([{"data": {"snippet_id": "s"}, "annotations": []}], [("tasks[0]", "empty")]),
    ],
)
def test_when_the_payload_is_not_a_json_export_then_one_skip_says_where(payload: Any, expected: list[tuple[str, str]]) -> None:
    assert [(s.location, s.kind) for s in import_annotations(payload, SCENARIOS)] == expected  # type: ignore[union-attr]


def test_when_tasks_mix_good_and_bad_annotations_then_the_good_ones_are_kept() -> None:
    payload = _export(_annotation(), _annotation(quality=None)) + (_export({**_annotation(), "was_cancelled": True}, _annotation()))
    results = import_annotations(payload, SCENARIOS)
    assert [r.location if isinstance(r, Skipped) else "label" for r in results] == ["label", "tasks[0].annotations[1]", "tasks[1].annotations[0]", "label"]


def test_when_labels_are_refused_then_no_reason_repeats_the_annotators_or_their_notes() -> None:
    secret = {"id": 7, "email": "wang.zong@example.com"}
    annotations = [
        {**_annotation(quality=None, note={"text": ["王总 13800138000"]}), "completed_by": secret},
        {**_annotation(outcome={"choices": ["王总说会签"]}), "completed_by": secret},
        {**_annotation(), "completed_by": "", "result": [{"from_name": "note", "value": "13800138000"}]},
    ]
    reasons = [r.reason for r in import_annotations(_export(*annotations), SCENARIOS) if isinstance(r, Skipped)]
    assert len(reasons) == 3
    assert not [reason for reason in reasons for token in ("wang.zong", "王总", "13800138000", "会签") if token in reason]
