"""Pages: static shells that hold no data; they call the API with the user's own key."""

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from api.deps import Public

STATIC = Path(__file__).parents[1] / "static"
router = APIRouter(tags=["pages"], dependencies=[Public], include_in_schema=False)


@router.get("/audit", response_class=HTMLResponse)
def audit_page() -> HTMLResponse:
    """The auditor's page over GET /v1/audit/report."""
    return HTMLResponse((STATIC / "audit.html").read_text(encoding="utf-8"))
