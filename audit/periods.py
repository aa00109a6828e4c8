"""Report periods in the business time zone: a quarter (2026Q4) or a range of days."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from audit.export import local_day_bounds
from core.errors import Unprocessable, ValidationFailed

_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
# The days a review or an export may cover: the ledger holds nothing earlier, and later
# bounds (9999-12-31 + 1 day) overflow the calendar.
EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)


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
    if not EARLIEST.year <= year <= LATEST.year:
        raise ValidationFailed(f"季度 {label} 超出可查询范围：年份应在 {EARLIEST.year} 至 {LATEST.year} 之间。")
    first = date(year, 3 * number - 2, 1)
    next_first = date(year + 1, 1, 1) if number == 4 else date(year, 3 * number + 1, 1)
    return days(first, next_first - timedelta(days=1), tz, label=label)


def days(first: date, last: date, tz: ZoneInfo, label: str | None = None) -> Period:
    """``first`` 00:00 to the day after ``last`` 00:00 in ``tz``; both within EARLIEST..LATEST."""
    if last < first:
        raise Unprocessable("结束日期早于开始日期：请交换 from 与 to。")
    for day in (first, last):
        if not EARLIEST <= day <= LATEST:
            raise ValidationFailed(f"日期 {day.isoformat()} 超出可查询范围：应在 {EARLIEST.isoformat()} 至 {LATEST.isoformat()} 之间。")
    since, until = local_day_bounds(first, last, tz)
    return Period(label or f"{first.isoformat()}..{last.isoformat()}", first, last, since, until)


def current_quarter(today: date) -> str:
    return f"{today.year}Q{(today.month - 1) // 3 + 1}"


def report_period(quarter_label: str | None, first: date | None, last: date | None, tz: ZoneInfo) -> Period:
    """The period a report asks for, the same for the API and the CLI: ``first`` to
    ``last`` (both or neither), else the quarter ``quarter_label`` (default: the
    current one in ``tz``). ValidationFailed says what is wrong."""
    if (first is None) != (last is None):
        raise Unprocessable("from 与 to 需同时给出（或都不给，用 quarter）。")
    if first is not None and last is not None:
        return days(first, last, tz)
    return quarter(quarter_label or current_quarter(datetime.now(tz).date()), tz)
