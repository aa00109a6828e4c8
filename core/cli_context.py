"""What every `zhice` sub-command needs: the console, the settings, a migrated engine, its group."""

from __future__ import annotations

import typer
from pydantic import ValidationError
from rich.console import Console
from sqlalchemy import Engine
from typer.core import TyperGroup

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


class ByName(TyperGroup):
    """A command group that lists its sub-commands by name (several packages add them, in no fixed order)."""

    def list_commands(self, ctx: typer.Context) -> list[str]:
        return sorted(self.commands)


def command_group(app: typer.Typer, name: str) -> typer.Typer:
    """The sub-command group ``name`` of ``app``, for a package that adds commands to another's group."""
    for group in app.registered_groups:
        if group.name == name:
            return group.typer_instance
    raise LookupError(f"zhice has no command group {name!r}")
