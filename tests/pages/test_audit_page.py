"""The auditor's page in headless Chromium against the real server (screenshots in test-artifacts/)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.live_server import LiveServer, start_server
from tests.pages.conftest import ARTIFACTS, require_chromium


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    require_chromium()
    yield from start_server(tmp_path_factory.mktemp("audit"), demo=False, before=[["demo", "simulate", "--days", "2", "--per-day", "1"]])


def test_when_an_auditor_opens_the_page_then_the_verified_report_with_charts_appears(server: LiveServer, browser) -> None:
    key = server.zhice("keys", "create", "--role", "auditor", "--name", "审计").strip().splitlines()[-1]
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{server.url}/audit")
    page.fill("#key", "zk_wrong_key")
    page.click("#load")
    page.wait_for_function("document.querySelector('#message').textContent.includes('无效')")
    page.fill("#key", key)
    page.press("#key", "Enter")
    report = page.frame_locator("#report")
    report.locator("text=账本校验通过").wait_for(timeout=30_000)
    assert report.locator("svg").count() >= 1
    assert "人机协作季度复盘" in report.locator("h1").inner_text()
    page.screenshot(path=str(ARTIFACTS / "audit-page.png"), full_page=True)
    page.close()
