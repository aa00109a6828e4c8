"""GET /metrics: Prometheus text with the suggest path's latency, degraded and shed counts,
the model circuit and the queues; readable by the roles that run the service, or from
this host only when so configured."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from core.keys import Role
from tests.conftest import demo_service

PRICE = {
    "conversation_id": "metrics-room",
    "customer": {"id": "c-m", "industry": "industrial_equipment", "attributes": {}},
    "messages": [{"role": "customer", "text": "价格太贵了，能便宜点吗？"}],
}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict]]:
    with demo_service(tmp_path_factory.mktemp("metrics"), (Role.rep, Role.auditor, Role.annotator), suggest_per_key=1) as (client, headers, _):
        yield client, headers


def value(text: str, name: str, **labels: str) -> float:
    """The sample ``name{labels}`` in a Prometheus text page (0 when absent)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    pattern = re.escape(name) + (r"\{" + re.escape(wanted) + r"\}" if labels else "") + r" (\S+)"
    match = re.search(r"^" + pattern + "$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def test_when_suggestions_were_answered_then_metrics_count_them_with_latency_by_route_and_agent(served) -> None:
    client, headers = served
    before = value(client.get("/metrics", headers=headers[Role.auditor]).text, "zhice_suggest_answers_total", degraded="false")
    assert client.post("/v1/suggest", json=PRICE, headers=headers[Role.rep]).status_code == 200
    page = client.get("/metrics", headers=headers[Role.auditor])
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/plain")
    text = page.text
    assert value(text, "zhice_suggest_answers_total", degraded="false") == before + 1
    assert value(text, "zhice_http_request_duration_seconds_count", method="POST", route="/v1/suggest", status="2xx") >= 1
    assert value(text, "zhice_agent_duration_seconds_count", agent="script_suggestion") >= 1
    assert value(text, "zhice_ledger_append_seconds_count") >= 2  # a shown suggestion and the summary
    assert value(text, "zhice_llm_circuit_state", state="off") == 1
    assert value(text, "zhice_snippets", status="approved") > 0  # the demo pool


def test_when_a_key_has_too_many_requests_in_flight_then_the_refusal_is_429_with_retry_after_and_counted(served) -> None:
    client, headers = served
    suggestions = client.app.state.services.suggestions
    admission = suggestions._admission  # noqa: SLF001 (hold the key's one place as a request in flight would)
    import asyncio

    async def hold() -> None:
        key_id = client.get("/v1/me", headers=headers[Role.rep]).json()["key_id"]
        admission._by_key[key_id] += 1  # noqa: SLF001

    asyncio.run(hold())
    try:
        refused = client.post("/v1/suggest", json=PRICE, headers=headers[Role.rep])
    finally:
        admission._by_key.clear()  # noqa: SLF001
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"
    assert refused.headers["content-type"] == "application/problem+json" and "最多 1 个" in refused.json()["detail"]
    assert value(client.get("/metrics", headers=headers[Role.auditor]).text, "zhice_suggest_shed_total", reason="per_key") >= 1


def test_when_a_rep_or_no_key_asks_for_metrics_then_they_are_refused(served) -> None:
    client, headers = served
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers=headers[Role.rep]).status_code == 403
    assert client.get("/metrics", headers=headers[Role.annotator]).status_code == 403


def test_when_metrics_are_bound_to_loopback_then_a_remote_caller_is_refused(tmp_path) -> None:
    with demo_service(tmp_path, (), metrics_access="loopback") as (client, _, _):
        assert client.get("/metrics").status_code == 403  # the test client calls from "testclient", not this host
        local = TestClient(client.app, client=("127.0.0.1", 50000))
        assert local.get("/metrics").status_code == 200


def test_when_a_key_keeps_sending_long_texts_then_it_is_told_when_to_come_back_and_counted(tmp_path) -> None:
    with demo_service(tmp_path, (Role.rep, Role.auditor), suggest_key_chars_per_s=100) as (client, headers, _):
        long_turn = PRICE | {"messages": [{"role": "customer", "text": "价格太贵了，" * 150}]}
        assert client.post("/v1/suggest", json=long_turn | {"conversation_id": "long-1"}, headers=headers[Role.rep]).status_code == 200
        refused = client.post("/v1/suggest", json=long_turn | {"conversation_id": "long-2"}, headers=headers[Role.rep])
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1, refused.text
        assert value(client.get("/metrics", headers=headers[Role.auditor]).text, "zhice_suggest_shed_total", reason="text_volume") == 1
