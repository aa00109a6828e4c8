"""The ``ledger_key`` and ``ledger_key_print`` tables (migration 0007): the per-conversation
data keys that seal the ledger's conversation text, kept outside the hash chain.

A key row is the only thing an erasure changes: its wrapped key is overwritten
with NULL (crypto-shredding), after which the conversation's sealed fields in
the ledger cannot be read while the chain, which hashes the ciphertext, still
verifies. A print row ties a key to the erasure fingerprint of a value found
in that conversation (an HMAC, never the value).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, String, Text
from sqlmodel import Field, SQLModel

from core.db import UtcDateTime


class LedgerKey(SQLModel, table=True):
    __tablename__ = "ledger_key"

    id: str = Field(sa_column=Column(String(32), primary_key=True))
    conversation: str = Field(sa_column=Column(String(64), nullable=False, index=True))  # pseudonym (core.hashing)
    wrapped: str | None = Field(default=None, sa_column=Column(Text))  # AES-GCM under the master key; NULL once shredded
    created_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    shredded_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))


class LedgerKeyPrint(SQLModel, table=True):
    __tablename__ = "ledger_key_print"

    fingerprint: str = Field(sa_column=Column(String(64), primary_key=True))
    key_id: str = Field(sa_column=Column(String(32), primary_key=True, index=True))
