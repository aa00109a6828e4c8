"""Query parameter types shared by routes."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from fastapi import Path
from pydantic import BeforeValidator, Field
from starlette.convertors import Convertor, register_url_convertor

# The years audit.periods can answer for (EARLIEST..LATEST), written where JSON Schema sees them
ISO_DAY_PATTERN = r"^20[0-9]{2}-[0-9]{2}-[0-9]{2}$"
QUARTER_PATTERN = r"^20[0-9]{2}Q[1-4]$"


def _iso_day(value: Any) -> Any:
    """Only YYYY-MM-DD: pydantic would otherwise read ``to=0`` as a Unix time (1970-01-01)."""
    if isinstance(value, str) and not re.match(ISO_DAY_PATTERN, value):
        raise ValueError("日期应为 2000-01-01 至 2099-12-31 之间的 YYYY-MM-DD，例如 2026-12-31")
    return value


IsoDay = Annotated[date, BeforeValidator(_iso_day), Field(json_schema_extra={"pattern": ISO_DAY_PATTERN})]
"""A calendar day written as YYYY-MM-DD, 2000 to 2099 (nothing else is read as a date)."""

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
