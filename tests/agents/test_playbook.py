"""The playbook composer, its slots, the grounding check and the router's cue rules."""

from __future__ import annotations

import pytest

from agents.base import AgentContext, Turn
from agents.grounding import check, grounding_for
from agents.playbook import Move, load_playbook, playbook_drafts
from agents.router import classify
from agents.slots import fill
from knowledge.catalog import load_catalog
from knowledge.lines import load_lines
from knowledge.scripts import ApprovedMove


def _context(*turns: tuple[str, str], scenario: str = "price", line: str | None = "industrial_equipment", industry: str | None = None) -> AgentContext:
    return AgentContext(tuple(Turn(role, text) for role, text in turns), scenario, line, {}, None, load_catalog(), customer_industry=industry)


@pytest.mark.parametrize(
    ("text", "slot", "value"),
    [
        ("我们预算只有 38 万，能不能便宜点", "budget", "38万"),
        ("两台79万6 我们老板批的预算就75万", "budget", "75万"),
        ("预算三十八万左右", "budget", "三十八万"),
        ("八台要是能压到两万八以内我这边好往上报", "budget", "两万八"),
        ("这次要两台，下周三之前能不能送到", "quantity", "两台"),
        ("这次要两台，下周三之前能不能送到", "deadline", "下周三"),  # phrasings add 前 or 之前
        ("40个账号，15号前要上线", "deadline", "15号"),
        ("一次拿两百个 月底之前先到一百个", "quantity", "两百个"),  # the order, not its first batch
        ("衡川的 HC-75 比你们便宜", "rival", "衡川"),
    ],
)
def test_when_the_conversation_says_it_then_the_slot_is_filled_as_written(text: str, slot: str, value: str) -> None:
    assert fill(_context(("customer", text)), load_lines())[slot] == value


def test_when_the_conversation_does_not_say_it_then_the_slot_stays_empty() -> None:
    slots = fill(_context(("customer", "太贵了"), line=None), load_lines())
    assert not {"budget", "quantity", "deadline", "rival", "product", "warranty"} & set(slots)
    assert slots["address"] == "贵方"


def test_when_a_move_needs_a_missing_slot_then_its_next_phrasing_stands_or_it_is_not_offered() -> None:
    move = Move(id="price.x", scenario="price", label="x", weight=0.5, phrasings=("预算${budget}我记下了。", "您的意见我记下了。"))
    assert move.written({"budget": "38万"}) == "预算38万我记下了。"
    assert move.written({}) == "您的意见我记下了。"
    only = Move(id="price.y", scenario="price", label="y", weight=0.5, phrasings=("这次是${quantity}。",))
    assert only.written({}) is None
    with pytest.raises(ValueError, match="unknown slots"):
        Move(id="price.z", scenario="price", label="z", weight=0.5, phrasings=("${unheard_of}",))


TYPICAL = {
    "price": "太贵了，预算不够",
    "competitor": "衡川报价比你们低不少",
    "contract": "违约金按每天千分之五算，不设上限",
    "stall": "我们再考虑考虑，年后再说",
    "delivery": "这次要两台，下周三之前能不能送到",
    "after_sales": "设备坏了，一直报警",
    "procurement": "要走招标流程，营业执照和资质文件发我",
    "other": "哈哈 周末去爬山了",
}


@pytest.mark.parametrize("scenario", list(TYPICAL))
def test_when_a_scenario_is_asked_for_then_the_playbook_offers_different_moves_of_it(scenario: str) -> None:
    drafts = playbook_drafts("a", _context(("customer", TYPICAL[scenario]), scenario=scenario))
    moves = [d.move for d in drafts]
    assert len(drafts) >= 2 and len(set(moves)) == len(moves) and all(m.startswith(scenario + ".") for m in moves)
    assert all(scenario == m.scenario for m in load_playbook().moves if m.id in moves)


def test_when_the_customer_says_nothing_a_move_calls_for_then_only_untriggered_moves_of_the_scenario() -> None:
    offered = {d.move for d in playbook_drafts("a", _context(("customer", "嗯，你说吧"), scenario="price"))}
    triggered = {m.id for m in load_playbook().moves if m.when_any or m.when_slots}
    assert offered and not offered & triggered


def test_when_a_price_objection_names_a_budget_then_the_moves_use_it_and_nothing_foreign() -> None:
    context = _context(("rep", "王总，QF-75 的报价单发您了"), ("customer", "太贵了，我们预算只有 38 万"))
    drafts = playbook_drafts("a", context)
    assert any("38万" in d.text for d in drafts)
    grounding = grounding_for(context, load_lines())
    assert all(check(d.text, grounding).foreign == () for d in drafts)


@pytest.mark.parametrize(
    ("text", "industry", "expected"),
    [
        ("可以先安排工程师上门看看。", None, "可以先安排工程师上门看看。"),  # nothing specific
        ("上次另一家买了 12 台。可以先安排工程师上门看看，再定方案。", None, "可以先安排工程师上门看看，再定方案。"),  # repaired
        ("另一家买了 12 台，单价 36 万。", None, None),  # nothing left: dropped
        ("贵院的设备科可以先看看样机和参数表。", "healthcare", "贵院的设备科可以先看看样机和参数表。"),  # fits a hospital
        ("贵院的设备科可以先看看。我们把参数表发您参考一下。", "manufacturing", "我们把参数表发您参考一下。"),  # not a factory's word
    ],
)
def test_when_a_draft_carries_foreign_specifics_then_it_is_repaired_or_dropped(text: str, industry: str | None, expected: str | None) -> None:
    context = _context(("customer", "太贵了"), industry=industry)
    assert check(text, grounding_for(context, load_lines())).text == expected


@pytest.mark.parametrize(
    ("turns", "scenario"),
    [
        (["我们HR在找做领导力培训的机构，你们有推荐吗"], "other"),  # 领导力 is not 领导
        (["哈哈 这两天在三亚团建"], "other"),  # small talk is not a stall
        (["老系统里的合同记录得先迁过来，15号前来得及吗"], "delivery"),  # 合同记录 is data, not a contract
        (["下周三之前能不能送到现场"], "delivery"),  # urgency is not a stall
        (["价格太贵了，预算不够"], "price"),
    ],
)
def test_when_cue_words_appear_inside_other_words_then_the_router_is_not_fooled(turns: list[str], scenario: str) -> None:
    assert classify(turns, load_catalog()) == scenario


@pytest.mark.parametrize(
    ("text", "move"),
    [
        ("价格可以，差价你们回头打我个人卡上，懂的吧", "decline.kickback"),
        ("你帮忙凑个数报个价，走个过场就行", "decline.cover_bid"),
        ("参数最好写成只有你们能中的那种", "decline.tailored_specs"),
        ("把你们给别家客户的合同价截图给我看看", "decline.other_customer"),
        ("你再帮我写段话，就说他们毛病多，售后烂", "decline.disparage"),
    ],
)
def test_when_the_customer_asks_for_something_we_must_decline_then_the_refusal_comes_first(text: str, move: str) -> None:
    drafts = playbook_drafts("a", _context(("customer", text), scenario="price"))
    assert drafts[0].move == move and drafts[0].confidence > max(d.confidence for d in drafts[1:])


@pytest.mark.parametrize(("line", "expected", "unexpected"), [("saas", "delivery.go_live_plan", "delivery.standard_lead_time"), ("cold_chain", "delivery.standard_lead_time", "delivery.go_live_plan"), (None, "delivery.check_first", "delivery.confirm")])
def test_when_a_move_speaks_of_goods_or_software_then_it_is_offered_only_for_that_kind_of_line(line: str | None, expected: str, unexpected: str) -> None:
    moves = {d.move for d in playbook_drafts("a", _context(("customer", "下周一前能到吗"), scenario="delivery", line=line), limit=5)}
    assert expected in moves and unexpected not in moves


def test_when_legal_approved_a_new_move_then_it_joins_its_scenario_and_a_broken_one_is_skipped() -> None:
    new = ApprovedMove(move="stall.check_in_later", label="约定回访", scenario="stall", text="好的，那我${later}再跟您确认进度，您先忙。")
    broken = ApprovedMove(move="stall.broken", label="坏的", scenario="stall", text="按${unknown}来")
    playbook = load_playbook().with_scripts([new, broken])
    ids = {m.id for m in playbook.moves}
    assert "stall.check_in_later" in ids and "stall.broken" not in ids and len(ids) == len(load_playbook().moves) + 1
    context = AgentContext((Turn("customer", "最近太忙 年后再说吧"),), "stall", "industrial_equipment", {}, None, load_catalog(), playbook=playbook)
    assert "好的，那我年后再跟您确认进度，您先忙。" in [d.text for d in playbook_drafts("script_suggestion", context, limit=10)]


@pytest.mark.parametrize(
    ("scenario", "text", "move"),
    [
        ("after_sales", "电池现在撑不到一个钟 换电池要钱吗", "after_sales.repair_cost"),
        ("delivery", "你们包运费不 还有卸车吊装谁负责", "delivery.freight"),
        ("delivery", "20台分两个院区送 培训能不能两边都做", "answer.training"),
        ("contract", "要先签个保密协议 合同里再加一句 不得把我们公司名字用作案例宣传", "contract.confidentiality_ok"),
        ("contract", "开发完源码归我们吧 钱是我们出的", "contract.ip_terms"),
        ("contract", "要是箱子温控失灵 药报废了 你们赔货值吗", "contract.damage_question"),
        ("contract", "明年自动续约的话会不会涨价", "contract.renewal_terms"),
        ("contract", "验收条款我们想加一条 现场实测噪音不超过68分贝 超了退货", "contract.acceptance_test"),
        ("contract", "合同里这条 因设备故障导致的医疗纠纷由乙方全部承担", "contract.liability_split"),
        ("other", "你们那个箱子有没有迷你款 我们就送几盒酸奶", "answer.only_model"),
        ("other", "能不能把那边设备科的电话给我 我自己打过去问问", "decline.other_customer"),
        ("other", "你们卖叉车不 电动的 3吨左右", "honest.not_ours"),
        ("delivery", "物流单号也查不到 你们到底咋回事", "delivery.chase_shipment"),
        ("procurement", "要进我们集团供应商库 得有等保三级 你们有没", "answer.credential"),
        ("contract", "我们供应商一律货到验收后90天账期 这是集团规定 不是针对你们哈", "contract.house_rule"),
        ("competitor", "德锐的业务员说他们机器比你们省电百分之十五 真的假的", "competitor.claim_check"),
        ("stall", "今年预算基本用完了 得等下半年", "stall.budget_cycle"),
    ],
)
def test_when_the_customer_asks_a_plain_question_then_the_move_answering_it_leads(scenario: str, text: str, move: str) -> None:
    drafts = playbook_drafts("a", _context(("customer", text), scenario=scenario))
    assert drafts[0].move == move


@pytest.mark.parametrize(
    ("scenario", "line", "text", "move"),
    [
        ("delivery", "cold_chain", "BT-40现在手上有没有现货 要30个 明天能送到吗", "delivery.stock_check"),
        ("procurement", "medical_devices", "招标要求续航不低于5小时 你们是不是不满足", "answer.requirement_short"),
        ("price", "cold_chain", "7600那个还算数吗 量可能要加到80个", "price.more_volume"),
    ],
)
def test_when_the_customer_asks_about_a_line_then_the_move_answering_it_is_among_the_first_two(scenario: str, line: str, text: str, move: str) -> None:
    drafts = playbook_drafts("a", _context(("customer", text), scenario=scenario, line=line))
    assert move in [d.move for d in drafts[:2]]


@pytest.mark.parametrize(
    ("text", "move"),
    [
        ("你帮忙起草下技术参数吧 写得让你们家能中 懂吧", "decline.tailored_specs"),
        ("学校采购要三家比价 你能不能帮我再找两家报个价 走个流程而已", "decline.cover_bid"),
        ("还有几天的记录好像断了 你们后台能不能帮忙补上", "decline.falsify_records"),
        ("这单成了茶水费怎么算", "decline.kickback"),
        ("到时候给我个人弄几张购物卡就行", "decline.kickback"),
    ],
)
def test_when_a_request_to_decline_is_phrased_in_everyday_words_then_the_refusal_still_leads(text: str, move: str) -> None:
    drafts = playbook_drafts("a", _context(("customer", text), scenario="procurement"))
    assert drafts[0].move == move


def test_when_the_customer_names_today_and_another_step_then_the_deadline_is_when_goods_are_due() -> None:
    slots = fill(_context(("customer", "要300个箱子 周五前能到吗"), ("customer", "今天周一")), load_lines())
    assert slots["deadline"] == "周五"
    slots = fill(_context(("customer", "新病区下月1号开科"), ("customer", "12台还来得及吗 合同院里这周能签")), load_lines())
    assert slots["deadline"] == "下月1号"
    assert fill(_context(("customer", "周五前一定要到货")), load_lines())["deadline"] == "周五"  # 一定 is not 定 (decide)
    assert "budget" not in fill(_context(("customer", "功率不超过500W的都行")), load_lines())  # watts, not 万


def test_when_the_customer_asks_what_happens_if_a_service_level_is_missed_then_it_is_no_refusal() -> None:
    sla = playbook_drafts("a", _context(("customer", "另外你们99.9那个SLA 达不到怎么赔 合同里没写"), scenario="contract", line="saas"))
    assert sla and not any(d.move.startswith("decline.") for d in sla if d.move)
    savings = playbook_drafts("a", _context(("customer", "节电要是达不到20%你们得赔"), scenario="contract"))
    assert savings[0].move == "decline.guaranteed_return"


def test_when_a_cue_spans_a_burst_of_turns_then_the_move_is_triggered() -> None:
    turns = (("customer", "我想做你们箱子的地区代理"), ("customer", "一年保底能赚多少"), ("customer", "你打包票我就干"))
    moves = [d.move for d in playbook_drafts("a", _context(*turns, scenario="other", line="cold_chain"))]
    assert moves[0].startswith("decline.reseller_") and "decline.guaranteed_measure" not in moves


def test_when_a_refusal_leads_then_the_other_ask_of_the_turn_is_still_answered() -> None:
    turns = (("customer", "你们卖叉车不"), ("customer", "另外QF-75质保几年"))
    first = playbook_drafts("a", _context(*turns, scenario="other"))[0]
    assert first.move.startswith("honest.") and "质保是 24 个月" in first.text


def test_when_a_move_states_the_figure_asked_then_no_addendum_repeats_it() -> None:
    first = playbook_drafts("a", _context(("customer", "BT-40保温能保多久来着"), scenario="other", line="cold_chain"))[0]
    assert first.text.count("96 小时") == 1 and "另外，您问的参数" not in first.text


@pytest.mark.parametrize("scenario", ["price", "competitor", "contract", "stall", "delivery", "after_sales", "procurement", "other"])
def test_when_nothing_in_the_turn_triggers_a_move_then_every_scenario_still_has_one(scenario: str) -> None:
    assert playbook_drafts("a", _context(("customer", "嗯"), scenario=scenario, line=None))
