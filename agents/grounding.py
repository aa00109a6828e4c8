"""The grounding check, on every draft of every composer (retrieved, playbook, LLM): each
specific must be traceable to this conversation, the customer record or the catalog entries
of the line discussed (see :mod:`knowledge.specifics`); role words (贵院, 车间 …) only fit a
customer of that industry. A draft with a foreign specific is repaired (the sentences
carrying it removed) when enough of it stands without them, else dropped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import regex as re

from agents.base import AgentContext
from knowledge.lines import Lines
from knowledge.specifics import Grounding

SENTENCE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]?")
MIN_KEPT_CHARS = 12
MIN_KEPT_SHARE = 0.5


@dataclass(frozen=True)
class Checked:
    text: str | None  # the draft as it may be shown; None when it had to be dropped
    foreign: tuple[str, ...]  # the specifics this conversation does not ground

    @property
    def repaired(self) -> bool:
        return bool(self.foreign) and self.text is not None


def grounding_for(context: AgentContext, lines: Lines) -> Grounding:
    """What a reply in this conversation may draw on (desensitized turns, so this
    conversation's placeholders are grounded)."""
    allowed = [turn.text for turn in context.turns]
    allowed.append(json.dumps(context.attributes, ensure_ascii=False, default=str))
    allowed += [p.facts_text() for p in context.catalog.products if context.product_line and p.industry == context.product_line]
    industry = lines.industry_by_key(context.customer_industry)
    if industry is not None:
        allowed += [industry.address, *industry.roles]
    return Grounding("\n".join(allowed), placeholders_ok=True)


def check(text: str, grounding: Grounding) -> Checked:
    """``text`` as it may be shown: whole, repaired, or dropped (``text`` None)."""
    foreign = tuple(specific.text for specific in grounding.foreign(text))
    if not foreign:
        return Checked(text, ())
    repaired = "".join(sentence for sentence in SENTENCE.findall(text) if not grounding.foreign(sentence)).strip()
    if len(repaired) < MIN_KEPT_CHARS or len(repaired) < MIN_KEPT_SHARE * len(text):
        return Checked(None, foreign)
    return Checked(repaired, foreign)
