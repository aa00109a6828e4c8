"""Trigger rules as data: the pydantic models, the YAML file, and the conversation signals."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from core.errors import ValidationFailed, validation_failed
from core.json_types import JsonBool

RULES_FILE = Path(__file__).with_name("rules.yaml")
RULE_FORMAT = "触发规则的格式"

SLUG_PATTERN = r"^[a-z][a-z0-9_-]{1,63}$"
Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN)]
# the pattern of snippet tags (knowledge.snippets.queue.Tag): a retrieve tag must be able to match one
SnippetTag = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]


# "at least one field asks for something", as JSON Schema says it
DOES_SOMETHING = [
    *({"required": [name], "properties": {name: {"minItems": 1}}} for name in ("retrieve_tags", "tags", "boost_agents")),
    {"required": ["case_library"], "properties": {"case_library": {"type": "string"}}},
]


class RuleAction(BaseModel):
    """What a fired rule does; at least one field must ask for something."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={"anyOf": DOES_SOMETHING},
    )

    retrieve_tags: list[SnippetTag] = Field(
        default_factory=list, description="Prefer won-deal pool snippets carrying any of these tags (e.g. low_price)."
    )
    tags: list[Slug] = Field(default_factory=list, description="Labels shown to the rep with the response (e.g. escalate_vp).")
    boost_agents: list[Slug] = Field(default_factory=list, description="Agents to run in addition, or to rank higher.")
    case_library: Slug | None = Field(None, description="Name of a curated case library to attach.")

    @model_validator(mode="after")
    def _does_something(self) -> RuleAction:
        if not (self.retrieve_tags or self.tags or self.boost_agents or self.case_library):
            raise ValueError("动作为空：retrieve_tags、tags、boost_agents、case_library 至少填写一项")
        return self


class RuleDefinition(BaseModel):
    """A rule as a manager sends it to ``PUT /v1/controls/rules/{id}`` (the id is in the path)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str = Field(min_length=1, max_length=500)
    condition: str = Field(
        min_length=1, max_length=2000, description="A CEL expression over `customer` and `conversation`, true to fire."
    )
    action: RuleAction
    enabled: JsonBool = True


class TriggerRule(RuleDefinition):
    """A manager-defined rule: when the CEL ``condition`` holds, ``action`` applies."""

    id: Slug


class RuleFile(BaseModel):
    """The shape of a rules YAML file: ``rules:`` and a list."""

    model_config = ConfigDict(extra="forbid")
    rules: list[TriggerRule]


@dataclass(frozen=True)
class Signals:
    """What the pipeline knows about the conversation; ``conversation`` in a condition.

    ``text`` is the customer's last message, already desensitized.
    """

    scenario: str
    industry: str | None = None
    turns: int = 0
    customer_turns: int = 0
    competitors: tuple[str, ...] = ()
    text: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The plain dict a condition sees as ``conversation``."""
        return {
            "scenario": self.scenario,
            "industry": self.industry,
            "turns": self.turns,
            "customer_turns": self.customer_turns,
            "competitors": list(self.competitors),
            "text": self.text,
        }


def load_rules(path: Path | str = RULES_FILE) -> list[TriggerRule]:
    """The rules of a YAML file (validated, not compiled: see ``RuleSet``)."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ValidationFailed(f"规则文件 {path.name} 不是合法的 YAML：{exc}。请修正后重新加载。") from exc
    try:
        return RuleFile.model_validate(data).rules
    except ValidationError as exc:
        raise validation_failed(exc, subject=f"规则文件 {path.name} 的", fix=RULE_FORMAT) from exc


def dump_rules(rules: Sequence[TriggerRule]) -> str:
    """YAML text that ``load_rules`` reads back to the same rules."""
    data = {"rules": [rule.model_dump(mode="json", exclude_defaults=True) for rule in rules]}
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
