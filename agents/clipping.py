"""Cutting a text to its end without splitting an identifier: what the window of a
suggest request and retrieval's query use to stay within their character budgets."""

from __future__ import annotations

import re

CLIPPED = "…"
# A cut never lands inside a run of ASCII letters/digits/e-mail characters (a phone or card
# number cut in two could slip past the desensitizer): it moves on to the next safe place.
_IDENTIFIER_RUN = re.compile(r"[0-9A-Za-z@._+\-\s()（）<>]*")  # <CN_MOBILE_1>: a placeholder is not cut either
_BOUNDARY = re.compile(r"[。！？!?；;，,\n]")


def clip_end(text: str, limit: int) -> str:
    """The last ``limit`` characters of ``text`` (whole when it fits), starting at a
    sentence boundary when one is near, never inside a number or an e-mail address."""
    if len(text) <= limit:
        return text
    tail = text[len(text) - limit :]
    boundary = _BOUNDARY.search(tail, 0, min(len(tail), 80))
    start = boundary.end() if boundary else _IDENTIFIER_RUN.match(tail).end()
    return CLIPPED + tail[start:]
