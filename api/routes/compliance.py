"""Check any text against the compliance rules; legal's exemplar bank (list, add, retire)."""

from typing import Any, Literal

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field

from agents.compliance import exemplar_store
from agents.compliance.exemplar_store import ExemplarCreate
from api.deps import AnyRole, CurrentLegal, DesensitizerDep, EngineDep, ManagerOrLegal, ServicesDep, SessionDep
from core.db import write_session
from core.logging import request_id_var
from knowledge.anchors import LegalAnchor

router = APIRouter(prefix="/v1/compliance", tags=["compliance"])


class CheckRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=10_000)


class ViolationPublic(BaseModel):
    rule: str
    start: int
    end: int
    severity: str = Field(description="repair: a neutral rewording exists; block: the text must not be sent.")
    anchor: LegalAnchor
    how: Literal["pattern", "exemplar", "model"] = Field(
        description="pattern: a rule's pattern matched; exemplar: close to a sentence in legal's exemplar bank; model: the classifier fitted on legal's labelled sentences."
    )
    exemplar: str | None = Field(None, description="The exemplar's id, when found by the exemplar bank.")


class CheckResponse(BaseModel):
    compliant: bool
    violations: list[ViolationPublic]


class RulePublic(BaseModel):
    id: str
    title: str
    anchors: list[LegalAnchor]


class ExemplarPublic(BaseModel):
    id: str
    text: str
    rule: str
    verdict: Literal["violation", "fair"]
    shipped: bool = Field(description="true: part of the shipped bank (exemplars.yaml); false: added by legal.")


@router.post("/check")
def check(body: CheckRequest, _caller: AnyRole, services: ServicesDep) -> CheckResponse:
    """Which compliance rules the text breaks, where, and under which law."""
    violations = services.guard.check(body.text)
    return CheckResponse(compliant=not violations, violations=[ViolationPublic(**vars(v)) for v in violations])


@router.get("/rules")
def rules(_caller: AnyRole, services: ServicesDep) -> list[RulePublic]:
    """The rules every draft is checked against, with their anchors."""
    return [RulePublic(id=c.rule, title=c.title, anchors=list(c.anchors)) for c in services.guard.checked()]


@router.get("/exemplars")
def exemplars(_caller: ManagerOrLegal, services: ServicesDep, session: SessionDep) -> list[ExemplarPublic]:
    """The exemplar bank: the shipped sentences, then legal's additions in force."""
    bank = services.guard.exemplars
    shipped = [ExemplarPublic(**e.model_dump(), shipped=True) for e in (bank.shipped if bank else ())]
    added = [ExemplarPublic(id=r.id, text=r.text, rule=r.rule, verdict=r.verdict, shipped=False) for r in exemplar_store.listing(session)]  # type: ignore[arg-type]
    return shipped + added


@router.post("/exemplars", status_code=status.HTTP_201_CREATED)
def exemplars_add(body: ExemplarCreate, legal: CurrentLegal, services: ServicesDep, engine: EngineDep, desensitizer: DesensitizerDep) -> dict[str, Any]:
    """Legal adds a sentence (desensitized first): a violation is flagged from the next request on."""
    text = desensitizer.desensitize(body.text).text
    rules = {c.rule for c in services.guard.checked()}
    with write_session(engine) as session:
        row = exemplar_store.add(session, text, body.rule, body.verdict, rules=rules, actor=legal.actor, request_id=request_id_var.get())
        added = row.model_dump(mode="json")
    if services.guard.exemplars is not None:
        services.guard.exemplars.refresh()
    return added


@router.post("/exemplars/{exemplar_id}/retire")
def exemplars_retire(exemplar_id: str, legal: CurrentLegal, services: ServicesDep, engine: EngineDep) -> dict[str, Any]:
    """Legal takes one of its additions out of the bank."""
    with write_session(engine) as session:
        retired = exemplar_store.retire(session, exemplar_id, actor=legal.actor, request_id=request_id_var.get()).model_dump(mode="json")
    if services.guard.exemplars is not None:
        services.guard.exemplars.refresh()
    return retired
