"""`zhice audit …`: verify the chain, export a date range for outside verification."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from audit.chain import VerifyResult
from audit.export import export_jsonl
from audit.periods import days
from audit.sealing import keyring_for
from audit.verify import head_matches, verify_jsonl, verify_ledger
from core.cli_context import console, load_settings, migrated_engine
from core.db import read_session
from core.errors import ValidationFailed

audit_app = typer.Typer(help="The audit ledger.", no_args_is_help=True)


def _report(result: VerifyResult, what: str) -> None:
    if result.ok:
        console.print(f"[green]OK[/]: {what}: {result.events} events chain correctly; head {result.head_seq}:{result.head_hash}")
        return
    console.print(f"[red]BROKEN[/]: {what}: first bad seq {result.first_bad_seq}: {result.reason}")
    raise typer.Exit(1)


@audit_app.command("verify")
def verify(
    file: Annotated[Path | None, typer.Option(exists=True, dir_okay=False, help="Verify a JSONL export instead of the database.")] = None,
    from_genesis: Annotated[bool, typer.Option(help="With --file: the export must start at seq 1.")] = False,
    expect_head: Annotated[str | None, typer.Option(help="SEQ:HASH written down at an earlier review; must still be there.")] = None,
) -> None:
    """Walk the chain; exit 1 and name the first bad seq if it is broken."""
    if file is not None:
        _report(verify_jsonl(file, from_genesis=from_genesis), str(file))
        return
    with read_session(migrated_engine()) as session:
        _report(verify_ledger(session), "ledger")
        if expect_head is not None:
            seq, _, expected = expect_head.partition(":")
            if not seq.isdigit() or not head_matches(session, int(seq), expected):
                console.print(f"[red]BROKEN[/]: seq {seq} no longer has hash {expected}: the ledger was rewritten since")
                raise typer.Exit(1)
            console.print(f"[green]OK[/]: seq {seq} still has the hash recorded earlier")


@audit_app.command("export")
def export(
    from_: Annotated[datetime, typer.Option("--from", formats=["%Y-%m-%d"], help="First day (business time zone).")],
    to: Annotated[datetime, typer.Option(formats=["%Y-%m-%d"], help="Last day, inclusive.")],
    out: Annotated[Path | None, typer.Option(help="Output file; default standard output.")] = None,
) -> None:
    """Write the events of a date range as JSONL (re-verifiable: docs/ledger.md)."""
    settings = load_settings()
    try:
        period = days(from_.date(), to.date(), settings.tz)
    except ValidationFailed as refused:
        raise typer.BadParameter(refused.detail) from None
    since, until = period.since, period.until
    keyring = keyring_for(settings)
    with read_session(migrated_engine()) as session:
        if out is None:
            written = export_jsonl(session, sys.stdout, keyring, since=since, until=until)
        else:
            with out.open("w", encoding="utf-8") as handle:
                written = export_jsonl(session, handle, keyring, since=since, until=until)
    console.print(f"exported {written} events from {from_:%Y-%m-%d} to {to:%Y-%m-%d} ({settings.timezone})")


@audit_app.command("report")
def report(
    quarter_label: Annotated[str | None, typer.Option("--quarter", help="e.g. 2026Q4 (business time zone); default this quarter.")] = None,
    from_: Annotated[datetime | None, typer.Option("--from", formats=["%Y-%m-%d"], help="First day instead of a quarter.")] = None,
    to: Annotated[datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Last day, inclusive.")] = None,
    format: Annotated[str, typer.Option(help="json, csv or html.")] = "html",
    out: Annotated[Path | None, typer.Option(help="Output file; default standard output.")] = None,
) -> None:
    """The quarterly human–AI collaboration review, offline, from the ledger."""
    import json

    from audit.periods import report_period
    from audit.render import to_csv, to_html
    from audit.report import build_report

    renderers = {"json": lambda r: json.dumps(r, ensure_ascii=False, indent=2), "csv": to_csv, "html": to_html}
    if format not in renderers:
        raise typer.BadParameter("format must be json, csv or html")
    settings = load_settings()
    tz = settings.tz
    try:
        period = report_period(quarter_label, from_ and from_.date(), to and to.date(), tz)
    except ValidationFailed as refused:
        raise typer.BadParameter(refused.detail) from None
    with read_session(migrated_engine()) as session:
        body = build_report(session, period, tz, keyring_for(settings))
    text = renderers[format](body)
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")
    trust = "[green]ledger verified[/]" if body["trusted"] else f"[red]LEDGER BROKEN — figures untrusted[/]: {body['ledger_problem']}"
    console.print(f"report {period.label}: {body['totals']['shown']} suggestions; {trust}")


def register_commands(app: typer.Typer) -> None:
    """Add `audit` to the root."""
    app.add_typer(audit_app, name="audit")
