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
