"""RFC 9457 problem details: the one shape of every error response."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from core.errors import (
    BadRequest,
    ClientError,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    ValidationFailed,
    ZhiceError,
    validation_failed,
)
from api.deps import api_routes
from core.logging import request_id_var

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_PREFIX = "urn:zhice:problem:"
log = logging.getLogger("zhice.api")


def problem_response(error: ZhiceError, headers: dict[str, str] | None = None) -> JSONResponse:
    """Render ``error`` as problem details, with the request id as an extension member."""
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_PREFIX + error.slug,
        "title": error.title,
        "status": error.status,
        "detail": error.detail,
        **error.extensions,
        "request_id": request_id_var.get(),
    }
    headers = {**error.headers, **(headers or {})}
    return JSONResponse(body, status_code=error.status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


def too_large(limit: int) -> ZhiceError:
    return PayloadTooLarge(f"请求体超过 {limit} 字节的上限：请缩短内容或分批提交。")


def _from_http_exception(request: Request, exc: StarletteHTTPException) -> ZhiceError:
    if exc.status_code == 404:
        return NotFound(f"路径 {request.url.path} 不存在：请对照 /docs 中的接口列表。")
    if exc.status_code == 405:
        return MethodNotAllowed(f"{request.url.path} 不支持 {request.method}；支持的方法：{allowed_methods(request)}。")
    if exc.status_code == 413:
        return PayloadTooLarge("请求体过大：请缩短内容或分批提交。")
    error = ClientError(str(exc.detail)) if 400 <= exc.status_code < 500 else ZhiceError(str(exc.detail))
    error.status = exc.status_code
    return error


def allowed_methods(request: Request) -> str:
    """Every method some route serves at this path (Starlette names only the first route's)."""
    methods = {
        method
        for route in api_routes(request.app)
        if route.path_regex.match(request.url.path)
        for method in route.methods
    }
    return ", ".join(sorted(methods))


def _from_validation_error(exc: RequestValidationError) -> ZhiceError:
    errors = exc.errors()
    broken_json = next((e for e in errors if e.get("type") == "json_invalid"), None)
    if broken_json is not None:
        position = broken_json.get("loc", [None, None])[-1]
        reason = broken_json.get("ctx", {}).get("error", "")
        return BadRequest(f"请求体不是合法的 JSON（第 {position} 个字符附近：{reason}）：请检查括号、引号和逗号。")
    return validation_failed(errors, subject="请求", fix=" /docs 中的模式")


def install_problem_handlers(app: FastAPI) -> None:
    """Map our errors and the framework's to problem details (unexpected ones: see api.middleware)."""

    @app.exception_handler(ZhiceError)
    async def _zhice(_request: Request, exc: ZhiceError) -> JSONResponse:
        if exc.status >= 500:
            log.error("server error: %s", exc.detail)
        return problem_response(exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = {"Allow": allowed_methods(request)} if exc.status_code == 405 else None
        return problem_response(_from_http_exception(request, exc), headers=headers)

    @app.exception_handler(DataError)
    async def _data(_request: Request, exc: DataError) -> JSONResponse:
        # The database refused a value our validation let through (e.g. a NUL on PostgreSQL).
        log.warning("database refused a value: %s", type(exc.orig).__name__)
        return problem_response(ValidationFailed("某个字段含有数据库不接受的字符（如控制字符）：请删除后重试。"))

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem_response(_from_validation_error(exc))


def internal_error() -> ZhiceError:
    return ZhiceError("服务内部错误，已记录。请稍后重试；若持续出现，请把 request_id 告知管理员。")
