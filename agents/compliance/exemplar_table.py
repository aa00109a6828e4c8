"""The ``compliance_exemplar`` table (migration 0006): sentences legal added to the exemplar bank.

Kept apart so that migrations and the schema test load it without the embedder.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, String, Text
from sqlmodel import Field, SQLModel

from core.db import UtcDateTime


class ComplianceExemplar(SQLModel, table=True):
    __tablename__ = "compliance_exemplar"

    id: str = Field(sa_column=Column(String(32), primary_key=True))
    text: str = Field(sa_column=Column(Text, nullable=False))  # desensitized
    rule: str = Field(sa_column=Column(String(64), nullable=False))  # the rule it breaks, or the one it is fair under
    verdict: str = Field(sa_column=Column(String(16), nullable=False))  # violation | fair
    added_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    added_by: str | None = Field(default=None, sa_column=Column(String(32)))
    retired_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))
