"""Fair, fact-based answers when a customer brings up a competitor: catalog facts with
their source, plus how won deals answered. Never a word against the other company."""

from __future__ import annotations

from agents.base import AgentContext, Draft, Source
from agents.reading import fit_to_need
from agents.playbook import playbook_drafts
from agents.retrieval import rival_and_ours, won_examples, won_replies
from agents.slots import names_a_quote
from knowledge.catalog import Metric, Product


def _compare(ours_value: float, rival_value: float, better: str) -> int:
    """1 when ours is better, -1 when the rival's is, 0 on a tie."""
    if ours_value == rival_value:
        return 0
    return 1 if (ours_value < rival_value) == (better == "lower") else -1


# words a customer uses for the dimensions that are not metrics: the point they raised leads the answer
_RAISED = {"质保": ("质保", "保修", "售后"), "交期": ("交期", "到货", "发货", "多久", "工期"), "参考价": ("价格", "便宜", "贵", "报价", "价")}
SERVICE_WORDS = ("客服", "服务", "响应", "到场", "上门", "晚上", "夜里", "半夜", "夜间", "网点", "售后", "7×24", "7x24")


def _rows(ours: Product, rival: Product, customer_text: str) -> list[tuple[str, float, float, str, str, bool, Metric | None]]:
    """(label, ours, theirs, unit, better, raised, our metric) per comparable fact; list
    prices only when the customer talks price without naming the quotes (a catalog's band
    is not this deal's quote, and never contradicts one)."""
    raised_price = any(word in customer_text for word in _RAISED["参考价"]) and not names_a_quote(customer_text)
    rows = [("质保", ours.warranty_months, rival.warranty_months, "个月", "higher", any(w in customer_text for w in _RAISED["质保"]), None)]
    if ours.industry != "saas":  # software is opened, not delivered
        rows.append(("交期", ours.delivery_days, rival.delivery_days, "天", "lower", any(w in customer_text for w in _RAISED["交期"]), None))
    if raised_price:
        rows.append(("参考价", ours.price_band.middle, rival.price_band.middle, rival.price_band.unit, "lower", True, None))
    rival_metrics = {m.key: m for m in rival.metrics}
    rows += [
        (m.label, m.value, rival_metrics[m.key].value, m.unit, m.better, any(w in customer_text for w in (m.label, *m.asked_as)), m)
        for m in ours.metrics
        if m.key in rival_metrics
    ]
    return sorted(rows, key=lambda row: (not row[5], row[0] == "参考价"))  # raised first, a product point before the price


def fact_comparison(ours: Product, rival: Product, customer_text: str = "") -> str:
    """A fair reply on the verifiable differences: the points the customer raised first and
    honestly (the rival's edge said plainly), then where we are stronger, then a question
    that ties the figures to their use, unless they told us what they need: then how our
    figure fits it. Sources go with the suggestion and the chart."""
    name = rival.aliases[0]
    raised, others, first_raised, need_said = [], [], None, False
    for label, mine, theirs, unit, better, was_raised, metric in _rows(ours, rival, customer_text):
        verdict = _compare(mine, theirs, better)
        if was_raised and len(raised) < 2:
            first_raised = first_raised or label
            fit = fit_to_need(metric, customer_text.split("\n")) if metric else ""
            need_said = need_said or bool(fit)
            if verdict < 0:
                raised.append(f"{label}这点{name}确实占优（{theirs:g} {unit}，我们 {mine:g} {unit}）{fit}")
            elif verdict > 0:
                raised.append(f"{label}上我们更有优势（{mine:g} {unit}，{name} {theirs:g} {unit}）{fit}")
            else:
                raised.append(f"{label}两边一样，都是 {mine:g} {unit}{fit}")
        elif verdict > 0 and len(others) < 2:
            others.append(f"{label}（{mine:g} {unit}，对方 {theirs:g} {unit}）")
    if any(word in customer_text for word in SERVICE_WORDS) and ours.service_coverage != rival.service_coverage:
        raised.insert(0, f"服务上，我们是{ours.service_coverage}，{name}是{rival.service_coverage}")
        first_raised = first_raised or "服务"
    if raised:
        lead = "；".join(raised[:2]) + "。"
    elif names_a_quote(customer_text):  # their quotes, not our catalog's bands, are the prices in play
        cheaper = rival.price_band.middle < ours.price_band.middle
        lead = f"两边的报价差距我看到了，单看价格{name}确实有优势。" if cheaper else "两边的报价我都看到了。"
    else:
        lead = f"理解您在和{name}做对比。"
    strengths = (f"另外，{'、'.join(others)}{'这几项' if len(others) > 1 else '这一项'}我们更好一些。" if raised else f"我们在{'、'.join(others)}上更有优势。") if others else ""
    if first_raised in (None, "参考价", "质保", "交期", "服务") or need_said:
        ask = "我把逐项对比表发您，连同质保和服务一起算总账，您对照着看？"
    else:
        ask = f"您这边实际用下来{first_raised}需要多少？我们按您的场景一起算一下，够不够用我如实说。"
    return lead + strengths + ask


class CompetitorResponseAgent:
    name = "competitor_response"
    version = "playbook-1"
    scenarios = frozenset({"competitor"})

    def draft(self, context: AgentContext) -> list[Draft]:
        hits = won_examples(context, "competitor")
        drafts = won_replies(self.name, context, hits, limit=2)
        rival, ours = rival_and_ours(context)
        if rival and ours:
            comparison = fact_comparison(ours, rival, "\n".join(context.customer_turns[-3:]))
            drafts.insert(0, Draft(self.name, comparison, 0.88, (Source(f"catalog:{rival.id}", 1.0), Source(f"catalog:{ours.id}", 1.0))))
        return drafts + playbook_drafts(self.name, context, won=hits)
