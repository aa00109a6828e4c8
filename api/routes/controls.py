"""Manager controls: thresholds, trigger rules, prompt canaries, the scenario taxonomy."""

from typing import Any

from fastapi import APIRouter, Body
from pydantic import BaseModel

from agents import controls as control_store
from agents.controls import CanaryRoute, ControlKey, ScenarioAddition
from agents.rules import validate_rule
from api.deps import (
    ControlsDep,
    CurrentManager,
    EngineDep,
    ManagerOrAuditor,
    SettingsDep,
)
from core.db import write_session
from core.errors import NotFound
from core.logging import request_id_var
from prompts.library import get_prompt_library

router = APIRouter(prefix="/v1", tags=["controls"])


class ControlsPublic(BaseModel):
    thresholds: dict[str, float]
    rules: list[dict[str, Any]]
    canary: dict[str, CanaryRoute]
    taxonomy: list[dict[str, Any]]
    prompts: dict[str, list[dict[str, Any]]]


def _public(controls) -> ControlsPublic:
    library = get_prompt_library()
    return ControlsPublic(
        thresholds=controls.thresholds,
        rules=[rule.model_dump(mode="json") for rule in controls.rules],
        canary=controls.canary,
        taxonomy=[{"key": s.key, "label": s.label, "cues": list(s.cues), "fixed": s.key not in {a.key for a in controls.additions}} for s in controls.taxonomy.scenarios],
        prompts={
            agent: [{"ref": (p := library.get(agent, v)).ref, "version": v, "stage": p.stage, "description": p.description} for v in library.versions(agent)]
            for agent in library.agents
        },
    )


@router.get("/controls")
def controls_get(_caller: ManagerOrAuditor, controls: ControlsDep) -> ControlsPublic:
    """Everything a manager controls, as in force now."""
    return _public(controls)


def _save(key: ControlKey, value: Any, manager, engine, settings) -> ControlsPublic:
    with write_session(engine) as session:
        control_store.save(session, key, value, actor=manager.actor, request_id=request_id_var.get())
        return _public(control_store.load_controls(session, settings))


@router.put("/controls/thresholds")
def thresholds_put(thresholds: dict[str, float], manager: CurrentManager, engine: EngineDep, settings: SettingsDep, controls: ControlsDep) -> ControlsPublic:
    """Per-agent minimum confidence (0–1); agents not named keep their current value."""
    return _save("thresholds", {**controls.thresholds, **thresholds}, manager, engine, settings)


@router.put("/controls/rules/{rule_id}")
def rule_put(rule_id: str, manager: CurrentManager, engine: EngineDep, settings: SettingsDep, controls: ControlsDep, rule: dict[str, Any] = Body(...)) -> ControlsPublic:
    """Add or replace one trigger rule; a condition that does not compile is refused (422) with the CEL error."""
    checked = validate_rule({**rule, "id": rule_id})
    rules = [r.model_dump(mode="json") for r in controls.rules if r.id != rule_id] + [checked.model_dump(mode="json")]
    return _save("rules", rules, manager, engine, settings)


@router.delete("/controls/rules/{rule_id}")
def rule_delete(rule_id: str, manager: CurrentManager, engine: EngineDep, settings: SettingsDep, controls: ControlsDep) -> ControlsPublic:
    if rule_id not in {r.id for r in controls.rules}:
        raise NotFound(f"没有 id 为 {rule_id} 的规则。")
    return _save("rules", [r.model_dump(mode="json") for r in controls.rules if r.id != rule_id], manager, engine, settings)


@router.put("/controls/canary/{agent}")
def canary_put(agent: str, route: CanaryRoute, manager: CurrentManager, engine: EngineDep, settings: SettingsDep, controls: ControlsDep) -> ControlsPublic:
    """Route ``share`` of conversations (sticky per conversation) to prompt ``version``; share 0 ends the canary."""
    canary = {name: r.model_dump() for name, r in controls.canary.items() if name != agent}
    if route.share > 0:
        canary[agent] = route.model_dump()
    return _save("canary", canary, manager, engine, settings)


@router.post("/controls/taxonomy")
def taxonomy_post(addition: ScenarioAddition, manager: CurrentManager, engine: EngineDep, settings: SettingsDep, controls: ControlsDep) -> ControlsPublic:
    """Add a scenario key (the fixed keys can never be removed)."""
    return _save("taxonomy", [a.model_dump() for a in controls.additions] + [addition.model_dump()], manager, engine, settings)
