"""Request field types that read JSON as JSON Schema does: a number is a JSON number (``5``
or ``5.0`` for an integer), never ``true`` or ``"5"``; a boolean is ``true`` or ``false``,
never ``0`` or ``"yes"``. Pydantic's lax mode would take all of those."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Strict


def _json_number(value: Any) -> Any:
    if isinstance(value, bool | str):
        raise ValueError("应为 JSON 数字（不能是 true/false 或带引号的字符串）")
    return value


NUMBER_ONLY = BeforeValidator(_json_number)
"""For an int or float field, after its bounds (so the schema keeps its minimum and maximum):
``Annotated[int, Field(ge=1), NUMBER_ONLY]`` takes ``5`` and ``5.0``, refuses ``true`` and ``"5"``."""
JsonBool = Annotated[bool, Strict()]
"""``true`` or ``false`` only."""
