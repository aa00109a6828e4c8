"""Alembic environment: runs on the connection that core.db.upgrade() hands over.

The models come from the ``zhice.tables`` entry-point group (see core.tables), never
from an import of a higher floor.
"""

from alembic import context

from core.tables import table_metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=table_metadata(),
    render_as_batch=connection.dialect.name == "sqlite",
    transactional_ddl=True,
)
with context.begin_transaction():
    context.run_migrations()
connection.commit()
