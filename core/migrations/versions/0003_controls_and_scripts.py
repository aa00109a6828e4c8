"""Manager controls (thresholds, rules, canary, taxonomy) and the sample-script library.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "control",
        sa.Column("key", sa.String(32), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(32)),
    )
    op.create_table(
        "sample_script",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("scenario", sa.String(64), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(32)),
        sa.Column("decision_reason", sa.Text),
    )
    op.create_index("ix_sample_script_status", "sample_script", ["status"])


def downgrade() -> None:
    op.drop_table("sample_script")
    op.drop_table("control")
