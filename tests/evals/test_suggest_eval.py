"""The suggestion eval: its specifics checker (table-driven), its datasets, and one small run."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.settings import Settings
from knowledge.specifics import Grounding, specifics, value_of
from evals.suggest import SPLITS, SuggestReport, evaluate, fit_calibration, load_cases

ALLOWED = "39万8一台，两台79万6，我们预算就75万。王总 QF-75 质保 24 个月 比功率 6.1 kW/(m³/min)"


@pytest.mark.parametrize(
    ("written", "value"),
    [("39万8", 398000), ("三十八万", 380000), ("二十七万二", 272000), ("两万八", 28000), ("4.5", 4.5), ("十六", 16), ("没有", None)],
)
def test_when_a_number_is_written_the_chinese_way_then_its_value_is_read(written: str, value: float | None) -> None:
    assert value_of(written) == value


@pytest.mark.parametrize(
    ("reply", "foreign"),
    [
        ("王总，两台 79万6 确实超了 75万 的预算。", []),  # all from this conversation
        ("总价 796000 元，每台七十九万六千元的一半。", []),  # the same values written another way
        ("两万八一台的话，八台是二十二万四。", ["两万八", "八台", "二十二万四"]),  # Chinese 万 forms are numbers too
        ("QF-75 质保 24个月，比功率 6.1 kW/(m³/min)。", []),  # catalog facts of this line
        ("另一家医院买了 12 台，单价 36 万。", ["12 台", "36 万"]),  # another deal's numbers
        ("李主任，贵院的设备科可以先看看。", ["李主任", "贵院"]),  # another customer's people and honorifics
        ("按合同第十二条处理，<PERSON_2> 已同意。", ["第十二条", "<PERSON_2>"]),  # clause and a leftover placeholder
        ("HC-75 更便宜。", ["HC-75"]),  # a model code nobody mentioned
        ("我们一起看一下，一点小建议。", []),  # manner of speech, not specifics
    ],
)
def test_when_a_reply_carries_specifics_then_only_the_ungrounded_ones_are_foreign(reply: str, foreign: list[str]) -> None:
    assert [s.text for s in Grounding(ALLOWED).foreign(reply)] == foreign


def test_when_specifics_are_listed_then_they_come_in_reading_order_with_their_kind() -> None:
    found = specifics("王总，QF-75 两台 79万6，贵院")
    assert [(s.kind, s.text) for s in found] == [("person", "王总"), ("model", "QF-75"), ("number", "两台"), ("number", "79万6"), ("honorific", "贵院")]


@pytest.mark.parametrize("split", SPLITS)
def test_when_a_split_is_loaded_then_every_case_is_valid_and_the_customer_has_spoken(split: str) -> None:
    cases = load_cases(split)  # a case may end with the rep chasing a silent customer
    assert len(cases) >= 30 and len({c.id for c in cases}) == len(cases)
    assert all(c.split == split and any(m.role == "customer" for m in c.messages) for c in cases)


def test_when_the_eval_runs_then_each_case_is_answered_and_measured(tmp_path: Path) -> None:
    cases = load_cases("dev")[:3]
    report = evaluate(Settings(data_dir=tmp_path), cases, "dev", budget_ms=3000, judged=tmp_path / "none.jsonl")
    figures = report.figures()
    assert figures["cases"] == 3 and [a.case.id for a in report.answers] == [c.id for c in cases]
    assert figures["suggestions"] == sum(len(a.done.suggestions) for a in report.answers)
    assert 0.0 <= figures["foreign_share"] <= 1.0 and figures["judged"] == 0
    assert len(report.unjudged()) == figures["suggestions"]


def test_when_calibration_is_fitted_on_held_out_then_it_is_refused() -> None:
    with pytest.raises(ValueError, match="dev split only"):
        fit_calibration(SuggestReport("heldout"), "2026-12-04")
