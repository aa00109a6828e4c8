"""The ``control`` table (migration 0003): one manager control per row, its value as JSON.

Kept apart from :mod:`agents.controls` so that migrations and the schema test load
it without the rule engine, the taxonomy or the prompt library.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, String, Text
from sqlmodel import Field, SQLModel

from core.db import UtcDateTime


class Control(SQLModel, table=True):
    __tablename__ = "control"

    key: str = Field(sa_column=Column(String(32), primary_key=True))
    value: str = Field(sa_column=Column(Text, nullable=False))
    updated_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    updated_by: str | None = Field(default=None, sa_column=Column(String(32)))
