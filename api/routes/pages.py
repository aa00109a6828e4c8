"""Pages: static shells that hold no data; they call the API with the user's own key."""

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import Public
from core.errors import NotFound
from knowledge.demo_data import demo_conversations

STATIC = Path(__file__).parents[1] / "static"
# the only files /static/{name} serves, with their media types: the script and styles /annotate and /review share
SHARED = {"fuel-pages.js": "text/javascript", "fuel-pages.css": "text/css"}
router = APIRouter(tags=["pages"], dependencies=[Public], include_in_schema=False)


@router.get("/annotate", response_class=HTMLResponse)
def annotate_page() -> HTMLResponse:
    """The annotator's page over /v1/annotation: the snippet in context, keyboard labels, today's quota."""
    return HTMLResponse((STATIC / "annotate.html").read_text(encoding="utf-8"))


@router.get("/audit", response_class=HTMLResponse)
def audit_page() -> HTMLResponse:
    """The auditor's page over GET /v1/audit/report."""
    return HTMLResponse((STATIC / "audit.html").read_text(encoding="utf-8"))


@router.get("/review", response_class=HTMLResponse)
def review_page() -> HTMLResponse:
    """Legal's review page over /v1/review: the snippet, the annotators' labels, approve or reject."""
    return HTMLResponse((STATIC / "review.html").read_text(encoding="utf-8"))


@router.get("/sidebar", response_class=HTMLResponse)
def sidebar_page() -> HTMLResponse:
    """The rep's sidebar: the conversation, the 智策 button, suggestion cards, the chart."""
    return HTMLResponse((STATIC / "sidebar.html").read_text(encoding="utf-8"))


FORWARDING_HEADERS = ("forwarded", "x-forwarded-for", "x-forwarded-host", "x-real-ip", "via")


@router.get("/sidebar/demo.json")
def sidebar_demo(request: Request) -> dict:
    """Only under `zhice serve --demo`, and only to this machine: demo conversations and
    a demo rep key (revoked when the server stops and at every start). A request that came
    through a proxy (forwarding headers) is not this machine's, even from 127.0.0.1; a
    same-host proxy that sets no such header cannot be told apart (docs/operations.md)."""
    key = getattr(request.app.state, "demo_key", None)
    local = request.client is not None and request.client.host in ("127.0.0.1", "::1", "localhost", "testclient")
    forwarded = any(name in request.headers for name in FORWARDING_HEADERS)
    if key is None or not local or forwarded:
        raise NotFound("未以演示模式启动（zhice serve --demo），没有演示数据。")
    return {"key": key, "conversations": demo_conversations()}


@router.get("/static/{name}")
def shared_file(name: str) -> Response:
    """The script and styles shared by the pages; a name not on the list is a 404, never a path."""
    media_type = SHARED.get(name)
    if media_type is None:
        raise NotFound(f"/static/ 只提供 {'、'.join(SHARED)}。")
    return Response((STATIC / name).read_text(encoding="utf-8"), media_type=media_type)
