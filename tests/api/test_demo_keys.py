"""Demo keys cannot outlive the demo: marked, revoked at every start whatever ended the last
demo, and handed out only to this machine's own callers (no forwarding headers)."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlmodel import select

from api.app import create_app
from audit import ledger
from audit.key_lifecycle import create_key
from core.db import get_engine, read_session, upgrade, write_session
from core.keys import ApiKey, ApiKeyCreate, Role
from core.settings import Settings

SUGGEST = {"conversation_id": "c", "customer": {"id": "x"}, "messages": [{"role": "customer", "text": "太贵了"}]}


def _settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=f"sqlite:///{tmp_path / 'zhice.db'}", embedder="hashing")


def test_when_a_demo_was_killed_then_the_next_start_revokes_its_key(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    engine = get_engine(settings.resolved_database_url)
    upgrade(engine)
    with write_session(engine) as session:  # what a demo killed with -9 leaves behind
        leftover = create_key(session, ApiKeyCreate(name="演示销售（demo）", role=Role.rep), actor=ledger.CLI_ADMIN, demo=True)
        kept = create_key(session, ApiKeyCreate(name="真实销售", role=Role.rep), actor=ledger.CLI_ADMIN)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:  # any start, demo or not
        assert client.post("/v1/suggest", json=SUGGEST, headers={"Authorization": f"Bearer {leftover.key}"}).status_code == 401
        assert client.post("/v1/suggest", json=SUGGEST, headers={"Authorization": f"Bearer {kept.key}"}).status_code == 200
        assert client.get("/sidebar/demo.json").status_code == 404  # not a demo


def test_when_a_demo_runs_then_its_key_is_marked_local_only_and_dies_with_it(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    with TestClient(create_app(settings, demo=True), raise_server_exceptions=False) as client:
        assert client.get("/sidebar/demo.json", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 404
        assert client.get("/sidebar/demo.json", headers={"Forwarded": "for=203.0.113.9"}).status_code == 404
        key = client.get("/sidebar/demo.json").json()["key"]
        assert client.post("/v1/suggest", json=SUGGEST, headers={"Authorization": f"Bearer {key}"}).status_code == 200
        with read_session(get_engine(settings.resolved_database_url)) as session:
            (row,) = session.exec(select(ApiKey).where(ApiKey.revoked_at.is_(None))).all()
        assert row.demo and row.role == Role.rep
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        assert client.post("/v1/suggest", json=SUGGEST, headers={"Authorization": f"Bearer {key}"}).status_code == 401
