"""Every route declares who may call it, and the declaration holds: the role matrix."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient

import api.app
from api.app import create_app
from api.deps import PublicAccess, RoleGuard, access_rules, api_routes
from core.keys import Role
from core.settings import Settings

PUBLIC_PATHS = {"/healthz", "/readyz", "/", "/docs", "/redoc", "/docs-assets/{name}", "/annotate", "/audit", "/review", "/sidebar", "/sidebar/demo.json", "/static/{name}"}


def _routes(client: TestClient) -> list[tuple[str, str, RoleGuard | PublicAccess]]:
    routes = []
    for route in api_routes(client.app):
        (rule,) = access_rules(route)
        routes.extend((method, route.path, rule) for method in sorted(route.methods))
    return routes


def _call(client: TestClient, method: str, path: str, key: str | None):
    url = re.sub(r"\{[^}]+\}", "nonexistent", re.sub(r"\{[^}:]+:snippet\}", "0" * 64, path))  # a snippet id has its shape
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return client.request(method, url, headers=headers, json={} if method in {"POST", "PUT", "PATCH"} else None)


def test_when_the_app_is_built_then_only_health_routes_and_page_shells_are_public(client: TestClient) -> None:
    public = {path for _, path, rule in _routes(client) if isinstance(rule, PublicAccess)}
    assert public == PUBLIC_PATHS


def test_when_a_route_declares_no_access_rule_then_the_app_refuses_to_build(
    sqlite_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    stray = APIRouter()

    @stray.get("/v1/undeclared")
    def undeclared() -> dict:
        return {}

    monkeypatch.setattr(api.app, "ROUTERS", (*api.app.ROUTERS, stray))
    with pytest.raises(RuntimeError, match="/v1/undeclared"):
        create_app(sqlite_settings)


def test_when_routes_are_called_without_a_valid_key_then_401(client: TestClient, make_key: Callable[[Role], str]) -> None:
    revoked = make_key(Role.admin)
    key_id = revoked.split("_")[1]
    assert client.post(f"/v1/keys/{key_id}/revoke", headers={"Authorization": f"Bearer {revoked}"}).status_code == 200
    guarded = [(m, p) for m, p, rule in _routes(client) if isinstance(rule, RoleGuard)]
    assert guarded, "expected guarded routes"
    for method, path in guarded:
        for key in (None, "zk_00000000_unknown", "not-even-our-format", revoked):
            response = _call(client, method, path, key)
            assert response.status_code == 401, (method, path, key, response.text)
            assert response.headers["WWW-Authenticate"] == "Bearer"
            assert response.headers["content-type"].startswith("application/problem+json")


def test_when_each_role_calls_each_route_then_only_declared_roles_pass(
    client: TestClient, make_key: Callable[[Role], str]
) -> None:
    keys = {role: make_key(role) for role in Role}
    for method, path, rule in _routes(client):
        if isinstance(rule, PublicAccess):
            assert _call(client, method, path, None).status_code in (200, 404)  # demo.json: 404 outside demo mode
            continue
        for role, key in keys.items():
            status = _call(client, method, path, key).status_code
            if role in rule.roles:
                assert status not in (401, 403) and status < 500, (method, path, role, status)
            else:
                assert status == 403, (method, path, role, status)
