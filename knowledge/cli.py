"""`zhice desensitize FILE`: desensitize a JSONL or CSV file with a progress bar."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from core.cli_context import console, load_settings


def desensitize_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A .jsonl or .csv file.")],
    out: Annotated[Path | None, typer.Option(help="Output file; default FILE.desensitized.jsonl/.csv.")] = None,
    field: Annotated[list[str] | None, typer.Option(help="Field (JSONL) or column (CSV) to desensitize; repeatable.")] = None,
    conversation_field: Annotated[str, typer.Option(help="Records with the same value share placeholders.")] = "conversation_id",
) -> None:
    """Replace personal information in each record; malformed records are reported and skipped."""
    # Imported here: Presidio and LAC take a second to load, which other commands need not pay.
    from knowledge.desensitize import get_desensitizer
    from knowledge.desensitize.files import count_records, desensitize_file

    target = out or file.with_name(f"{file.stem}.desensitized{file.suffix}")
    desensitizer = get_desensitizer(load_settings().secret_key.get_secret_value())
    columns = (TextColumn("脱敏"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("records", total=count_records(file))
        report = desensitize_file(
            file,
            target,
            desensitizer,
            fields=tuple(field or ("text",)),
            conversation_field=conversation_field,
            advance=lambda: progress.advance(task),
        )
    for problem in report.skipped:
        console.print(f"[yellow]skipped[/] {problem}")
    console.print(f"wrote {report.written} records to {target}; skipped {len(report.skipped)}")


def register_commands(app: typer.Typer) -> None:
    """Add `desensitize` to the root."""
    app.command("desensitize")(desensitize_command)
