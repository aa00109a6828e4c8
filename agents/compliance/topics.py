"""Anchors by content: which provisions a suggestion's text touches, and why it complies.

Topics are data (topics.yaml, legal-owned): a topic fires on its cues in the text and names
its anchors; its ``complies`` lines are tried in order, the first whose ``when`` matches is
filled with what it captured (a reply capping 违约金 at 10 % says so), else the plain line.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import regex as re
import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from knowledge.anchors import AnchorLibrary, LegalAnchor, load_anchors
from knowledge.catalog import load_catalog

TOPICS_FILE = Path(__file__).with_name("topics.yaml")
MOST = 4  # anchors per suggestion: the provisions it rests on, not every one it might touch


class Complies(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    when: str | None = Field(None, description="A regex with named groups; the line is used when it matches.")
    text: str = Field(min_length=4, description="Why the text complies; {group} is filled from `when`.")

    @model_validator(mode="after")
    def _fills(self) -> Complies:
        groups = set(re.compile(self.when).groupindex) if self.when else set()
        wanted = set(re.findall(r"\{(\w+)\}", self.text))
        if not wanted <= groups:
            raise ValueError(f"complies line {self.text!r} uses {sorted(wanted - groups)}, which `when` does not capture")
        return self


class Topic(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    title: str
    cues: str = Field(description="A regex; {rivals} = every competitor name and alias in the catalog.")
    anchors: tuple[str, ...] = Field(min_length=1)
    complies: tuple[Complies, ...] = Field(min_length=1)

    @field_validator("complies")
    @classmethod
    def _ends_plain(cls, value: tuple[Complies, ...]) -> tuple[Complies, ...]:
        if value[-1].when is not None:
            raise ValueError("the last complies line must have no `when`: it is the line used when nothing more specific matched")
        return value


class TopicSet(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    topics: tuple[Topic, ...]


@dataclass(frozen=True)
class Grounds:
    """One provision a suggestion rests on: the anchor, the topic that called for it, and why it complies."""

    anchor: LegalAnchor
    topic: str
    complies: str


class TopicDetector:
    def __init__(self, topics: TopicSet, anchors: AnchorLibrary, rivals: tuple[str, ...]) -> None:
        alternation = "|".join(re.escape(name) for name in sorted(rivals, key=len, reverse=True)) or "(?!)"
        self._topics = [
            (topic, re.compile(topic.cues.replace("{rivals}", f"(?:{alternation})")), tuple(anchors.get(a) for a in topic.anchors))
            for topic in topics.topics
        ]
        self._lines = {topic.id: [(re.compile(c.when) if c.when else None, c.text) for c in topic.complies] for topic in topics.topics}

    def grounds(self, text: str, most: int = MOST) -> list[Grounds]:
        """The provisions ``text`` touches, each anchor once, at most ``most``: every topic's
        main anchor first (in topic order), then their second ones."""
        touched = [(topic, anchors, self._line(topic.id, text)) for topic, cues, anchors in self._topics if cues.search(text)]
        found: dict[str, Grounds] = {}
        for rank in range(max((len(anchors) for _, anchors, _ in touched), default=0)):
            for topic, anchors, line in touched:
                if rank < len(anchors):
                    found.setdefault(anchors[rank].id, Grounds(anchors[rank], topic.id, line))
        return list(found.values())[:most]

    def _line(self, topic: str, text: str) -> str:
        for when, line in self._lines[topic]:
            match = when.search(text) if when else None
            if when is None or match:
                return line.format(**{k: v or "" for k, v in (match.groupdict() if match else {}).items()})
        raise AssertionError("the last complies line has no `when`")  # validated at load


@lru_cache(maxsize=1)
def get_topics(path: Path = TOPICS_FILE) -> TopicDetector:
    with path.open(encoding="utf-8") as handle:
        topics = TopicSet.model_validate(yaml.safe_load(handle))
    rivals = tuple(name for product in load_catalog().competitors() for name in (product.name, *product.aliases))
    return TopicDetector(topics, load_anchors(), rivals)
