"""The contract risk agent in the suggest path: for a risky term the customer raised, as a
clause or in their own chat words, a reply proposing the fair counter-term (sent to the
customer) and the risk with its anchor (a note for the rep, never sent)."""

from __future__ import annotations

from agents.base import AgentContext, Draft, Source
from agents.contract_risk.detector import get_reviewer
from agents.playbook import playbook_drafts
from agents.retrieval import won_examples, won_replies

_CONFIDENCE = {"high": 0.86, "medium": 0.78, "low": 0.7}
EARLIER_TURN = 0.1  # a term raised a turn earlier ranks this much lower: answer what the customer pressed on last


class ContractRiskAgent:
    name = "contract_risk"
    version = "rules-1"
    scenarios = frozenset({"contract"})

    def draft(self, context: AgentContext) -> list[Draft]:
        our_party = context.attributes.get("our_party", "乙方")
        our_party = our_party if our_party in ("甲方", "乙方") else "乙方"
        drafts, answered = [], set()
        for age, turn in enumerate(reversed(context.customer_turns[-3:])):
            for risk in get_reviewer().review_chat(turn, our_party):
                if risk.type in answered:
                    continue
                answered.add(risk.type)
                basis = "、".join(f"{a.law.removeprefix('中华人民共和国')}{a.article}" for a in risk.legal_anchors)
                note = f"{risk.title}：{risk.explanation}（依据：{basis}）"
                source = (Source(f"rule:{risk.type}", 1.0),)
                confidence = _CONFIDENCE[risk.severity] - EARLIER_TURN * age
                drafts.append(Draft(self.name, risk.chat_reply, confidence, source, risk.legal_anchors, rep_note=note, proposes=risk.counter_clause))
        hits = won_examples(context, "contract")
        if len(drafts) < 3:
            drafts += won_replies(self.name, context, hits, limit=3 - len(drafts))
        return drafts + playbook_drafts(self.name, context, won=hits)
