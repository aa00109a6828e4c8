"""The OpenAPI document as the service behaves: every operation lists the problem responses
it can give (RFC 9457, ``application/problem+json``), not FastAPI's default 422 shape."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import RouteContext

from api.deps import RoleGuard, access_rules, api_routes, dependants
from api.problems import PROBLEM_MEDIA_TYPE

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "RFC 9457 problem details; `detail` says what to fix, in Chinese.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "urn:zhice:problem:<slug>"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "request_id": {"type": "string"},
    },
    "additionalProperties": True,
}
DESCRIPTIONS = {
    400: "请求体不是合法的 JSON，或嵌套过深", 401: "缺少或无效的密钥", 403: "该角色不能调用此接口",
    404: "没有这个对象", 409: "与当前状态冲突（已记录、已被他人领取、状态不允许）", 413: "请求体过大",
    422: "字段不符合要求", 429: "本密钥请求过多：按 Retry-After 稍后再试", 503: "服务繁忙：按 Retry-After 稍后再试",
}
# Answers that depend on state rather than on the request's shape
STATE_PROBLEMS: dict[tuple[str, str], frozenset[int]] = {
    ("POST", "/v1/suggest"): frozenset({429, 503}),
    ("POST", "/v1/suggest/stream"): frozenset({429, 503}),
    ("POST", "/v1/suggestions/{suggestion_id}/action"): frozenset({409}),
    ("POST", "/v1/annotation/{snippet_id}"): frozenset({409}),
    ("POST", "/v1/review/{snippet_id}"): frozenset({409}),
    ("POST", "/v1/pool/{snippet_id}/withdraw"): frozenset({409}),
    ("POST", "/v1/scripts/{script_id}/review"): frozenset({409}),
    ("POST", "/v1/scripts/{script_id}/retire"): frozenset({409}),
    ("PUT", "/v1/scripts/{script_id}"): frozenset({409}),
    ("POST", "/v1/controls/taxonomy"): frozenset({409}),
    ("DELETE", "/v1/controls/taxonomy/{key}"): frozenset({409}),
}


def problem_statuses(route: RouteContext, method: str) -> set[int]:
    """The problem statuses an operation can answer with, from what it takes and who may call it."""
    original = route.original_route
    statuses: set[int] = set(STATE_PROBLEMS.get((method, original.path_format), ()))
    if any(isinstance(rule, RoleGuard) for rule in access_rules(route)):
        statuses |= {401, 403}
    path_params = any(d.path_params for d in dependants(route))
    params = path_params or any(d.query_params or d.header_params for d in dependants(route))
    has_body = original.body_field is not None or method in ("POST", "PUT", "PATCH")
    if params or has_body:
        statuses.add(422)
    if has_body:
        statuses |= {400, 413}
    if path_params:
        statuses.add(404)
    return statuses


def install_openapi(app: FastAPI) -> None:
    """Replace ``app.openapi`` with the document whose error responses are the real ones."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            schemas = schema.setdefault("components", {}).setdefault("schemas", {})
            schemas["Problem"] = PROBLEM_SCHEMA
            for route in api_routes(app):
                for method in route.methods:
                    operation = schema["paths"].get(route.original_route.path_format, {}).get(method.lower())
                    if operation is not None:
                        _document_problems(operation, problem_statuses(route, method))
            for unused in ("HTTPValidationError", "ValidationError"):
                schemas.pop(unused, None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _document_problems(operation: dict[str, Any], statuses: set[int]) -> None:
    responses = operation.setdefault("responses", {})
    for status in sorted(statuses):
        responses[str(status)] = {
            "description": DESCRIPTIONS[status],
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
    if "422" in responses and 422 not in statuses:
        del responses["422"]
