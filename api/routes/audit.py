"""The audit ledger, seen by auditors."""

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import CurrentAuditor, SessionDep
from audit.verify import verify_ledger

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
