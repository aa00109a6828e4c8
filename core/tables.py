"""Every table model, gathered from the entry-point group ``zhice.tables``.

The shipped migrations are explicit Alembic ops: upgrading needs no model. The
models matter as ``target_metadata`` (for ``alembic revision --autogenerate``)
and in the test that compares them with the schema the head migration builds.
Core may not import the floors above it, so each package lists its table
modules in ``[project.entry-points."zhice.tables"]`` (built-in packages exactly
as a plugin would), and a table module imports only sqlmodel, sqlalchemy and
core: loading every table costs no engine (no Chroma, CEL or Presidio).
"""

from __future__ import annotations

from importlib.metadata import entry_points

from sqlalchemy import MetaData
from sqlmodel import SQLModel

GROUP = "zhice.tables"


def table_metadata() -> MetaData:
    """SQLModel's metadata with the tables of every installed package registered."""
    for entry_point in entry_points(group=GROUP):
        entry_point.load()
    return SQLModel.metadata
