"""The audit ledger, seen by auditors."""

from typing import Literal

from fastapi import APIRouter, Query, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from api.deps import AuditorOrManager, CurrentAuditor, KeyringDep, SessionDep, SettingsDep
from api.params import QUARTER_PATTERN, IsoDay
from audit.periods import report_period
from audit.render import to_csv, to_html
from audit.report import build_report
from audit.verify import verify_ledger
from core.memory import release_freed_memory

router = APIRouter(prefix="/v1/audit", tags=["audit"])


class VerifyPublic(BaseModel):
    ok: bool
    events: int
    first_bad_seq: int | None
    reason: str | None
    head_hash: str | None
    head_seq: int | None


@router.get("/verify")
def verify(_auditor: CurrentAuditor, session: SessionDep) -> VerifyPublic:
    """Walk the whole chain; name the first seq where it breaks."""
    result = verify_ledger(session)
    return VerifyPublic(**result.__dict__)


def _report_then_release(*args) -> dict:
    """The report, then its working memory (the whole period's events) handed back to the OS."""
    try:
        return build_report(*args)
    finally:
        release_freed_memory()


@router.get(
    "/report",
    responses={200: {"description": "JSON（默认）、CSV 或 HTML，按 format", "content": {"text/csv": {"schema": {"type": "string"}}, "text/html": {"schema": {"type": "string"}}}}},
)
async def report(
    _caller: AuditorOrManager,
    session: SessionDep,
    settings: SettingsDep,
    keyring: KeyringDep,
    quarter_label: str | None = Query(None, alias="quarter", pattern=QUARTER_PATTERN, description="如 2026Q4（业务时区）；默认本季度。"),
    from_day: IsoDay | None = Query(None, alias="from", description="第一天（YYYY-MM-DD，业务时区），与 to 同时给出。"),
    to_day: IsoDay | None = Query(None, alias="to", description="最后一天（含）。"),
    format: Literal["json", "csv", "html"] = "json",
):
    """The quarterly human–AI collaboration review, from the ledger alone (verified first)."""
    tz = settings.tz
    period = report_period(quarter_label, from_day, to_day, tz)
    body = await run_in_threadpool(_report_then_release, session, period, tz, keyring)
    if format == "csv":
        return Response(to_csv(body), media_type="text/csv; charset=utf-8")
    if format == "html":
        return Response(await run_in_threadpool(to_html, body), media_type="text/html; charset=utf-8")
    return body
