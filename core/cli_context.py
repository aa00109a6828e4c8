"""What every `zhice` sub-command needs: the console, the settings, a migrated engine."""

from __future__ import annotations

from pydantic import ValidationError
from rich.console import Console
from sqlalchemy import Engine

from core.db import get_engine, upgrade
from core.errors import ConfigError, describe_errors
from core.settings import Settings, get_settings

console = Console(stderr=True)


def load_settings() -> Settings:
    """The settings, with an invalid environment turned into one readable ConfigError."""
    try:
        return get_settings()
    except ValidationError as exc:
        raise ConfigError(f"配置无效：{describe_errors(exc, name=lambda loc: 'ZHICE_' + '_'.join(map(str, loc)).upper())}") from exc


def migrated_engine() -> Engine:
    """The configured database, brought up to the current schema."""
    engine = get_engine(load_settings().resolved_database_url)
    upgrade(engine)
    return engine
