"""The `zhice` command line: serve, db, keys, audit, desensitize, ingest, pool, controls, scripts, eval, demo."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from agents.cli import controls_app, scripts_app
from audit.cli import audit_app
from audit.key_lifecycle import create_key, revoke_key
from audit.ledger import CLI_ADMIN
from core.cli_context import console, load_settings, migrated_engine
from core.db import current_revision, get_engine, read_session, write_session
from core.errors import ZhiceError, describe_errors
from core.keys import ApiKeyCreate, Role, list_keys
from core.settings import get_settings
from evals.cli import eval_app
from knowledge.cli import demo_app, desensitize_command
from knowledge.snippets.cli import ingest_command, pool_app

app = typer.Typer(help="智策 (Zhice): AI co-pilot for B2B sales reps.", no_args_is_help=True, pretty_exceptions_enable=False)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys; each carries one role.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(keys_app, name="keys")
app.add_typer(audit_app, name="audit")
app.command("desensitize")(desensitize_command)
app.add_typer(eval_app, name="eval")
app.add_typer(demo_app, name="demo")
app.command("ingest")(ingest_command)
app.add_typer(pool_app, name="pool")
app.add_typer(controls_app, name="controls")
app.add_typer(scripts_app, name="scripts")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    data_dir: Annotated[Path | None, typer.Option(help="Overrides ZHICE_DATA_DIR.")] = None,
    demo: Annotated[bool, typer.Option(help="Load the synthetic demo data into an empty data dir.")] = False,
) -> None:
    """Start the API on embedded defaults (SQLite in the data dir)."""
    import uvicorn

    from api.app import create_app

    if data_dir is not None:
        os.environ["ZHICE_DATA_DIR"] = str(data_dir)
        get_settings.cache_clear()
    current = load_settings()
    if demo:
        console.print("[yellow]演示模式[/]：加载合成演示数据（首次约需数秒）。")
    console.print(f"智策 listening on http://{host}:{port} (docs: /docs), data in {current.data_dir.resolve()}")
    console.print("Create a key first: [bold]zhice keys create --role rep --name 张三[/]")
    uvicorn.run(create_app(current, demo=demo), host=host, port=port, log_config=None)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply all migrations (also done at every start)."""
    engine = migrated_engine()
    console.print(f"database at revision {current_revision(engine)}")


@db_app.command("current")
def db_current() -> None:
    """Print the schema revision the database is at."""
    print(current_revision(get_engine(load_settings().resolved_database_url)) or "none")


@keys_app.command("create")
def keys_create(
    role: Annotated[Role, typer.Option(help="The one role this key carries.")],
    name: Annotated[str, typer.Option(help="Who or what uses the key.")],
) -> None:
    """Create a key; its clear value is printed once, as the last line."""
    with write_session(migrated_engine()) as session:
        created = create_key(session, ApiKeyCreate(name=name, role=role), actor=CLI_ADMIN)
    console.print(f"created key {created.id} ({created.role}) for {created.name}; it is shown only once:")
    print(created.key)


@keys_app.command("list")
def keys_list(include_revoked: Annotated[bool, typer.Option("--all", help="Include revoked keys.")] = False) -> None:
    """List keys (never their values)."""
    table = Table("id", "name", "role", "created (UTC)", "revoked (UTC)")
    with read_session(migrated_engine()) as session:
        for row in list_keys(session, include_revoked=include_revoked):
            revoked = f"{row.revoked_at:%Y-%m-%d %H:%M}" if row.revoked_at else ""
            table.add_row(row.id, row.name, row.role, f"{row.created_at:%Y-%m-%d %H:%M}", revoked)
    Console().print(table)


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="The key id shown by `zhice keys list`.")]) -> None:
    """Revoke a key at once."""
    with write_session(migrated_engine()) as session:
        row = revoke_key(session, key_id, actor=CLI_ADMIN)
    console.print(f"key {row.id} revoked at {row.revoked_at:%Y-%m-%d %H:%M:%S} UTC")


def main() -> None:
    """Console-script entry point: errors become one readable line and exit code 1."""
    try:
        app()
    except ZhiceError as exc:
        console.print(f"[red]{exc.title}[/]: {exc.detail}")
        sys.exit(1)
    except ValidationError as exc:
        console.print(f"[red]输入有误[/]: {describe_errors(exc)}")
        sys.exit(1)
    except SQLAlchemyError as exc:
        console.print(f"[red]数据库错误[/]: {type(exc).__name__}: {str(exc).splitlines()[0]}。请检查 ZHICE_DATABASE_URL 与数据库状态。")
        sys.exit(1)
    except OSError as exc:
        console.print(f"[red]文件或系统错误[/]: {exc}")
        sys.exit(1)
