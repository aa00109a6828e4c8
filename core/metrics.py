"""What an operator watches: Prometheus metrics on a registry of this process's own.

Latency histograms per route and per agent, suggest answers that were degraded or shed
(by reason), model calls by outcome and the circuit's state, ledger append latency, and
the annotation and review queues (read at scrape time). ``GET /metrics`` serves them in
the Prometheus text format; docs/operations.md gives the PromQL for p95 and the degraded
share. Labels never carry text or key ids: only route templates, agent names and slugs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# seconds; the suggest budget (0.8 s by default) sits between buckets
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.5, 2.5, 5.0, 10.0)
CIRCUIT_STATES = ("off", "closed", "half_open", "open")


class _Queues(Collector):
    """Snippets per status (annotation queue: ``new``; review queue: ``labelled``), read when scraped."""

    def __init__(self, sizes: Callable[[], dict[str, int]]) -> None:
        self._sizes = sizes

    def describe(self) -> list[GaugeMetricFamily]:
        return []  # nothing read at registration: the database may not be migrated yet

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            sizes = self._sizes()
        except Exception:  # the database is down: the other metrics still matter most now
            log.warning("snippet queue sizes unavailable for /metrics", exc_info=True)
            return
        family = GaugeMetricFamily("zhice_snippets", "Snippets in the fuel factory by status (new: to annotate; labelled: to review).", labels=["status"])
        for status, count in sorted(sizes.items()):
            family.add_metric([status], count)
        yield family


class Metrics:
    """The process's metrics; one per :class:`agents.services.Services`."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.http_seconds = Histogram(
            "zhice_http_request_duration_seconds", "HTTP requests by route template, method and status class.",
            ["route", "method", "status"], buckets=LATENCY_BUCKETS, registry=self.registry,
        )
        self.agent_seconds = Histogram(
            "zhice_agent_duration_seconds", "One agent's drafting (and its LLM call) within a suggest request.",
            ["agent"], buckets=LATENCY_BUCKETS, registry=self.registry,
        )
        self.suggest_answers = Counter(
            "zhice_suggest_answers_total", "Suggest requests answered, degraded or not.", ["degraded"], registry=self.registry
        )
        self.degraded = Counter(
            "zhice_suggest_degraded_total", "Degraded suggest answers by reason (an answer may have several).", ["reason"], registry=self.registry
        )
        self.shed = Counter(
            "zhice_suggest_shed_total", "Suggest requests refused before any work: per_key or text_volume (429), saturated (503).", ["reason"], registry=self.registry
        )
        self.llm_calls = Counter(
            "zhice_llm_calls_total", "LLM composer runs by outcome: ok or the failure reason.", ["outcome"], registry=self.registry
        )
        self.llm_circuit = Gauge(
            "zhice_llm_circuit_state", "The LLM circuit (off: no LLM configured): 1 for the current state, 0 for the others.", ["state"], registry=self.registry
        )
        self.ledger_seconds = Histogram(
            "zhice_ledger_append_seconds", "Appending one event to the audit ledger (session and commit included).",
            buckets=LATENCY_BUCKETS, registry=self.registry,
        )

    def watch_queues(self, sizes: Callable[[], dict[str, int]]) -> None:
        """Report the snippet queues from ``sizes`` at every scrape."""
        self.registry.register(_Queues(sizes))

    def watch_circuit(self, state: Callable[[], str]) -> None:
        """Report the LLM circuit's state from ``state`` at every scrape."""
        for name in CIRCUIT_STATES:
            self.llm_circuit.labels(name).set_function(lambda name=name: float(state() == name))

    def render(self) -> bytes:
        """Everything, in the Prometheus text format."""
        return generate_latest(self.registry)
