"""Manager controls: per-agent thresholds, trigger rules, prompt canaries, taxonomy additions.

Stored in the database (table ``control``, one JSON value per key) so that every
instance sees the same; each change is validated first and recorded in the ledger.
The suggest path reads them through :func:`current_controls`, cached for a few seconds.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from threading import Lock
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
)
from sqlalchemy import Engine
from sqlmodel import Session

from agents.control_table import Control
from agents.playbook import Playbook, load_playbook
from agents.rules import RuleSet, TriggerRule, load_rules, validate_rule
from audit import ledger
from audit.events import ControlUpdated
from core import clock
from core.db import after_commit, is_write_session, read_session
from core.errors import Conflict, NotFound, Unprocessable, ValidationFailed, invalid_fields
from core.json_types import NUMBER_ONLY
from core.printable import PRINTABLE_PATTERN, is_printable
from core.settings import Settings
from knowledge.scripts import ApprovedMove, approved_moves
from knowledge.taxonomy import Scenario, Taxonomy, load_taxonomy
from prompts.library import PromptLibrary, PromptTemplate

ControlKey = Literal["thresholds", "rules", "canary", "taxonomy"]
CACHE_SECONDS = 2.0


class CanaryRoute(BaseModel):
    """Send ``share`` of conversations (sticky per conversation) to prompt ``version``."""

    model_config = ConfigDict(extra="forbid")
    version: Annotated[int, Field(ge=1), NUMBER_ONLY]
    share: Annotated[float, Field(ge=0.0, le=1.0), NUMBER_ONLY]


def _printable(value: str) -> str:
    if not is_printable(value):
        raise ValueError("不能含控制字符或不可见字符")
    return value


PrintableText = Annotated[
    str, StringConstraints(strip_whitespace=True), AfterValidator(_printable), Field(json_schema_extra={"pattern": PRINTABLE_PATTERN})
]


class ScenarioAddition(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")
    label: PrintableText = Field(min_length=1, max_length=40)
    cues: list[Annotated[PrintableText, StringConstraints(min_length=1, max_length=20)]] = Field(default_factory=list, max_length=100)


Threshold = Annotated[float, Field(ge=0.0, le=1.0, description="最低置信度（0–1）"), NUMBER_ONLY]
_THRESHOLDS = TypeAdapter(dict[str, Threshold])
_CANARY = TypeAdapter(dict[str, CanaryRoute])
_TAXONOMY = TypeAdapter(list[ScenarioAddition])


@dataclass(frozen=True)
class Controls:
    """The controls in force for one request."""

    thresholds: dict[str, float]
    rules: tuple[TriggerRule, ...]
    rule_set: RuleSet
    canary: dict[str, CanaryRoute]
    taxonomy: Taxonomy
    additions: tuple[ScenarioAddition, ...]
    playbook: Playbook  # the shipped moves with legal-approved script phrasings

    def threshold(self, agent: str) -> float:
        return self.thresholds.get(agent, 0.5)

    def prompt_for(self, library: PromptLibrary, agent: str, conversation: str) -> PromptTemplate | None:
        """The agent's stable prompt, or its canary version for the conversations whose
        sticky bucket falls under the canary's share; None when the agent has no prompt."""
        if agent not in library.agents:
            return None
        route = self.canary.get(agent)
        if route is not None and route.version in library.versions(agent) and canary_bucket(agent, conversation) < route.share:
            return library.get(agent, route.version)
        return library.get(agent)  # also when this instance lacks the canary's version (a rolling deploy)


def canary_bucket(agent: str, conversation: str) -> float:
    """A conversation's fixed place in [0, 1) for one agent: the same every request."""
    return int(hashlib.sha256(f"{agent}\x00{conversation}".encode()).hexdigest()[:12], 16) / float(16**12)


def _validated(key: ControlKey, value: Any, library: PromptLibrary | None = None) -> Any:
    """The value in its stored JSON form, or ValidationFailed saying what is wrong."""
    try:
        if key == "thresholds":
            from agents.registry import get_registry

            thresholds = _THRESHOLDS.validate_python(value)
            unknown = sorted(set(thresholds) - set(get_registry().names))
            if unknown:
                raise Unprocessable(f"没有这些智能体：{', '.join(unknown)}（可选 {', '.join(get_registry().names)}）。")
            return thresholds
        if key == "rules":
            if not isinstance(value, list):
                raise ValidationFailed("规则须为列表。")
            rules = [validate_rule(item) for item in value]
            ids = [rule.id for rule in rules]
            if len(set(ids)) != len(ids):
                raise ValidationFailed("规则 id 重复：每条规则的 id 须唯一。")
            return [rule.model_dump(mode="json") for rule in rules]
        if key == "canary":
            routes = _CANARY.validate_python(value)
            library = library or PromptLibrary.load()
            for agent, route in routes.items():
                if route.version not in library.versions(agent):
                    raise Unprocessable(f"智能体 {agent} 没有第 {route.version} 版提示词：可选 {library.versions(agent)}。")
            return {agent: route.model_dump() for agent, route in routes.items()}
        additions = _TAXONOMY.validate_python(value)
        base = load_taxonomy().scenarios
        keys, labels = [a.key for a in additions], [a.label for a in additions]
        if {s.key for s in base} & set(keys) or len(set(keys)) != len(keys):
            raise Conflict("新增场景的 key 不能与已有场景重复。")
        if {s.label for s in base} & set(labels) or len(set(labels)) != len(labels):
            raise Conflict("新增场景的名称不能与已有场景重复（标注页按名称区分场景）。")
        return [a.model_dump() for a in additions]
    except ValidationError as exc:
        raise ValidationFailed(f"{key} 的取值无效（{', '.join(invalid_fields(exc, root=key))}）：请按接口文档修改后重试。") from None


def stored(session: Session, key: ControlKey) -> Any | None:
    row = session.get(Control, key)
    return json.loads(row.value) if row else None


_DEFAULTS: dict[str, Callable[[], Any]] = {
    "thresholds": dict,
    "rules": lambda: [rule.model_dump(mode="json") for rule in load_rules()],
    "canary": dict,
    "taxonomy": list,
}


def change(session: Session, key: ControlKey, edit: Callable[[Any], Any], *, actor: ledger.Actor, request_id: str | None = None) -> Any:
    """Apply ``edit`` to one control's current stored value (or its default) and store the
    result, validated, inside the caller's write session: concurrent changes serialize
    instead of overwriting each other. Recorded in the ledger."""
    if not is_write_session(session):
        raise RuntimeError("controls.change needs a session from core.db.write_session()")
    current = stored(session, key)
    clean = _validated(key, edit(_DEFAULTS[key]() if current is None else current))
    row = session.get(Control, key) or Control(key=key, value="", updated_at=clock.now())
    row.value, row.updated_at, row.updated_by = json.dumps(clean, ensure_ascii=False), clock.now(), actor.key_id
    session.add(row)
    ledger.append(session, ControlUpdated(key=key, value=clean), actor=actor, request_id=request_id)
    after_commit(session, _cache.clear)
    return clean


def build_controls(
    thresholds: dict[str, float],
    rules: list[dict] | None = None,
    additions: list[dict] | None = None,
    canary: dict | None = None,
    moves: list[ApprovedMove] | None = None,
) -> Controls:
    """Controls from stored JSON values; None means the shipped default (rules.yaml, no
    added scenarios, no canary, the shipped playbook)."""
    parsed_rules = tuple(load_rules() if rules is None else (TriggerRule.model_validate(r) for r in rules))
    added = tuple(ScenarioAddition.model_validate(a) for a in additions or [])
    base = load_taxonomy()
    taxonomy = Taxonomy(scenarios=(*base.scenarios, *(Scenario(key=a.key, label=a.label, cues=tuple(a.cues)) for a in added)))
    routes = {agent: CanaryRoute.model_validate(route) for agent, route in (canary or {}).items()}
    playbook = load_playbook().with_scripts(moves) if moves else load_playbook()
    return Controls(dict(thresholds), parsed_rules, _rule_set(parsed_rules), routes, taxonomy, added, playbook)


def load_controls(session: Session, settings: Settings) -> Controls:
    """The controls in force: the database's values over the shipped defaults."""
    return build_controls(
        {**settings.agent_thresholds, **(stored(session, "thresholds") or {})},
        stored(session, "rules"),
        stored(session, "taxonomy"),
        stored(session, "canary"),
        approved_moves(session),
    )


_rule_sets: dict[tuple[str, ...], RuleSet] = {}


def _rule_set(rules: tuple[TriggerRule, ...]) -> RuleSet:
    """Compiled once per distinct rule list (compiling 20 rules takes ~25 ms)."""
    key = tuple(rule.model_dump_json() for rule in rules)
    if key not in _rule_sets:
        _rule_sets.clear()
        _rule_sets[key] = RuleSet(rules)
    return _rule_sets[key]


class _Cache:
    def __init__(self) -> None:
        self._lock = Lock()
        self._entries: dict[str, tuple[float, Controls]] = {}

    def get(self, engine: Engine, settings: Settings) -> Controls:
        key = f"{engine.url}|{sorted(settings.agent_thresholds.items())}"
        with self._lock:
            entry = self._entries.get(key)
            if entry and time.monotonic() - entry[0] < CACHE_SECONDS:
                return entry[1]
        with read_session(engine) as session:
            controls = load_controls(session, settings)
        with self._lock:
            self._entries[key] = (time.monotonic(), controls)
        return controls

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


_cache = _Cache()


def refresh_controls() -> None:
    """Read the controls afresh on the next request (after a change outside :func:`change`,
    such as legal approving a script that phrases a playbook move)."""
    _cache.clear()


def current_controls(engine: Engine, settings: Settings) -> Controls:
    """The controls in force, re-read from the database at most every CACHE_SECONDS
    (a change made on another instance shows within that time)."""
    return _cache.get(engine, settings)


def set_thresholds(patch: dict[str, float]) -> Callable[[dict], dict]:
    """An edit for :func:`change`: these agents' thresholds, the others kept."""
    return lambda current: {**current, **patch}


def put_rule(rule: dict[str, Any]) -> Callable[[list], list]:
    """An edit: add the rule, or replace the one with its id."""
    return lambda current: [r for r in current if r.get("id") != rule.get("id")] + [rule]


def drop_rule(rule_id: str) -> Callable[[list], list]:
    def edit(current: list) -> list:
        if rule_id not in {r.get("id") for r in current}:
            raise NotFound(f"没有 id 为 {rule_id} 的规则。")
        return [r for r in current if r.get("id") != rule_id]

    return edit


def route_canary(agent: str, version: int, share: float) -> Callable[[dict], dict]:
    """An edit: ``share`` of the agent's conversations to ``version``; share 0 ends the canary."""
    return lambda current: {name: r for name, r in current.items() if name != agent} | ({agent: {"version": version, "share": share}} if share > 0 else {})


def add_scenario(addition: dict[str, Any]) -> Callable[[list], list]:
    return lambda current: [*current, addition]


def remove_scenario(key: str) -> Callable[[list], list]:
    """An edit: take out a scenario a manager added (the shipped ones stay)."""

    def remove(current: list) -> list:
        if key in {s.key for s in load_taxonomy().scenarios}:
            raise Conflict(f"场景 {key} 是内置场景，不能删除；只能删除经理新增的场景。")
        if key not in {a["key"] for a in current}:
            raise NotFound(f"没有经理新增的场景 {key}。")
        return [a for a in current if a["key"] != key]

    return remove
