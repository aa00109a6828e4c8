"""Contract review from our party's side: risky clauses, why, and what to propose instead."""

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from api.deps import RepOrLegal, ServicesDep
from knowledge.anchors import LegalAnchor

router = APIRouter(prefix="/v1/contracts", tags=["contracts"])


class ReviewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=50_000, description="合同全文或条款（请先脱敏或使用 /v1/desensitize）。")
    our_party: Literal["甲方", "乙方"] = Field("乙方", description="我方在合同中的身份；默认乙方（卖方）。")


class RiskPublic(BaseModel):
    type: str
    title: str
    clause: str
    severity: Literal["high", "medium", "low"]
    explanation: str
    counter_clause: str = Field(description="建议替换成的条款。")
    legal_anchors: list[LegalAnchor]


class ReviewResponse(BaseModel):
    risks: list[RiskPublic]


@router.post("/review")
def review(body: ReviewRequest, _caller: RepOrLegal, services: ServicesDep) -> ReviewResponse:
    """Each risky clause with its type, severity, explanation, counter-clause and legal anchors."""
    risks = services.reviewer.review(body.text, body.our_party)
    return ReviewResponse(risks=[RiskPublic(**{**vars(r), "legal_anchors": list(r.legal_anchors)}) for r in risks])
