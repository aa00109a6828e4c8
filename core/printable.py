"""Names and labels people type (key names, scenario labels and cues): no control,
format or surrogate characters (Unicode categories Cc, Cf, Cs), which break pages and
exports or hide text (zero-width and bidi marks, tag characters).

One pattern serves the validator and the OpenAPI document, so both say the same;
``tests/core/test_printable.py`` holds it to Python's Unicode tables."""

from __future__ import annotations

import re

# Every Cc and Cf code point of Unicode 14 (Python 3.11), as ranges; then the surrogates (Cs)
CONTROL_AND_FORMAT = (
    r"\x00-\x1f\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u180e\u200b-\u200f"
    r"\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd"
    r"\U00013430-\U00013438\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f"
)
SURROGATES = r"\ud800-\udfff"
# For JSON Schema ($ is the end of the text there). It leaves the lone surrogates out: schema
# tools cannot compile that range, and the validator refuses them all the same.
PRINTABLE_PATTERN = f"^[^{CONTROL_AND_FORMAT}]*$"
_PRINTABLE = re.compile(f"[^{CONTROL_AND_FORMAT}{SURROGATES}]*")


def is_printable(text: str) -> bool:
    """True when ``text`` has no control, format or surrogate character."""
    return _PRINTABLE.fullmatch(text) is not None
