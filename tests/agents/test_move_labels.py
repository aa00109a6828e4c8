"""Won deals vote for the moves they made: the annotator's label, else the nearest move."""

from __future__ import annotations

from agents.base import AgentContext, Turn
from agents.move_labels import propose_move, won_votes
from agents.playbook import load_playbook, playbook_drafts
from knowledge.catalog import load_catalog
from knowledge.store import Hit


def _price_moves():
    return tuple(m for m in load_playbook().moves if m.scenario == "price")


def test_when_a_reply_reads_like_one_move_then_it_is_proposed_and_otherwise_not() -> None:
    assert propose_move("可以考虑按季度付款：首季度付清后开通，之后每季度初付款。", _price_moves()) == "price.payment_terms_saas"
    assert propose_move("好的收到。", _price_moves()) is None


def test_when_won_deals_vote_then_labels_win_lost_deals_do_not_count_and_the_top_move_is_one() -> None:
    hits = [
        Hit("a", 0.9, "贵", {"reply": "随便说点什么", "move": "price.volume", "outcome": "won"}, 0.8),
        Hit("b", 0.9, "贵", {"reply": "可以考虑按季度付款：首季度付清后开通，之后每季度初付款。", "outcome": "won"}, 0.4),
        Hit("c", 0.9, "贵", {"reply": "随便说点什么", "move": "price.total_cost", "outcome": "lost"}, 0.9),
    ]
    assert won_votes(hits, load_playbook(), "price") == {"price.volume": 1.0, "price.payment_terms_saas": 0.5}


def test_when_won_deals_made_a_move_then_it_ranks_above_an_equal_one() -> None:
    context = AgentContext((Turn("customer", "三台太贵了 后续还要再采购"),), "price", "medical_devices", {}, None, load_catalog())
    plain = [d.move for d in playbook_drafts("a", context, limit=10)]
    voted = [d.move for d in playbook_drafts("a", context, limit=10, won=[Hit("a", 0.9, "贵", {"reply": "x", "move": "price.volume"}, 0.9)])]
    assert plain.index("price.volume") > plain.index("price.configuration") and voted.index("price.volume") < voted.index("price.configuration")
