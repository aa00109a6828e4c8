"""/static/{name}: the script and styles /annotate and /review share, from an allow-list only."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.routes.pages import STATIC, shared_file
from core.errors import NotFound


@pytest.mark.parametrize(("name", "media_type"), [("fuel-pages.js", "text/javascript"), ("fuel-pages.css", "text/css")])
def test_when_a_shared_file_is_asked_for_then_it_is_served_with_its_media_type(client: TestClient, name: str, media_type: str) -> None:
    response = client.get(f"/static/{name}")
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media_type
    assert response.text == (STATIC / name).read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ["..%2Fpages.py", "%2E%2E%2Fpages.py", "..%5Cpages.py", "annotate.html", "unknown.js", "FUEL-PAGES.JS"])
def test_when_a_name_is_not_on_the_list_then_404_problem(client: TestClient, name: str) -> None:
    response = client.get(f"/static/{name}")
    assert response.status_code == 404, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "import" not in response.text  # nothing of api/routes/pages.py


@pytest.mark.parametrize("name", ["../pages.py", "../routes/pages.py", "..", "./fuel-pages.js", "/etc/passwd"])
def test_when_the_route_is_handed_a_path_then_it_is_not_found(name: str) -> None:
    with pytest.raises(NotFound):
        shared_file(name)


def test_when_the_pages_load_then_they_use_the_shared_files(client: TestClient) -> None:
    for page in ("/annotate", "/review"):
        html = client.get(page).text
        assert '<script src="/static/fuel-pages.js"></script>' in html and '<link rel="stylesheet" href="/static/fuel-pages.css">' in html
