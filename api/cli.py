"""`zhice serve`: the API on embedded defaults."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from core.cli_context import console, load_settings
from core.settings import get_settings


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


def register_commands(app: typer.Typer) -> None:
    """Add `serve` to the root."""
    app.command("serve")(serve)
