"""The sample-script library: managers write, legal approves, only approved scripts are retrieved."""

from typing import Any

from fastapi import APIRouter, status

from api.deps import (
    ControlsDep,
    CurrentLegal,
    CurrentManager,
    DesensitizerDep,
    EngineDep,
    FuelOverseers,
    SessionDep,
    StoreDep,
)
from agents.controls import refresh_controls
from core.db import write_session
from core.logging import request_id_var
from knowledge import scripts
from knowledge.scripts import ScriptDecision, ScriptDraft, ScriptStatus

router = APIRouter(prefix="/v1/scripts", tags=["controls"])


def _public(script: scripts.SampleScript) -> dict[str, Any]:
    return script.model_dump(mode="json")


def _checked(draft: ScriptDraft, controls, desensitizer) -> ScriptDraft:
    """The draft desensitized; one that phrases a playbook move must be a valid phrasing of it (else 422)."""
    draft = draft.model_copy(update={"text": desensitizer.desensitize(draft.text).text})
    if draft.move:
        controls.playbook.check_script(draft.scenario, draft.move, draft.move_label, draft.text)
    return draft


def _keys(controls) -> set[str]:
    return set(controls.taxonomy.keys)


@router.get("")
def scripts_list(_caller: FuelOverseers, session: SessionDep, status: ScriptStatus | None = None) -> list[dict[str, Any]]:
    return [_public(s) for s in scripts.listing(session, status)]


@router.post("", status_code=status.HTTP_201_CREATED)
def scripts_create(draft: ScriptDraft, manager: CurrentManager, engine: EngineDep, controls: ControlsDep, desensitizer: DesensitizerDep) -> dict[str, Any]:
    """A new sample script, or a phrasing of a playbook move; it is used only after legal approves it."""
    draft = _checked(draft, controls, desensitizer)
    with write_session(engine) as session:
        return _public(scripts.create(session, draft, scenarios=_keys(controls), actor=manager.actor, request_id=request_id_var.get()))


@router.put("/{script_id}")
def scripts_edit(script_id: str, draft: ScriptDraft, manager: CurrentManager, engine: EngineDep, store: StoreDep, controls: ControlsDep, desensitizer: DesensitizerDep) -> dict[str, Any]:
    """A new revision; the script leaves the library until legal approves it again."""
    draft = _checked(draft, controls, desensitizer)
    with write_session(engine) as session:
        return _public(scripts.edit(session, store, script_id, draft, scenarios=_keys(controls), actor=manager.actor, request_id=request_id_var.get()))


@router.post("/{script_id}/retire")
def scripts_retire(script_id: str, manager: CurrentManager, engine: EngineDep, store: StoreDep) -> dict[str, Any]:
    with write_session(engine) as session:
        return _public(scripts.retire(session, store, script_id, actor=manager.actor, request_id=request_id_var.get()))


@router.post("/{script_id}/review")
def scripts_review(script_id: str, decision: ScriptDecision, legal: CurrentLegal, engine: EngineDep, store: StoreDep, desensitizer: DesensitizerDep) -> dict[str, Any]:
    """Legal approves (the script enters the library at once) or rejects a pending revision."""
    decision = decision.model_copy(update={"reason": desensitizer.desensitize(decision.reason).text})
    with write_session(engine) as session:
        reviewed = _public(scripts.review(session, store, script_id, decision, actor=legal.actor, request_id=request_id_var.get()))
    refresh_controls()  # an approved move phrasing is in the playbook from the next request
    return reviewed
