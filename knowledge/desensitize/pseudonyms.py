"""Placeholders consistent within a conversation, and erasure fingerprints.

The mapping from placeholder back to the original value lives only in memory
(one request, or the short-lived per-conversation cache) so that the rep's own
view can be re-identified; it is never persisted. What is persisted next to a
desensitized record is a fingerprint per value: an HMAC of its normalized
form, which lets an erasure request (个人信息保护法 第四十七条) find the record
without the value ever being stored.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from threading import Lock

from core.desensitized import DesensitizedText
from core.hashing import keyed_hash

_PLACEHOLDER = re.compile(r"<([A-Z][A-Z_]*)_(\d+)>")


@dataclass(frozen=True)
class Entity:
    """One detected value: its type, where it was in the input, what replaced it."""

    type: str
    start: int
    end: int
    placeholder: str
    verified: bool = True  # False: masked after an explicit cue (身份证, 卡号 …) though its checksum fails


@dataclass(frozen=True)
class Desensitized:
    """Text with placeholders, the entities replaced, and their erasure fingerprints."""

    text: DesensitizedText
    entities: tuple[Entity, ...]
    fingerprints: tuple[str, ...]


def fingerprint(normalized_value: str, secret: str) -> str:
    """HMAC-SHA256 of a normalized value; the same person's value always gives the same hex."""
    return keyed_hash(secret, normalized_value, None)


class Pseudonyms:
    """Placeholders of one conversation, numbered per type in reading order.

    Variants of one value (``138 0013 8000``, ``+86 13800138000``) share a
    placeholder because they share a normalized form.
    """

    def __init__(self) -> None:
        self._by_value: dict[tuple[str, str], str] = {}
        self._originals: dict[str, str] = {}
        self._counts: Counter[str] = Counter()
        self._lock = Lock()

    def placeholder(self, entity_type: str, normalized: str, original: str) -> str:
        with self._lock:
            key = (entity_type, normalized)
            if key not in self._by_value:
                self._counts[entity_type] += 1
                self._by_value[key] = f"<{entity_type}_{self._counts[entity_type]}>"
                self._originals[self._by_value[key]] = original
            return self._by_value[key]

    def reidentify(self, text: str) -> str:
        """Put the original values back, for the rep's own eyes only."""
        return _PLACEHOLDER.sub(lambda m: self._originals.get(m.group(0), m.group(0)), text)
