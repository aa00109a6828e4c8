"""Our product line under discussion and the customer's own industry: two different fields,
each resolved from what a CRM sends (keys, Chinese labels, near variants) by the aliases in
``lines.yaml``.

The line decides which catalog facts, snippets and moves a suggestion may use; the industry
decides how the customer may be addressed (贵院 only for a hospital, 车间 only for a factory).
A value that resolves to nothing is not an error: the line stays unknown and the suggestion
path says so and keeps to line-neutral words.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from knowledge.catalog import Catalog

LINES_FILE = Path(__file__).with_name("lines.yaml")


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    key: str = Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")
    label: str
    aliases: tuple[str, ...] = Field(min_length=1)


class ProductLine(_Entry):
    """A line of ours, keyed as the catalog's ``industry``; ``cues`` are words a conversation
    about it tends to use (系统 and 账号 for software, 排气量 for compressors)."""

    cues: tuple[str, ...] = ()


class Industry(_Entry):
    """The customer's business, and the words that fit it: how to address them, roles to name."""

    address: str
    roles: tuple[str, ...] = ()
    usual_line: str | None = None  # the line such customers mostly buy: the last resort when the talk names none


def _match(value: str | None, entries: tuple[_Entry, ...]) -> _Entry | None:
    """The entry whose alias equals or is contained in ``value``; the longest alias wins,
    and two different entries tied on it leave the value unresolved."""
    if not value or not value.strip():
        return None
    folded = value.strip().casefold()
    hits = [(len(alias), entry) for entry in entries for alias in entry.aliases if alias.casefold() in folded]
    if not hits:
        return None
    best = max(length for length, _ in hits)
    winners = {entry.key: entry for length, entry in hits if length == best}
    return next(iter(winners.values())) if len(winners) == 1 else None


class Lines(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    product_lines: tuple[ProductLine, ...]
    industries: tuple[Industry, ...]

    @model_validator(mode="after")
    def _usual_lines_known(self) -> Lines:
        keys = {line.key for line in self.product_lines}
        for industry in self.industries:
            if industry.usual_line is not None and industry.usual_line not in keys:
                raise ValueError(f"industry {industry.key}: usual_line {industry.usual_line!r} is not a product line ({', '.join(sorted(keys))})")
        return self

    def line(self, value: str | None) -> ProductLine | None:
        return _match(value, self.product_lines)

    def industry(self, value: str | None) -> Industry | None:
        return _match(value, self.industries)

    def line_by_key(self, key: str | None) -> ProductLine | None:
        return next((line for line in self.product_lines if line.key == key), None)

    def industry_by_key(self, key: str | None) -> Industry | None:
        return next((industry for industry in self.industries if industry.key == key), None)


@dataclass(frozen=True)
class Resolved:
    """What one request is about: the line (a catalog ``industry`` key, or None) and how it
    was found, and the customer's industry (or None)."""

    product_line: ProductLine | None
    line_from: str | None  # attribute, conversation, industry field, industry's usual line, or None
    industry: Industry | None

    @property
    def line_key(self) -> str | None:
        return self.product_line.key if self.product_line else None


def resolve(lines: Lines, catalog: Catalog, industry: str | None, attributes: dict[str, Any], conversation: str) -> Resolved:
    """The product line from (in this order) an explicit ``product_line`` attribute, the
    catalog products named in the conversation, the line whose words the conversation
    uses most (空压机, 排气量; 系统, 账号 …), or the CRM's industry field when it names one
    of our lines, or else the line the customer's industry usually buys; the customer's
    industry from the industry field."""
    attribute = attributes.get("product_line")
    line, source = (lines.line(attribute) if isinstance(attribute, str) else None), "attribute"
    if line is None:
        named = catalog.mentioned(conversation)
        ours = next((p for p in named if p.ours), None)
        product = ours or next(iter(named), None)
        line, source = (lines.line_by_key(product.industry) if product else None), "conversation"
    if line is None:
        line, source = _talked_about(lines, conversation), "conversation"
    if line is None:
        line, source = lines.line(industry), "industry field"
    customer = lines.industry(industry)
    if line is None and customer is not None and customer.usual_line:
        line, source = lines.line_by_key(customer.usual_line), "industry's usual line"
    return Resolved(line, source if line else None, customer)


def _talked_about(lines: Lines, conversation: str) -> ProductLine | None:
    """The line whose names and cue words the conversation uses most, if clearly most."""
    folded = conversation.casefold()
    counts = sorted(
        ((sum(word.casefold() in folded for word in {*line.aliases, *line.cues} if len(word) >= 2), line) for line in lines.product_lines),
        key=lambda pair: pair[0],
        reverse=True,
    )
    (top, line), (runner_up, _) = counts[0], counts[1]
    return line if top > runner_up else None


@lru_cache(maxsize=4)
def load_lines(path: Path = LINES_FILE) -> Lines:
    with path.open(encoding="utf-8") as handle:
        return Lines.model_validate(yaml.safe_load(handle))
