"""Shared fixtures: a fresh database on each backend, settings, an app client, keys.

PostgreSQL tests use the server named by ZHICE_TEST_POSTGRES_URL (default: the
local server, database `test`), each test in a schema of its own. When no
server answers they skip with that reason, unless ZHICE_TEST_REQUIRE_POSTGRES=1
(CI sets it), in which case they fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from audit.key_lifecycle import create_key
from audit.ledger import CLI_ADMIN
from core.db import get_engine, upgrade, write_session
from core.keys import ApiKeyCreate, Role
from core.settings import Settings, get_settings

POSTGRES_URL = os.environ.get("ZHICE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REQUIRE_POSTGRES = os.environ.get("ZHICE_TEST_REQUIRE_POSTGRES") == "1"


def _postgres_unavailable() -> str | None:
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return f"no PostgreSQL at {POSTGRES_URL}: {exc}".strip()


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No test reads the developer's ZHICE_* variables or .env: it could write into a real database."""
    for name in [n for n in os.environ if n.startswith("ZHICE_") and not n.startswith("ZHICE_TEST_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def postgres_available() -> str | None:
    return _postgres_unavailable()


@pytest.fixture
def postgres_url(postgres_available: str | None) -> Iterator[str]:
    """A database URL whose search_path is a schema of its own, dropped afterwards."""
    if postgres_available is not None:
        if REQUIRE_POSTGRES:
            pytest.fail(postgres_available)
        pytest.skip(postgres_available)
    schema = f"zt_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")
    url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    yield url
    _dispose(url)
    with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
        connection.execute(f"DROP SCHEMA {schema} CASCADE")


def _dispose(url: str) -> None:
    settings = Settings(database_url=url)
    get_engine(settings.resolved_database_url).dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database on each backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'zhice.db'}"
        yield url
        _dispose(url)
    else:
        yield request.getfixturevalue("postgres_url")


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=db_url)


@pytest.fixture
def engine(settings: Settings) -> Engine:
    engine = get_engine(settings.resolved_database_url)
    upgrade(engine)
    return engine


@pytest.fixture
def sqlite_settings(tmp_path: Path) -> Iterator[Settings]:
    """Settings on SQLite only, for API behaviour that does not depend on the backend."""
    settings = Settings(data_dir=tmp_path / "data")
    yield settings
    get_engine(settings.resolved_database_url).dispose()


@pytest.fixture
def client(sqlite_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(sqlite_settings), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def make_key(sqlite_settings: Settings, client: TestClient) -> Callable[[Role], str]:
    """Create a key of a role in the client's database; returns the clear key."""

    def make(role: Role) -> str:
        with write_session(get_engine(sqlite_settings.resolved_database_url)) as session:
            return create_key(session, ApiKeyCreate(name=f"测试-{role}", role=role), actor=CLI_ADMIN).key

    return make


@pytest.fixture(scope="session")
def desensitizer():
    """The real desensitizer (LAC and Presidio), built once per test session."""
    from knowledge.desensitize import get_desensitizer

    return get_desensitizer("test-secret-" + "x" * 32)


@contextmanager
def demo_service(folder: Path, roles: tuple[Role, ...], **overrides) -> Iterator[tuple[TestClient, dict[Role, dict[str, str]], Settings]]:
    """An app on the demo data in ``folder`` (SQLite), and an Authorization header per role."""
    settings = Settings(data_dir=folder, database_url=f"sqlite:///{folder / 'zhice.db'}", **overrides)
    with TestClient(create_app(settings, demo=True), raise_server_exceptions=False) as client:
        with write_session(get_engine(settings.resolved_database_url)) as session:
            headers = {
                role: {"Authorization": f"Bearer {create_key(session, ApiKeyCreate(name=str(role), role=role), actor=CLI_ADMIN).key}"}
                for role in roles
            }
        yield client, headers, settings
    get_engine(settings.resolved_database_url).dispose()
