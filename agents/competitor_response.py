"""Fair, fact-based answers when a customer brings up a competitor: catalog facts with
their source, plus how won deals answered. Never a word against the other company."""

from __future__ import annotations

from agents.base import AgentContext, Draft, Source
from agents.playbook import playbook_drafts
from agents.retrieval import rival_and_ours, won_replies
from knowledge.catalog import Product


def _compare(ours_value: float, rival_value: float, better: str) -> int:
    """1 when ours is better, -1 when the rival's is, 0 on a tie."""
    if ours_value == rival_value:
        return 0
    return 1 if (ours_value < rival_value) == (better == "lower") else -1


# words a customer uses for each catalog dimension: the point they raised leads the answer
_RAISED = {"质保": ("质保", "保修", "售后"), "交期": ("交期", "到货", "发货", "多久", "工期"), "报价区间中位": ("价格", "便宜", "贵", "报价", "价")}


def fact_comparison(ours: Product, rival: Product, customer_text: str = "") -> str:
    """Verifiable differences, each side's strengths stated from that side, the point the
    customer raised first. List prices only when the customer talks price (a catalog's band
    is not this deal's quote). Sources go with the suggestion and the chart, not in the reply."""
    rows = [
        ("质保", ours.warranty_months, rival.warranty_months, "个月", "higher"),
        ("交期", ours.delivery_days, rival.delivery_days, "天", "lower"),
    ]
    if any(word in customer_text for word in _RAISED["报价区间中位"]):
        rows.append(("报价区间中位", ours.price_band.middle, rival.price_band.middle, rival.price_band.unit, "lower"))
    rival_metrics = {m.key: m for m in rival.metrics}
    rows += [(m.label, m.value, rival_metrics[m.key].value, m.unit, m.better) for m in ours.metrics if m.key in rival_metrics]
    rows.sort(key=lambda row: not any(word in customer_text for word in _RAISED.get(row[0], (row[0],))))
    ours_better, rival_better = [], []
    for label, mine, theirs, unit, better in rows:
        verdict = _compare(mine, theirs, better)
        if verdict > 0:
            ours_better.append(f"{label} {mine:g} {unit}（对方 {theirs:g} {unit}）")
        elif verdict < 0:
            rival_better.append(f"{label} {theirs:g} {unit}（我们 {mine:g} {unit}）")
    fair = f"{rival.name}在{'、'.join(rival_better[:2])}上有优势；" if rival_better else ""
    ours_part = f"我们在{'、'.join(ours_better[:3])}上更有优势，" if ours_better else ""
    return (
        f"理解您在做对比。{fair}{ours_part}服务覆盖：{ours.service_coverage}。"
        "建议按您的实际使用情况把总拥有成本一起算，我可以做一份逐项对比表发您。"
    )


class CompetitorResponseAgent:
    name = "competitor_response"
    version = "playbook-1"
    scenarios = frozenset({"competitor"})

    def draft(self, context: AgentContext) -> list[Draft]:
        drafts = won_replies(self.name, context, "competitor", limit=2)
        rival, ours = rival_and_ours(context)
        if rival and ours:
            comparison = fact_comparison(ours, rival, "\n".join(context.customer_turns[-2:]))
            drafts.insert(0, Draft(self.name, comparison, 0.88, (Source(f"catalog:{rival.id}", 1.0), Source(f"catalog:{ours.id}", 1.0))))
        return drafts + playbook_drafts(self.name, context)
