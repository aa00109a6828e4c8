"""Per-conversation data keys for the ledger's conversation text, and the erasure
fingerprints that point at them (crypto-shredding, docs/ledger.md).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ledger_key",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("conversation", sa.String(64), nullable=False),
        sa.Column("wrapped", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("shredded_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_ledger_key_conversation", "ledger_key", ["conversation"])
    op.create_table(
        "ledger_key_print",
        sa.Column("fingerprint", sa.String(64), primary_key=True),
        sa.Column("key_id", sa.String(32), primary_key=True),
    )
    op.create_index("ix_ledger_key_print_key_id", "ledger_key_print", ["key_id"])


def downgrade() -> None:
    # dropping the keys would make every sealed field in the ledger unreadable for good
    if op.get_bind().execute(sa.text("SELECT count(*) FROM ledger_key")).scalar():
        raise RuntimeError("ledger_key holds the keys of the ledger's sealed text: refusing to drop it")
    op.drop_table("ledger_key_print")
    op.drop_table("ledger_key")
