"""`zhice demo simulate` drives the real paths and leaves a ledger the review can use."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from audit import ledger
from audit.periods import days
from audit.report import build_report
from audit.sealing import keyring_for
from core.db import get_engine, read_session
from core.settings import Settings
from agents.demo_simulation import REPS, simulate


def test_when_days_are_simulated_then_the_review_sees_them_spread_over_those_days(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", database_url=f"sqlite:///{tmp_path / 'zhice.db'}")
    summary = simulate(settings, days=3, per_day=1)
    assert summary.requests == 3 * len(REPS) and summary.suggestions > 0 and sum(summary.actions.values()) > 0
    today = datetime.now(settings.tz).date()
    with read_session(get_engine(settings.resolved_database_url)) as session:
        report = build_report(session, days(today - timedelta(days=10), today, settings.tz), settings.tz, keyring_for(settings))
    assert report["ledger_verified"] and report["totals"]["shown"] == summary.suggestions
    assert len(report["by_rep"]) >= 3
    with read_session(get_engine(settings.resolved_database_url)) as session:
        stamps = [event.ts for event in ledger.events(session, kinds=["suggestion.shown"])]
    assert stamps == sorted(stamps) and stamps[-1] - stamps[0] > timedelta(days=1, hours=12)  # the simulated days, not today
    acted = sum(report["totals"][a] for a in ("adopted", "edited", "rejected", "ignored"))
    assert acted == sum(summary.actions.values())
