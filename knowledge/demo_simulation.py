"""`zhice demo simulate`: a quarter of synthetic rep behaviour through the real API, so a
new user sees a full quarterly review.

Runs the app in-process on the configured data dir (best a fresh one: the
ledger's time never goes backwards, so simulated days after real events would
all land on today). Reps ask for suggestions on conversations taken from the
demo snippets; each rep has a propensity to adopt, which grows with the
suggestion's confidence; some edit, some reject, many ignore.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from api.app import create_app
from audit.ledger import CLI_ADMIN
from core import clock
from core.db import get_engine, upgrade, write_session
from core.keys import ApiKeyCreate, Role, create_key
from core.settings import Settings
from knowledge.demo_data import demo_snippets, load_demo
from knowledge.store import get_store

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


def simulate(settings: Settings, *, days: int = 90, per_day: int = 4, seed: int = 7, progress: Callable[[], None] = lambda: None) -> SimulationSummary:
    """Drive /v1/suggest and /v1/suggestions/{id}/action for ``days`` days ending today."""
    rng = random.Random(seed)
    tz: ZoneInfo = settings.tz
    start = datetime.combine(datetime.now(tz).date() - timedelta(days=days), time(9), tzinfo=tz)
    engine = get_engine(settings.resolved_database_url)
    upgrade(engine)
    with clock.simulated(start), write_session(engine) as session:
        keys = [(create_key(session, ApiKeyCreate(name=name, role=Role.rep), actor=CLI_ADMIN).key, p) for name, p in REPS]
    conversations = [(s.industry, s.customer) for s in demo_snippets()]
    summary = SimulationSummary(actions=Counter())
    load_demo(get_store(settings), engine)
    with TestClient(create_app(settings, simulation=True)) as client:
        for day in range(days):
            moments = sorted(start + timedelta(days=day, minutes=rng.randint(0, 540)) for _ in range(per_day * len(keys)))
            for moment in moments:
                key, propensity = rng.choice(keys)
                industry, text = rng.choice(conversations)
                headers = {"Authorization": f"Bearer {key}", "X-Zhice-Simulated-Time": moment.isoformat()}
                body = {
                    "conversation_id": f"sim-{day}-{rng.randrange(10**6)}",
                    "customer": {"id": f"c{rng.randrange(200)}", "industry": industry},
                    "messages": [{"role": "customer", "text": line} for line in text.split("\n")],
                }
                result = client.post("/v1/suggest", json=body, headers=headers).json()
                summary.requests += 1
                summary.suggestions += len(result.get("suggestions", []))
                for rank, suggestion in enumerate(result.get("suggestions", [])):
                    action = _action(rng, propensity, suggestion["confidence"]) if rank == 0 else ("ignored" if rng.random() < 0.3 else None)
                    if action is None:
                        continue
                    action_body = {"action": action} | ({"final_text": suggestion["text"] + "，您看可以吗？"} if action == "edited" else {})
                    headers["X-Zhice-Simulated-Time"] = (moment + timedelta(seconds=30 + rank)).isoformat()
                    client.post(f"/v1/suggestions/{suggestion['id']}/action", json=action_body, headers=headers)
                    summary.actions[action] += 1
                progress()
    return summary
