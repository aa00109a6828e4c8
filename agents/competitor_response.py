"""Fair, fact-based answers when a customer brings up a competitor: catalog facts with
their source, plus how won deals answered. Never a word against the other company."""

from __future__ import annotations

from agents.base import AgentContext, Draft, Source
from agents.composer import compose
from agents.script_suggestion import won_examples
from knowledge.catalog import Product


def rival_and_ours(context: AgentContext) -> tuple[Product | None, Product | None]:
    """The competitor named in the conversation (or the nearest alternative) and our product to compare."""
    mentioned = [p for turn in context.customer_turns for p in context.catalog.mentioned(turn)]
    industry = context.industry or next((p.industry for p in mentioned), None)
    rival = next((p for p in mentioned if not p.ours), None)
    if rival is None and industry:
        rival = next(iter(context.catalog.competitors(industry)), None)
    industry = industry or (rival.industry if rival else None)
    ours = next((p for p in mentioned if p.ours), None) or next(iter(context.catalog.ours(industry)), None) if industry else None
    return rival, ours


def fact_comparison(ours: Product, rival: Product) -> str:
    """Two or three verifiable differences, each side's strengths, with the source."""
    facts = [f"质保 {ours.warranty_months} 个月（{rival.name} 为 {rival.warranty_months} 个月）"]
    facts.append(f"交期约 {ours.delivery_days} 天（对方约 {rival.delivery_days} 天）")
    theirs_better = []
    for mine, other in zip(ours.metrics, rival.metrics, strict=True):
        ours_wins = mine.value < other.value if mine.better == "lower" else mine.value > other.value
        (facts if ours_wins else theirs_better).append(
            f"{mine.label} {mine.value:g} {mine.unit}（对方 {other.value:g} {other.unit}）"
        )
    if rival.price_band.middle < ours.price_band.middle:
        theirs_better.append(f"报价区间更低（{rival.price_band.min:g}–{rival.price_band.max:g} {rival.price_band.unit}）")
    fair = f"{rival.name}在{theirs_better[0]}方面有优势；" if theirs_better else ""
    return (
        f"理解您在做对比。{fair}我们这边{'、'.join(facts[:3])}，"
        f"服务覆盖：{ours.service_coverage}。建议按您的工况把总拥有成本一起算，我可以做一份逐项对比表发您。"
        f"（数据来源：{ours.source}；{rival.source}）"
    )


class CompetitorResponseAgent:
    name = "competitor_response"
    version = "extractive-1"
    scenarios = frozenset({"competitor"})

    def draft(self, context: AgentContext) -> list[Draft]:
        drafts = compose(self.name, won_examples(context, "competitor"), limit=2, conversation="\n".join(context.customer_turns))
        rival, ours = rival_and_ours(context)
        if rival and ours:
            drafts.insert(0, Draft(self.name, fact_comparison(ours, rival), 0.88, (Source(f"catalog:{rival.id}", 1.0),)))
        return drafts
