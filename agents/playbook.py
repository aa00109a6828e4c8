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

import regex as re
import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from agents.base import AgentContext, Draft, Source
from agents.move_labels import won_votes
from agents.slots import fill
from core.errors import Unprocessable
from knowledge.lines import load_lines
from knowledge.scripts import ApprovedMove

_SLOT = re.compile(r"\$\{\w+\}")


def _slots_of(phrasing: str) -> set[str]:
    """The slots a phrasing names."""
    return {m.group("named") or m.group("braced") for m in Template.pattern.finditer(phrasing) if m.group("named") or m.group("braced")}


def phrasing_meaning(phrasing: str) -> str:
    """A phrasing with its slots left out: what the guard's learned checks read (cached across requests)."""
    return _SLOT.sub("", phrasing)

PLAYBOOK_FILE = Path(__file__).with_name("playbook.yaml")
TRIGGER_TURNS = 3  # when_any and unless_any read the customer's last turns: a question often comes in a burst of short ones
ANSWERS_BONUS = 0.15  # a move that answers what the customer just asked ranks above one that does not
CALLED_FOR_BONUS = 0.1  # a scenario move the customer's last turn triggered (when_any, when_slots) ranks above the others
WON_DEALS_BONUS = 0.06  # at most: the move the won deals nearest this conversation made most ranks this much higher
APPROVED_MOVE_WEIGHT = 0.64  # the prior of a move legal approved from the script library, until won deals say more
MAX_ADDENDA = 2  # a reply answers at most this many other asks besides its own: more reads as a form
SLOTS = frozenset(
    {"budget", "their_price", "quantity", "deadline", "reply_by", "later", "approver", "missing", "fact", "metric_fact", "raised_fact", "requirement_met", "requirement_short", "credential", "issue", "conceded", "clause_topic", "only_model", "chasing", "budget_fits", "budget_short", "lineup", "address", "rival", "product", "warranty", "in_warranty", "out_of_warranty", "delivery", "service"}
)


@lru_cache(maxsize=1024)
def _any_of(cues: tuple[str, ...]) -> re.Pattern:
    """One pattern matching any of ``cues`` (compiled once per cue list)."""
    return re.compile("|".join(f"(?:{cue})" for cue in cues))


class _Phrased(BaseModel):
    """Phrasings as slot templates; the first whose slots are all filled stands for it."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    phrasings: tuple[str, ...] = Field(min_length=1)

    @field_validator("phrasings")
    @classmethod
    def _known_slots(cls, phrasings: tuple[str, ...]) -> tuple[str, ...]:
        for phrasing in phrasings:
            unknown = _slots_of(phrasing) - SLOTS
            if unknown:
                raise ValueError(f"unknown slots {sorted(unknown)} in {phrasing!r}: known are {sorted(SLOTS)}")
        return phrasings

    def written(self, slots: dict[str, str]) -> str | None:
        """The first phrasing whose slots are all filled, filled in; None when none is."""
        chosen = self.chosen(slots)
        return chosen[0] if chosen else None

    def chosen(self, slots: dict[str, str]) -> tuple[str, str] | None:
        """The first phrasing whose slots are all filled: (filled in, the phrasing itself)."""
        for phrasing in self.phrasings:
            try:
                return Template(phrasing).substitute(slots), phrasing
            except KeyError:
                continue
        return None


class Move(_Phrased):
    id: str = Field(pattern=r"^[a-z_]+\.[a-z_]+$")
    scenario: str
    label: str
    weight: float = Field(ge=0.0, le=1.0)
    when_any: tuple[str, ...] = ()  # offered only when the customer's last three turns say one of these; with scenario "*": first, whatever the scenario
    when_slots: tuple[str, ...] = ()  # with scenario "*": offered first when this conversation fills all of these slots
    answers: tuple[str, ...] = ()  # the asks it answers (playbook.yaml `asks`): ranked first when the customer just asked one
    lines: tuple[str, ...] = ()  # only for these product lines (its words fit goods, or software …); empty: any line
    no_chart: bool = False  # leading with it rules out a comparison chart (a refusal, something we do not sell)
    unless_any: tuple[str, ...] = ()  # not offered when the customer's last three turns say one of these (they already told us)
    unless_slots: tuple[str, ...] = ()  # not offered when the conversation fills one of these (we already offered it)
    alone: bool = False  # with scenario "*": when it is offered, the scenario's own moves are not (they would miss the point)
    rep_note: str | None = None  # for the rep's eyes only (when to send, what to watch)

    def fits(self, line: str | None) -> bool:
        return not self.lines or line in self.lines

    @field_validator("when_any", "unless_any")
    @classmethod
    def _patterns(cls, cues: tuple[str, ...]) -> tuple[str, ...]:
        for cue in cues:
            try:
                re.compile(cue)
            except re.error as error:
                raise ValueError(f"{cue!r} is not a valid pattern: {error}") from error
        return cues

    def triggered(self, customer_turns: list[str], slots: dict[str, str]) -> bool:
        recent = customer_turns[-TRIGGER_TURNS:]
        # each turn, then the burst as one text (a cue written with (?s:…) may span turns: 想做代理 / 保底能赚多少)
        said = bool(self.when_any) and any(_any_of(self.when_any).search(text) for text in (*recent, "\n".join(recent)))
        return said or bool(self.when_slots) and all(name in slots for name in self.when_slots)

    def offer(self, customer_turns: list[str], slots: dict[str, str]) -> bool | None:
        """None when the conversation does not call for it (its trigger did not fire, or the
        customer already said what it would ask, or we already offered it); True when its
        trigger fired; False when it has none (a scenario move, offered as it stands)."""
        if self.unless_any and any(_any_of(self.unless_any).search(turn) for turn in customer_turns[-TRIGGER_TURNS:]):
            return None
        if any(name in slots for name in self.unless_slots):
            return None
        if self.when_any or self.when_slots:
            return True if self.triggered(customer_turns, slots) else None
        return False if self.scenario != "*" else None


class Addendum(_Phrased):
    """A sentence added to a scenario's moves when the customer's last turn also asks
    something else (a delivery date inside a price haggle): one reply answers both."""

    ask: str
    scenarios: tuple[str, ...] = Field(min_length=1)


class Playbook(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    asks: dict[str, tuple[str, ...]]  # what a customer may be asking for, by the words that ask it
    moves: tuple[Move, ...]
    also: tuple[Addendum, ...] = ()

    @model_validator(mode="after")
    def _known_asks(self) -> Playbook:
        for name, asks in [(m.id, m.answers) for m in self.moves] + [(f"also:{a.ask}", (a.ask,)) for a in self.also]:
            unknown = set(asks) - set(self.asks)
            if unknown:
                raise ValueError(f"{name} names unknown asks {sorted(unknown)}: known are {sorted(self.asks)}")
        return self

    def check_script(self, scenario: str, move: str, label: str | None, text: str) -> None:
        """Raise Unprocessable (in Chinese, for the manager) unless ``text`` can phrase
        ``move``: known slots only; an existing move of the same scenario, or a new one
        named ``<scenario>.<name>`` with a label."""
        try:
            _Phrased(phrasings=(text,))
        except ValueError as error:
            raise Unprocessable(f"话术模板有误：只能用这些槽位 {', '.join('${' + s + '}' for s in sorted(SLOTS))}。") from error
        existing = next((m for m in self.moves if m.id == move), None)
        if existing is not None and existing.scenario not in (scenario, "*"):
            raise Unprocessable(f"打法 {move} 属于场景 {existing.scenario}，不能用在 {scenario}。")
        if existing is None and (not move.startswith(f"{scenario}.") or not label):
            raise Unprocessable(f"新打法的编号须以 {scenario}. 开头，并填写 move_label（打法名称）。")

    def check_label(self, scenario: str, move: str) -> None:
        """Raise Unprocessable unless ``move`` is one of ``scenario``'s moves (or any scenario's)
        an annotator may say a reply makes."""
        known = next((m for m in self.moves if m.id == move), None)
        if known is None or known.scenario not in (scenario, "*"):
            options = "、".join(m.id for m in self.moves if m.scenario == scenario)
            raise Unprocessable(f"场景 {scenario} 没有打法 {move}；可选：{options or '无'}。")

    def with_scripts(self, scripts: list[ApprovedMove]) -> Playbook:
        """This playbook with legal-approved script phrasings: ahead of a move's own (the
        approved wording comes first when its slots fill), or as new moves of their own."""
        moves = {m.id: m for m in self.moves}
        for script in scripts:
            try:
                self.check_script(script.scenario, script.move, script.label, script.text)
            except Unprocessable:
                continue  # approved under older rules (a slot since renamed): skipped, never a failed request
            if script.move in moves:
                moves[script.move] = moves[script.move].model_copy(update={"phrasings": (script.text, *moves[script.move].phrasings)})
            else:
                moves[script.move] = Move(id=script.move, scenario=script.scenario, label=script.label or script.move, weight=APPROVED_MOVE_WEIGHT, phrasings=(script.text,))
        return self.model_copy(update={"moves": tuple(moves.values())})

    def asked(self, text: str) -> set[str]:
        """The asks in ``text`` (the customer's last turn)."""
        return {ask for ask, words in self.asks.items() if any(word in text for word in words)}

    def score(self, move: Move, asked: set[str], votes: dict[str, float] | None = None, called_for: bool = False) -> float:
        won = WON_DEALS_BONUS * (votes or {}).get(move.id, 0.0)
        bonus = (ANSWERS_BONUS if asked & set(move.answers) else 0.0) + (CALLED_FOR_BONUS if called_for else 0.0)
        return round(min(1.0, move.weight + bonus + won), 3)

    def for_conversation(
        self, scenario: str, customer_turns: list[str], slots: dict[str, str], line: str | None = None, votes: dict[str, float] | None = None
    ) -> list[tuple[Move, float]]:
        """The moves declining what we must decline or answering what the customer asked
        outright (first), then the scenario's moves that fit the product line, each with its
        score: moves answering what the customer just asked rank first, then those the
        nearest won deals made (``votes``, see :mod:`agents.move_labels`)."""
        asked = self.asked(customer_turns[-1] if customer_turns else "")

        last = customer_turns[-1:]

        def best(of_scenario: str) -> list[tuple[Move, float]]:
            offers = ((m, m.offer(customer_turns, slots)) for m in self.moves if m.scenario == of_scenario and m.fits(line))
            # the bonus goes to what the last turn calls for: answer what the customer pressed on last
            scored = [(m, self.score(m, asked, votes, bool(called) and of_scenario != "*" and m.triggered(last, slots))) for m, called in offers if called is not None]
            return sorted(scored, key=lambda pair: pair[1], reverse=True)

        first = best("*")
        if any(move.alone for move, _ in first):
            return first
        return first + best(scenario)

    def addendum(self, move: Move, phrasing: str, customer_turns: list[str], slots: dict[str, str], scenario: str) -> str:
        """What to add to ``move`` for the other things the customer's last two turns ask (at
        most MAX_ADDENDA sentences, in the order of ``also``; "" when nothing). A move of any
        scenario (a refusal, an honest "we do not sell it") takes the addenda of the
        conversation's ``scenario``; none repeats a slot ``phrasing`` (the move's, as chosen) states."""
        asked = self.asked("\n".join(customer_turns[-2:]))
        of = scenario if move.scenario == "*" else move.scenario
        said = _slots_of(phrasing)
        added = [
            chosen[0]
            for extra in self.also
            if extra.ask in asked and of in extra.scenarios and extra.ask not in move.answers
            and (chosen := extra.chosen(slots)) and not _slots_of(chosen[1]) & said  # never a sentence repeating what the move says
        ]
        return "".join(added[:MAX_ADDENDA])


def rules_out_chart(move_id: str | None, playbook: Playbook | None = None) -> bool:
    """Whether a suggestion making this move, shown first, leaves no place for a chart
    (in ``playbook``, the one in force; by default the shipped one)."""
    return any(move.no_chart for move in (playbook or load_playbook()).moves if move.id == move_id)


@lru_cache(maxsize=2)
def load_playbook(path: Path = PLAYBOOK_FILE) -> Playbook:
    with path.open(encoding="utf-8") as handle:
        return Playbook.model_validate(yaml.safe_load(handle))


def playbook_drafts(agent: str, context: AgentContext, limit: int = 3, won: list | None = None) -> list[Draft]:
    """Up to ``limit`` moves of the scenario, written for this conversation, best first;
    ``won``: the nearest won deals (:func:`agents.retrieval.won_examples`), whose moves rank first."""
    slots, playbook, turns = fill(context, load_lines()), context.playbook or load_playbook(), context.customer_turns
    votes = won_votes(won or [], playbook, context.scenario)
    drafts = []
    for move, score in playbook.for_conversation(context.scenario, turns, slots, context.product_line, votes):
        chosen = move.chosen(slots)
        if chosen is not None:
            text, phrasing = chosen[0] + playbook.addendum(move, chosen[1], turns, slots, context.scenario), phrasing_meaning(chosen[1])
            drafts.append(Draft(agent, text, score, (Source(f"playbook:{move.id}", 1.0),), move=move.id, rep_note=move.rep_note, phrasing=phrasing))
        if len(drafts) == limit:
            break
    return drafts
