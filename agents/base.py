"""What an agent is: a plugin that turns a conversation into drafts.

An agent declares ``name``, ``version`` and the ``scenarios`` it serves, and
registers through the entry-point group ``zhice.agents`` (built-ins exactly
like third-party ones, see pyproject.toml). It only ever sees desensitized text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from agents.clipping import clip_end
from knowledge.anchors import LegalAnchor
from knowledge.catalog import Catalog
from knowledge.store import KnowledgeStore

if TYPE_CHECKING:
    from agents.playbook import Playbook


@dataclass(frozen=True)
class Turn:
    role: str  # "customer" | "rep"
    text: str  # desensitized


QUERY_CHARS = 80  # the embedder costs ~0.9 ms a character: what retrieval asks with is bounded


def query_of(customer_turns: list[str]) -> str:
    """The customer's last two turns, at most their last QUERY_CHARS characters."""
    return clip_end("\n".join(customer_turns[-2:]), QUERY_CHARS)


@dataclass(frozen=True)
class AgentContext:
    """Everything an agent may use for one request."""

    turns: tuple[Turn, ...]
    scenario: str
    product_line: str | None  # our line under discussion (a catalog industry key), None when unknown
    attributes: dict
    store: KnowledgeStore
    catalog: Catalog
    retrieve_tags: tuple[str, ...] = ()  # trigger rules: prefer approved snippets carrying these tags
    customer_industry: str | None = None  # the customer's own business (knowledge/lines.yaml key)
    playbook: Playbook | None = None  # the playbook in force (shipped moves plus approved scripts); None: the shipped one
    intents: tuple[str, ...] = ()  # every scenario the customer's turns carry, the main one first (price + delivery …)
    industry_label: str | None = None  # the customer's industry as the CRM sent it (三甲医院), before resolving

    def __post_init__(self) -> None:
        if not self.intents:
            object.__setattr__(self, "intents", (self.scenario,))

    @property
    def customer_turns(self) -> list[str]:
        return [turn.text for turn in self.turns if turn.role == "customer"]

    @property
    def query(self) -> str:
        """What retrieval asks with: the end of the customer's last two turns (:func:`query_of`)."""
        return query_of(self.customer_turns)



@dataclass(frozen=True)
class Source:
    snippet_id: str
    score: float


@dataclass(frozen=True)
class Draft:
    """A suggestion before the compliance guard and ranking."""

    agent: str
    text: str
    confidence: float
    sources: tuple[Source, ...] = ()
    anchors: tuple[LegalAnchor, ...] = field(default=())  # anchors the content itself rests on
    move: str | None = None  # the playbook move it makes (playbook.yaml), when it comes from one
    rep_note: str | None = None  # for the rep's eyes (why, what to watch), never part of the text sent
    phrasing: str | None = None  # the approved wording it was filled from: what the exemplar bank reads (cached across requests)
    proposes: str = ""  # approved terms of ours the text puts forward (a counter-clause): their specifics are grounded too
    prompt_version: str | None = None  # the prompt (id@version) when an LLM wrote it
    asked_for: bool = False  # a won deal's reply a manager's trigger rule asked for (its tags): shown right after the best draft
    high_value: bool = False  # a won deal's reply annotators marked high-value and legal approved: ranked with the drafts, not after them

    @property
    def composer(self) -> str:
        """Who wrote it: ``llm``, ``playbook`` (a move's phrasing), ``rule`` (a contract
        counter-term or a catalog comparison) or ``retrieved`` (a won deal's reply)."""
        if self.prompt_version:
            return "llm"
        if self.move:
            return "playbook"
        first = self.sources[0].snippet_id if self.sources else ""
        return "rule" if first.startswith(("rule:", "catalog:")) else "retrieved"


@runtime_checkable
class Agent(Protocol):
    name: str
    version: str
    scenarios: frozenset[str]

    def draft(self, context: AgentContext) -> list[Draft]: ...
