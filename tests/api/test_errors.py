"""Bad input gets problem details with the right 4xx, and the service keeps serving."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from api.deps import Public
from core.keys import Role
from core.logging import configure_logging

PROBLEM = "application/problem+json"


@pytest.fixture
def admin(make_key: Callable[[Role], str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_key(Role.admin)}"}


def _is_problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert {"type", "title", "status", "detail", "request_id"} <= body.keys()
    assert body["status"] == status
    assert body["request_id"] == response.headers["X-Request-ID"]
    return body


def test_when_the_body_is_not_json_then_400(client: TestClient, admin: dict) -> None:
    response = client.post("/v1/keys", content=b'{"name": "x", "role": ', headers={**admin, "Content-Type": "application/json"})
    body = _is_problem(response, 400)
    assert "JSON" in body["detail"]


def test_when_fields_have_wrong_types_then_422_without_echoing_the_input(client: TestClient, admin: dict) -> None:
    response = client.post("/v1/keys", json={"name": "张三 13800138000", "role": "boss"}, headers=admin)
    body = _is_problem(response, 422)
    assert body["errors"][0]["loc"] == ["body", "role"]
    assert "13800138000" not in response.text
    assert "boss" not in json.dumps(body["errors"])


def test_when_a_field_is_missing_then_422_names_it(client: TestClient, admin: dict) -> None:
    body = _is_problem(client.post("/v1/keys", json={"role": "rep"}, headers=admin), 422)
    assert ["body", "name"] in [e["loc"] for e in body["errors"]]


def test_when_the_body_is_over_the_limit_then_413_and_service_keeps_serving(client: TestClient, admin: dict) -> None:
    big = json.dumps({"name": "x" * 300_000, "role": "rep"}).encode()
    _is_problem(client.post("/v1/keys", content=big, headers={**admin, "Content-Type": "application/json"}), 413)

    def chunks() -> Iterator[bytes]:  # no Content-Length: sent chunked
        for _ in range(300):
            yield b"x" * 1024

    _is_problem(client.post("/v1/keys", content=chunks(), headers={**admin, "Content-Type": "application/json"}), 413)
    assert client.get("/healthz").json()["status"] == "ok"
    small = client.post("/v1/keys", content=iter([b'{"name": "ok", ', b'"role": "rep"}']), headers={**admin, "Content-Type": "application/json"})
    assert small.status_code == 201


def test_when_the_route_is_unknown_then_404_for_callers_with_a_key(client: TestClient, admin: dict) -> None:
    _is_problem(client.get("/v1/nothing-here", headers=admin), 404)
    _is_problem(client.get("/nothing-here"), 404)
    _is_problem(client.get("/v1/nothing-here"), 401)  # anonymous callers cannot map the API


def test_when_an_anonymous_body_is_broken_then_401_comes_first(client: TestClient) -> None:
    response = client.post("/v1/keys", content=b"{broken", headers={"Content-Type": "application/json"})
    _is_problem(response, 401)


def test_when_the_method_is_wrong_then_405_with_every_allowed_method(client: TestClient, admin: dict) -> None:
    response = client.delete("/healthz")
    _is_problem(response, 405)
    assert response.headers["Allow"] == "GET, HEAD"
    response = client.put("/v1/keys", headers=admin)
    _is_problem(response, 405)
    assert response.headers["Allow"] == "GET, POST"
    assert client.head("/healthz").status_code == 200


def test_when_a_name_holds_a_control_character_then_422(client: TestClient, admin: dict) -> None:
    _is_problem(client.post("/v1/keys", json={"name": "a\u0000b", "role": "rep"}, headers=admin), 422)


def test_when_a_route_fails_unexpectedly_then_500_problem_without_internals(client: TestClient) -> None:
    @client.app.get("/boom", dependencies=[Public])
    def boom() -> None:
        raise RuntimeError("secret internal state 13800138000")

    body = _is_problem(client.get("/boom"), 500)
    assert "secret" not in json.dumps(body)
    assert client.get("/healthz").status_code == 200


def test_when_the_client_sends_a_request_id_then_it_is_echoed(client: TestClient) -> None:
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"] == "abc-123"
    replaced = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"}).headers["X-Request-ID"]
    assert replaced != "bad id with spaces" and len(replaced) == 32


def test_when_a_request_is_served_then_one_json_log_line_carries_its_id(client: TestClient, capsys: pytest.CaptureFixture) -> None:
    configure_logging("INFO")  # bind the handler to the stderr this test captures
    client.get("/healthz?q=13800138000", headers={"X-Request-ID": "log-check-1"})
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    access = [line for line in lines if line.get("request_id") == "log-check-1"]
    assert len(access) == 1
    assert (access[0]["path"], access[0]["status"], access[0]["method"]) == ("/healthz", 200, "GET")
    assert "13800138000" not in json.dumps(lines)


def test_when_docs_are_requested_then_openapi_lists_the_routes(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/healthz", "/v1/audit/verify", "/v1/keys"} <= paths.keys()


def test_when_the_openapi_document_lists_errors_then_they_are_problem_details_and_the_service_keeps_to_them(client: TestClient, make_key) -> None:
    from api.deps import RoleGuard, access_rules, api_routes

    document = client.get("/openapi.json").json()
    assert "HTTPValidationError" not in json.dumps(document)
    keys: dict[str, str] = {}
    for route in api_routes(client.app):
        rules = [rule for rule in access_rules(route) if isinstance(rule, RoleGuard)]
        if route.original_route.path_format not in document["paths"]:  # the pages: not API operations
            continue
        for method in route.methods - {"HEAD"}:
            operation = document["paths"][route.original_route.path_format][method.lower()]
            problems = {int(code) for code in operation["responses"] if code.startswith(("4", "5"))}
            assert all(operation["responses"][str(code)]["content"].keys() == {"application/problem+json"} for code in problems)
            if not rules or method not in ("POST", "PUT", "PATCH"):
                continue
            role = sorted(rules[0].roles)[0]
            key = keys.setdefault(role, make_key(Role(role)))
            path = route.original_route.path_format.replace("{", "").replace("}", "")
            answer = client.request(method, path, json={"unexpected": True}, headers={"Authorization": f"Bearer {key}"})
            if answer.status_code >= 400:
                assert answer.status_code in problems, (method, path, answer.status_code, sorted(problems))
