"""Validators (checksums) and normalizers, each a small registry keyed by the name the YAML uses."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
# Issuer prefixes of cards seen in China: UnionPay 62, Visa 4, Mastercard 51-55/22-27, JCB 35, Amex 34/37.
_CARD_PREFIX = re.compile(r"^(?:62|4|5[1-5]|2[2-7]|35|3[47])")


def cn_id_card(value: str) -> bool:
    """GB 11643-1999: 17 digits, a real birth date, and the check character (separators ignored)."""
    chars = re.sub(r"[^0-9A-Za-z]", "", value).upper()
    if len(chars) != 18 or not chars[:17].isdigit():
        return False
    try:
        date(int(chars[6:10]), int(chars[10:12]), int(chars[12:14]))
    except ValueError:
        return False
    total = sum(int(c) * w for c, w in zip(chars[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == chars[17]


def luhn(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def bank_card(value: str) -> bool:
    """Luhn and a known issuer prefix; an 18-digit value that is a valid resident ID is an ID."""
    digits = re.sub(r"\D", "", value)
    if len(digits) == 18 and cn_id_card(digits):
        return False
    return 16 <= len(digits) <= 19 and bool(_CARD_PREFIX.match(digits)) and luhn(digits)


VALIDATORS: dict[str, Callable[[str], bool]] = {"cn_id_card": cn_id_card, "bank_card": bank_card}


def _cn_phone(value: str) -> str:
    digits = re.sub(r"\D", "", value)
    for country in ("0086", "86"):
        if digits.startswith(country) and len(digits) == len(country) + 11:
            return digits[len(country) :]
    return digits


def _cn_landline(value: str) -> str:
    """0 + area code + number, whether written 021-…, (021)… or +86 21 …."""
    digits = re.sub(r"\D", "", value)
    for country in ("0086", "86"):
        if value.lstrip().startswith(("+86", "0086", "(+86)")) and digits.startswith(country):
            digits = digits[len(country) :]
            break
    return digits if digits.startswith("0") else "0" + digits


NORMALIZERS: dict[str, Callable[[str], str]] = {
    "cn_phone": _cn_phone,
    "cn_landline": _cn_landline,
    "digits": lambda value: re.sub(r"\D", "", value),
    "lower": lambda value: value.strip().lower(),
    "upper_alnum": lambda value: re.sub(r"[^0-9A-Za-z]", "", value).upper(),
    "plate": lambda value: re.sub(r"[·•\s]", "", value).upper(),
    "compact": lambda value: re.sub(r"\s+", "", value),
}
