"""The playbook composer (default, no LLM): the scenario's moves, each written for this
conversation from a slot template (``playbook.yaml``; slots from :mod:`agents.slots`).
A move whose phrasings all need a slot this conversation cannot fill is not offered;
every move offered is a different move. When the customer asks for something we must
decline (a kickback, a cover bid, another customer's data …), the polite, firm refusal
with a compliant alternative comes first.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from string import Template

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from agents.base import AgentContext, Draft, Source
from agents.slots import fill
from knowledge.lines import load_lines

PLAYBOOK_FILE = Path(__file__).with_name("playbook.yaml")
SLOTS = frozenset({"budget", "quantity", "deadline", "address", "rival", "product", "warranty", "delivery", "service"})


class Move(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=r"^[a-z_]+\.[a-z_]+$")
    scenario: str
    label: str
    weight: float = Field(ge=0.0, le=1.0)
    phrasings: tuple[str, ...] = Field(min_length=1)
    when_any: tuple[str, ...] = ()  # with scenario "*": offered first, whatever the scenario, when the customer says one of these

    def triggered(self, customer_turns: list[str]) -> bool:
        return any(cue in turn for turn in customer_turns[-2:] for cue in self.when_any)

    @field_validator("phrasings")
    @classmethod
    def _known_slots(cls, phrasings: tuple[str, ...]) -> tuple[str, ...]:
        for phrasing in phrasings:
            unknown = {m.group("named") or m.group("braced") for m in Template.pattern.finditer(phrasing) if m.group("named") or m.group("braced")} - SLOTS
            if unknown:
                raise ValueError(f"unknown slots {sorted(unknown)} in {phrasing!r}: known are {sorted(SLOTS)}")
        return phrasings

    def written(self, slots: dict[str, str]) -> str | None:
        """The first phrasing whose slots are all filled, filled in; None when none is."""
        for phrasing in self.phrasings:
            try:
                return Template(phrasing).substitute(slots)
            except KeyError:
                continue
        return None


class Playbook(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    moves: tuple[Move, ...]

    def for_conversation(self, scenario: str, customer_turns: list[str]) -> list[Move]:
        """The moves that answer what the customer asked for that we must decline (first),
        then the scenario's moves; each list best first."""
        def best(moves) -> list[Move]:
            return sorted(moves, key=lambda m: m.weight, reverse=True)

        return best(m for m in self.moves if m.scenario == "*" and m.triggered(customer_turns)) + best(m for m in self.moves if m.scenario == scenario)


@lru_cache(maxsize=2)
def load_playbook(path: Path = PLAYBOOK_FILE) -> Playbook:
    with path.open(encoding="utf-8") as handle:
        return Playbook.model_validate(yaml.safe_load(handle))


def playbook_drafts(agent: str, context: AgentContext, limit: int = 3) -> list[Draft]:
    """Up to ``limit`` moves of the scenario, written for this conversation, best first."""
    slots = fill(context, load_lines())
    drafts = []
    for move in load_playbook().for_conversation(context.scenario, context.customer_turns):
        text = move.written(slots)
        if text is not None:
            drafts.append(Draft(agent, text, move.weight, (Source(f"playbook:{move.id}", 1.0),), move=move.id))
        if len(drafts) == limit:
            break
    return drafts
