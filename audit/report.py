"""The quarterly human–AI collaboration review, computed from the ledger alone.

Shown suggestions come from `suggestion.shown` events in the period; what the
rep did comes from the matching `suggestion.action` (whenever it happened);
latency, degraded share and compliance interventions from `suggest.response`.
The whole chain is verified first: a broken ledger marks every figure untrusted.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from audit import events, ledger
from audit.events import SuggestionAction, SuggestionShown, SuggestSummary
from audit.periods import Period
from audit.sealing import Keyring
from audit.verify import verify_ledger
from core.errors import LedgerError

TARGET_RATIO = 3.0
ACTIONS = ("adopted", "edited", "rejected", "ignored")
HIGH_CONFIDENCE = 0.8
LOW_CONFIDENCE = 0.6
OUTLIER_Z = 2.0
MIN_REP_SUGGESTIONS = 10


@dataclass(frozen=True)
class Shown:
    id: str
    agent: str
    scenario: str
    rep: str
    prompt_version: str
    confidence: float
    week: str
    text: str
    action: str | None = None
    edit_distance: int | None = None
    reason: str | None = None  # why the rep rejected it (the sidebar's one-tap reasons, or their words)


def metrics(items: list[Shown]) -> dict[str, Any]:
    """Counts and the three rates; the ratio is null when nothing was corrected."""
    counts = Counter(item.action or "none" for item in items)
    shown = len(items)
    corrected = counts["edited"] + counts["rejected"]
    ratio = counts["adopted"] / corrected if corrected else None
    return {
        "shown": shown,
        **{action: counts[action] for action in (*ACTIONS, "none")},
        "adoption_rate": round(counts["adopted"] / shown, 4) if shown else None,
        "correction_rate": round(corrected / shown, 4) if shown else None,
        "adoption_to_correction_ratio": round(ratio, 3) if ratio is not None else None,
        "target_met": (ratio >= TARGET_RATIO) if ratio is not None else counts["adopted"] > 0,
    }


def _grouped(items: list[Shown], key: Callable[[Shown], str]) -> dict[str, dict[str, Any]]:
    groups: defaultdict[str, list[Shown]] = defaultdict(list)
    for item in items:
        groups[key(item)].append(item)
    return {name: metrics(group) for name, group in sorted(groups.items())}


def calibration(items: list[Shown], bins: int = 10) -> dict[str, Any]:
    """Adoption by confidence bin, expected calibration error, and the lowest threshold
    whose suggestions reach the adoption target, with the share it would suppress.
    Only suggestions a rep acted on (adopted, edited, rejected) count as evidence."""
    acted = [i for i in items if i.action in ("adopted", "edited", "rejected")]
    table, ece = [], 0.0
    for index in range(bins):
        low, high = index / bins, (index + 1) / bins
        in_bin = [i for i in acted if low <= i.confidence < high or (index == bins - 1 and i.confidence == 1.0)]
        if not in_bin:
            continue
        adoption = sum(i.action == "adopted" for i in in_bin) / len(in_bin)
        mean_confidence = statistics.fmean(i.confidence for i in in_bin)
        ece += len(in_bin) / len(acted) * abs(adoption - mean_confidence)
        table.append({"bin": f"{low:.1f}–{high:.1f}", "n": len(in_bin), "adoption": round(adoption, 4), "mean_confidence": round(mean_confidence, 4)})
    recommended = None
    for step in range(0, 100, 5):
        threshold = step / 100
        kept = [i for i in acted if i.confidence >= threshold]
        if kept and metrics(kept)["target_met"]:
            recommended = {
                "threshold": threshold,
                "suppressed_share": round(sum(i.confidence < threshold for i in items) / len(items), 4),
            }
            break
    return {"bins": table, "ece": round(ece, 4) if acted else None, "recommended": recommended, "acted": len(acted)}


@dataclass(frozen=True)
class ResponseRow:
    """A ``suggest.response`` event and the request it answered."""

    request_id: str
    event: SuggestSummary


def deviations(items: list[Shown], responses: list[ResponseRow]) -> dict[str, list[dict[str, Any]]]:
    """What the review meeting walks through."""
    def brief(item: Shown) -> dict[str, Any]:
        return {"suggestion_id": item.id, "agent": item.agent, "rep": item.rep, "confidence": item.confidence, "text": item.text}

    team = metrics(items)["adoption_rate"] or 0.0
    outliers = []
    for rep, block in _grouped(items, lambda i: i.rep).items():
        n, rate = block["shown"], block["adoption_rate"] or 0.0
        spread = (team * (1 - team) / n) ** 0.5 if n else 0.0
        if n >= MIN_REP_SUGGESTIONS and spread and abs(rate - team) / spread >= OUTLIER_Z:
            outliers.append({"rep": rep, "shown": n, "adoption_rate": rate, "team_adoption_rate": round(team, 4)})
    return {
        "high_confidence_rejected": [brief(i) for i in items if i.action == "rejected" and i.confidence >= HIGH_CONFIDENCE],
        "low_confidence_adopted": [brief(i) for i in items if i.action == "adopted" and i.confidence < LOW_CONFIDENCE],
        "rep_outliers": outliers,
        "compliance_blocked": [
            {"request_id": r.request_id, "agent": i.agent, "rules": i.rules}
            for r in responses
            for i in r.event.interventions
            if i.dropped
        ],
        "degraded_responses": [{"request_id": r.request_id, "notes": r.event.notes} for r in responses if r.event.degraded],
    }


REJECT_REASONS = ("不相关", "信息不对", "语气不合适", "合规顾虑")  # the sidebar's chips; anything else counts as 其他


def rejection_reasons(items: list[Shown]) -> dict[str, int]:
    """Rejections by the reason the rep tapped: the four chips, 其他 (their own words) and 未填写."""
    def category(reason: str | None) -> str:
        if not reason or not reason.strip():
            return "未填写"
        return reason if reason in REJECT_REASONS else "其他"

    counts = Counter(category(i.reason) for i in items if i.action == "rejected")
    return {name: counts[name] for name in (*REJECT_REASONS, "其他", "未填写") if counts[name]}


def _percentiles(values: Iterable[float]) -> dict[str, float] | None:
    values = sorted(values)
    if not values:
        return None
    if len(values) == 1:
        return {"p50": values[0], "p95": values[0], "p99": values[0], "max": values[0]}
    q = statistics.quantiles(values, n=100, method="inclusive")
    return {"p50": q[49], "p95": q[94], "p99": q[98], "max": values[-1]}


def collect(session: Session, period: Period, tz: ZoneInfo, keyring: Keyring) -> tuple[list[Shown], list[ResponseRow], list[int]]:
    """The period's shown suggestions (with the rep's action) and responses, from the ledger,
    and the seqs of rows that do not parse as their kind (left out, and reported). Sealed
    text is opened; an erased conversation's reads 已删除, its counts stay."""
    opener = keyring.opener(session)
    shown: list[tuple[str | None, str | None, SuggestionShown, str]] = []  # ids, not rows: the rows go as they are read
    responses: list[ResponseRow] = []
    actions: dict[str | None, SuggestionAction] = {}
    unreadable: list[int] = []
    kinds = [SuggestionShown.kind, SuggestionAction.kind, SuggestSummary.kind]
    for row in ledger.events(session, since=period.since, kinds=kinds):
        try:  # a response's conversation text is never shown here: left sealed, and dropped
            event = events.parse(row.kind, row.payload) if row.kind == SuggestSummary.kind else opener.event(row.kind, row.payload)
        except (LedgerError, ValueError):  # pydantic's ValidationError and bad JSON are ValueErrors
            unreadable.append(row.seq)
            continue
        if isinstance(event, SuggestionAction):
            actions[row.suggestion_id] = event
        elif row.ts >= period.until:
            continue
        elif isinstance(event, SuggestSummary):
            responses.append(ResponseRow(row.request_id, event.model_copy(update={"context": []})))
        elif isinstance(event, SuggestionShown):
            year, week, _ = row.ts.astimezone(tz).isocalendar()
            shown.append((row.suggestion_id, row.actor_key_id, event, f"{year}-W{week:02d}"))
    items = []
    for suggestion_id, rep, event, week in shown:
        action = actions.get(suggestion_id)
        items.append(
            Shown(
                id=suggestion_id,
                agent=event.agent,
                scenario=event.scenario,
                rep=rep or "?",
                prompt_version=f"{event.agent}@{event.prompt_version or event.agent_version}",
                confidence=event.confidence,
                week=week,
                text=event.text,
                action=action.action if action else None,
                edit_distance=action.edit_distance if action else None,
                reason=action.reason if action else None,
            )
        )
    return items, responses, unreadable


def build_report(session: Session, period: Period, tz: ZoneInfo, keyring: Keyring) -> dict[str, Any]:
    """The whole review as one JSON-ready dict."""
    verified = verify_ledger(session)
    items, responses, unreadable = collect(session, period, tz, keyring)
    problems = [] if verified.ok else [f"第 {verified.first_bad_seq} 条起账本校验失败：{verified.reason}"]
    if unreadable:
        problems.append(f"{len(unreadable)} 条事件无法按其类型读取（首条 seq {unreadable[0]}），未计入")
    totals = metrics(items)
    interventions = Counter(rule for r in responses for i in r.event.interventions for rule in i.rules)
    by_anchor = Counter(anchor for r in responses for i in r.event.interventions for anchor in i.anchors or ())
    return {
        "period": {"label": period.label, "first_day": period.first_day.isoformat(), "last_day": period.last_day.isoformat(), "time_zone": tz.key},
        "ledger_verified": verified.ok,
        "trusted": not problems,
        "ledger_problem": "；".join(problems) or None,
        "target_ratio": TARGET_RATIO,
        "totals": totals,
        "adoption_rate": totals["adoption_rate"],
        "correction_rate": totals["correction_rate"],
        "adoption_to_correction_ratio": totals["adoption_to_correction_ratio"],
        "by_agent": _grouped(items, lambda i: i.agent),
        "by_scenario": _grouped(items, lambda i: i.scenario),
        "by_rep": _grouped(items, lambda i: i.rep),
        "by_prompt_version": _grouped(items, lambda i: i.prompt_version),
        "by_week": _grouped(items, lambda i: i.week),
        "latency_ms": _percentiles(r.event.latency_ms for r in responses),
        "degraded_share": round(sum(r.event.degraded for r in responses) / len(responses), 4) if responses else None,
        "compliance_interventions": dict(sorted(interventions.items())),
        "compliance_interventions_by_anchor": dict(sorted(by_anchor.items())),
        "rejection_reasons": rejection_reasons(items),
        "edit_distance": _percentiles(i.edit_distance for i in items if i.action == "edited" and i.edit_distance is not None),
        "calibration": {agent: calibration([i for i in items if i.agent == agent]) for agent in sorted({i.agent for i in items})},
        "deviations": deviations(items, responses),
    }
