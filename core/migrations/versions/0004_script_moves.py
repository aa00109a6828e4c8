"""Sample scripts that are playbook moves: a script may name the move it phrases.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sample_script") as batch:
        batch.add_column(sa.Column("move", sa.String(64)))
        batch.add_column(sa.Column("move_label", sa.String(64)))


def downgrade() -> None:
    with op.batch_alter_table("sample_script") as batch:
        batch.drop_column("move_label")
        batch.drop_column("move")
