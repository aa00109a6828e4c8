"""The fuel factory over HTTP, ending with the issue's acceptance path: a manager imports a
WeCom-style export, an annotator labels, legal approves, and the approved snippet grounds
the next suggestion for a similar customer message."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from audit import ledger
from audit.key_lifecycle import create_key
from core.db import get_engine, read_session, write_session
from knowledge.store import get_store
from core.keys import ApiKeyCreate, Role
from core.settings import Settings
from tests.conftest import demo_service

# synthetic, written for this test: a SaaS customer asks to pay a yearly fee by quarter
WECOM_EXPORT = "\n".join(
    json.dumps(record, ensure_ascii=False)
    for record in [
        {"msgid": "q1", "action": "send", "from": "wmSaasCust01", "tolist": ["li.rep"], "roomid": "", "msgtime": 1764300000000,
         "msgtype": "text", "text": {"content": "你们这个年费一次付太贵了，预算压力大，能不能按季度付款？我是财务刘敏，电话 13911112222"}},
        {"msgid": "q2", "action": "send", "from": "li.rep", "tolist": ["wmSaasCust01"], "roomid": "", "msgtime": 1764300060000,
         "msgtype": "text", "text": {"content": "可以按季度付款：每季度初付当季费用，全年总价不变。我把季度付款的合同附件发您确认。"}},
        {"msgid": "q3", "action": "send", "from": "wmSaasCust01", "tolist": ["li.rep"], "roomid": "", "msgtime": 1764300120000,
         "msgtype": "image", "image": {"md5sum": "x"}},
        {"msgid": "q4", "action": "send", "from": "wmSaasCust01", "tolist": ["li.rep"], "roomid": "", "msgtime": "not-a-time",
         "msgtype": "text", "text": {"content": "好的"}},
    ]
)
FOLLOW_UP = {
    "conversation_id": "saas-room-77",
    "customer": {"id": "cust-9", "industry": "saas_software", "attributes": {}},
    "messages": [{"role": "customer", "text": "年费一次性付款太贵了，可以分季度付吗？"}],
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict[Role, dict], Settings]]:
    with demo_service(tmp_path_factory.mktemp("fuel"), (Role.manager, Role.annotator, Role.legal, Role.rep)) as service:
        yield service


def _sources(result: dict) -> set[str]:
    return {source["snippet_id"] for s in result["suggestions"] for source in s["sources"]}


def test_when_an_export_is_labelled_and_approved_then_it_grounds_the_next_suggestion(demo) -> None:
    client, headers, settings = demo
    imported = client.post(
        "/v1/dialogues/import", params={"format": "wecom", "source": "wecom-2026-11", "industry": "saas_software"},
        content=WECOM_EXPORT.encode(), headers=headers[Role.manager] | {"Content-Type": "text/plain"},
    )
    assert imported.status_code == 201, imported.text
    report = imported.json()
    assert (report["dialogues"], report["snippets_created"], report["non_text"]) == (1, 1, 1)
    assert [s["location"] for s in report["skipped"]] == ["第 4 行"]
    again = client.post(
        "/v1/dialogues/import", params={"format": "wecom", "source": "wecom-2026-11", "industry": "saas_software"},
        content=WECOM_EXPORT.encode(), headers=headers[Role.manager],
    ).json()
    assert (again["snippets_created"], again["duplicates"]) == (0, 1)

    item = client.get("/v1/annotation/next", headers=headers[Role.annotator]).json()
    assert "13911112222" not in json.dumps(item, ensure_ascii=False) and "季度" in item["text"]
    snippet_id = item["snippet_id"]
    before = client.post("/v1/suggest", json=FOLLOW_UP, headers=headers[Role.rep]).json()
    assert snippet_id not in _sources(before), "an unapproved snippet must never ground a suggestion"

    labels = {"outcome": "won", "scenario": "price", "quality": 5, "high_value": True, "note": "分期付款化解预算异议"}
    wrong_move = client.post(f"/v1/annotation/{snippet_id}", json=labels | {"move": "contract.prepay_counter"}, headers=headers[Role.annotator])
    assert wrong_move.status_code == 422 and "price.payment_terms_saas" in wrong_move.json()["detail"]  # another scenario's move; the options are listed
    labelled = client.post(f"/v1/annotation/{snippet_id}", json=labels | {"move": "price.payment_terms_saas"}, headers=headers[Role.annotator])
    assert labelled.status_code == 201, labelled.text
    assert labelled.json()["to_review"] and labelled.json()["progress"]["high_value"] == 1

    review = client.get("/v1/review/next", headers=headers[Role.legal]).json()
    assert review["snippet_id"] == snippet_id and review["annotations"][0]["outcome"] == "won"
    decided = client.post(f"/v1/review/{snippet_id}", json={"decision": "approve", "reason": "无个人信息，表述合规"}, headers=headers[Role.legal])
    assert decided.json() == {"snippet_id": snippet_id, "status": "approved"}

    after = client.post("/v1/suggest", json=FOLLOW_UP, headers=headers[Role.rep]).json()
    assert snippet_id in _sources(after), after
    assert get_store(settings)._collections["pool"].get(ids=[snippet_id])["metadatas"][0]["move"] == "price.payment_terms_saas"  # the move won deals vote for
    grounded = next(s for s in after["suggestions"] if snippet_id in {x["snippet_id"] for x in s["sources"]})
    assert "季度" in grounded["text"]

    withdrawn = client.post(f"/v1/pool/{snippet_id}/withdraw", json={"reason": "条款已更新"}, headers=headers[Role.manager])
    assert withdrawn.status_code == 200, withdrawn.text
    assert snippet_id not in _sources(client.post("/v1/suggest", json=FOLLOW_UP, headers=headers[Role.rep]).json())
    with read_session(get_engine(settings.resolved_database_url)) as session:
        kinds = [e.kind for e in ledger.events(session) if e.kind.split(".")[0] in {"dialogues", "annotation", "review", "pool"}]
    assert kinds == ["dialogues.ingested", "annotation.recorded", "review.approved", "pool.withdrawn"]


def test_when_api_messages_include_a_malformed_item_then_it_is_reported_and_the_rest_kept(demo) -> None:
    client, headers, _ = demo
    body = {
        "source": "api-test",
        "messages": [
            {"conversation_id": "c-api-1", "ts": "2026-11-20T10:00:00+08:00", "role": "customer", "text": "交期能不能提前一周？"},
            {"conversation_id": "c-api-1", "role": "boss", "text": "?"},
            {"conversation_id": "c-api-1", "ts": "2026-11-20T10:01:00+08:00", "role": "rep", "text": "我和工厂确认排产，今天下班前给您准确日期。"},
        ],
    }
    response = client.post("/v1/dialogues", json=body, headers=headers[Role.annotator])
    assert response.status_code == 201, response.text
    result = response.json()
    assert result["snippets_created"] == 1 and [s["location"] for s in result["skipped"]] == ["messages[1]"]
    assert client.post("/v1/dialogues", json={"source": "x", "messages": []}, headers=headers[Role.manager]).status_code == 422


def test_when_labels_are_invalid_or_the_item_is_unknown_then_problem_details(demo) -> None:
    client, headers, _ = demo
    bad = client.post("/v1/annotation/" + "0" * 64, json={"outcome": "maybe", "scenario": "price", "quality": 9}, headers=headers[Role.annotator])
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    unknown = client.post("/v1/annotation/" + "0" * 64, json={"outcome": "won", "scenario": "price", "quality": 3}, headers=headers[Role.annotator])
    assert unknown.status_code == 404
    scenario = client.post("/v1/annotation/" + "0" * 64, json={"outcome": "won", "scenario": "nope", "quality": 3}, headers=headers[Role.annotator])
    assert scenario.status_code == 422 and "nope" in scenario.json()["detail"]
    reject = client.post("/v1/review/" + "0" * 64, json={"decision": "reject"}, headers=headers[Role.legal])
    assert reject.status_code == 422


def test_when_a_value_is_erased_over_http_then_it_never_reaches_the_ledger(demo) -> None:
    client, headers, settings = demo
    body = {"source": "erase-test", "messages": [
        {"conversation_id": "c-erase", "role": "customer", "text": "我邮箱 zhao.lei@example-corp.cn，发下报价单"},
        {"conversation_id": "c-erase", "role": "rep", "text": "好的，报价单十分钟内发到您邮箱。"},
    ]}
    assert client.post("/v1/dialogues", json=body, headers=headers[Role.manager]).json()["snippets_created"] == 1
    erased = client.post("/v1/pool/erasure", json={"value": "zhao.lei@example-corp.cn"}, headers=headers[Role.legal])
    assert erased.status_code == 200 and erased.json()["snippets_removed"] == 1
    with read_session(get_engine(settings.resolved_database_url)) as session:
        assert all("zhao.lei" not in e.payload for e in ledger.events(session))
    listed = client.get("/v1/snippets", headers=headers[Role.manager]).json()
    assert all("erase-test" != item["source"] for item in listed["items"])


def test_when_the_queue_is_empty_then_204_and_stats_show_quota_and_agreement(demo) -> None:
    client, headers, _ = demo
    while (item := client.get("/v1/annotation/next", headers=headers[Role.annotator])).status_code == 200:
        client.post(f"/v1/annotation/{item.json()['snippet_id']}", json={"outcome": "won", "scenario": "delivery", "quality": 3}, headers=headers[Role.annotator])
    assert item.status_code == 204
    stats = client.get("/v1/annotation/stats", headers=headers[Role.manager]).json()
    assert stats["quota"] == 3 and stats["days"] and {"outcome", "scenario", "quality", "high_value"} <= set(stats["agreement"])
    assert client.get("/v1/annotation/stats", params={"from": "2026-12-01", "to": "2026-11-01"}, headers=headers[Role.manager]).status_code == 422


def test_when_label_studio_annotations_are_imported_then_they_count_as_labels(demo) -> None:
    client, headers, _ = demo
    body = {"source": "ls-test", "industry": "cold_chain", "messages": [
        {"conversation_id": "c-ls", "role": "customer", "text": "冷藏箱的保温时长能做到多少小时？"},
        {"conversation_id": "c-ls", "role": "rep", "text": "标准款满载 48 小时，我把第三方检测报告发您。"},
    ]}
    assert client.post("/v1/dialogues", json=body, headers=headers[Role.manager]).json()["snippets_created"] == 1
    config = client.get("/v1/annotation/labelstudio/config", headers=headers[Role.annotator])
    assert config.headers["content-type"].startswith("application/xml") and "<View" in config.text
    tasks = client.get("/v1/annotation/labelstudio/tasks", headers=headers[Role.manager]).json()
    task = next(t for t in tasks if "保温" in t["data"]["customer"])
    result = [
        {"from_name": "outcome", "to_name": "reply", "type": "choices", "value": {"choices": ["won"]}},
        {"from_name": "scenario", "to_name": "reply", "type": "choices", "value": {"choices": ["other"]}},
        {"from_name": "quality", "to_name": "reply", "type": "rating", "value": {"rating": 4}},
        {"from_name": "high_value", "to_name": "reply", "type": "choices", "value": {"choices": ["yes"]}},
    ]
    export = [
        task | {"id": 1, "annotations": [{"id": 10, "completed_by": 3, "was_cancelled": False, "result": result}]},
        {"id": 2, "data": {"snippet_id": "0" * 64}, "annotations": [{"id": 11, "completed_by": 3, "was_cancelled": False, "result": result}]},
        {"id": 3, "data": {}, "annotations": []},
    ]
    imported = client.post("/v1/annotation/labelstudio/import", json=export, headers=headers[Role.manager])
    assert imported.status_code == 200, imported.text
    assert imported.json()["imported"] == 1 and len(imported.json()["skipped"]) == 2
    waiting = client.get("/v1/snippets", params={"status": "review"}, headers=headers[Role.legal]).json()["items"]
    assert any(item["id"] == task["data"]["snippet_id"] for item in waiting)


def test_when_a_demo_snippet_is_withdrawn_then_it_stays_out_after_a_restart(tmp_path) -> None:
    settings = Settings(data_dir=tmp_path / "d", database_url=f"sqlite:///{tmp_path / 'z.db'}", embedder="hashing")
    with TestClient(create_app(settings, demo=True)) as client:
        with write_session(get_engine(settings.resolved_database_url)) as session:
            manager = {"Authorization": f"Bearer {create_key(session, ApiKeyCreate(name='m', role=Role.manager), actor=ledger.CLI_ADMIN).key}"}
        listed = client.get("/v1/snippets", params={"status": "approved", "limit": 1}, headers=manager).json()
        assert listed["total"] == 320 and listed["items"][0]["source"] == "demo"
        demo_id = listed["items"][0]["id"]
        assert client.post(f"/v1/pool/{demo_id}/withdraw", json={"reason": "演示撤下"}, headers=manager).status_code == 200
    with TestClient(create_app(settings, demo=True)):
        from knowledge.store import POOL, get_store

        assert demo_id not in get_store(settings).ids(POOL)  # load_demo re-adds it, the start-up sync takes it out again
