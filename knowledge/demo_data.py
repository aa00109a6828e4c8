"""Load the synthetic demo data (knowledge/demo/, written for this project) into the store.

Idempotent: items are upserted by id, and a store that already holds them is left alone.
The demo snippets count as annotated and approved (annotation and approval ids "demo").
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from sqlalchemy import Engine
from sqlmodel import select

from audit.key_lifecycle import create_key, revoke_demo_keys
from audit.ledger import CLI_ADMIN
from core import clock
from core.db import get_engine, read_session, write_session
from core.keys import ApiKeyCreate, Role
from core.settings import Settings
from knowledge.desensitize import Desensitizer
from knowledge.snippets.models import Snippet, SnippetStatus
from knowledge.store import CLAUSES, POOL, SCRIPTS, KnowledgeStore
from knowledge.taxonomy import load_taxonomy, require_scenario

DEMO_DIR = Path(__file__).parent / "demo"


def _shipped_scenario(key: str) -> str:
    require_scenario(key, load_taxonomy().keys)
    return key


ShippedScenario = Annotated[str, AfterValidator(_shipped_scenario)]


class DemoSnippet(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    industry: str
    scenario: ShippedScenario
    outcome: str = Field(pattern="^(won|lost)$")
    product: str
    customer: str
    reply: str
    quality: int = Field(ge=1, le=5)
    tags: tuple[str, ...] = ()
    synthetic: bool


def demo_snippets(path: Path = DEMO_DIR / "snippets.jsonl") -> list[DemoSnippet]:
    with path.open(encoding="utf-8") as handle:
        return [DemoSnippet.model_validate_json(line) for line in handle if line.strip()]


class DemoScript(BaseModel):
    """A synthetic sample script (demo/scripts.yaml), loaded as already approved."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    scenario: ShippedScenario
    text: str = Field(min_length=10)


def demo_scripts(path: Path = DEMO_DIR / "scripts.yaml") -> list[DemoScript]:
    with path.open(encoding="utf-8") as handle:
        return [DemoScript.model_validate(item) for item in yaml.safe_load(handle)["scripts"]]


def demo_clauses(path: Path = DEMO_DIR / "clauses.yaml") -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)["clauses"]


def register_demo_snippets(engine: Engine, snippets: list[DemoSnippet]) -> int:
    """Give each demo snippet its database row (approved, source "demo") if it has none,
    so managers and legal can list and withdraw them like ingested ones."""
    with write_session(engine) as session:
        known = set(session.exec(select(Snippet.id).where(Snippet.source == "demo")).all())
        now = clock.now()
        fresh = [s for s in snippets if s.id not in known]
        session.add_all(
            Snippet(
                id=s.id, source="demo", conversation_ref="demo", industry=s.industry, customer=s.customer, reply=s.reply,
                context="[]", status=SnippetStatus.approved, labels_needed=1, created_at=now, outcome=s.outcome,
                scenario=s.scenario, quality=s.quality, high_value=s.quality >= 5, tags=json.dumps(list(s.tags)),
                decided_at=now, decided_by="demo", decision_reason="合成演示数据",
            )
            for s in fresh
        )
    return len(fresh)


def load_demo(store: KnowledgeStore, engine: Engine | None = None) -> int:
    """Put the demo snippets into the approved pool, the sample scripts into the script
    library and the clauses into the clause library (with ``engine``, the snippets also
    get database rows). Returns how many store items were written (0 when they were
    already there)."""
    snippets, scripts, clauses = demo_snippets(), demo_scripts(), demo_clauses()
    if engine is not None:
        register_demo_snippets(engine, snippets)
    if store.count(POOL) >= len(snippets) and store.count(SCRIPTS) >= len(scripts) and store.count(CLAUSES) >= len(clauses):
        return 0
    store.upsert(
        POOL,
        [s.id for s in snippets],
        [s.customer for s in snippets],
        [
            {
                "reply": s.reply,
                "scenario": s.scenario,
                "outcome": s.outcome,
                "industry": s.industry,
                "product": s.product,
                "quality": s.quality,
                "tags": ",".join(s.tags),
                "annotation_id": "demo",
                "approval_id": "demo",
                "synthetic": True,
            }
            for s in snippets
        ],
    )
    store.upsert(
        SCRIPTS,
        [s.id for s in scripts],
        [s.text for s in scripts],
        [{"reply": s.text, "scenario": s.scenario, "quality": 5, "approval_id": "demo", "synthetic": True} for s in scripts],
    )
    store.upsert(
        CLAUSES,
        [c["id"] for c in clauses],
        [c["text"] for c in clauses],
        [{"risk": c["risk"], "severity": c["severity"], "synthetic": True} for c in clauses],
    )
    return len(snippets) + len(scripts) + len(clauses)


def demo_conversations(path: Path = DEMO_DIR / "conversations.yaml") -> list[dict]:
    """Conversations the sidebar offers in demo mode."""
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)["conversations"]


def demo_rep_key(settings: Settings) -> str:
    """A fresh rep key for the demo sidebar, marked as a demo key; its clear value lives
    only in this process."""
    with write_session(get_engine(settings.resolved_database_url)) as session:
        return create_key(session, ApiKeyCreate(name="演示销售（demo）", role=Role.rep), actor=CLI_ADMIN, demo=True).key


def revoke_demo_keys_of(settings: Settings) -> list[str]:
    """Revoke every live demo key: at each start (whatever ended the last demo) and at shutdown."""
    with write_session(get_engine(settings.resolved_database_url)) as session:
        return revoke_demo_keys(session, actor=CLI_ADMIN)


DEMO_EXPORT = DEMO_DIR / "wecom_sample.jsonl"
DEMO_EXPORT_SOURCE = "demo-wecom"


def seed_demo_queue(engine: Engine, desensitizer: Desensitizer, settings: Settings) -> int:
    """Ingest the sample WeCom export once (source ``demo-wecom``), so that the demo's
    annotation queue has snippets to label; returns how many were created (0 when seeded)."""
    from knowledge.ingest.formats import read_file
    from knowledge.snippets.ingest import ingest

    with read_session(engine) as session:
        if session.exec(select(Snippet.id).where(Snippet.source == DEMO_EXPORT_SOURCE).limit(1)).first() is not None:
            return 0
    secret = settings.secret_key.get_secret_value()
    records = read_file(DEMO_EXPORT, "wecom", default_tz=settings.timezone, rep_speakers=(), customer_speakers=())
    report = ingest(
        engine, records, desensitizer=desensitizer, secret=secret, source=DEMO_EXPORT_SOURCE, industry=None,
        double_share=settings.annotation_double_share, actor=CLI_ADMIN,
    )
    return report.snippets_created

