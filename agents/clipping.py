"""Cutting a text to its end without splitting an identifier: what the window of a
suggest request and retrieval's query use to stay within their character budgets."""

from __future__ import annotations

import re

CLIPPED = "…"
# A cut never lands inside an identifier (a phone or card number cut in two could slip
# past the desensitizer): it moves past the rest of it first. Identifier characters are
# ASCII or full-width letters and digits, e-mail punctuation, zero-width characters and
# placeholder brackets; a space or hyphen counts only before another digit (6222 0202 …).
_ID = r"0-9A-Za-z０-９Ａ-Ｚａ-ｚ@._+()（）<>\u200b-\u200d\u2060\ufeff"
_IDENTIFIER_RUN = re.compile(rf"(?:[{_ID}]|[\s\-－](?=[\s\-－]*[0-9０-９]))*")
_BOUNDARY = re.compile(r"[。！？!?；;，,\n]")


def clip_end(text: str, limit: int) -> str:
    """At most ``limit`` characters from the end of ``text`` (whole when it fits), starting at a
    sentence boundary in the first half of them when there is one, never inside a number
    or an e-mail address."""
    if len(text) <= limit:
        return text
    tail = text[len(text) - limit + len(CLIPPED) :]  # the mark counts towards the limit
    boundary = _BOUNDARY.search(tail, 0, min(len(tail) // 2, 80))
    start = boundary.end() if boundary else _IDENTIFIER_RUN.match(tail).end()
    return CLIPPED + tail[start:]
