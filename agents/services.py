"""The composition root: every service the product runs on, built once from the settings.

The API builds one :class:`Services` in its lifespan (``api.app``) and hands its parts to
routes through ``api.deps``; `zhice demo simulate` builds one of its own. Tests build one
(or pass their own to ``create_app``) and override it whole: nothing here is looked up by
object ids or rebuilt per request. Heavy engines (LAC, the embedder) stay process-wide
behind their own caches, so two ``Services`` on the same settings share them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit
from functools import partial
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from agents.compliance import ComplianceGuard, build_guard
from agents.compliance.exemplar_store import stored as stored_exemplars
from agents.compliance.exemplars import ExemplarBank
from agents.contract_risk import get_reviewer
from agents.contract_risk.detector import ContractReviewer
from agents.controls import Controls, current_controls
from agents.registry import AgentRegistry, get_registry
from agents.rules import Signals
from agents.suggestions import SuggestionService, SuggestPipeline
from agents.suggestions.admission import Admission
from agents.suggestions.allowance import TextAllowance
from audit.sealing import Keyring, keyring_for
from core.db import get_engine, read_session, upgrade, write_session
from core.metrics import Metrics
from core.settings import Settings
from knowledge.catalog import Catalog, load_catalog
from knowledge.demo_data import load_demo
from knowledge.desensitize import Desensitizer, get_desensitizer
from knowledge.desensitize.cache import ConversationCache
from knowledge.embeddings import Embedder, get_embedder
from knowledge.snippets.pool import sync as sync_pool
from knowledge.snippets.queue import queue_sizes
from knowledge.store import KnowledgeStore, get_store
from prompts.library import PromptLibrary, get_prompt_library

if TYPE_CHECKING:
    from agents.composers.llm import LlmComposer

log = logging.getLogger("zhice.services")


@dataclass(frozen=True)
class Services:
    """What the routes, the CLI's long-running commands and the simulation work with."""

    settings: Settings
    engine: Engine
    store: KnowledgeStore
    desensitizer: Desensitizer
    catalog: Catalog
    guard: ComplianceGuard
    reviewer: ContractReviewer
    registry: AgentRegistry
    prompts: PromptLibrary
    suggestions: SuggestionService
    metrics: Metrics
    keyring: Keyring
    composer: LlmComposer | None = None

    def controls(self) -> Controls:
        """The manager controls in force now (read from the database, cached for seconds)."""
        return current_controls(self.engine, self.settings)

    def start(self, *, demo: bool = False) -> None:
        """Ready to serve: migrations, the demo data (with ``demo``, once), the pool made to
        hold exactly what the database approved, and every cold start paid now rather than
        on a rep's first press (LAC, the embedder and the pool's index, the exemplar bank,
        the CEL parser)."""
        upgrade(self.engine)
        if demo:
            load_demo(self.store, self.engine)
        with write_session(self.engine) as session:
            sync_pool(session, self.store)
        self.desensitizer.desensitize("预热：王总 13800138000")
        if self.guard.exemplars is not None:
            self.guard.exemplars.refresh()  # legal's exemplars embedded now, not on a first press
        self.store.queries_warm()
        self.controls().rule_set.evaluate({}, Signals(scenario="other"))
        log.info("services ready", extra=self.describe())

    def describe(self) -> dict[str, str]:
        """What this instance runs on (no secrets): logged at start-up."""
        settings = self.settings
        llm = f"{settings.llm_model} @ {_host(settings.llm_base_url)}" if settings.llm_base_url else "off (playbook and retrieval only)"
        return {
            "llm": llm,
            "embedder": settings.resolved_embedder,
            "exemplar_embedder": settings.exemplar_embedder,
            "database": self.engine.dialect.name,
            "chroma": "server" if settings.chroma_url else "embedded",
        }

    @property
    def llm_state(self) -> str:
        """``off`` without an LLM, else its circuit breaker's state (closed, open, half_open)."""
        return "off" if self.composer is None else self.composer.breaker.state

    async def aclose(self) -> None:
        """Let answers in flight record their summaries, then close the LLM client."""
        await self.suggestions.drain()
        if self.composer is not None:
            await self.composer.aclose()


def build_services(settings: Settings, *, throttle_keys: bool = True) -> Services:
    """Everything, from the settings; the LLM composer only when ZHICE_LLM_BASE_URL is set.
    Call it inside a running event loop when an LLM is configured (its HTTP client belongs
    to that loop). ``throttle_keys=False`` for batch runs under one key (the evals, the
    demo simulation): no per-key text allowance, which is for keys that serve people."""
    engine = get_engine(settings.resolved_database_url)
    store = get_store(settings)
    secret = settings.secret_key.get_secret_value()
    desensitizer = get_desensitizer(secret)
    guard = build_guard(ExemplarBank(exemplar_embedder(settings), load_added=partial(stored_exemplars, engine)))
    catalog, registry, prompts = load_catalog(), get_registry(), get_prompt_library()
    pipeline = SuggestPipeline(registry, store, catalog, guard, ConversationCache(desensitizer), prompts, context_chars=settings.context_chars)
    composer = llm_composer(settings)
    metrics = Metrics()
    metrics.watch_queues(partial(_queue_sizes, engine))
    metrics.watch_circuit(lambda: "off" if composer is None else composer.breaker.state)
    refused = lambda reason: metrics.shed.labels(reason).inc()  # noqa: E731
    admission = Admission(settings.suggest_in_flight, settings.suggest_per_key, settings.suggest_queue_ms, on_refused=refused)
    controls = partial(current_controls, engine, settings)
    allowance = TextAllowance(settings.suggest_key_chars_per_s) if throttle_keys else None
    keyring = keyring_for(settings)
    suggestions = SuggestionService(pipeline, engine, desensitizer, secret, controls, composer, admission, metrics, allowance, keyring=keyring)
    return Services(settings, engine, store, desensitizer, catalog, guard, get_reviewer(), registry, prompts, suggestions, metrics, keyring, composer)


def _host(url: str) -> str:
    """host[:port] of a URL, without any credentials written into it."""
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)


def _queue_sizes(engine: Engine) -> dict[str, int]:
    with read_session(engine) as session:
        return queue_sizes(session)


def exemplar_embedder(settings: Settings) -> Embedder:
    """The embedder legal's exemplar bank compares drafts with (ZHICE_EXEMPLAR_EMBEDDER)."""
    key = settings.embeddings_api_key.get_secret_value() if settings.embeddings_api_key else None
    if settings.exemplar_embedder == "openai":
        return get_embedder("openai", settings.embeddings_base_url, settings.embeddings_model, key)
    return get_embedder(settings.exemplar_embedder)


def llm_composer(settings: Settings) -> LlmComposer | None:
    """The LLM composer when ZHICE_LLM_BASE_URL is set, else None: the extractive composer alone."""
    if not settings.llm_base_url:
        return None
    from agents.composers.llm import LlmComposer  # langchain-openai takes ~3 s to import: only when used

    from agents.composers.breaker import CircuitBreaker

    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else "not-needed"
    breaker = CircuitBreaker(settings.llm_breaker_failures, settings.llm_breaker_open_s, settings.llm_max_in_flight)
    return LlmComposer.for_endpoint(settings.llm_base_url, settings.llm_model, key, max_tokens=settings.llm_max_tokens, breaker=breaker)
