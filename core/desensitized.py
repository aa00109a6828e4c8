"""Desensitized text as a type, so that storage can refuse anything else.

:class:`DesensitizedText` is a ``str`` whose only maker is the desensitizer
(``knowledge.desensitize``); a test checks that no other module constructs one.
Any string operation on it (slicing, joining, formatting) returns a plain
``str``: text derived from desensitized text must go through the desensitizer
again before it is kept.

As a pydantic field type it is strict on write and lenient on read back:

* Python input must be a ``DesensitizedText`` (or ``""``, which holds nothing to
  desensitize); a plain ``str`` fails validation. Ledger event models and the
  storage functions use it, so raw text cannot reach the ledger or the tables.
* Text read back from storage (validated with :data:`READ_BACK` as pydantic
  context, or from JSON) was checked when written and parses as a plain ``str``:
  reading never mints the type.
"""

from __future__ import annotations

from typing import Any

from pydantic import GetCoreSchemaHandler, ValidationInfo
from pydantic_core import PydanticCustomError, core_schema

READ_BACK = {"read_back": True}
"""Pydantic validation context for data read back from storage."""


class DesensitizedText(str):
    """Text with every detected personal value replaced by a placeholder."""

    __slots__ = ()

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.json_or_python_schema(
            json_schema=core_schema.str_schema(),
            python_schema=core_schema.with_info_plain_validator_function(_validate),
            serialization=core_schema.plain_serializer_function_ser_schema(str, when_used="json"),
        )


def _validate(value: Any, info: ValidationInfo) -> str:
    if isinstance(value, DesensitizedText) or value == "":
        return value
    if isinstance(value, str) and info.context == READ_BACK:
        return value
    raise PydanticCustomError(
        "not_desensitized",
        "plain text cannot be stored: pass it through the desensitizer (knowledge.desensitize) first",
    )


def require_desensitized(value: str, what: str) -> str:
    """``value`` if it is desensitized text (or empty); TypeError naming ``what`` otherwise."""
    if isinstance(value, DesensitizedText) or value == "":
        return value
    raise TypeError(f"{what} must be desensitized text (knowledge.desensitize), not a plain str")
