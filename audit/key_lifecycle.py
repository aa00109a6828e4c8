"""Creating and revoking API keys, each step recorded in the ledger.

Core is the ground floor and imports nothing above it, and the ledger stays one
module on the audit floor (table, hash chain, append and queries together). So
:mod:`core.keys` keeps what authentication needs (table, key format, hashing,
lookup) and the two steps that write the ledger live here, one floor up.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session, select

from audit import ledger
from audit.events import KeyCreated, KeyRevoked
from core.errors import NotFound
from core.keys import ApiKey, ApiKeyCreate, ApiKeyCreated, ApiKeyPublic, new_key


def create_key(session: Session, data: ApiKeyCreate, *, actor: ledger.Actor, demo: bool = False) -> ApiKeyCreated:
    """Create a key in the caller's write session; the clear key is only in the result.
    ``demo`` marks the rep key of a `serve --demo` process (revoked at every start)."""
    row, key = new_key(data, demo=demo)
    session.add(row)
    session.flush()
    ledger.append(session, KeyCreated(key_id=row.id, role=data.role), actor=actor)
    return ApiKeyCreated(**ApiKeyPublic.model_validate(row).model_dump(), key=key)


def revoke_demo_keys(session: Session, *, actor: ledger.Actor) -> list[str]:
    """Revoke every live demo key (a demo killed before its shutdown leaves its key live)."""
    live = session.exec(select(ApiKey.id).where(ApiKey.demo, ApiKey.revoked_at.is_(None))).all()
    for key_id in live:
        revoke_key(session, key_id, actor=actor)
    return list(live)


def revoke_key(session: Session, key_id: str, *, actor: ledger.Actor) -> ApiKey:
    """Revoke a key at once; revoking a revoked key changes nothing."""
    row = session.get(ApiKey, key_id, with_for_update=True)
    if row is None:
        raise NotFound(f"没有 id 为 {key_id!r} 的密钥：用 `zhice keys list --all` 查看现有密钥。")
    if row.revoked_at is None:
        row.revoked_at = datetime.now(UTC)
        session.add(row)
        ledger.append(session, KeyRevoked(key_id=key_id, role=row.role), actor=actor)
    return row
