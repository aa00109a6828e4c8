"""Validators (checksums) and normalizers, each a small registry keyed by the name the YAML uses."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
# Issuer prefixes of cards seen in China: UnionPay 62, Visa 4, Mastercard 51-55/22-27, JCB 35, Amex 34/37,
# Discover 6011/644-649/65.
_CARD_PREFIX = re.compile(r"^(?:62|4|5[1-5]|2[2-7]|35|3[47]|6011|64[4-9]|65)")
# The province codes an ID can start with (GB/T 2260): no 0x, 19, 24-30, 38-40, 47-49, 55-60, 66-70, 72-80, 83+
_PROVINCE = re.compile(r"^(?:1[1-5]|2[1-3]|3[1-7]|4[1-6]|5[0-4]|6[1-5]|71|8[12])")


def cn_id_card(value: str) -> bool:
    """GB 11643-1999: 17 digits, a real birth date, and the check character (separators ignored);
    or the first-generation 15-digit ID (a real 19xx birth date, no check character)."""
    chars = re.sub(r"[^0-9A-Za-z]", "", value).upper()
    if len(chars) == 15 and chars.isdigit():
        return bool(_PROVINCE.match(chars)) and _real_date(1900 + int(chars[6:8]), chars[8:10], chars[10:12])
    if len(chars) != 18 or not chars[:17].isdigit():
        return False
    if not _real_date(int(chars[6:10]), chars[10:12], chars[12:14]):
        return False
    total = sum(int(c) * w for c, w in zip(chars[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == chars[17]


def _real_date(year: int, month: str, day: str) -> bool:
    try:
        date(year, int(month), int(day))
    except ValueError:
        return False
    return True


def _letter_value(letter: str) -> int:
    return ord(letter) - ord("A") + 10


def hk_id(value: str) -> bool:
    """Hong Kong identity card: one or two letters, six digits, a check digit (0-9 or A) mod 11."""
    chars = re.sub(r"[^0-9A-Za-z]", "", value).upper()
    match = re.fullmatch(r"([A-Z]{1,2})(\d{6})([0-9A])", chars)
    if not match:
        return False
    letters, digits, check = match.groups()
    values = ([36] if len(letters) == 1 else []) + [_letter_value(c) for c in letters] + [int(d) for d in digits]
    remainder = sum(v * w for v, w in zip(values, range(9, 1, -1), strict=True)) % 11
    expected = (11 - remainder) % 11
    return check == ("A" if expected == 10 else str(expected))


# Taiwan ID letters stand for these two-digit numbers (I, O, W, Z are out of order).
_TW_LETTERS = dict(zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ", (10, 11, 12, 13, 14, 15, 16, 17, 34, 18, 19, 20, 21, 22, 35, 23, 24, 25, 26, 27, 28, 29, 32, 30, 31, 33), strict=True))


def tw_id(value: str) -> bool:
    """Taiwan national ID: a letter, 1 or 2, eight digits; weighted sum mod 10."""
    chars = value.strip().upper()
    if not re.fullmatch(r"[A-Z][12]\d{8}", chars):
        return False
    tens, ones = divmod(_TW_LETTERS[chars[0]], 10)
    total = tens + ones * 9 + sum(int(d) * w for d, w in zip(chars[1:9], range(8, 0, -1), strict=True)) + int(chars[9])
    return total % 10 == 0


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


def account_digits(value: str) -> bool:
    """The shape of a bank account number (12-25 digits), checksum or not: a date or a few
    amounts after 账号 are not one."""
    return 12 <= sum(c.isdigit() for c in value) <= 25


VALIDATORS: dict[str, Callable[[str], bool]] = {
    "cn_id_card": cn_id_card, "bank_card": bank_card, "hk_id": hk_id, "tw_id": tw_id, "account_digits": account_digits,
}

_CHINESE_DIGITS = str.maketrans("零〇一幺二两三四五六七八九", "0011223456789")


def _cn_phone(value: str) -> str:
    digits = re.sub(r"\D", "", value.translate(_CHINESE_DIGITS))
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


_SPELLED_AT = re.compile(r"\s*(?:\s(?:at)\s|[(\[{]at[)\]}]|#)\s*")
_SPELLED_DOT = re.compile(r"\s*(?:\s(?:dot)\s|[(\[{]dot[)\]}])\s*")


def _email(value: str) -> str:
    """One form for an address however it was spelled out (name at example dot com)."""
    lowered = value.strip().lower()
    if "@" in lowered:
        return lowered
    return _SPELLED_DOT.sub(".", _SPELLED_AT.sub("@", lowered, count=1)).replace(" ", "")


NORMALIZERS: dict[str, Callable[[str], str]] = {
    "cn_phone": _cn_phone,
    "cn_landline": _cn_landline,
    "digits": lambda value: re.sub(r"\D", "", value),
    "lower": lambda value: value.strip().lower(),
    "email": _email,
    "upper_alnum": lambda value: re.sub(r"[^0-9A-Za-z]", "", value).upper(),
    "plate": lambda value: re.sub(r"[·•\s]", "", value).upper(),
    "compact": lambda value: re.sub(r"\s+", "", value),
}
