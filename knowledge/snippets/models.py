"""Tables of the fuel factory (migration 0002). Every text column holds desensitized text."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, Column, Index, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.db import UtcDateTime


class SnippetStatus(StrEnum):
    annotating = "annotating"
    review = "review"
    approved = "approved"
    rejected = "rejected"
    withdrawn = "withdrawn"


class Stage(StrEnum):
    annotate = "annotate"
    review = "review"


class Snippet(SQLModel, table=True):
    """A customer turn and the rep's reply, with a little context before it."""

    __tablename__ = "snippet"
    __table_args__ = (Index("ix_snippet_status_created", "status", "created_at"),)

    id: str = Field(sa_column=Column(String(64), primary_key=True))
    source: str = Field(sa_column=Column(String(100), nullable=False))
    conversation_ref: str = Field(sa_column=Column(String(64), nullable=False, index=True))
    industry: str | None = Field(default=None, sa_column=Column(String(64)))
    customer: str = Field(sa_column=Column(Text, nullable=False))
    reply: str = Field(sa_column=Column(Text, nullable=False))
    context: str = Field(sa_column=Column(Text, nullable=False))  # JSON list of {"role", "text"}
    status: str = Field(sa_column=Column(String(16), nullable=False))
    labels_needed: int = Field(sa_column=Column(Integer, nullable=False))
    created_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    # the labels that count, set when annotation is complete (and settled by legal on disputes)
    outcome: str | None = Field(default=None, sa_column=Column(String(16)))
    scenario: str | None = Field(default=None, sa_column=Column(String(64)))
    quality: int | None = Field(default=None, sa_column=Column(Integer))
    high_value: bool | None = Field(default=None, sa_column=Column(Boolean))
    tags: str = Field(default="[]", sa_column=Column(Text, nullable=False))  # JSON list of slugs
    move: str | None = Field(default=None, sa_column=Column(String(64)))  # the playbook move its reply makes (migration 0005)
    disputed: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    decided_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))
    decided_by: str | None = Field(default=None, sa_column=Column(String(32)))
    decision_reason: str | None = Field(default=None, sa_column=Column(Text))


class Annotation(SQLModel, table=True):
    """One annotator's labels for one snippet."""

    __tablename__ = "annotation"
    __table_args__ = (UniqueConstraint("snippet_id", "annotator", name="uq_annotation_snippet_annotator"),)

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True))
    snippet_id: str = Field(sa_column=Column(String(64), nullable=False, index=True))
    annotator: str = Field(sa_column=Column(String(80), nullable=False, index=True))
    outcome: str = Field(sa_column=Column(String(16), nullable=False))
    scenario: str = Field(sa_column=Column(String(64), nullable=False))
    quality: int = Field(sa_column=Column(Integer, nullable=False))
    high_value: bool = Field(sa_column=Column(Boolean, nullable=False))
    tags: str = Field(default="[]", sa_column=Column(Text, nullable=False))
    move: str | None = Field(default=None, sa_column=Column(String(64)))  # the playbook move the reply makes, if the annotator named one
    note: str = Field(default="", sa_column=Column(Text, nullable=False))  # desensitized
    day: str = Field(sa_column=Column(String(10), nullable=False, index=True))  # business-timezone date
    created_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))


class Lease(SQLModel, table=True):
    """An item handed to one person until ``expires_at``; expired leases count for nothing."""

    __tablename__ = "lease"

    snippet_id: str = Field(sa_column=Column(String(64), primary_key=True))
    stage: str = Field(sa_column=Column(String(16), primary_key=True))
    holder: str = Field(sa_column=Column(String(80), primary_key=True))
    expires_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False, index=True))


class SnippetFingerprint(SQLModel, table=True):
    """Erasure fingerprints (HMAC of a PII value) of the values a snippet's conversation held."""

    __tablename__ = "snippet_fingerprint"

    fingerprint: str = Field(sa_column=Column(String(64), primary_key=True))
    snippet_id: str = Field(sa_column=Column(String(64), primary_key=True, index=True))


class ErasedFingerprint(SQLModel, table=True):
    """A tombstone: content carrying this fingerprint is refused at ingest from now on."""

    __tablename__ = "erased_fingerprint"

    fingerprint: str = Field(sa_column=Column(String(64), primary_key=True))
    erased_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
