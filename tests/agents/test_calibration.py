"""Confidence that means fit: per kind of suggestion, the share a rep judged sendable."""

from __future__ import annotations

from agents.calibration import Calibration, KindRate, kind_of, load_calibration


def test_when_a_kind_was_judged_then_its_share_leans_to_the_overall_by_how_little_was_judged() -> None:
    calibration = Calibration(fitted_on="test", overall=0.5, kinds={"decline": KindRate(sendable=1.0, judged=20), "price": KindRate(sendable=0.0, judged=1)})
    assert calibration.confidence("decline") > 0.9 and 0.35 < calibration.confidence("price") < 0.5
    assert calibration.confidence("never_seen") == 0.5


def test_when_a_suggestion_is_classified_then_its_move_family_or_its_source_names_its_kind() -> None:
    assert kind_of("decline.kickback", ["playbook:decline.kickback"]) == "decline"
    assert kind_of(None, ["catalog:hc-75", "catalog:qf-75"]) == "catalog"
    assert kind_of(None, ["rule:liability_cap"]) == "rule"
    assert kind_of(None, ["snippet-123"]) == "won"


def test_when_the_shipped_calibration_is_loaded_then_it_was_fitted_on_dev_and_is_valid() -> None:
    calibration = load_calibration()
    assert calibration is not None and calibration.fitted_on.startswith("dev split")
    assert all(0.0 <= calibration.confidence(kind) <= 1.0 for kind in calibration.kinds)
