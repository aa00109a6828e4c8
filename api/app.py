"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import version

from fastapi import Depends, FastAPI

from agents.services import Services, build_services
from api.deps import access_rules, api_routes, known_query_only
from api.middleware import (
    AuthenticationMiddleware,
    BodyChecksMiddleware,
    BodyLimitMiddleware,
    RequestContextMiddleware,
)
from api.openapi import install_openapi
from api.problems import install_problem_handlers
from api.routes import (
    annotation,
    audit,
    compliance,
    contracts,
    controls,
    desensitize,
    dialogues,
    docs,
    health,
    keys,
    labelstudio,
    metrics,
    pages,
    pool,
    review,
    scripts,
    suggest,
)
from core.db import get_engine
from core.logging import configure_logging
from core.settings import Settings, get_settings
from knowledge.demo_data import demo_rep_key, revoke_demo_keys_of

ROUTERS = (
    health.router, docs.router, pages.router, suggest.router, keys.router, desensitize.router, compliance.router, contracts.router, audit.router,
    dialogues.router, labelstudio.router, annotation.router, review.router, pool.router, controls.router, scripts.router,
    metrics.router,
)


def create_app(settings: Settings | None = None, *, demo: bool = False, services: Services | None = None) -> FastAPI:
    """Build the app; at start-up migrations run, the services are built once (or
    ``services`` is used as given: tests override it whole) and, with ``demo``, the
    synthetic demo data is loaded into the store if it is not there yet.
    ``settings`` overrides ``get_settings()``."""
    settings = services.settings if services is not None else settings or get_settings()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.log_level)
        built = services or build_services(settings)
        built.start(demo=demo)
        _app.state.services = built
        revoke_demo_keys_of(settings)  # whatever ended the last demo (kill -9 included), its key dies now
        if demo:
            _app.state.demo_key = demo_rep_key(settings)
        yield
        await built.aclose()
        if demo:
            revoke_demo_keys_of(settings)

    app = FastAPI(
        title="智策 Zhice",
        version=version("zhice"),
        description="销售对话 AI 副驾：合规话术建议、竞品应对、合同风险，附可审计的账本。",
        lifespan=lifespan,
        dependencies=[Depends(known_query_only)],
        docs_url=None,  # served by api.routes.docs from local assets: FastAPI's own pages load theirs from a CDN
        redoc_url=None,
    )
    for router in ROUTERS:
        app.include_router(router)
    install_problem_handlers(app)
    install_openapi(app)
    # added last = outermost: request id → authentication → body limit → body checks → routes
    app.add_middleware(BodyChecksMiddleware)
    app.add_middleware(BodyLimitMiddleware, limit=settings.max_body_bytes)
    app.add_middleware(AuthenticationMiddleware, engine=get_engine(settings.resolved_database_url))
    app.add_middleware(RequestContextMiddleware)
    _require_access_rules(app)
    return app


def _require_access_rules(app: FastAPI) -> None:
    for route in api_routes(app):
        if len(access_rules(route)) != 1:
            raise RuntimeError(
                f"route {sorted(route.methods)} {route.path} must declare exactly one access rule "
                "(a role alias from api.deps, or dependencies=[Public])"
            )
