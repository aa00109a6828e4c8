"""`zhice compliance …`: check a text, and legal's exemplar bank at the command line
(the same validation and ledger events as the API)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from audit.ledger import CLI_ADMIN
from core.cli_context import console, load_settings, migrated_engine
from core.db import read_session, write_session

compliance_app = typer.Typer(help="The compliance guard and legal's exemplar bank.", no_args_is_help=True)
exemplar_app = typer.Typer(help="Sentences legal says break a rule (or are fair under it).", no_args_is_help=True)
compliance_app.add_typer(exemplar_app, name="exemplar")


def _rules() -> set[str]:
    from agents.compliance import get_guard

    return {c.rule for c in get_guard().checked()}


@compliance_app.command("check")
def check(text: str) -> None:
    """Which rules a text breaks (patterns and the exemplar bank), with their anchors; exit 1 if any."""
    from agents.services import build_services

    services = build_services(load_settings())
    services.start()
    violations = services.guard.check(services.desensitizer.desensitize(text).text)
    for v in violations:
        console.print(f"{v.rule} ({v.how}) {v.anchor.law} {v.anchor.article}")
    if violations:
        raise typer.Exit(1)
    console.print("未发现问题")


@exemplar_app.command("add")
def add(
    text: str,
    rule: Annotated[str, typer.Option(help="The rule id (zhice compliance exemplar rules lists them).")],
    fair: Annotated[bool, typer.Option(help="A fair sentence close to violations of the rule, not a violation.")] = False,
) -> None:
    """Add a sentence (desensitized first); every instance reads it within seconds."""
    from agents.compliance import exemplar_store
    from core.errors import ValidationFailed
    from knowledge.desensitize import get_desensitizer

    masked = get_desensitizer(load_settings().secret_key.get_secret_value()).desensitize(text).text
    try:
        with write_session(migrated_engine()) as session:
            row = exemplar_store.add(session, masked, rule, "fair" if fair else "violation", rules=_rules(), actor=CLI_ADMIN)
            console.print(f"added {row.id} ({row.verdict} of {row.rule}; ledger: exemplar.added)")
    except ValidationFailed as error:
        console.print(f"[red]{error}[/]")
        raise typer.Exit(2) from None


@exemplar_app.command("list")
def listing() -> None:
    """Legal's exemplars in force (the shipped ones are in agents/compliance/exemplars.yaml)."""
    from agents.compliance import exemplar_store

    table = Table("id", "rule", "verdict", "text")
    with read_session(migrated_engine()) as session:
        for row in exemplar_store.listing(session):
            table.add_row(row.id, row.rule, row.verdict, row.text)
    console.print(table)


@exemplar_app.command("retire")
def retire(exemplar_id: str) -> None:
    """Take one of legal's exemplars out of the bank."""
    from agents.compliance import exemplar_store
    from core.errors import ClientError

    try:
        with write_session(migrated_engine()) as session:
            exemplar_store.retire(session, exemplar_id, actor=CLI_ADMIN)
    except ClientError as error:
        console.print(f"[red]{error}[/]")
        raise typer.Exit(2) from None
    console.print(f"retired {exemplar_id} (ledger: exemplar.retired)")


@exemplar_app.command("rules")
def rules() -> None:
    """The rule ids an exemplar can name."""
    for rule in sorted(_rules()):
        console.print(rule)
