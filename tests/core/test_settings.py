"""Settings: defaults, environment and .env, and refusal of unsafe production values."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from core.errors import ConfigError
from core.settings import DEV_LEDGER_MASTER_KEY, DEV_SECRET_KEY, Settings, get_settings

GOOD_SECRET = "k" * 48
GOOD_MASTER = "w" * 48


def test_when_nothing_is_set_then_embedded_defaults_apply(tmp_path: Path) -> None:
    settings = get_settings()
    assert settings.data_dir == Path(".zhice")
    assert settings.resolved_database_url == f"sqlite:///{tmp_path / '.zhice' / 'zhice.db'}"
    assert (settings.latency_budget_ms, settings.timezone, settings.max_body_bytes) == (800, "Asia/Shanghai", 262144)
    assert settings.secret_key.get_secret_value() == DEV_SECRET_KEY
    assert get_settings() is settings


def test_when_the_environment_sets_values_then_they_win(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZHICE_DATA_DIR", "/srv/zhice")
    monkeypatch.setenv("ZHICE_LATENCY_BUDGET_MS", "650")
    monkeypatch.setenv("ZHICE_TIMEZONE", "Asia/Hong_Kong")
    settings = get_settings()
    assert settings.resolved_database_url == "sqlite:////srv/zhice/zhice.db"
    assert (settings.latency_budget_ms, settings.tz.key) == (650, "Asia/Hong_Kong")


def test_when_a_dotenv_file_exists_then_it_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("ZHICE_LATENCY_BUDGET_MS=700\nZHICE_LOG_LEVEL=DEBUG\n", encoding="utf-8")
    settings = get_settings()
    assert (settings.latency_budget_ms, settings.log_level) == (700, "DEBUG")


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u@db:5432/zhice", "postgresql+psycopg://u@db:5432/zhice"),
        ("postgres://u@db/zhice", "postgresql+psycopg://u@db/zhice"),
        ("postgresql+psycopg://u@db/zhice", "postgresql+psycopg://u@db/zhice"),
        ("sqlite:////var/lib/zhice.db", "sqlite:////var/lib/zhice.db"),
    ],
)
def test_when_a_database_url_is_given_then_psycopg_3_is_used_for_postgresql(given: str, expected: str) -> None:
    assert Settings(database_url=given).resolved_database_url == expected


@pytest.mark.parametrize("secret", [DEV_SECRET_KEY, "short-secret"])
def test_when_production_has_an_unsafe_secret_then_start_is_refused_with_the_fix(secret: str) -> None:
    with pytest.raises(ConfigError, match="ZHICE_SECRET_KEY") as refused:
        Settings(env="production", secret_key=secret)
    assert "secrets.token_urlsafe" in refused.value.detail


def test_when_production_has_a_strong_secret_and_master_key_then_it_starts() -> None:
    assert Settings(env="production", secret_key=GOOD_SECRET, ledger_master_key=GOOD_MASTER).env == "production"


@pytest.mark.parametrize("master", [DEV_LEDGER_MASTER_KEY, "short-master", GOOD_SECRET])
def test_when_production_has_an_unsafe_ledger_master_key_then_start_is_refused_with_the_fix(master: str) -> None:
    with pytest.raises(ConfigError, match="ZHICE_LEDGER_MASTER_KEY") as refused:
        Settings(env="production", secret_key=GOOD_SECRET, ledger_master_key=master)
    assert "secrets.token_urlsafe" in refused.value.detail


def test_when_production_logs_at_debug_then_start_is_refused() -> None:
    with pytest.raises(ConfigError, match="ZHICE_LOG_LEVEL"):
        Settings(env="production", secret_key=GOOD_SECRET, ledger_master_key=GOOD_MASTER, log_level="DEBUG")


@pytest.mark.parametrize(
    ("field", "value"),
    [("timezone", "Mars/Olympus"), ("latency_budget_ms", 0), ("max_body_bytes", 10), ("env", "staging")],
)
def test_when_a_value_is_invalid_then_settings_refuse_it(field: str, value: object) -> None:
    with pytest.raises(ValidationError, match=field):
        Settings(**{field: value})
