"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import version

from fastapi import FastAPI

from agents.controls import current_controls
from agents.rules import Signals
from api.deps import access_rules, api_routes
from api.middleware import (
    AuthenticationMiddleware,
    BodyLimitMiddleware,
    RequestContextMiddleware,
    SimulatedTimeMiddleware,
)
from api.problems import install_problem_handlers
from api.routes import (
    annotation,
    audit,
    compliance,
    contracts,
    controls,
    desensitize,
    dialogues,
    health,
    keys,
    labelstudio,
    pages,
    pool,
    review,
    scripts,
    suggest,
)
from core.db import get_engine, upgrade, write_session
from core.logging import configure_logging
from core.settings import Settings, get_settings
from knowledge.demo_data import demo_rep_key, load_demo, revoke_demo_key
from knowledge.desensitize import get_desensitizer
from knowledge.snippets.pool import sync as sync_pool
from knowledge.store import get_store

ROUTERS = (
    health.router, pages.router, suggest.router, keys.router, desensitize.router, compliance.router, contracts.router, audit.router,
    dialogues.router, labelstudio.router, annotation.router, review.router, pool.router, controls.router, scripts.router,
)


def create_app(settings: Settings | None = None, *, demo: bool = False, simulation: bool = False) -> FastAPI:
    """Build the app; migrations run at start-up, and with ``demo`` the synthetic demo
    data is loaded into the store if it is not there yet. ``simulation`` (only for
    `zhice demo simulate`, in-process) lets requests set the ledger's clock.
    ``settings`` overrides ``get_settings()``."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.log_level)
        engine, store = get_engine(settings.resolved_database_url), get_store(settings)
        upgrade(engine)
        get_desensitizer(settings.secret_key.get_secret_value()).desensitize("预热：王总 13800138000")  # LAC's first run, now
        if demo:
            load_demo(store, engine)
        with write_session(engine) as session:
            sync_pool(session, store)  # the pool holds exactly what the database approved
        store.queries_warm()  # the embedder and the pool's index, likewise
        controls = current_controls(engine, settings)  # and the CEL parser (~0.3 s)
        controls.rule_set.evaluate({}, Signals(scenario="other"))  # and its first evaluation
        if demo:
            _app.state.demo_key = demo_rep_key(settings)
        _app.state.composer = llm_composer(settings)
        yield
        if _app.state.composer is not None:
            await _app.state.composer.aclose()
        if demo:
            revoke_demo_key(settings, _app.state.demo_key)

    app = FastAPI(
        title="智策 Zhice",
        version=version("zhice"),
        description="销售对话 AI 副驾：合规话术建议、竞品应对、合同风险，附可审计的账本。",
        lifespan=lifespan,
    )
    app.dependency_overrides[get_settings] = lambda: settings
    for router in ROUTERS:
        app.include_router(router)
    install_problem_handlers(app)
    # added last = outermost: request id → authentication → body limit → routes
    app.add_middleware(BodyLimitMiddleware, limit=settings.max_body_bytes)
    app.add_middleware(AuthenticationMiddleware, engine=get_engine(settings.resolved_database_url))
    app.add_middleware(RequestContextMiddleware)
    if simulation:
        app.add_middleware(SimulatedTimeMiddleware)
    _require_access_rules(app)
    return app


def llm_composer(settings: Settings):
    """The LLM composer when ZHICE_LLM_BASE_URL is set (one per app: its HTTP client
    belongs to the app's event loop), else None: the extractive composer alone."""
    if not settings.llm_base_url:
        return None
    from agents.composers.llm import (
        LlmComposer,  # langchain-openai takes ~3 s to import: only when used
    )

    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else "not-needed"
    return LlmComposer.for_endpoint(settings.llm_base_url, settings.llm_model, key)


def _require_access_rules(app: FastAPI) -> None:
    for route in api_routes(app):
        if len(access_rules(route)) != 1:
            raise RuntimeError(
                f"route {sorted(route.methods)} {route.path} must declare exactly one access rule "
                "(a role alias from api.deps, or dependencies=[Public])"
            )
