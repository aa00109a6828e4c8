"""No raw personal data at rest: PII-laden traffic through every route that stores text,
on a real `zhice serve`, then the bytes of the data dir (SQLite with its WAL, Chroma), the
server's log and, on PostgreSQL, a pg_dump are searched for each raw value."""

from __future__ import annotations

import subprocess
from contextlib import closing
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest

from tests.live_server import LiveServer, start_server

# Synthetic values written for this test, each in the forms a person types them.
NAME = "欧阳明辉"
MOBILE = "139 5731 2468"
ID_CARD = "11010519491231002X"
EMAIL = "zhao.minghui@example-client.cn"
CARD = "6222 0212 3456 7890 128"
ADDRESS = "张江路1288号5号楼1203室"
PLATE = "沪A·D52371"
WECHAT = "zhaomh_2024"
SAID = (
    f"我是采购部的{NAME}，手机 {MOBILE}，身份证 {ID_CARD}，邮箱 {EMAIL}，"
    f"对公卡号 {CARD}，送货到{ADDRESS}，车牌{PLATE}，微信：{WECHAT}。这个价格太贵了，能便宜点吗？"
)
RAW_FORMS = [NAME, MOBILE, MOBILE.replace(" ", ""), ID_CARD, EMAIL, CARD, CARD.replace(" ", ""), ADDRESS, PLATE, WECHAT]
# Not personal data, said only in the suggest conversation: readable at rest only if the
# ledger failed to seal the conversation's text.
CONVERSATION_ONLY = "我们厂区北门的地磅下周四停用检修"


def _call(server: LiveServer, key: str, method: str, path: str, **kwargs) -> httpx2.Response:
    response = httpx2.request(method, server.url + path, headers={"Authorization": f"Bearer {key}"}, timeout=60, **kwargs)
    assert response.status_code < 300, (path, response.status_code, response.text)
    return response


def _traffic(server: LiveServer) -> None:
    """Every route that stores text, each given the values; and those that store none."""
    key = {role: server.zhice("keys", "create", "--role", role, "--name", f"测试{role}").strip().splitlines()[-1] for role in ("rep", "manager", "annotator", "legal")}
    conversation = {
        "conversation_id": "room-pii-1",
        "customer": {"id": "cust-pii-1", "industry": "industrial_equipment", "attributes": {}},
        "messages": [
            {"role": "rep", "text": f"{NAME}您好，报价单发您邮箱 {EMAIL} 了。"},
            {"role": "customer", "text": f"{CONVERSATION_ONLY}。{SAID}"},
        ],
    }
    shown = _call(server, key["rep"], "POST", "/v1/suggest", json=conversation).json()["suggestions"]
    _call(server, key["rep"], "POST", "/v1/suggest/stream", json=conversation | {"conversation_id": "room-pii-2"})
    edited = {"action": "edited", "final_text": shown[0]["text"] + f" 有事打 {MOBILE} 找我", "reason": f"客户{NAME}要求留电话 {MOBILE}"}
    _call(server, key["rep"], "POST", f"/v1/suggestions/{shown[0]['id']}/action", json=edited)
    _call(server, key["rep"], "POST", f"/v1/suggestions/{shown[1]['id']}/action", json={"action": "rejected", "reason": f"发给 {EMAIL} 不合适"})
    for path, body in (("/v1/desensitize", {"text": SAID}), ("/v1/compliance/check", {"text": SAID}), ("/v1/contracts/review", {"text": SAID + " 逾期每日按合同额1%支付违约金。"})):
        _call(server, key["rep"] if "desensitize" not in path else key["manager"], "POST", path, json=body)

    messages = [
        {"conversation_id": "chat-pii", "role": "customer", "text": SAID},
        {"conversation_id": "chat-pii", "role": "rep", "text": f"{NAME}您好，可以分三期付款，合同发您 {EMAIL}。"},
    ]
    _call(server, key["manager"], "POST", "/v1/dialogues", json={"source": "pii-test", "messages": messages})
    item = _call(server, key["annotator"], "GET", "/v1/annotation/next").json()
    labels = {"outcome": "won", "scenario": "price", "quality": 5, "high_value": True, "note": f"{NAME} 的电话 {MOBILE} 已核对"}
    _call(server, key["annotator"], "POST", f"/v1/annotation/{item['snippet_id']}", json=labels)
    review = _call(server, key["legal"], "GET", "/v1/review/next").json()
    _call(server, key["legal"], "POST", f"/v1/review/{review['snippet_id']}", json={"decision": "approve", "reason": f"已确认 {NAME} 身份证 {ID_CARD} 已脱敏"})
    _call(server, key["manager"], "POST", f"/v1/pool/{review['snippet_id']}/withdraw", json={"reason": f"{NAME}（{MOBILE}）要求撤下"})

    script = {"scenario": "price", "text": f"{NAME}您好，预算紧的话可以分期，电话 {MOBILE}，邮箱 {EMAIL}。"}
    script_id = _call(server, key["manager"], "POST", "/v1/scripts", json=script).json()["id"]
    _call(server, key["legal"], "POST", f"/v1/scripts/{script_id}/review", json={"decision": "reject", "reason": f"不要写 {NAME} 的手机 {MOBILE}"})
    exemplar = {"text": f"{NAME}，投资我们的设备一年回本，电话 {MOBILE}", "rule": "guaranteed-return", "verdict": "violation"}
    _call(server, key["legal"], "POST", "/v1/compliance/exemplars", json=exemplar)


def _leaks(blob: bytes) -> list[str]:
    return [form for form in (*RAW_FORMS, CONVERSATION_ONLY) if form.encode("utf-8") in blob]


def _files(folder: Path) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file())


def test_when_pii_flows_through_every_storing_route_on_sqlite_then_no_raw_value_is_at_rest(tmp_path: Path) -> None:
    data, log = tmp_path / "data", tmp_path / "server.log"
    servers = start_server(data, demo=True, log=log)
    with closing(servers):
        _traffic(next(servers))
        assert _leaks(_files(data)) == [], "raw values in the data dir while the service runs (SQLite WAL, Chroma)"
    # stopped
    assert _leaks(_files(data)) == [], "raw values in the data dir after shutdown"
    assert log.stat().st_size > 0 and _leaks(log.read_bytes()) == [], "raw values in the log"


def test_when_pii_flows_through_every_storing_route_on_postgresql_then_no_raw_value_is_in_a_dump(tmp_path: Path, postgres_url: str) -> None:
    data, log = tmp_path / "data", tmp_path / "server.log"
    servers = start_server(data, demo=True, log=log, env_extra={"ZHICE_DATABASE_URL": postgres_url})
    with closing(servers):
        _traffic(next(servers))
    schema = parse_qs(urlsplit(postgres_url).query)["options"][0].split("=")[-1]
    base = postgres_url.split("?")[0]
    dump = subprocess.run(["pg_dump", "--schema", schema, base], capture_output=True, check=True, timeout=120).stdout
    assert b"ledger_event" in dump and b"ledger_key" in dump
    assert _leaks(dump) == [], "raw values in the PostgreSQL dump"
    assert _leaks(_files(data)) == [] and _leaks(log.read_bytes()) == []


@pytest.fixture(autouse=True)
def _values_are_found_by_the_desensitizer(desensitizer) -> None:
    """The test is about storage, not recall: every value must be one the desensitizer finds."""
    masked = desensitizer.desensitize(SAID).text
    assert _leaks(masked.encode("utf-8")) == [], masked
