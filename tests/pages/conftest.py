"""Debian's Chromium for Playwright (CI installs it and sets ZHICE_TEST_REQUIRE_BROWSER=1), and the
live server, keys and conversations the /annotate and /review tests share (`fuel_fixtures`)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from tests.live_server import LiveServer, start_server

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parents[2] / "test-artifacts"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"]

# synthetic, written for these tests: each conversation opens with the rep, so every snippet has context
CONVERSATIONS = {
    "page-c1": [
        ("rep", "王总您好，我是智策科技的小李，上周发您的报价单看了吗？"),
        ("customer", "看了，你们比友商贵了两成，预算压力很大。有事打我电话 13911112222。"),
        ("rep", "理解您的预算压力。我们含三年质保和上门安装，折算下来总成本更低，我整理一份对比表发您。"),
    ],
    "page-c2": [
        ("rep", "您好，设备的排产计划已经出来了，想跟您同步一下交期。"),
        ("customer", "交期能不能提前一周？<img src=x onerror=\"window.__xss=1\"> 我们月底就要上线。"),
        ("rep", "我和工厂确认加急排产，今天下班前给您准确日期。"),
    ],
    "page-c3": [
        ("rep", "合同草稿已经发您邮箱了，请您过目。"),
        ("customer", "违约金那条太重了，我们法务不同意，能不能改成按日万分之五？"),
        ("rep", "违约金条款我需要和我们法务确认，明天上午给您答复，其他条款先按草稿推进可以吗？"),
    ],
}


def require_chromium() -> None:
    if not CHROMIUM.exists():
        reason = f"no Chromium at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("ZHICE_TEST_REQUIRE_BROWSER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)


@pytest.fixture(scope="session")
def browser():
    require_chromium()
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield browser
        browser.close()


def fuel_server(data, *, double_share: str) -> Iterator[LiveServer]:
    """A live server where every snippet needs ``double_share`` of two labels (1 = all of them)."""
    require_chromium()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ZHICE_ANNOTATION_DOUBLE_SHARE", double_share)
        servers = start_server(data, demo=False)
        server = next(servers)
    yield server
    next(servers, None)


def fuel_fixtures(name: str, people: dict[str, tuple[str, str]], conversations: dict[str, list[tuple[str, str]]]):
    """The module-scoped ``server`` and ``keys`` fixtures of a page test over annotation and review,
    for ``server, keys = fuel_fixtures(...)``: a live server where every snippet needs two labels,
    a key per person (``{person: (role, name)}``, one of them "manager"), and ``conversations``
    ingested by the manager."""

    @pytest.fixture(scope="module")
    def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
        yield from fuel_server(tmp_path_factory.mktemp(name), double_share="1")

    @pytest.fixture(scope="module")
    def keys(server: LiveServer) -> dict[str, str]:
        made = {person: make_key(server, role, display) for person, (role, display) in people.items()}
        ingest(server, made["manager"], conversations)
        return made

    return server, keys


def make_key(server: LiveServer, role: str, name: str) -> str:
    return server.zhice("keys", "create", "--role", role, "--name", name).strip().splitlines()[-1]


def call(server: LiveServer, key: str, method: str, path: str, body: dict | None = None) -> httpx2.Response:
    return httpx2.request(method, f"{server.url}{path}", json=body, headers={"Authorization": f"Bearer {key}"}, timeout=60)


def ingest(server: LiveServer, key: str, conversations: dict[str, list[tuple[str, str]]]) -> None:
    messages = [
        {"conversation_id": cid, "ts": f"2026-11-20T10:0{i}:00+08:00", "role": role, "text": text}
        for cid, turns in conversations.items()
        for i, (role, text) in enumerate(turns)
    ]
    response = call(server, key, "POST", "/v1/dialogues", {"source": "page-test", "industry": "manufacturing", "messages": messages})
    assert response.status_code == 201 and response.json()["snippets_created"] == len(conversations), response.text


def snippets(server: LiveServer, manager: str, status: str) -> dict[str, dict]:
    listed = call(server, manager, "GET", f"/v1/snippets?status={status}").json()
    return {row["id"]: row for row in listed["items"]}
