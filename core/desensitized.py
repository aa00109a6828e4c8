"""Desensitized text as a type, so that storage can refuse anything else.

:class:`DesensitizedText` is a ``str`` whose only maker is the desensitizer
(``knowledge.desensitize``: ``Desensitized.text``); a test parses the code and
fails if any other module constructs one. The enforcement is a runtime type
check, not a secret: it stops raw text reaching storage by mistake.

* Ledger event models (``audit.events``) type their free text with it. Python
  input must be a ``DesensitizedText`` (or ``""``, which holds nothing to
  desensitize); a plain ``str`` fails validation, so raw text never reaches the
  ledger. Text read back from storage (validated with :data:`READ_BACK` as
  pydantic context, or from JSON) was checked when written and parses as a
  plain ``str``: reading never makes the type.
* Table writers whose text is not also in a ledger event call
  :func:`require_desensitized`.

Any string operation on it (slicing, joining, formatting) returns a plain
``str``, and so does a pydantic ``str`` field it is passed to: text derived
from desensitized text goes through the desensitizer again, and an input model
takes it with ``model_copy(update=...)``, which keeps the value as it is.
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


_REFUSED = "plain text cannot be stored: pass it through the desensitizer (knowledge.desensitize) first"


def _storable(value: object) -> bool:
    return isinstance(value, DesensitizedText) or value == ""


def _validate(value: Any, info: ValidationInfo) -> str:
    if _storable(value) or (isinstance(value, str) and info.context == READ_BACK):
        return value
    raise PydanticCustomError("not_desensitized", _REFUSED)


def require_desensitized(value: str, what: str) -> str:
    """``value`` if it may be stored (desensitized text, or empty); TypeError naming ``what`` otherwise."""
    if _storable(value):
        return value
    raise TypeError(f"{what}: {_REFUSED}")
