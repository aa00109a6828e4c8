"""Pure ASGI middleware: request ids with an access log, the request-body limit, and the
checks every body passes before any parsing work (the caller's role, bounded JSON nesting)."""

from __future__ import annotations

import logging
import re
import time
import uuid

from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import role_refusal
from api.problems import internal_error, problem_response, too_large
from core.db import read_session
from core.errors import BadRequest, Unauthorized
from core.keys import ApiKey, require_live_key
from core.logging import request_id_var

REQUEST_ID_HEADER = "X-Request-ID"
_CLIENT_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
access_log = logging.getLogger("zhice.access")
error_log = logging.getLogger("zhice.api")


class RequestContextMiddleware:
    """Give every request an id (the client's ``X-Request-ID`` if sane), echo it, log the outcome,
    and turn an unexpected exception into a 500 problem that still carries the id."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        offered = dict(scope["headers"]).get(REQUEST_ID_HEADER.lower().encode(), b"").decode("latin-1")
        request_id = offered if _CLIENT_REQUEST_ID.match(offered) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        scope.setdefault("state", {})["received_at"] = started  # deadlines count from here
        status: int | None = None

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            error_log.exception("unhandled error")
            if status is not None:
                raise  # the response has begun; nothing sane can be sent now
            await problem_response(internal_error())(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            access_log.info(
                "request",
                extra={
                    "method": scope["method"],
                    "path": scope["path"],  # never the query string: it may carry text
                    "status": status,
                    "duration_ms": round(seconds * 1000, 2),
                    "key_id": scope.get("state", {}).get("key_id"),
                },
            )
            _observe(scope, status, seconds)
            request_id_var.reset(token)


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _observe(scope: Scope, status: int | None, seconds: float) -> None:
    """The request in the latency histogram, by route template (never the raw path: ids)."""
    services = getattr(getattr(scope.get("app"), "state", None), "services", None)
    if services is None:  # before start-up has finished
        return
    route = getattr(scope.get("route"), "path", "unmatched")
    method = scope["method"] if scope["method"] in _METHODS else "other"  # a label never takes a client's free text
    services.metrics.http_seconds.labels(route, method, f"{(status or 500) // 100}xx").observe(seconds)


class AuthenticationMiddleware:
    """Refuse a /v1/ request without a live key (401) before anything reads its body,
    so anonymous callers learn nothing from validation errors. Roles are checked
    per route (api.deps.RoleGuard), which reuses the key found here."""

    PREFIX = "/v1/"

    def __init__(self, app: ASGIApp, engine: Engine) -> None:
        self.app = app
        self.engine = engine

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.PREFIX):
            await self.app(scope, receive, send)
            return
        header = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
        scheme, _, token = header.partition(" ")
        try:
            row = await run_in_threadpool(self._live_key, token.strip() if scheme.lower() == "bearer" else None)
        except Unauthorized as error:
            await problem_response(error)(scope, receive, send)
            return
        scope.setdefault("state", {})["api_key"] = row
        await self.app(scope, receive, send)

    def _live_key(self, token: str | None) -> ApiKey:
        with read_session(self.engine) as session:
            row = require_live_key(session, token)
            session.expunge(row)
            return row


class BodyLimitMiddleware:
    """Refuse bodies over ``limit`` bytes with 413 problem details, whether or not
    the client announced a Content-Length; smaller bodies pass through untouched."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit():
            if len(declared) > 15 or int(declared) > self.limit:
                await problem_response(too_large(self.limit))(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        # No (usable) Content-Length: read up to the limit, then replay what was read.
        body = await _read_body(receive, self.limit)
        if body is None:
            await problem_response(too_large(self.limit))(scope, receive, send)
            return
        await self.app(scope, _replaying(body, receive), send)


async def _read_body(receive: Receive, limit: int | None = None) -> bytes | None:
    """The whole request body, or None once it passes ``limit`` bytes."""
    chunks: list[bytes] = []
    size, more = 0, True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        size += len(message.get("body", b""))
        if limit is not None and size > limit:
            return None
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """A receive that hands the app ``body`` (already read) once, then the connection's own."""
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


MAX_JSON_DEPTH = 64  # the deepest body a client sends (a Label Studio export) nests about 8
_JSON_STRUCTURE = re.compile(rb'[\[\]{}"\\]')


def json_nesting_exceeds(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``body`` nests arrays and objects deeper than ``limit``, found by visiting only
    its brackets, quotes and backslashes (strings skipped): before any parser recurses."""
    depth, in_string, escaped_at = 0, False, -1
    for match in _JSON_STRUCTURE.finditer(body):
        at, char = match.start(), body[match.start()]
        if at == escaped_at:
            continue
        if in_string:
            if char == 0x5C:  # backslash: the next byte is escaped
                escaped_at = at + 1
            elif char == 0x22:
                in_string = False
        elif char == 0x22:
            in_string = True
        elif char in (0x5B, 0x7B):
            depth += 1
            if depth > limit:
                return True
        elif char in (0x5D, 0x7D):
            depth -= 1
    return False


class BodyChecksMiddleware:
    """Before any body is parsed: a key whose role the route refuses gets 403; a JSON body
    sent without a Content-Type is read as JSON; a JSON body may nest at most
    MAX_JSON_DEPTH levels (400 otherwise, instead of a parser's recursion error). Runs
    inside authentication and the body limit, so the key is known and the body bounded."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        key = scope.get("state", {}).get("api_key")
        refused = role_refusal(scope["app"], scope["method"], scope["path"], key.role) if key is not None and "app" in scope else None
        if refused is not None:
            await problem_response(refused)(scope, receive, send)
            return
        body = await _read_body(receive) or b""
        content_type = dict(scope["headers"]).get(b"content-type", b"").split(b";")[0].strip().lower()
        if body and not content_type and body.lstrip()[:1] in (b"{", b"["):
            # a JSON body sent without its type (curl --data, a bare HTTP client) is read as JSON
            content_type = b"application/json"
            scope = {**scope, "headers": [*scope["headers"], (b"content-type", content_type)]}
        if content_type.endswith(b"json") and json_nesting_exceeds(body):
            refused = BadRequest(f"请求体的 JSON 嵌套超过 {MAX_JSON_DEPTH} 层：请检查数据结构。")
            await problem_response(refused)(scope, receive, send)
            return
        await self.app(scope, _replaying(body, receive), send)
