"""Alembic environment: runs on the connection that core.db.upgrade() hands over."""

from alembic import context
from sqlmodel import SQLModel

import audit.ledger  # noqa: F401  (registers tables for autogenerate)
import core.keys  # noqa: F401
import agents.controls  # noqa: F401
import knowledge.scripts  # noqa: F401
import knowledge.snippets.models  # noqa: F401

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    transactional_ddl=True,
)
with context.begin_transaction():
    context.run_migrations()
connection.commit()
