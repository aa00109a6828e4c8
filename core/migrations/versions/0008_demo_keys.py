"""Demo keys are marked, so that every start can revoke those a killed demo left live.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_key") as table:
        table.add_column(sa.Column("demo", sa.Boolean, nullable=False, server_default=sa.false()))
    # keys a demo made before they were marked carry its name: revoke them as leftovers
    op.execute("UPDATE api_key SET demo = true WHERE name = '演示销售（demo）'")


def downgrade() -> None:
    with op.batch_alter_table("api_key") as table:
        table.drop_column("demo")
