"""Typed dependencies for routes: the app's services (settings, database, store …) and
who may call what.

Every route declares its access rule through exactly one :class:`AccessRule`:
a role alias below (``CurrentAuditor``, ``AnyRole``, …) or ``dependencies=[Public]``.
``api.app.create_app`` refuses to build an app with a route that declares none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlmodel import Session

from agents.controls import Controls
from agents.services import Services
from agents.suggestions import SuggestionService
from audit.ledger import Actor
from audit.sealing import Keyring
from core.db import read_session
from core.errors import Forbidden, ValidationFailed
from core.keys import Role, require_live_key
from core.settings import Settings
from knowledge.desensitize import Desensitizer
from knowledge.store import KnowledgeStore


def _services(request: Request) -> Services:
    """The app's services, built once in its lifespan (``api.app``)."""
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(_services)]


def _part(name: str) -> Callable[[Services], object]:
    """A dependency that hands a route one part of the services."""

    def part(services: ServicesDep) -> object:
        return getattr(services, name)

    return part


SettingsDep = Annotated[Settings, Depends(_part("settings"))]
EngineDep = Annotated[Engine, Depends(_part("engine"))]
DesensitizerDep = Annotated[Desensitizer, Depends(_part("desensitizer"))]
StoreDep = Annotated[KnowledgeStore, Depends(_part("store"))]
KeyringDep = Annotated[Keyring, Depends(_part("keyring"))]
SuggestionsDep = Annotated[SuggestionService, Depends(_part("suggestions"))]


def _session(engine: EngineDep) -> Iterator[Session]:
    with read_session(engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(_session)]


def _controls(services: ServicesDep) -> Controls:
    return services.controls()


ControlsDep = Annotated[Controls, Depends(_controls)]

_bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer <API key>（由 zhice keys create 生成）")


@dataclass(frozen=True)
class Principal:
    """The caller behind a valid key."""

    key_id: str
    name: str
    role: Role

    @property
    def actor(self) -> Actor:
        return Actor(key_id=self.key_id, role=self.role.value)


class AccessRule:
    """Base of the two access declarations a route can make."""

    roles: frozenset[Role] = frozenset()


class PublicAccess(AccessRule):
    """Anyone may call the route (health checks only)."""

    def __call__(self) -> None:
        return None


class RoleGuard(AccessRule):
    """Admit a live key whose role is in ``roles``."""

    def __init__(self, *roles: Role) -> None:
        if not roles:
            raise ValueError("a RoleGuard needs at least one role; use Public for open routes")
        self.roles = frozenset(roles)

    def __call__(
        self,
        request: Request,
        session: SessionDep,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Principal:
        row = getattr(request.state, "api_key", None)  # set by AuthenticationMiddleware on /v1/
        if row is None:
            row = require_live_key(session, credentials.credentials if credentials else None)
        request.state.key_id = row.id
        if (refused := self.refusal(row.role)) is not None:
            raise refused
        return Principal(key_id=row.id, name=row.name, role=Role(row.role))

    def refusal(self, role: str) -> Forbidden | None:
        """The 403 for a key of ``role``, or None when the role is admitted."""
        if role in self.roles:
            return None
        allowed = "、".join(sorted(self.roles))
        return Forbidden(f"角色 {role} 不能调用此接口（允许：{allowed}）：请换用对应角色的密钥。")


class MetricsAccess(RoleGuard):
    """``/metrics``: with ZHICE_METRICS_ACCESS=role (default) a live admin, manager or
    auditor key; with ``loopback``, no key but only callers on this host (a Prometheus
    beside the service; not behind a same-host reverse proxy, whose callers all look local)."""

    LOOPBACK = frozenset({"127.0.0.1", "::1"})

    def __init__(self) -> None:
        super().__init__(Role.admin, Role.manager, Role.auditor)

    def __call__(
        self,
        request: Request,
        session: SessionDep,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        settings: SettingsDep,
    ) -> Principal | None:
        if settings.metrics_access == "role":
            return super().__call__(request, session, credentials)
        if request.client is None or request.client.host not in self.LOOPBACK:
            raise Forbidden("指标只对本机开放（ZHICE_METRICS_ACCESS=loopback）：请在服务所在主机上抓取，或改为 role 并使用管理员、经理或审计密钥。")
        return None


Public = Depends(PublicAccess())
AnyRole = Annotated[Principal, Depends(RoleGuard(*Role))]
CurrentAdmin = Annotated[Principal, Depends(RoleGuard(Role.admin))]
CurrentAuditor = Annotated[Principal, Depends(RoleGuard(Role.auditor))]
RepOrLegal = Annotated[Principal, Depends(RoleGuard(Role.rep, Role.legal))]
CurrentRep = Annotated[Principal, Depends(RoleGuard(Role.rep))]
AuditorOrManager = Annotated[Principal, Depends(RoleGuard(Role.auditor, Role.manager))]
RepManagerAuditor = Annotated[Principal, Depends(RoleGuard(Role.rep, Role.manager, Role.auditor))]
CurrentAnnotator = Annotated[Principal, Depends(RoleGuard(Role.annotator))]
CurrentLegal = Annotated[Principal, Depends(RoleGuard(Role.legal))]
CurrentManager = Annotated[Principal, Depends(RoleGuard(Role.manager))]
ManagerOrAnnotator = Annotated[Principal, Depends(RoleGuard(Role.manager, Role.annotator))]
ManagerOrLegal = Annotated[Principal, Depends(RoleGuard(Role.manager, Role.legal))]
ManagerOrAuditor = Annotated[Principal, Depends(RoleGuard(Role.manager, Role.auditor))]
FuelOverseers = Annotated[Principal, Depends(RoleGuard(Role.annotator, Role.legal, Role.manager, Role.auditor))]


def api_routes(app: FastAPI) -> list[RouteContext]:
    """The app's API routes as served: included routers resolved, their dependencies merged."""
    return [context for context in iter_route_contexts(app.routes) if isinstance(context.original_route, APIRoute)]


def role_refusal(app: FastAPI, method: str, path: str, role: str) -> Forbidden | None:
    """The 403 a key of ``role`` gets from the route serving ``method path``, known before its
    body is read (so a wrong key hears 403, not a complaint about its body)."""
    guards = getattr(app.state, "role_guards", None)
    if guards is None:
        guards = app.state.role_guards = [
            (route, rule) for route in api_routes(app) for rule in access_rules(route) if type(rule) is RoleGuard
        ]
    for route, rule in guards:
        if method in route.methods and route.path_regex.match(path):
            return rule.refusal(role)
    return None


def dependants(route: RouteContext) -> Iterator[Dependant]:
    """The route's dependant and every one it depends on, however deep."""
    pending = [route.dependant]
    while pending:
        dependant = pending.pop()
        yield dependant
        pending.extend(dependant.dependencies)


def access_rules(route: RouteContext) -> list[AccessRule]:
    """Every access declaration a served route depends on, however deep."""
    return [dependant.call for dependant in dependants(route) if isinstance(dependant.call, AccessRule)]


def known_query_only(request: Request) -> None:
    """An app-wide dependency: an /v1/ route refuses query parameters it does not take
    (a typo such as ``?form=`` would otherwise be ignored without a word)."""
    route = request.scope.get("route")
    if route is None or not request.url.path.startswith("/v1/"):
        return
    accepted = {field.alias for dependant in dependants(route) for field in dependant.query_params}
    unknown = set(request.query_params) - accepted
    if unknown:
        takes = "、".join(sorted(accepted)) or "无"
        raise ValidationFailed(f"请求带有此接口不接受的查询参数（{len(unknown)} 个）：此接口接受的查询参数为 {takes}。")
