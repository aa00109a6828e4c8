"""The auditor's page in a real headless Chromium against the real server.

Needs Debian's chromium at /usr/bin/chromium (CI installs it and sets
ZHICE_TEST_REQUIRE_BROWSER=1, so there it fails instead of skipping).
Screenshots go to test-artifacts/ (not committed).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parents[2] / "test-artifacts"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _zhice(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "-c", "from core.cli import main; main()", *args], env=env, capture_output=True, text=True, timeout=300, check=True)
    return done.stdout


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    if not CHROMIUM.exists():
        reason = f"no Chromium at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("ZHICE_TEST_REQUIRE_BROWSER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    data = tmp_path_factory.mktemp("page")
    env = {**os.environ, "ZHICE_DATA_DIR": str(data), "ZHICE_LOG_LEVEL": "WARNING", "COLUMNS": "200"}
    env.pop("ZHICE_DATABASE_URL", None)
    _zhice(env, "demo", "simulate", "--days", "2", "--per-day", "1")
    key = _zhice(env, "keys", "create", "--role", "auditor", "--name", "审计").strip().splitlines()[-1]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-c", "from core.cli import main; main()", "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            if httpx2.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx2.TransportError:
            time.sleep(0.2)
    yield url, key
    process.terminate()
    process.wait(timeout=20)


def test_when_an_auditor_opens_the_page_then_the_verified_report_with_charts_appears(server: tuple[str, str]) -> None:
    from playwright.sync_api import sync_playwright

    url, key = server
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{url}/audit")
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
        browser.close()
