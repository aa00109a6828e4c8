"""Check any text against the compliance rules; each violation carries its legal anchor."""

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.deps import AnyRole, ServicesDep
from knowledge.anchors import LegalAnchor

router = APIRouter(prefix="/v1/compliance", tags=["compliance"])


class CheckRequest(BaseModel):
    text: str = Field(min_length=1, max_length=10_000)


class ViolationPublic(BaseModel):
    rule: str
    start: int
    end: int
    severity: str = Field(description="repair: a neutral rewording exists; block: the text must not be sent.")
    anchor: LegalAnchor


class CheckResponse(BaseModel):
    compliant: bool
    violations: list[ViolationPublic]


@router.post("/check")
def check(body: CheckRequest, _caller: AnyRole, services: ServicesDep) -> CheckResponse:
    """Which compliance rules the text breaks, where, and under which law."""
    violations = services.guard.check(body.text)
    return CheckResponse(compliant=not violations, violations=[ViolationPublic(**vars(v)) for v in violations])
