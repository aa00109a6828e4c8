"""The ``sample_script`` table (migrations 0003, 0004); :mod:`knowledge.scripts` holds the workflow.

Kept apart so that migrations and the schema test load it without the knowledge store.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Integer, String, Text
from sqlmodel import Field, SQLModel

from core.db import UtcDateTime


class SampleScript(SQLModel, table=True):
    __tablename__ = "sample_script"

    id: str = Field(sa_column=Column(String(32), primary_key=True))
    scenario: str = Field(sa_column=Column(String(64), nullable=False))
    text: str = Field(sa_column=Column(Text, nullable=False))  # desensitized
    status: str = Field(sa_column=Column(String(16), nullable=False, index=True))  # a ScriptStatus
    revision: int = Field(sa_column=Column(Integer, nullable=False))
    created_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    updated_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    decided_by: str | None = Field(default=None, sa_column=Column(String(32)))
    decision_reason: str | None = Field(default=None, sa_column=Column(Text))
    move: str | None = Field(default=None, sa_column=Column(String(64)))  # the playbook move it phrases (a slot template), if any
    move_label: str | None = Field(default=None, sa_column=Column(String(64)))  # the label of a move it adds
