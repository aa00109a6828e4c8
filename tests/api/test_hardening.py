"""Edge cases a reviewer found: bad input never a 500, no stuck leases, no lost control
updates, stale canaries and costly rules never break a suggestion."""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient

from core.keys import Role

CONVERSATION = [
    {"conversation_id": "h-1", "role": "customer", "text": "交期能不能再提前一周？"},
    {"conversation_id": "h-1", "role": "rep", "text": "我和工厂确认排产，今天下班前给您准确日期。"},
]


def _auth(make_key: Callable[[Role], str], role: Role) -> dict:
    return {"Authorization": f"Bearer {make_key(role)}"}


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("post", "/v1/dialogues/import", {"params": {"format": "csv", "source": "x"}, "content": b""}),
        ("post", "/v1/dialogues/import", {"params": {"format": "transcript", "source": "x", "conversation_id": "会" * 200}, "content": "客户: 你好\n销售: 您好".encode()}),
        ("post", "/v1/dialogues/import", {"params": {"format": "csv", "source": "bad\x00name"}, "content": b"conversation_id,ts,role,text\n"}),
        ("post", "/v1/dialogues", {"json": {"source": "x", "messages": [{"conversation_id": "c", "ts": "0001-01-01T00:00:00", "role": "customer", "text": "hi"}]}}),
        ("post", "/v1/dialogues", {"json": {"source": "x", "messages": [{"conversation_id": "c", "role": "customer", "text": "a\x00b"}]}}),
        ("get", "/v1/annotation/stats", {"params": {"to": "0001-01-02"}}),
        ("get", "/v1/snippets", {"params": {"offset": str(10**20)}}),
    ],
)
def test_when_input_is_odd_then_the_answer_is_never_a_500(client: TestClient, make_key, method: str, path: str, kwargs: dict) -> None:
    response = getattr(client, method)(path, headers=_auth(make_key, Role.manager), **kwargs)
    assert response.status_code < 500, response.text


def test_when_an_item_leaves_the_queue_then_its_holder_is_not_stuck_on_it(client: TestClient, make_key) -> None:
    manager, first, second = _auth(make_key, Role.manager), _auth(make_key, Role.annotator), _auth(make_key, Role.annotator)
    messages = CONVERSATION + [{"conversation_id": "h-2", "role": "customer", "text": "售后响应要多久？"}, {"conversation_id": "h-2", "role": "rep", "text": "四小时内响应，24 小时内到场。"}]
    assert client.post("/v1/dialogues", json={"source": "h", "messages": messages}, headers=manager).json()["snippets_created"] == 2
    held = client.get("/v1/annotation/next", headers=first).json()["snippet_id"]
    # someone without the lease labels it while it is free of other holders: refused, the holder keeps it
    assert client.post(f"/v1/annotation/{held}", json={"outcome": "won", "scenario": "delivery", "quality": 3}, headers=second).status_code == 409
    assert client.post(f"/v1/annotation/{held}", json={"outcome": "won", "scenario": "delivery", "quality": 3}, headers=first).status_code == 201
    following = client.get("/v1/annotation/next", headers=first)
    assert following.status_code == 200 and following.json()["snippet_id"] != held


def test_when_managers_change_rules_at_once_then_no_change_is_lost(client: TestClient, make_key) -> None:
    manager = _auth(make_key, Role.manager)
    rule = {"description": "并发测试", "condition": "conversation.turns > 100", "action": {"tags": ["load_test"]}}

    def put(n: int) -> int:
        return client.put(f"/v1/controls/rules/r-{n}", json=rule, headers=manager).status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        assert set(pool.map(put, range(6))) == {200}
    ids = {r["id"] for r in client.get("/v1/controls", headers=manager).json()["rules"]}
    assert {f"r-{n}" for n in range(6)} <= ids


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/controls/thresholds", {"script_sugestion": 0.6}),
        ("/v1/controls/taxonomy", {"key": "renewal", "label": "续约", "cues": [""]}),
    ],
)
def test_when_a_control_is_malformed_then_422(client: TestClient, make_key, path: str, body: dict) -> None:
    method = client.put if "thresholds" in path else client.post
    assert method(path, json=body, headers=_auth(make_key, Role.manager)).status_code == 422


def test_when_an_annotator_imports_label_studio_results_then_403(client: TestClient, make_key) -> None:
    assert client.post("/v1/annotation/labelstudio/import", content=json.dumps([]), headers=_auth(make_key, Role.annotator)).status_code == 403


def test_when_a_stored_canary_names_a_missing_prompt_version_then_the_stable_one_is_used() -> None:
    from agents.controls import build_controls
    from prompts.library import get_prompt_library

    controls = build_controls({}, canary={"script_suggestion": {"version": 99, "share": 1.0}})
    assert controls.prompt_for(get_prompt_library(), "script_suggestion", "rep\x00c").ref == "script-reply@1"


SUGGEST = {"conversation_id": "c", "customer": {"id": "x"}, "messages": [{"role": "customer", "text": "太贵了"}]}


@pytest.mark.parametrize(
    ("role", "method", "path", "kwargs", "status"),
    [
        (Role.auditor, "get", "/v1/audit/report", {"params": {"from": "0001-01-01", "to": "9999-12-31"}}, 422),
        (Role.auditor, "get", "/v1/audit/report", {"params": {"quarter": "0000Q1"}}, 422),
        (Role.auditor, "get", "/v1/audit/report", {"params": {"from": "2026-01-01", "to": "0"}}, 422),  # not 1970-01-01
        (Role.manager, "get", "/v1/annotation/stats", {"params": {"to": "20261231"}}, 422),
        (Role.manager, "post", "/v1/annotation/labelstudio/import", {"content": b"[" * 5000 + b"]" * 5000, "headers": {"Content-Type": "application/json"}}, 400),
        (Role.rep, "post", "/v1/suggest", {"json": SUGGEST | {"budget_ms": "100"}}, 422),
        (Role.rep, "post", "/v1/suggest", {"json": SUGGEST | {"budget_ms": 100.5}}, 422),
        (Role.rep, "post", "/v1/suggest", {"content": json.dumps(SUGGEST)[:-1].encode() + b', "budget_ms": NaN}', "headers": {"Content-Type": "application/json"}}, 422),
        (Role.annotator, "post", "/v1/annotation/next", {"json": {"outcome": "won", "scenario": "price", "quality": 3}}, 405),  # the next route, not a snippet id
        (Role.legal, "post", "/v1/review/next", {"json": {"decision": "approve"}}, 405),
        (Role.auditor, "post", "/v1/suggest", {"content": b"{bad", "headers": {"Content-Type": "application/json"}}, 403),  # the key before the body
        (Role.annotator, "post", "/v1/annotation/labelstudio/import", {"content": b"[]"}, 403),  # the key before the body's type
    ],
)
def test_when_input_is_out_of_bounds_then_a_clean_problem_with_the_right_4xx(
    client: TestClient, make_key, role: Role, method: str, path: str, kwargs: dict, status: int
) -> None:
    headers = _auth(make_key, role) | kwargs.pop("headers", {})
    response = getattr(client, method)(path, headers=headers, **kwargs)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


def test_when_a_json_body_comes_without_content_type_then_it_is_read_as_json(client: TestClient, make_key) -> None:
    response = client.post("/v1/suggest", content=json.dumps(SUGGEST).encode(), headers=_auth(make_key, Role.rep))
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("body", "deeper"),
    [(b'{"a": [1, {"b": "[[[[[[["}]}', False), (b'{"s": "\\\\\\"[[[["}', False), (b"[" * 65 + b"]" * 65, True), (b"[" * 64 + b"]" * 64, False)],
)
def test_when_json_nesting_is_measured_then_brackets_inside_strings_do_not_count(body: bytes, deeper: bool) -> None:
    from api.middleware import json_nesting_exceeds

    assert json_nesting_exceeds(body) is deeper


def test_when_a_get_only_route_is_asked_which_methods_it_has_then_the_label_route_beside_it_is_not_counted(client: TestClient, make_key) -> None:
    answer = client.post("/v1/annotation/stats", json={}, headers=_auth(make_key, Role.manager))
    assert answer.status_code == 405 and answer.headers["allow"] == "GET"


SUGGEST = {"conversation_id": "t-1", "customer": {"id": "c1"}, "messages": [{"role": "customer", "text": "价格能再低点吗？"}]}


@pytest.mark.parametrize(
    ("role", "method", "path", "kwargs", "status", "kind"),
    [
        # the shape is wrong: the schema says so, and the answer is validation-failed
        (Role.manager, "get", "/v1/annotation/stats", {"params": {"form": "2026-10-01"}}, 422, "validation-failed"),
        (Role.rep, "post", "/v1/suggest", {"json": {**SUGGEST, "budget_ms": True}}, 422, "validation-failed"),
        (Role.rep, "post", "/v1/suggest", {"json": {**SUGGEST, "budget_ms": "300"}}, 422, "validation-failed"),
        (Role.manager, "put", "/v1/controls/canary/script_suggestion", {"json": {"version": 1, "share": False}}, 422, "validation-failed"),
        (Role.manager, "put", "/v1/controls/thresholds", {"json": {"script_suggestion": "0.5"}}, 422, "validation-failed"),
        (Role.manager, "put", "/v1/controls/rules/vip", {"json": {"description": "x", "condition": "true", "action": {"tags": ["vip"]}, "enabled": 0}}, 422, "validation-failed"),
        (Role.manager, "put", "/v1/controls/rules/vip", {"json": {"description": "x", "condition": "true", "action": {}}}, 422, "validation-failed"),
        (Role.admin, "post", "/v1/keys", {"json": {"name": "张三\u200b", "role": "rep"}}, 422, "validation-failed"),
        (Role.auditor, "get", "/v1/audit/report", {"params": {"quarter": "1999Q4"}}, 422, "validation-failed"),
        # the shape is right, the content is not: unprocessable
        (Role.auditor, "get", "/v1/audit/report", {"params": {"from": "2026-10-01"}}, 422, "unprocessable"),
        (Role.manager, "get", "/v1/annotation/stats", {"params": {"from": "2026-12-31", "to": "2026-12-01"}}, 422, "unprocessable"),
        (Role.manager, "put", "/v1/controls/thresholds", {"json": {"no_such_agent": 0.5}}, 422, "unprocessable"),
        (Role.rep, "post", "/v1/suggest", {"json": {**SUGGEST, "agents": ["no_such_agent"]}}, 422, "unprocessable"),
        (Role.manager, "post", "/v1/dialogues/import", {"params": {"format": "wecom", "source": "s"}, "content": "不是 JSONL\n也不是".encode()}, 422, "unprocessable"),
        # a path naming what does not exist
        (Role.manager, "put", "/v1/controls/canary/no_such_agent", {"json": {"version": 1, "share": 0}}, 404, "not-found"),
    ],
)
def test_when_a_request_is_refused_then_its_problem_type_says_whether_the_shape_or_the_content_is_wrong(
    client: TestClient, make_key, role: Role, method: str, path: str, kwargs: dict, status: int, kind: str
) -> None:
    response = getattr(client, method)(path, headers=_auth(make_key, role), **kwargs)
    assert response.status_code == status, response.text
    assert response.json()["type"] == f"urn:zhice:problem:{kind}"


def test_when_numbers_are_written_as_json_allows_then_they_are_taken(client: TestClient, make_key) -> None:
    manager = _auth(make_key, Role.manager)
    assert client.put("/v1/controls/thresholds", json={"script_suggestion": 1}, headers=manager).json()["thresholds"]["script_suggestion"] == 1.0
    answer = client.put("/v1/controls/rules/vip", json={"description": "大客户", "condition": "true", "action": {"tags": ["vip"]}, "enabled": False}, headers=manager)
    assert answer.status_code == 200 and any(r["id"] == "vip" and r["enabled"] is False for r in answer.json()["rules"])
