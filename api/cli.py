"""`zhice serve`: the API on embedded defaults."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from core.cli_context import console, load_settings
from core.settings import Settings, get_settings


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
    refuse_taken_port(host, port)
    if demo:
        console.print("[yellow]演示模式[/]：加载合成演示数据（首次约需数秒）。")
        seed_queue(current)
    console.print(f"智策 正在启动，数据目录 {current.data_dir.resolve()} …")

    class AnnouncingServer(uvicorn.Server):
        async def startup(self, sockets: list | None = None) -> None:
            await super().startup(sockets=sockets)
            if self.started:  # the port is bound: only now is it true that we listen
                console.print(f"智策 listening on http://{host}:{port}  （首页 /，接口文档 /docs）")
                if not demo:
                    console.print("Create a key first: [bold]zhice keys create --role rep --name 张三[/]")

    AnnouncingServer(uvicorn.Config(create_app(current, demo=demo), host=host, port=port, log_config=None)).run()


def seed_queue(settings: Settings) -> None:
    """Under --demo, the sample WeCom export ingested once: the annotation queue has work."""
    from core.cli_context import migrated_engine
    from knowledge.demo_data import seed_demo_queue
    from knowledge.desensitize import get_desensitizer

    created = seed_demo_queue(migrated_engine(), get_desensitizer(settings.secret_key.get_secret_value()), settings)
    if created:
        console.print(f"演示标注队列：从 knowledge/demo/wecom_sample.jsonl 导入 {created} 条合成片段（/annotate）。")


def refuse_taken_port(host: str, port: int) -> None:
    """Exit with a Chinese message naming the port and the --port fix when it cannot be bound."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            console.print(f"[red]无法监听 {host}:{port}[/]（{error.strerror or error}）：端口可能已被占用。换一个端口，例如 [bold]zhice serve --port {port + 1}[/]。")
            raise typer.Exit(1) from error


def register_commands(app: typer.Typer) -> None:
    """Add `serve` to the root."""
    app.command("serve")(serve)
