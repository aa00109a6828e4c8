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
from knowledge.specifics import Grounding, allowed_text

SENTENCE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]?")
MIN_KEPT_CHARS = 12
MIN_KEPT_SHARE = 0.5


@dataclass(frozen=True)
class Checked:
    text: str | None  # the draft as it may be shown; None when it had to be dropped
    foreign: tuple[str, ...]  # the specifics this conversation does not ground


def grounding_for(context: AgentContext, lines: Lines) -> Grounding:
    """What a reply in this conversation may draw on (desensitized turns, so this
    conversation's placeholders are grounded)."""
    record = json.dumps(context.attributes, ensure_ascii=False, default=str)
    industry = lines.industry_by_key(context.customer_industry)
    allowed = allowed_text((turn.text for turn in context.turns), record, context.catalog, context.product_line, industry)
    return Grounding(allowed, placeholders_ok=True)


def check(text: str, grounding: Grounding) -> Checked:
    """``text`` as it may be shown: whole, repaired, or dropped (``text`` None)."""
    foreign = tuple(specific.text for specific in grounding.foreign(text))
    if not foreign:
        return Checked(text, ())
    repaired = "".join(sentence for sentence in SENTENCE.findall(text) if not grounding.foreign(sentence)).strip()
    if len(repaired) < MIN_KEPT_CHARS or len(repaired) < MIN_KEPT_SHARE * len(text):
        return Checked(None, foreign)
    return Checked(repaired, foreign)
