"""Query parameter types shared by routes."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from fastapi import Path
from pydantic import BeforeValidator
from starlette.convertors import Convertor, register_url_convertor

_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_day(value: Any) -> Any:
    """Only YYYY-MM-DD: pydantic would otherwise read ``to=0`` as a Unix time (1970-01-01)."""
    if isinstance(value, str) and not _ISO_DAY.match(value):
        raise ValueError("日期格式应为 YYYY-MM-DD，例如 2026-12-31")
    return value


IsoDay = Annotated[date, BeforeValidator(_iso_day)]
"""A calendar day written as YYYY-MM-DD (nothing else is read as a date)."""

SNIPPET_ID = r"[0-9a-f]{64}|demo-[0-9]{4}"


class SnippetIdConvertor(Convertor[str]):
    """``{snippet_id:snippet}`` in a route path: only a snippet id matches, so ``POST .../next``
    is a 405 of the ``next`` route, never the label route with id ``next``."""

    regex = SNIPPET_ID

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("snippet", SnippetIdConvertor())

SnippetId = Annotated[
    str, Path(pattern=f"^(?:{SNIPPET_ID})$", description="片段编号（导入的片段为 64 位十六进制，演示片段为 demo-NNNN）。")
]
"""A snippet id in a path (declare the route with ``{snippet_id:snippet}``)."""
