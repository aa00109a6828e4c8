"""The playbook move an annotator says a snippet's reply makes (annotation and snippet).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("annotation", "snippet"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("move", sa.String(64)))


def downgrade() -> None:
    for table in ("annotation", "snippet"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("move")
