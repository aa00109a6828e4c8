"""The script and competitor agents on the demo pool (hashing embedder, so no model is needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.base import AgentContext, Turn
from agents.composers.extractive import AS_IS_FLOOR
from agents.competitor_response import CompetitorResponseAgent, fact_comparison
from agents.retrieval import rival_and_ours, won_examples
from agents.script_suggestion import ScriptSuggestionAgent
from core.settings import Settings
from knowledge.catalog import load_catalog
from knowledge.demo_data import load_demo
from knowledge.store import get_store


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory):
    store = get_store(Settings(data_dir=Path(tmp_path_factory.mktemp("pool")), embedder="hashing"))
    assert load_demo(store) > 300
    assert load_demo(store) == 0  # idempotent
    return store


def _context(store, text: str, scenario: str, product_line: str | None = "industrial_equipment") -> AgentContext:
    return AgentContext((Turn("customer", text),), scenario, product_line, {}, store, load_catalog())


RIVALS = [
    ("衡川的 HC-75 便宜不少", None, "hc-75", "qf-75"),
    ("拓峰那台排气量更大", None, "tf-90", "qf-75"),
    ("博睿云的接口比你们多", None, "br-crm", "yc-crm"),
    ("友商报价低一些", "medical_devices", None, "al-12"),  # nobody named a rival: none is invented
    ("别家的温控箱更轻", "cold_chain", None, "bt-40"),
]


@pytest.mark.parametrize(("text", "line", "rival", "ours"), RIVALS, ids=[r[0][:8] + (r[1] or "") for r in RIVALS])
def test_when_a_competitor_comes_up_then_it_and_our_product_are_identified(store, text, line, rival, ours) -> None:
    found_rival, found_ours = rival_and_ours(_context(store, text, "competitor", line))
    assert (found_rival.id if found_rival else None, found_ours.id) == (rival, ours)


@pytest.mark.parametrize("scenario", ["price", "stall", "delivery", "after_sales", "procurement"])
def test_when_an_objection_comes_then_won_replies_of_that_scenario_ground_the_drafts(store, scenario: str) -> None:
    text = {"price": "太贵了，预算不够", "stall": "我们再考虑考虑", "delivery": "多久能到货", "after_sales": "坏了谁来修", "procurement": "要走招标流程"}[scenario]
    context = _context(store, text, scenario)
    hits = won_examples(context, scenario)
    assert any(hit.id.startswith("script-") for hit in hits)  # curated scripts are in the running
    assert {hit.metadata["scenario"] for hit in hits} == {scenario} and all(hit.metadata.get("outcome", "won") == "won" for hit in hits)
    drafts = ScriptSuggestionAgent().draft(context)
    retrieved = [d for d in drafts if d.move is None]  # only those close enough to show as-is
    assert {d.sources[0].snippet_id for d in retrieved} <= {hit.id for hit in hits} and all(d.confidence >= AS_IS_FLOOR for d in retrieved)
    assert any(d.move for d in drafts) and all(d.move.startswith(scenario + ".") for d in drafts if d.move)  # and the scenario's moves


@pytest.mark.parametrize(("ours", "rival"), [("qf-75", "hc-75"), ("qf-75", "tf-90"), ("yc-crm", "br-crm"), ("al-12", "kl-10"), ("bt-40", "ls-35")])
def test_when_facts_are_compared_then_each_side_is_stated_from_its_own_figures(ours: str, rival: str) -> None:
    catalog = load_catalog()
    mine, theirs = catalog.get(ours), catalog.get(rival)
    by_key = {m.key: m for m in theirs.metrics}
    for metric in mine.metrics:
        other = by_key[metric.key]
        ours_better = metric.value != other.value and (metric.value < other.value) == (metric.better == "lower")
        theirs_better = metric.value != other.value and not ours_better
        fields = {"label": metric.label, "mine": metric.value, "theirs": other.value, "unit": metric.unit, "name": theirs.aliases[0]}
        unraised, raised = fact_comparison(mine, theirs), fact_comparison(mine, theirs, f"{metric.label}怎么样")
        if not ours_better:  # never claim an advantage we do not have (ties included)
            assert "{label}（{mine:g} {unit}，对方".format(**fields) not in unraised
            assert "{label}上我们更有优势".format(**fields) not in raised
        if theirs_better:  # the rival's edge, when raised, is said plainly from its own figures
            assert raised.startswith("{label}这点{name}确实占优（{theirs:g} {unit}，我们 {mine:g} {unit}）".format(**fields))
        assert "数据来源" not in raised + unraised  # sources travel with the suggestion and the chart, not in the reply


def test_when_the_customer_raises_a_point_then_the_comparison_leads_with_it() -> None:
    catalog = load_catalog()
    text = fact_comparison(catalog.get("qf-75"), catalog.get("hc-75"), "衡川的交期比你们快吗")
    assert text.index("交期") < min(i for i in (text.find("质保"), text.find("比功率")) if i >= 0)


def test_when_the_customer_names_the_quotes_then_the_catalog_bands_are_not_cited_against_them() -> None:
    catalog = load_catalog()
    named = fact_comparison(catalog.get("bt-40"), catalog.get("ls-35"), "凌霜报我们5800\n你们7千5")
    unnamed = fact_comparison(catalog.get("bt-40"), catalog.get("ls-35"), "凌霜比你们便宜")
    assert "参考价" not in named and "万元" not in named and "报价" in named
    assert "参考价" in unnamed


def test_when_the_industry_disagrees_with_the_named_rival_then_the_rivals_industry_wins(store) -> None:
    rival, ours = rival_and_ours(_context(store, "衡川的 HC-75 便宜不少", "competitor", product_line="saas"))
    assert (rival.id, ours.id) == ("hc-75", "qf-75")


def test_when_the_competitor_agent_drafts_then_facts_come_first_and_nothing_disparages(store) -> None:
    drafts = CompetitorResponseAgent().draft(_context(store, "衡川的 HC-75 便宜不少，你们贵在哪", "competitor"))
    assert drafts[0].sources[0].snippet_id == "catalog:hc-75"
    assert all(word not in d.text for d in drafts for word in ("差劲", "质量差", "垃圾", "不靠谱", "不行"))


def test_when_a_buyer_states_a_risky_term_in_chat_then_the_reply_proposes_a_fair_term_and_the_note_stays_apart(store) -> None:
    from agents.contract_risk.agent import ContractRiskAgent

    first = ContractRiskAgent().draft(_context(store, "我们法务说逾期一天扣合同额1%，不封顶哈", "contract"))[0]
    assert "不超过合同总价的10%" in first.text and "0.05%" in first.proposes  # the chat reply in plain words, the clause proposed in full
    assert first.rep_note and "违约金过高" in first.rep_note and "第五百八十五条" in first.rep_note
    assert first.rep_note not in first.text


def test_when_a_customer_raises_two_terms_then_the_one_raised_last_is_answered_first(store) -> None:
    from agents.base import AgentContext, Turn
    from agents.contract_risk.agent import ContractRiskAgent
    from knowledge.catalog import load_catalog

    turns = (Turn("customer", "我们法务说逾期一天扣合同额1%，不封顶"), Turn("customer", "还有定金我们这边写的30%"))
    context = AgentContext(turns, "contract", "industrial_equipment", {}, store, load_catalog())
    drafts = [d for d in ContractRiskAgent().draft(context) if d.sources[0].snippet_id.startswith("rule:")]
    assert [d.sources[0].snippet_id for d in sorted(drafts, key=lambda d: -d.confidence)][:2] == ["rule:deposit_over_20_percent", "rule:excessive_liquidated_damages"]


@pytest.mark.parametrize(
    ("said", "months"),
    [("用了一年半了 最近噪音大了", 18.0), ("去年4月按装的 还在包修吧", 20.0), ("22年11月到的那批", 49.0), ("用了两年多了", 27.0), ("买了8个月", 8.0)],
)
def test_when_the_customer_says_how_long_goods_are_in_use_then_the_months_are_read(said: str, months: float) -> None:
    from agents.reading import months_in_use

    assert months_in_use([said], (2026, 12))[1] == months


def test_when_a_date_names_no_delivery_or_use_then_it_is_not_read_as_one() -> None:
    from agents.reading import months_in_use

    assert months_in_use(["去年3月我们开过会"], (2026, 12)) is None


def test_when_the_goods_are_clearly_in_or_out_of_warranty_then_the_reply_says_so_with_their_words(store) -> None:
    from datetime import UTC, datetime

    from agents.base import AgentContext, Turn
    from agents.playbook import playbook_drafts
    from core.clock import simulated
    from knowledge.catalog import load_catalog

    def first(said: str) -> str:
        turns = (Turn("customer", "QF-75最近噪音大了"), Turn("customer", said))
        return playbook_drafts("script_suggestion", AgentContext(turns, "after_sales", "industrial_equipment", {}, store, load_catalog()))[0].text

    with simulated(datetime(2026, 12, 5, tzinfo=UTC)):
        inside, past, unsure = first("去年4月装的 还在保修吧"), first("22年11月装的 还在保修吧"), first("24年12月装的 还在保修吧")
    assert inside.startswith("按您说的去年4月装的，还在 24 个月的质保期内") and "不收费" in inside
    assert past.startswith("按您说的22年11月装的，已经过了 24 个月的质保期") and "先报给您确认" in past
    assert "质保期内" not in unsure and "已经过了" not in unsure and "查在不在保" in unsure  # at the edge: the serial decides
