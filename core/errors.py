"""The one error hierarchy of 智策.

Every error we raise on purpose derives from :class:`ZhiceError`. The API maps
each to an RFC 9457 problem-details response with the class's ``status`` and
``slug``; the CLI prints its message and exits non-zero. Messages are written
for the person who has to act on them: Chinese first for what reps and other
users see, and always saying how to fix it::

    ZhiceError                      (500 internal)
    ├── ConfigError                 settings refused at start (never reaches HTTP)
    ├── LedgerError                 the audit ledger cannot be appended / used as asked
    ├── Unavailable                 503 a backing service (database) does not answer
    │   └── Overloaded              503 too busy to answer within the budget; Retry-After
    └── ClientError                 the caller can fix it (4xx)
        ├── BadRequest              400 malformed body (e.g. not JSON)
        ├── Unauthorized            401 no key, unknown key or revoked key
        ├── Forbidden               403 the key's role may not call this route
        ├── NotFound                404 route or resource does not exist
        ├── MethodNotAllowed        405 route exists, method does not
        ├── Conflict                409 the resource's state forbids the change
        ├── PayloadTooLarge         413 request body over ZHICE_MAX_BODY_BYTES
        ├── TooManyRequests         429 the key has too many requests in flight; Retry-After
        └── ValidationFailed        422 well-formed JSON with wrong fields or types
            └── Unprocessable       422 the right shape, but it names something that does not
                                        exist (a rule, an agent, a scenario, a move) or
                                        contradicts itself or the data (from after to)

Pydantic's validation errors become messages here too (:func:`describe_errors`,
:func:`invalid_fields`, :func:`validation_failed`), for the API, the CLI and
every reader of files or settings: they name fields and say why, never echoing
the input (it may hold personal information).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from pydantic import ValidationError

Errors = ValidationError | Iterable[Mapping[str, Any]]


class ZhiceError(Exception):
    """Base of every deliberate error; carries an HTTP status and a stable slug."""

    status: int = 500
    slug: str = "internal"
    title: str = "服务内部错误"
    headers: dict[str, str] = {}

    def __init__(self, detail: str, *, retry_after: int | None = None, **extensions: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extensions = extensions
        if retry_after is not None:  # seconds after which trying again may succeed (429, 503)
            self.headers = {**self.headers, "Retry-After": str(retry_after)}


class ConfigError(ZhiceError):
    """A setting is missing or unsafe; raised before the service starts."""

    slug = "config"
    title = "配置错误"


class LedgerError(ZhiceError):
    """The ledger was used in a way that could fork or corrupt the chain."""

    slug = "ledger"
    title = "审计账本错误"


class Unavailable(ZhiceError):
    """A backing service is down; retrying later may help."""

    status = 503
    slug = "unavailable"
    title = "服务暂不可用"


class Overloaded(Unavailable):
    """Too many requests in flight to answer this one within its budget."""

    slug = "overloaded"
    title = "服务繁忙"


class ClientError(ZhiceError):
    """An error the caller can fix; always a 4xx."""

    status = 400
    slug = "bad-request"
    title = "请求有误"


class BadRequest(ClientError):
    pass


class Unauthorized(ClientError):
    status = 401
    slug = "unauthorized"
    title = "未认证"
    headers = {"WWW-Authenticate": "Bearer"}


class Forbidden(ClientError):
    status = 403
    slug = "forbidden"
    title = "无权访问"


class NotFound(ClientError):
    status = 404
    slug = "not-found"
    title = "未找到"


class MethodNotAllowed(ClientError):
    status = 405
    slug = "method-not-allowed"
    title = "不支持该请求方法"


class Conflict(ClientError):
    status = 409
    slug = "conflict"
    title = "状态冲突"


class PayloadTooLarge(ClientError):
    status = 413
    slug = "payload-too-large"
    title = "请求体过大"


class TooManyRequests(ClientError):
    """The caller's key already has as many requests in flight as it may."""

    status = 429
    slug = "too-many-requests"
    title = "请求过于频繁"


class ValidationFailed(ClientError):
    status = 422
    slug = "validation-failed"
    title = "请求字段有误"


class Unprocessable(ValidationFailed):
    """Valid by the OpenAPI schema, refused on meaning: what JSON Schema cannot say.

    Everything the schema can express is in the schema, so a schema-valid request never
    gets ``validation-failed``; this slug marks the refusals that depend on the data in
    force (unknown rule, agent, scenario or move) or on fields read together."""

    slug = "unprocessable"
    title = "请求内容无法处理"


def field_errors(errors: Errors) -> list[dict[str, Any]]:
    """Pydantic's errors as ``{"loc", "msg", "type"}`` only: the input is left out."""
    raw = errors.errors(include_url=False) if isinstance(errors, ValidationError) else errors
    return [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")} for e in raw]


def field_path(loc: Sequence[Any], root: str = "") -> str:
    """``a.0.b`` for a location; ``root`` for an error on the whole value."""
    return ".".join(map(str, loc)) or root


def invalid_fields(errors: Errors, root: str = "") -> list[str]:
    """The paths of the invalid fields, sorted, each once."""
    return sorted({field_path(e["loc"], root) for e in field_errors(errors)})


def describe_errors(errors: Errors, root: str = "", name: Callable[[Sequence[Any]], str] | None = None) -> str:
    """Each invalid field and why, in one line: ``a.b：msg；c：msg`` (``name`` spells a location)."""
    name = name or (lambda loc: field_path(loc, root))
    return "；".join(f"{name(e['loc'])}：{e['msg']}" for e in field_errors(errors))


def validation_failed(errors: Errors, *, subject: str, fix: str) -> ValidationFailed:
    """A 422 naming each invalid field of ``subject`` and saying what to follow (``fix``);
    the fields also go to the problem's ``errors`` member."""
    fields = field_errors(errors)
    return ValidationFailed(f"{subject}字段有误——{describe_errors(fields)}。请按{fix}修正后重试。", errors=fields)
