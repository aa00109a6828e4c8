"""The quarterly review: metrics by hand, calibration with a known answer, periods, trust, formats."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from audit import ledger
from audit.events import Intervention, SuggestionAction, SuggestionShown, SuggestSummary
from audit.periods import days, quarter
from audit.render import to_csv, to_html
from audit.sealing import ERASED, Keyring
from audit.report import Shown, build_report, calibration, metrics, rejection_reasons
from core.db import get_engine, read_session, write_session
from core.keys import Role
from core.settings import Settings
from knowledge.desensitize import get_desensitizer

TZ = ZoneInfo("Asia/Shanghai")
REP_A = ledger.Actor(key_id="rep-a", role="rep")
REP_B = ledger.Actor(key_id="rep-b", role="rep")
KEYRING = Keyring("master-key-of-the-tests-" + "m" * 16)


def _shown(n: int, *, agent: str = "script_suggestion", confidence: float = 0.8, action: str | None = None) -> list[Shown]:
    return [Shown(f"s{n}-{i}", agent, "price", "rep-a", "v1", confidence, "2026-W40", "x", action) for i in range(n)]


def test_when_actions_are_counted_then_the_rates_are_those_worked_out_by_hand() -> None:
    items = _shown(3, action="adopted") + _shown(1, action="edited") + _shown(1, action="rejected") + _shown(1)
    result = metrics(items)
    assert (result["shown"], result["adopted"], result["edited"], result["rejected"], result["none"]) == (6, 3, 1, 1, 1)
    assert result["adoption_rate"] == 0.5 and result["correction_rate"] == round(2 / 6, 4)
    assert result["adoption_to_correction_ratio"] == 1.5 and result["target_met"] is False


def test_when_reps_reject_with_the_chips_then_the_reasons_are_counted_by_category() -> None:
    def rejected(reason: str | None) -> Shown:
        return Shown("r", "script_suggestion", "price", "rep-a", "v1", 0.5, "2026-W40", "x", "rejected", reason=reason)

    items = [rejected("语气不合适"), rejected("语气不合适"), rejected("合规顾虑"), rejected("其他：客户不喜欢"), rejected("价格写错了"), rejected(None), *_shown(2, action="adopted")]
    assert rejection_reasons(items) == {"合规顾虑": 1, "语气不合适": 2, "其他": 2, "未填写": 1}


def test_when_nothing_was_corrected_then_the_ratio_is_null_and_the_target_met() -> None:
    result = metrics(_shown(4, action="adopted") + _shown(2, action="ignored"))
    assert result["adoption_to_correction_ratio"] is None and result["target_met"] is True
    assert metrics([])["adoption_rate"] is None


def test_when_confidence_is_perfectly_calibrated_then_ece_is_zero_and_the_threshold_is_known() -> None:
    items = (
        _shown(9, confidence=0.9, action="adopted") + _shown(1, confidence=0.9, action="rejected")
        + _shown(5, confidence=0.5, action="adopted") + _shown(5, confidence=0.5, action="rejected")
    )
    result = calibration(items)
    assert result["ece"] == 0.0
    assert [(row["bin"], row["adoption"]) for row in result["bins"]] == [("0.5–0.6", 0.5), ("0.9–1.0", 0.9)]
    assert result["recommended"] == {"threshold": 0.55, "suppressed_share": 0.5}


def test_when_confidence_overstates_adoption_then_ece_shows_the_gap() -> None:
    result = calibration(_shown(10, confidence=0.95, action="rejected") + _shown(10, confidence=0.95, action="adopted"))
    assert result["ece"] == pytest.approx(0.45)
    assert result["recommended"] is None


def test_when_a_quarter_is_named_then_its_bounds_are_local_midnights() -> None:
    q4 = quarter("2026Q4", TZ)
    assert q4.since.astimezone(UTC) == datetime(2026, 9, 30, 16, tzinfo=UTC)
    assert q4.until.astimezone(UTC) == datetime(2026, 12, 31, 16, tzinfo=UTC)
    assert (quarter("2027Q1", TZ).first_day, quarter("2027Q1", TZ).last_day) == (date(2027, 1, 1), date(2027, 3, 31))
    with pytest.raises(Exception, match="2026Q4"):
        quarter("2026-Q5", TZ)


def _record(engine: Engine, actor: ledger.Actor, suggestion_id: str, confidence: float, action: str | None) -> None:
    text = get_desensitizer("test-secret-" + "x" * 32).desensitize("理解您的顾虑").text
    shown = SuggestionShown(agent="script_suggestion", agent_version="extractive-1", scenario="price", text=text, confidence=confidence, sources=[], anchors=["ad-absolute"], latency_ms=40)
    intervention = Intervention(agent="script_suggestion", rules=["superlative"], dropped=action == "rejected", anchors=["ad-absolute"])
    response = SuggestSummary(conversation="c", customer="k", industry=None, scenario="price", agents=["script_suggestion"], context=[], suggestions=[suggestion_id],
                               interventions=[intervention], chart=None, degraded=action is None, notes=[], latency_ms=40)
    with write_session(engine) as session:
        sealer = KEYRING.sealer(session, f"c-{suggestion_id}", [f"print-{suggestion_id}"])
        ledger.append(session, shown, actor=actor, request_id=f"r-{suggestion_id}", suggestion_id=suggestion_id, sealer=sealer)
        ledger.append(session, response, actor=actor, request_id=f"r-{suggestion_id}", sealer=sealer)
        if action:
            reason = get_desensitizer("test-secret-" + "x" * 32).desensitize("合规顾虑").text if action == "rejected" else None
            event = SuggestionAction(action=action, final_text=None, edit_distance=7 if action == "edited" else None, reason=reason)
            ledger.append(session, event, actor=actor, request_id=f"r-{suggestion_id}", suggestion_id=suggestion_id, sealer=sealer)


def _today() -> object:
    return days(datetime.now(TZ).date() - timedelta(days=1), datetime.now(TZ).date() + timedelta(days=1), TZ)


def test_when_the_ledger_holds_a_period_then_the_report_is_built_from_it(engine: Engine) -> None:
    for n, action in enumerate(["adopted", "adopted", "adopted", "edited", "rejected", None]):
        _record(engine, REP_A if n % 2 else REP_B, f"s{n}", 0.9 if n < 4 else 0.85, action)
    with read_session(engine) as session:
        report = build_report(session, _today(), TZ, KEYRING)
    assert report["ledger_verified"] and report["trusted"]
    assert (report["totals"]["shown"], report["adoption_rate"], report["adoption_to_correction_ratio"]) == (6, 0.5, 1.5)
    assert set(report["by_rep"]) == {"rep-a", "rep-b"} and report["by_prompt_version"].keys() == {"script_suggestion@extractive-1"}
    assert report["compliance_interventions"] == {"superlative": 6}
    assert report["compliance_interventions_by_anchor"] == {"ad-absolute": 6}
    assert report["degraded_share"] == round(1 / 6, 4)
    assert report["edit_distance"]["p50"] == 7
    assert report["rejection_reasons"] == {"合规顾虑": 1}  # sealed in the ledger, opened for the count
    assert "<h2>不采用的原因</h2><ul><li>合规顾虑：1 次</li></ul>" in to_html(report)
    assert [d["suggestion_id"] for d in report["deviations"]["high_confidence_rejected"]] == ["s4"]
    assert len(report["deviations"]["compliance_blocked"]) == 1 and len(report["deviations"]["degraded_responses"]) == 1
    with read_session(engine) as session:
        later = build_report(session, days(date(2030, 1, 1), date(2030, 1, 2), TZ), TZ, KEYRING)
    assert later["totals"]["shown"] == 0


def test_when_a_conversation_is_erased_then_its_text_reads_deleted_and_the_counts_stay(engine: Engine) -> None:
    for n, action in enumerate(["rejected", "rejected"]):
        _record(engine, REP_A, f"s{n}", 0.95, action)
    with write_session(engine) as session:
        assert KEYRING.shred(session, ["print-s0"]) != []
    with read_session(engine) as session:
        report = build_report(session, _today(), TZ, KEYRING)
    assert report["trusted"] and report["totals"]["shown"] == 2 and report["totals"]["rejected"] == 2
    texts = {d["suggestion_id"]: d["text"] for d in report["deviations"]["high_confidence_rejected"]}
    assert texts == {"s0": ERASED, "s1": "理解您的顾虑"}


def _tamper(engine: Engine, statement: str) -> None:
    """Change the ledger behind the application's back (its triggers dropped first)."""
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("DROP TRIGGER ledger_event_no_update")
        else:
            connection.exec_driver_sql("DROP TRIGGER ledger_event_no_update_delete ON ledger_event")
        connection.exec_driver_sql(statement)


def test_when_the_ledger_was_tampered_then_the_report_says_so_everywhere(engine: Engine) -> None:
    _record(engine, REP_A, "s1", 0.9, "adopted")
    _tamper(engine, "UPDATE ledger_event SET actor_key_id = 'rep-z' WHERE seq = 1")
    with read_session(engine) as session:
        report = build_report(session, _today(), TZ, KEYRING)
    assert report["trusted"] is False and "第 1 条" in report["ledger_problem"]
    assert "账本校验失败" in to_html(report) and "以下所有数字均不可信" in to_html(report)
    assert to_csv(report).splitlines()[1] == "ledger,,trusted,False"


def test_when_a_tampered_row_no_longer_parses_then_the_report_is_untrusted_instead_of_failing(engine: Engine) -> None:
    _record(engine, REP_A, "s1", 0.9, "adopted")
    _tamper(engine, """UPDATE ledger_event SET payload = '{"agent": "x"}' WHERE kind = 'suggestion.shown'""")
    with read_session(engine) as session:
        report = build_report(session, _today(), TZ, KEYRING)
    assert report["trusted"] is False and "无法按其类型读取" in report["ledger_problem"] and report["totals"]["shown"] == 0


def test_when_the_report_is_asked_for_over_the_api_then_each_format_comes_back(client: TestClient, make_key: Callable[[Role], str], sqlite_settings: Settings) -> None:
    _record(get_engine(sqlite_settings.resolved_database_url), REP_A, "s1", 0.9, "adopted")
    headers = {"Authorization": f"Bearer {make_key(Role.manager)}"}
    today = datetime.now(TZ).date()
    body = client.get(f"/v1/audit/report?from={today}&to={today}", headers=headers).json()
    for key in ("period", "totals", "adoption_rate", "correction_rate", "adoption_to_correction_ratio", "by_agent", "by_rep", "by_scenario", "by_prompt_version", "calibration", "deviations", "ledger_verified"):
        assert key in body
    assert body["totals"]["shown"] == 1
    csv_text = client.get(f"/v1/audit/report?from={today}&to={today}&format=csv", headers=headers)
    assert csv_text.headers["content-type"].startswith("text/csv") and "totals,,adopted,1" in csv_text.text
    page = client.get(f"/v1/audit/report?from={today}&to={today}&format=html", headers=headers)
    assert page.headers["content-type"].startswith("text/html") and "<svg" in page.text and "账本校验通过" in page.text
    assert client.get("/v1/audit/report?quarter=2026Q9", headers=headers).status_code == 422
    assert client.get(f"/v1/audit/report?from={today}", headers=headers).status_code == 422
