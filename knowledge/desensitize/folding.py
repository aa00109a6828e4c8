"""Fold text before detection: full-width forms to ASCII (NFKC), invisible format
characters out, with a map back to the original offsets.

Chinese input methods type full-width digits and letters (１３８…, ＠) and chat
tools insert zero-width characters; without folding each would hide PII from
every pattern.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Folded:
    text: str
    origin: tuple[int, ...]  # origin[i]: offset in the original of folded character i

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The original offsets covering folded characters [start, end)."""
        return self.origin[start], self.origin[end - 1] + 1


def fold(text: str) -> Folded:
    if text.isascii():
        return Folded(text, tuple(range(len(text))))
    chars: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        if unicodedata.category(char) == "Cf":
            continue
        for folded in unicodedata.normalize("NFKC", char):
            chars.append(folded)
            origin.append(index)
    return Folded("".join(chars), tuple(origin))
