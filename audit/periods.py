"""Report periods in the business time zone: a quarter (2026Q4) or a range of days."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from audit.export import local_day_bounds
from core.errors import ValidationFailed

_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")


@dataclass(frozen=True)
class Period:
    label: str
    first_day: date
    last_day: date
    since: datetime  # aware, business time zone
    until: datetime  # exclusive


def quarter(label: str, tz: ZoneInfo) -> Period:
    """``2026Q4`` → 2026-10-01 00:00 to 2027-01-01 00:00 in ``tz``."""
    match = _QUARTER.match(label)
    if not match:
        raise ValidationFailed(f"季度格式应为 2026Q4 这样的形式，收到 {label!r}。")
    year, number = int(match.group(1)), int(match.group(2))
    first = date(year, 3 * number - 2, 1)
    next_first = date(year + 1, 1, 1) if number == 4 else date(year, 3 * number + 1, 1)
    return days(first, next_first - timedelta(days=1), tz, label=label)


def days(first: date, last: date, tz: ZoneInfo, label: str | None = None) -> Period:
    if last < first:
        raise ValidationFailed("结束日期早于开始日期：请交换 from 与 to。")
    since, until = local_day_bounds(first, last, tz)
    return Period(label or f"{first.isoformat()}..{last.isoformat()}", first, last, since, until)


def current_quarter(today: date) -> str:
    return f"{today.year}Q{(today.month - 1) // 3 + 1}"
