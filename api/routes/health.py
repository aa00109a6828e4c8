"""Liveness and readiness for load balancers; no auth."""

from fastapi import APIRouter
from sqlalchemy import text

from api.deps import EngineDep, Public, ServicesDep
from core.db import current_revision
from core.errors import Unavailable

router = APIRouter(tags=["health"], dependencies=[Public])


@router.get("/healthz")
@router.head("/healthz", include_in_schema=False)
def healthz(services: ServicesDep) -> dict[str, str]:
    """The process is up; ``llm`` is ``off`` or the model circuit's state (``open``: the
    model failed repeatedly and is not called for now; suggestions come without it)."""
    return {"status": "ok", "llm": services.llm_state}


@router.get("/readyz")
@router.head("/readyz", include_in_schema=False)
def readyz(engine: EngineDep) -> dict[str, str]:
    """The database answers and carries the schema."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        revision = current_revision(engine)
    except Exception as exc:  # any driver error means: not ready
        raise Unavailable(f"数据库不可用（{type(exc).__name__}）：请检查 ZHICE_DATABASE_URL 与数据库状态。") from exc
    return {"status": "ready", "schema": revision or "none"}
