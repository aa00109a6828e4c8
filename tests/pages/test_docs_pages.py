"""/docs, /redoc and the start page in headless Chromium with every request off this server
refused: the API docs must render from the assets the package ships (screenshots in test-artifacts/)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.live_server import LiveServer, start_server
from tests.pages.conftest import ARTIFACTS, require_chromium


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    require_chromium()
    yield from start_server(tmp_path_factory.mktemp("docs"), demo=False)


def _offline_page(browser, server: LiveServer, outside: list[str]):
    page = browser.new_page(viewport={"width": 1280, "height": 900})

    def only_this_server(route) -> None:
        if route.request.url.startswith(server.url):
            route.continue_()
        else:  # refused; a script, style, font or data request from elsewhere fails the test (ReDoc's footer logo is an image)
            if route.request.resource_type != "image":
                outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_this_server)
    return page


@pytest.mark.parametrize(("path", "rendered"), [("/docs", ".swagger-ui .info .title"), ("/redoc", "h1")])
def test_when_the_docs_are_opened_offline_then_they_render_the_api(server: LiveServer, browser, path: str, rendered: str) -> None:
    outside: list[str] = []
    page = _offline_page(browser, server, outside)
    page.goto(f"{server.url}{path}")
    title = page.locator(rendered).first
    title.wait_for(timeout=30_000)
    assert "智策" in title.inner_text()
    assert page.get_by_text("/v1/suggest").count() >= 1
    assert outside == []
    page.screenshot(path=str(ARTIFACTS / f"docs{path.replace('/', '-')}.png"))
    page.close()


def test_when_the_start_page_is_opened_then_it_links_every_page_and_the_docs(server: LiveServer, browser) -> None:
    outside: list[str] = []
    page = _offline_page(browser, server, outside)
    page.goto(server.url + "/")
    links = {a.get_attribute("href") for a in page.locator("a").all()}
    assert {"/sidebar", "/annotate", "/review", "/audit", "/docs", "/redoc"} <= links
    page.screenshot(path=str(ARTIFACTS / "start-page.png"), full_page=True)
    assert outside == []
    page.close()
