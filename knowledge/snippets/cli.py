"""`zhice ingest FILE` and `zhice pool …`: the fuel factory at the command line."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)

from audit.ledger import CLI_ADMIN
from core.cli_context import console, load_settings, migrated_engine
from core.db import flush_erased, write_session

pool_app = typer.Typer(help="The approved snippet pool: sync, withdraw, erase.", no_args_is_help=True)


def ingest_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="WeCom archive .jsonl, generic .csv, or transcript .txt.")],
    fmt: Annotated[str | None, typer.Option("--format", help="wecom | csv | transcript; default by suffix.")] = None,
    source: Annotated[str | None, typer.Option(help="Source slug kept with each snippet (never a person's name); default FORMAT-DATE.")] = None,
    industry: Annotated[str | None, typer.Option(help="The customers' industry (a retrieval filter).")] = None,
    rep_speaker: Annotated[list[str] | None, typer.Option(help="Transcript speaker who is our rep; repeatable.")] = None,
    customer_speaker: Annotated[list[str] | None, typer.Option(help="Transcript speaker who is the customer; repeatable.")] = None,
) -> None:
    """Desensitize a chat export, cut it into snippets and queue them for annotation."""
    from knowledge.desensitize import get_desensitizer
    from knowledge.ingest.formats import detect_format, read_file
    from knowledge.snippets.ingest import ingest

    settings = load_settings()
    engine = migrated_engine()
    secret = settings.secret_key.get_secret_value()
    records = read_file(file, fmt, default_tz=settings.timezone, rep_speakers=rep_speaker or (), customer_speakers=customer_speaker or ())
    columns = (TextColumn("脱敏与切分"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console) as bar:
        task = bar.add_task("conversations", total=None)
        report = ingest(
            engine, records, desensitizer=get_desensitizer(secret), secret=secret, source=source or f"{fmt or detect_format(file)}-{date.today():%Y%m%d}", industry=industry,
            double_share=settings.annotation_double_share, actor=CLI_ADMIN,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    for skipped in report.skipped:
        console.print(f"[yellow]跳过[/] {skipped.location}: {skipped.reason}")
    console.print(
        f"{report.dialogues} 段对话，新建 {report.snippets_created} 条片段进入标注队列；"
        f"重复 {report.duplicates}，非文本消息 {report.non_text}，跳过 {len(report.skipped)}"
    )


@pool_app.command("sync")
def pool_sync() -> None:
    """Make the pool hold exactly the snippets the database says are approved."""
    from knowledge.snippets.pool import sync
    from knowledge.store import get_store

    with write_session(migrated_engine()) as session:
        result = sync(session, get_store(load_settings()))
    console.print(f"pool synced: {result['added']} added, {result['removed']} removed")


@pool_app.command("withdraw")
def pool_withdraw(
    snippet_id: Annotated[str, typer.Argument(help="The snippet's id.")],
    reason: Annotated[str, typer.Option(help="Why it leaves the pool (kept, desensitized).")],
) -> None:
    """Take an approved snippet out of the pool at once."""
    from knowledge.desensitize import get_desensitizer
    from knowledge.snippets.pool import withdraw
    from knowledge.store import get_store

    settings = load_settings()
    reason = get_desensitizer(settings.secret_key.get_secret_value()).desensitize(reason).text
    with write_session(migrated_engine()) as session:
        withdraw(session, get_store(settings), snippet_id, reason, actor=CLI_ADMIN)
    console.print(f"snippet {snippet_id} withdrawn")


@pool_app.command("erase")
def pool_erase() -> None:
    """Erase every snippet tied to a data subject's value (asked for at a hidden prompt, never stored)."""
    from audit.sealing import keyring_for
    from knowledge.desensitize import get_desensitizer
    from knowledge.snippets.pool import erase
    from knowledge.store import get_store

    settings = load_settings()
    value = typer.prompt("value (phone, ID, e-mail, name …)", hide_input=True)
    fingerprints = get_desensitizer(settings.secret_key.get_secret_value()).fingerprints_for(value)
    engine = migrated_engine()
    with write_session(engine) as session:
        summary = erase(session, get_store(settings), keyring_for(settings), fingerprints, actor=CLI_ADMIN)
    flush_erased(engine)
    console.print(
        f"erased {summary['snippets_removed']} snippets {summary['by_status']} and the ledger text of "
        f"{len(summary['ledger_keys'])} conversations; the value was not stored"
    )


def register_commands(app: typer.Typer) -> None:
    """Add `ingest` and `pool` to the root."""
    app.command("ingest")(ingest_command)
    app.add_typer(pool_app, name="pool")
