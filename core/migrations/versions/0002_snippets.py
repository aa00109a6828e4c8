"""The fuel factory: snippets, annotations, leases, erasure fingerprints.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "snippet",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("conversation_ref", sa.String(64), nullable=False),
        sa.Column("industry", sa.String(64)),
        sa.Column("customer", sa.Text, nullable=False),
        sa.Column("reply", sa.Text, nullable=False),
        sa.Column("context", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("labels_needed", sa.Integer, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("outcome", sa.String(16)),
        sa.Column("scenario", sa.String(64)),
        sa.Column("quality", sa.Integer),
        sa.Column("high_value", sa.Boolean),
        sa.Column("tags", sa.Text, nullable=False),
        sa.Column("disputed", sa.Boolean, nullable=False),
        sa.Column("decided_at", _TS),
        sa.Column("decided_by", sa.String(32)),
        sa.Column("decision_reason", sa.Text),
    )
    op.create_index("ix_snippet_conversation_ref", "snippet", ["conversation_ref"])
    op.create_index("ix_snippet_status_created", "snippet", ["status", "created_at"])
    op.create_table(
        "annotation",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("snippet_id", sa.String(64), nullable=False),
        sa.Column("annotator", sa.String(80), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("scenario", sa.String(64), nullable=False),
        sa.Column("quality", sa.Integer, nullable=False),
        sa.Column("high_value", sa.Boolean, nullable=False),
        sa.Column("tags", sa.Text, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.UniqueConstraint("snippet_id", "annotator", name="uq_annotation_snippet_annotator"),
    )
    for column in ("snippet_id", "annotator", "day"):
        op.create_index(f"ix_annotation_{column}", "annotation", [column])
    op.create_table(
        "lease",
        sa.Column("snippet_id", sa.String(64), primary_key=True),
        sa.Column("stage", sa.String(16), primary_key=True),
        sa.Column("holder", sa.String(80), primary_key=True),
        sa.Column("expires_at", _TS, nullable=False),
    )
    op.create_index("ix_lease_expires_at", "lease", ["expires_at"])
    op.create_table(
        "snippet_fingerprint",
        sa.Column("fingerprint", sa.String(64), primary_key=True),
        sa.Column("snippet_id", sa.String(64), primary_key=True),
    )
    op.create_index("ix_snippet_fingerprint_snippet_id", "snippet_fingerprint", ["snippet_id"])
    op.create_table(
        "erased_fingerprint",
        sa.Column("fingerprint", sa.String(64), primary_key=True),
        sa.Column("erased_at", _TS, nullable=False),
    )


def downgrade() -> None:
    for table in ("erased_fingerprint", "snippet_fingerprint", "lease", "annotation", "snippet"):
        op.drop_table(table)
