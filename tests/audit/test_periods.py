"""Report periods: one reading of quarter / from / to for the API and the CLI."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from audit.cli import audit_app
from audit.periods import report_period
from core.errors import ValidationFailed

TZ = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(("first", "last"), [(date(2026, 10, 1), None), (None, date(2026, 10, 31))])
def test_when_only_one_end_of_a_range_is_given_then_the_period_is_refused(first: date | None, last: date | None) -> None:
    with pytest.raises(ValidationFailed, match="from 与 to 需同时给出"):
        report_period("2026Q4", first, last, TZ)


def test_when_both_ends_or_a_quarter_are_given_then_that_is_the_period() -> None:
    assert report_period("2026Q1", date(2026, 10, 1), date(2026, 10, 3), TZ).label == "2026-10-01..2026-10-03"
    quarter = report_period("2026Q4", None, None, TZ)
    assert (quarter.label, quarter.first_day, quarter.last_day) == ("2026Q4", date(2026, 10, 1), date(2026, 12, 31))


@pytest.mark.parametrize("option", ["--from", "--to"])
def test_when_the_cli_gets_a_lone_from_or_to_then_it_refuses_with_a_usage_error(option: str) -> None:
    done = CliRunner().invoke(audit_app, ["report", option, "2026-10-01"], env={"COLUMNS": "200"})
    assert done.exit_code == 2, done.output
    assert "from 与 to 需同时给出" in done.output
