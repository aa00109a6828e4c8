"""`zhice demo simulate`: a quarter of synthetic rep behaviour through the real suggestion
service, so a new user sees a full quarterly review.

Runs in-process on the configured data dir (best a fresh one: the
ledger's time never goes backwards, so simulated days after real events would
all land on today). Reps ask for suggestions on conversations taken from the
demo snippets; each rep has a propensity to adopt, which grows with the
suggestion's confidence; some edit, some reject, many ignore.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from time import perf_counter
from zoneinfo import ZoneInfo

from agents.services import build_services
from agents.suggestions.model import ActionRequest, ChatMessage, CustomerRef, SuggestionRequest
from audit.key_lifecycle import create_key
from audit.ledger import CLI_ADMIN, Actor
from core import clock
from core.db import write_session
from core.keys import ApiKeyCreate, Role
from core.settings import Settings
from knowledge.demo_data import demo_snippets

REPS = (("销售·甲", 0.72), ("销售·乙", 0.66), ("销售·丙", 0.78), ("销售·丁", 0.62), ("销售·戊", 0.35))  # 戊 rarely adopts


@dataclass
class SimulationSummary:
    requests: int = 0
    suggestions: int = 0
    actions: Counter | None = None


def _action(rng: random.Random, propensity: float, confidence: float) -> str | None:
    """What a rep does with the top suggestion: adopt more often when confident."""
    roll = rng.random()
    adopt = propensity * (0.6 + 0.5 * confidence)
    if roll < adopt:
        return "adopted"
    if roll < adopt + 0.12:
        return "edited"
    if roll < adopt + 0.2:
        return "rejected"
    return "ignored" if roll < adopt + 0.5 else None


def others_activity(settings: Settings) -> int:
    """Ledger events caused by keys other than the simulation's reps (real or other demo
    users): simulating into such a data dir would mix synthetic behaviour into its review."""
    from sqlmodel import func, select

    from audit.ledger import LedgerEvent
    from core.db import get_engine, read_session, upgrade
    from core.keys import ApiKey

    engine = get_engine(settings.resolved_database_url)
    upgrade(engine)
    ours = select(ApiKey.id).where(ApiKey.name.in_([name for name, _ in REPS]))
    query = select(func.count()).select_from(LedgerEvent).where(LedgerEvent.actor_key_id.is_not(None), LedgerEvent.actor_key_id.not_in(ours))
    with read_session(engine) as session:
        return int(session.exec(query).one())


def simulate(settings: Settings, *, days: int = 90, per_day: int = 4, seed: int = 7, progress: Callable[[], None] = lambda: None) -> SimulationSummary:
    """Ask the suggestion service and record actions for ``days`` days ending today."""
    return asyncio.run(_simulate(settings, days, per_day, random.Random(seed), progress))


async def _simulate(settings: Settings, days: int, per_day: int, rng: random.Random, progress: Callable[[], None]) -> SimulationSummary:
    tz: ZoneInfo = settings.tz
    start = datetime.combine(datetime.now(tz).date() - timedelta(days=days), time(9), tzinfo=tz)
    services = build_services(settings, throttle_keys=False)
    services.start(demo=True)
    with clock.simulated(start), write_session(services.engine) as session:
        reps = [(Actor(key_id=create_key(session, ApiKeyCreate(name=name, role=Role.rep), actor=CLI_ADMIN).id, role=Role.rep.value), p) for name, p in REPS]
    conversations = [(s.industry, s.customer) for s in demo_snippets()]
    summary = SimulationSummary(actions=Counter())
    for day in range(days):
        moments = sorted(start + timedelta(days=day, minutes=rng.randint(0, 540)) for _ in range(per_day * len(reps)))
        for moment in moments:
            rep, propensity = rng.choice(reps)
            industry, text = rng.choice(conversations)
            request = SuggestionRequest(
                owner=rep,
                conversation_id=f"sim-{day}-{rng.randrange(10**6)}",
                customer=CustomerRef(f"c{rng.randrange(200)}", industry),
                messages=tuple(ChatMessage("customer", line) for line in text.split("\n")),
                arrived_at=perf_counter(),
                budget_ms=settings.latency_budget_ms,
            )
            with clock.simulated(moment):
                done = await services.suggestions.answer(request)
            summary.requests += 1
            summary.suggestions += len(done.suggestions)
            for rank, suggestion in enumerate(done.suggestions):
                action = _action(rng, propensity, suggestion.confidence) if rank == 0 else ("ignored" if rng.random() < 0.3 else None)
                if action is None:
                    continue
                final_text = suggestion.text + "，您看可以吗？" if action == "edited" else None
                with clock.simulated(moment + timedelta(seconds=30 + rank)):
                    await asyncio.to_thread(services.suggestions.act, rep, suggestion.id, ActionRequest(action=action, final_text=final_text))
                summary.actions[action] += 1
            progress()
    await services.aclose()
    return summary
