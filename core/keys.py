"""API keys: each carries exactly one role; only a SHA-256 of the key is stored.

A key looks like ``zk_<12 hex key id>_<43 url-safe chars>`` (256 random bits), so a
fast unsalted hash is enough: nobody can guess their way back to a key from
its hash, and checking a key costs one indexed lookup. The public key id is
what the ledger, logs and ``zhice keys list`` show.

Creating and revoking a key is recorded in the ledger, which lives a floor up:
those two steps are in :mod:`audit.key_lifecycle`. This module keeps the table,
the key format, hashing and lookup (all that authentication needs).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import Boolean, Column, String, false
from pydantic import field_validator
from sqlmodel import Field, Session, SQLModel, select

from core.db import UtcDateTime
from core.errors import Unauthorized
from core.printable import PRINTABLE_PATTERN, is_printable

KEY_PREFIX = "zk_"


class Role(StrEnum):
    rep = "rep"
    annotator = "annotator"
    legal = "legal"
    manager = "manager"
    auditor = "auditor"
    admin = "admin"


class ApiKeyBase(SQLModel):
    name: str = Field(sa_column=Column(String(100), nullable=False))
    role: Role = Field(sa_column=Column(String(16), nullable=False))


class ApiKeyCreate(ApiKeyBase):
    name: str = Field(
        min_length=1, max_length=100, description="No control, format (zero-width, bidi) or surrogate characters.", schema_extra={"json_schema_extra": {"pattern": PRINTABLE_PATTERN}}
    )
    role: Role

    @field_validator("name")
    @classmethod
    def _printable(cls, value: str) -> str:
        if not is_printable(value):
            raise ValueError("name must not contain control characters")
        return value


class ApiKey(ApiKeyBase, table=True):
    __tablename__ = "api_key"

    id: str = Field(sa_column=Column(String(16), primary_key=True))
    key_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    created_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))
    demo: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))  # `serve --demo`'s rep key

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


class ApiKeyPublic(ApiKeyBase):
    id: str
    created_at: datetime
    revoked_at: datetime | None
    demo: bool = Field(False, description="The rep key of a `zhice serve --demo` process: revoked at every start and stop.")


class ApiKeyCreated(ApiKeyPublic):
    key: str = Field(description="The key itself; shown once, stored only as a hash.")


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key(data: ApiKeyCreate, *, demo: bool = False) -> tuple[ApiKey, str]:
    """A new, unsaved row and its clear key (which only the caller ever sees)."""
    key_id = secrets.token_hex(6)
    key = f"{KEY_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
    row = ApiKey(
        id=key_id,
        name=data.name,
        role=data.role,
        key_hash=hash_key(key),
        created_at=datetime.now(UTC),
        demo=demo,
    )
    return row, key


def list_keys(session: Session, *, include_revoked: bool = False) -> list[ApiKey]:
    statement = select(ApiKey).order_by(ApiKey.created_at)
    if not include_revoked:
        statement = statement.where(ApiKey.revoked_at.is_(None))
    return list(session.exec(statement))


def authenticate(session: Session, key: str) -> ApiKey | None:
    """The live key matching ``key``, or None when it is unknown or revoked."""
    if not key.startswith(KEY_PREFIX):
        return None
    row = session.exec(select(ApiKey).where(ApiKey.key_hash == hash_key(key))).first()
    if row is None or row.revoked:
        return None
    return row


def require_live_key(session: Session, token: str | None) -> ApiKey:
    """The live key for a bearer ``token``; Unauthorized (401) with the fix otherwise."""
    if not token:
        raise Unauthorized("缺少 API 密钥：请在请求头加入 Authorization: Bearer <密钥>；密钥由管理员用 zhice keys create 生成。")
    row = authenticate(session, token)
    if row is None:
        raise Unauthorized("API 密钥无效或已被吊销：请向管理员申请新的密钥。")
    return row
