"""`zhice serve --demo` seeds the annotation queue from the synthetic WeCom export, once, desensitized."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select

from core.db import get_engine, read_session, upgrade
from core.settings import Settings
from knowledge.demo_data import DEMO_EXPORT, DEMO_EXPORT_SOURCE, seed_demo_queue
from knowledge.desensitize import get_desensitizer
from knowledge.snippets.models import Snippet


def test_when_the_demo_starts_twice_then_the_sample_export_is_queued_once_and_desensitized(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    engine = get_engine(settings.resolved_database_url)
    upgrade(engine)
    desensitizer = get_desensitizer(settings.secret_key.get_secret_value())
    first = seed_demo_queue(engine, desensitizer, settings)
    assert first >= 4 and seed_demo_queue(engine, desensitizer, settings) == 0
    with read_session(engine) as session:
        queued = session.exec(select(Snippet).where(Snippet.source == DEMO_EXPORT_SOURCE)).all()
    assert len(queued) == first
    raw = DEMO_EXPORT.read_text(encoding="utf-8")
    assert "13800001111" in raw and all("13800001111" not in s.customer + s.reply for s in queued)
