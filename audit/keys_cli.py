"""`zhice keys create` and `zhice keys revoke`: they write the ledger, so they live on the
audit floor and join core's `keys` group (which keeps `keys list`)."""

from __future__ import annotations

from typing import Annotated

import typer

from audit.key_lifecycle import create_key, revoke_key
from audit.ledger import CLI_ADMIN
from core.cli_context import command_group, console, migrated_engine
from core.db import write_session
from core.keys import ApiKeyCreate, Role


def keys_create(
    role: Annotated[Role, typer.Option(help="The one role this key carries.")],
    name: Annotated[str, typer.Option(help="Who or what uses the key.")],
) -> None:
    """Create a key; its clear value is printed once, as the last line."""
    with write_session(migrated_engine()) as session:
        created = create_key(session, ApiKeyCreate(name=name, role=role), actor=CLI_ADMIN)
    console.print(f"created key {created.id} ({created.role}) for {created.name}; it is shown only once:")
    print(created.key)


def keys_revoke(key_id: Annotated[str, typer.Argument(help="The key id shown by `zhice keys list`.")]) -> None:
    """Revoke a key at once."""
    with write_session(migrated_engine()) as session:
        row = revoke_key(session, key_id, actor=CLI_ADMIN)
    console.print(f"key {row.id} revoked at {row.revoked_at:%Y-%m-%d %H:%M:%S} UTC")


def register_commands(app: typer.Typer) -> None:
    """Add `create` and `revoke` to the root's `keys` group."""
    keys = command_group(app, "keys")
    keys.command("create")(keys_create)
    keys.command("revoke")(keys_revoke)
