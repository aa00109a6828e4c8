"""GET /metrics: the process's Prometheus metrics (core.metrics), for operators."""

from fastapi import APIRouter, Depends, Response

from api.deps import MetricsAccess, ServicesDep
from core.metrics import CONTENT_TYPE

router = APIRouter(tags=["operations"])


@router.get("/metrics", response_class=Response, dependencies=[Depends(MetricsAccess())])
def metrics(services: ServicesDep) -> Response:
    """Latency per route and agent, degraded and shed answers by reason, model calls and
    the circuit, ledger appends, the snippet queues (see docs/operations.md)."""
    return Response(services.metrics.render(), media_type=CONTENT_TYPE)
