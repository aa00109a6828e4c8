"""The `zhice` command line: core's own `db` and `keys list`, and every package's sub-commands.

The root never imports a sub-command module: each package exposes
``register_commands(app)`` in its cli module and lists it in the entry-point group
``zhice.commands`` (as simonw/llm's plugins do), so core stays the ground floor. A cli
module imports its heavy dependencies inside its commands, so that `zhice keys list`
loads no engine.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from core.cli_context import ByName, console, load_settings, migrated_engine
from core.db import current_revision, get_engine, read_session
from core.errors import ClientError, ZhiceError, describe_errors
from core.keys import list_keys
from core.settings import get_settings

GROUP = "zhice.commands"

app = typer.Typer(cls=ByName, help="智策 (Zhice): AI co-pilot for B2B sales reps.", no_args_is_help=True, pretty_exceptions_enable=False)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
keys_app = typer.Typer(cls=ByName, help="API keys; each carries one role.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(keys_app, name="keys")


@app.callback()
def use_data_dir(
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="The data folder every command works on (overrides ZHICE_DATA_DIR): zhice --data-dir D keys create …")] = None,
) -> None:
    """One data folder for the whole command, so a key made from another folder lands in the database the server reads."""
    if data_dir is not None:
        os.environ["ZHICE_DATA_DIR"] = str(data_dir)
        get_settings.cache_clear()


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply all migrations (also done at every start)."""
    engine = migrated_engine()
    console.print(f"database at revision {current_revision(engine)}")


@db_app.command("current")
def db_current() -> None:
    """Print the schema revision the database is at."""
    print(current_revision(get_engine(load_settings().resolved_database_url)) or "none")


@keys_app.command("list")
def keys_list(include_revoked: Annotated[bool, typer.Option("--all", help="Include revoked keys.")] = False) -> None:
    """List keys (never their values)."""
    table = Table("id", "name", "role", "created (UTC)", "revoked (UTC)")
    with read_session(migrated_engine()) as session:
        for row in list_keys(session, include_revoked=include_revoked):
            revoked = f"{row.revoked_at:%Y-%m-%d %H:%M}" if row.revoked_at else ""
            table.add_row(row.id, row.name, row.role, f"{row.created_at:%Y-%m-%d %H:%M}", revoked)
    Console().print(table)


def register_commands(root: typer.Typer) -> None:
    """Let every installed package add its sub-commands to ``root``."""
    for entry_point in entry_points(group=GROUP):
        entry_point.load()(root)


register_commands(app)


# how each kind of failure reads at the command line: one line, no traceback
_FAILURES: tuple[tuple[type[Exception], Callable[[Any], str]], ...] = (
    (ZhiceError, lambda exc: f"[red]{exc.title}[/]: {exc.detail}"),
    (ValidationError, lambda exc: f"[red]输入有误[/]: {describe_errors(exc)}"),
    (SQLAlchemyError, lambda exc: f"[red]数据库错误[/]: {type(exc).__name__}: {str(exc).splitlines()[0]}。请检查 ZHICE_DATABASE_URL 与数据库状态。"),
    (OSError, lambda exc: f"[red]文件或系统错误[/]: {exc}"),
)
USAGE_ERROR, FAILURE = 2, 1  # 2: the input is wrong (as for a bad option); 1: the work itself failed


def main() -> None:
    """Console-script entry point: errors become one readable line; exit code 2 when the
    caller's input is wrong (what the API answers with a 4xx), 1 when the work failed."""
    try:
        app()
    except tuple(kind for kind, _ in _FAILURES) as exc:
        console.print(next(say for kind, say in _FAILURES if isinstance(exc, kind))(exc))
        sys.exit(USAGE_ERROR if isinstance(exc, ClientError | ValidationError) else FAILURE)
