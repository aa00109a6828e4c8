"""The printable pattern is exactly Python's Unicode categories Cc, Cf and Cs."""

import sys
import unicodedata

from core.printable import is_printable


def test_the_pattern_refuses_exactly_the_control_format_and_surrogate_characters() -> None:
    disagreements = [
        hex(point)
        for point in range(sys.maxunicode + 1)
        if is_printable(chr(point)) == (unicodedata.category(chr(point)) in ("Cc", "Cf", "Cs"))
    ]
    assert disagreements == [], f"core.printable.INVISIBLE is out of date with Unicode {unicodedata.unidata_version}"


def test_names_people_write_are_printable_and_hidden_marks_are_not() -> None:
    assert is_printable("华东大区·张经理 (rep-01) 🚀")
    for hidden in ("a\x00b", "tab\there", "zero\u200bwidth", "bidi\u202eevil", "tag\U000e0041", "\ud800"):
        assert not is_printable(hidden), repr(hidden)
