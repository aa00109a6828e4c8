"""Manager controls: thresholds, trigger rules, prompt canaries, the scenario taxonomy."""

from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel

from agents import controls as control_store
from agents.controls import CanaryRoute, ControlKey, ScenarioAddition, Threshold
from agents.rules import SLUG_PATTERN, RuleDefinition, validate_rule
from api.deps import ControlsDep, CurrentManager, ManagerOrAuditor, ServicesDep
from core.db import write_session
from core.errors import NotFound
from core.logging import request_id_var
from prompts.library import PromptLibrary

router = APIRouter(prefix="/v1", tags=["controls"])
RuleId = Annotated[str, Path(pattern=SLUG_PATTERN, description="规则 id：小写字母开头，2–64 个字符（a-z、0-9、_、-）。")]


class ControlsPublic(BaseModel):
    thresholds: dict[str, float]
    rules: list[dict[str, Any]]
    canary: dict[str, CanaryRoute]
    taxonomy: list[dict[str, Any]]
    prompts: dict[str, list[dict[str, Any]]]


def _public(controls, library: PromptLibrary) -> ControlsPublic:
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
def controls_get(_caller: ManagerOrAuditor, controls: ControlsDep, services: ServicesDep) -> ControlsPublic:
    """Everything a manager controls, as in force now."""
    return _public(controls, services.prompts)


def _change(key: ControlKey, edit, manager, services) -> ControlsPublic:
    with write_session(services.engine) as session:
        control_store.change(session, key, edit, actor=manager.actor, request_id=request_id_var.get())
        return _public(control_store.load_controls(session, services.settings), services.prompts)


@router.put("/controls/thresholds")
def thresholds_put(thresholds: dict[str, Threshold], manager: CurrentManager, services: ServicesDep) -> ControlsPublic:
    """Per-agent minimum confidence (0–1) for the agents named; the others keep theirs."""
    return _change("thresholds", control_store.set_thresholds(thresholds), manager, services)


@router.put("/controls/rules/{rule_id}")
def rule_put(rule_id: RuleId, rule: RuleDefinition, manager: CurrentManager, services: ServicesDep) -> ControlsPublic:
    """Add or replace one trigger rule; a condition that does not compile is refused (422) with the CEL error."""
    checked = validate_rule({**rule.model_dump(), "id": rule_id})
    return _change("rules", control_store.put_rule(checked.model_dump(mode="json")), manager, services)


@router.delete("/controls/rules/{rule_id}")
def rule_delete(rule_id: str, manager: CurrentManager, services: ServicesDep) -> ControlsPublic:
    return _change("rules", control_store.drop_rule(rule_id), manager, services)


@router.put("/controls/canary/{agent}")
def canary_put(agent: str, route: CanaryRoute, manager: CurrentManager, services: ServicesDep) -> ControlsPublic:
    """Route ``share`` of conversations (sticky per conversation) to prompt ``version``; share 0 ends the canary."""
    if agent not in services.registry.names:
        raise NotFound(f"没有智能体 {agent}：可选 {', '.join(services.registry.names)}。")
    return _change("canary", control_store.route_canary(agent, route.version, route.share), manager, services)


@router.post("/controls/taxonomy")
def taxonomy_post(addition: ScenarioAddition, manager: CurrentManager, services: ServicesDep) -> ControlsPublic:
    """Add a scenario key (its key and label unlike every other; the fixed keys can never be removed)."""
    return _change("taxonomy", control_store.add_scenario(addition.model_dump()), manager, services)


@router.delete("/controls/taxonomy/{key}")
def taxonomy_delete(key: str, manager: CurrentManager, services: ServicesDep) -> ControlsPublic:
    """Take out a scenario a manager added (404 for an unknown key, 409 for a shipped one)."""
    return _change("taxonomy", control_store.remove_scenario(key), manager, services)
