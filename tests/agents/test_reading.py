"""Reading what the customer asks (agents.reading) and the moves it brings: the catalog fact
asked about, an honest no for what we do not sell, the proposed price, the time the matter
is put off to, who approves it, a second ask answered in the same reply."""

from __future__ import annotations

import pytest

from agents import reading
from agents.base import AgentContext, Turn
from agents.playbook import playbook_drafts, rules_out_chart
from agents.router import classify
from agents.slots import fill
from knowledge.catalog import load_catalog
from knowledge.lines import load_lines


def _context(*turns: tuple[str, str], scenario: str = "price", line: str | None = "industrial_equipment") -> AgentContext:
    return AgentContext(tuple(Turn(role, text) for role, text in turns), scenario, line, {}, None, load_catalog())


def _moves(context: AgentContext) -> list[str | None]:
    return [draft.move for draft in playbook_drafts("script_suggestion", context)]


@pytest.mark.parametrize(
    ("turn", "price"),
    [
        ("7500贵了点 我们一次拿两百个 你给个六千五", "六千五"),
        ("三台一起拿 一百一十万 行的话这周就签", "一百一十万"),
        ("实施不要了 直接一千二嘛", "一千二"),
        ("2万6 我去跟院长说 行不行你给个话", "2万6"),
        ("7800做不下来 七千以内才有得赚", "七千"),
        ("价格还按上回的7200吧", None),  # keeping the last price is not a counter-offer
        ("按120个账号报一下", None),  # a quantity, not a price
        ("太贵了", None),
    ],
)
def test_when_the_customer_proposes_a_price_then_it_is_read_as_written(turn: str, price: str | None) -> None:
    assert reading.their_price([turn]) == price


@pytest.mark.parametrize(
    ("turn", "later", "who"),
    [
        ("不好意思最近太忙了 先放放吧 年后再说", "年后", None),
        ("回头跟我合伙人商量下在说吧", None, "合伙人"),
        ("这事我做不了主 得等集团那边批", None, "集团"),
        ("估计得等下半年 到时候再说吧", "下半年", None),
        ("下半年的订单已经排满了", None, None),  # a time, but nothing is put off
    ],
)
def test_when_the_customer_puts_it_off_then_the_time_and_the_approver_are_read(turn: str, later: str | None, who: str | None) -> None:
    assert (reading.put_off_until([turn]), reading.approver([turn])) == (later, who)


def test_when_the_customer_asks_catalog_figures_then_every_one_asked_is_answered_from_the_catalog() -> None:
    monitor = next(p for p in load_catalog().ours("medical_devices"))
    turns = ["你们AL-12电池能用多久", "我们新生儿转运 来回四十分钟", "还有屏幕多大"]
    assert reading.asked_fact(turns, monitor) == "AL-12的电池续航是 4 小时，按您说的四十分钟算是够用的，还有余量；屏幕尺寸是 12.1 英寸"
    assert reading.asked_fact(["签的时候不是说电池4小时吗"], monitor) is None  # a challenge, not a question
    box = load_catalog().get("bt-40")
    assert reading.asked_fact(["BT-40保温能保多久", "路上得四天"], box).endswith("按您说的四天算刚好够，余量不大，建议留好应急预案")
    assert reading.asked_fact(["BT-40保温能保多久", "全程要跑五天"], box).endswith("按您说的五天算单靠它不够，需要中途接力，我们一起把方案定细")
    compressor = load_catalog().get("qf-75")
    assert reading.asked_fact(["车间用气量核下来要14个方左右", "你们QF-75才13.2 够不够用啊"], compressor).endswith("按您说的14个方算单台不够，需要一起核一下配置，我不建议硬上")


@pytest.mark.parametrize(
    ("turn", "thing"),
    [
        ("你好 你们家有卖冷干机吗 配空压机用的", "冷干机"),
        ("我们新仓有个冷库工程在招标 你们能投吗", "冷库工程"),
        ("我们HR在找做领导力培训的机构 你们有合作的推荐没", "领导力培训的机构"),
        ("学校想找一套排课的系统 你们有吗", "排课的系统"),  # the measure word goes too
        ("对了 储气罐你们有配套的没", "储气罐"),
        ("你们冷库机组供不供", "冷库机组"),  # the thing first, then the ask
        ("你们能修冷干机不 不是你们家的", "冷干机"),  # a repair of something we do not sell
        ("空压机你们修吗", None),  # ours
        ("你们有空压机吗", None),  # ours
        ("有没有现货", None),
        ("我们有两台旧设备坏了", None),  # saying what they have is not asking us for it
    ],
)
def test_when_the_customer_asks_for_something_we_do_not_sell_then_it_is_named(turn: str, thing: str | None) -> None:
    slots = fill(_context(("customer", turn)), load_lines())
    assert slots.get("missing") == thing


@pytest.mark.parametrize(
    ("turns", "issue"),
    [
        (["22年11月到的那批", "电池现在撑不到一个钟", "换电池要钱吗"], "电池撑不到一个钟"),
        (["有两个箱子显示温度一直在9度", "设定的2-8"], "两个箱子显示温度一直在9度"),
        (["昨天下午开始 线索同步不进来了", "销售都在群里骂"], "线索同步不进来"),
        (["你们那个系统又挂了"], None),  # echoing it would need the pronoun turned round
        (["机器坏了"], None),  # too short to say more than the apology does
        (["价格太贵了"], None),
        (["老板总是问价格"], None),  # 总是 alone is no fault
    ],
)
def test_when_the_customer_reports_a_fault_then_it_is_echoed_in_their_words(turns: list[str], issue: str | None) -> None:
    assert reading.complaint(turns) == issue


def test_when_we_do_not_sell_it_then_the_honest_no_leads_and_names_what_we_do() -> None:
    drafts = playbook_drafts("script_suggestion", _context(("customer", "你们家有卖冷干机吗 一台大概什么价位"), scenario="price"))
    assert drafts[0].move == "honest.not_ours" and "冷干机" in drafts[0].text and "变频螺杆空压机" in drafts[0].text


def test_when_the_customer_asks_a_price_and_a_date_then_each_reply_answers_both() -> None:
    context = _context(("customer", "7500贵了点 你给个六千五 另外月底之前先到一百个 能做到吗"), line="cold_chain")
    drafts = playbook_drafts("script_suggestion", context)
    assert drafts and all("月底" in d.text for d in drafts) and "六千五" in drafts[0].text


def test_when_the_customer_makes_small_talk_then_only_small_talk_moves_answer() -> None:
    context = _context(("customer", "哈哈 这两天在三亚团建 晒成炭了"), scenario="other", line="cold_chain")
    assert _moves(context) == ["other.small_talk", "other.small_talk_steer", "other.small_talk_available"]
    assert _moves(_context(("customer", "收到"), scenario="other")) == ["other.clarify"]


def test_when_the_rep_chased_twice_unanswered_then_it_is_a_stall() -> None:
    catalog = load_catalog()
    assert classify(["收到"], catalog) != "stall"
    assert classify(["收到"], catalog, unanswered=2) == "stall"
    assert classify(["三台一起拿 一百一十万 行的话这周就签", "过了周五我们就去看别家了"], catalog) == "price"  # a threat, not a comparison


def test_when_a_refusal_or_an_honest_no_leads_then_no_chart_but_an_objective_comparison_keeps_one() -> None:
    assert rules_out_chart("decline.kickback") and rules_out_chart("honest.not_ours")
    assert not rules_out_chart("decline.disparage") and not rules_out_chart("price.approval") and not rules_out_chart(None)


def test_when_price_quantity_and_budget_are_all_said_then_the_reply_does_the_sum_in_their_own_numbers() -> None:
    assert reading.budget_fit(["20台 单价980"], "两万", "20台") == ("按20台、单价980算，总价在您两万的预算以内", True)
    assert reading.budget_fit(["我这边已经按120个账号帮您申请到1380/人/年了"], "16万", "120个账号") == ("按120个账号、单价1380算，总价比您16万的预算高一些", False)
    assert reading.budget_fit(["单台39万8"], "36万", None) is None  # no quantity: no sum
    context = _context(("rep", "两台 QF-75，单台 39万8"), ("customer", "我们预算就 75 万 你看着办"))
    assert "按两台、单价39万8算，总价比您75万的预算高一些" in playbook_drafts("script_suggestion", context)[0].text
    proposed = _context(("rep", "两台 QF-75，单台 39万8"), ("customer", "预算就 75 万 你给个 37 万一台"))
    assert not any("单价37万" in d.text for d in playbook_drafts("script_suggestion", proposed))  # their counter-offer is not our price


@pytest.mark.parametrize(
    ("rep_turn", "granted"),
    [
        ("严经理，按您说的我们已经申请下来九七折了，单台到40.2万", "九七折"),
        ("特价38万6是我专门申请下来的", "特价38万6"),
        ("这个价已经让到36万了", "36万"),
        ("报价单发您邮箱了，单台39万8", None),  # a quote is not a concession
        ("报价单台39万8，批下来要等领导", None),  # nor is a quote next to an approval still to come
    ],
)
def test_when_our_side_already_conceded_then_it_is_read_from_the_rep_turns(rep_turn: str, granted: str | None) -> None:
    assert reading.concession([rep_turn]) == granted


def test_when_we_already_conceded_then_the_reply_asks_for_something_in_return_instead_of_asking_again() -> None:
    context = _context(("rep", "按您说的我们已经申请下来九七折了"), ("customer", "说实话还是高 你再帮忙去问问呗 便宜点"))
    moves = _moves(context)
    assert moves[0] == "price.after_concession" and "price.approval" not in moves
    assert "九七折" in playbook_drafts("script_suggestion", context)[0].text


def test_when_a_service_promise_is_for_one_tier_then_only_customers_of_that_tier_are_told_it() -> None:
    county = _context(("customer", "县医院要两台监护仪，坏了多久能来人"), scenario="after_sales", line="medical_devices")
    tertiary = AgentContext(county.turns, "after_sales", "medical_devices", {}, None, load_catalog(), industry_label="三甲医院")
    assert "三级医院" not in fill(county, load_lines())["service"]
    assert "三级医院 24 小时响应" in fill(tertiary, load_lines())["service"]


def test_when_the_need_is_a_spoken_range_well_past_one_unit_then_two_units_are_offered() -> None:
    from knowledge.catalog import load_catalog

    flow = next(m for m in load_catalog().get("qf-75").metrics if m.key == "flow")
    fit = reading.fit_to_need(flow, ["算了下 二十五六个方吧", "拓峰那台TF-90排气量16个方", "你们才13.2 一台肯定不够啊"])
    assert fit == "，按您说的二十五六个方算单台不够，两台并联能覆盖，我们一起核一下配置和总价"


def test_when_the_customer_brings_up_a_metric_without_asking_then_our_figure_is_read() -> None:
    from knowledge.catalog import load_catalog

    assert reading.raised_facts(["华岐的监护仪有8个参数", "你们6个 是不是落后了"], load_catalog().get("al-12")) == "AL-12的监测参数是 6 项"
    assert reading.raised_facts(["你们这个好用吗"], load_catalog().get("al-12")) is None
    assert reading.raised_facts(["你们电池才4个钟"], load_catalog().get("al-12")) == "AL-12的电池续航是 4 小时"


@pytest.mark.parametrize(
    ("turns", "product", "fit"),
    [
        (["续航要求不低于5小时", "你们是不是不满足"], "al-12", ("AL-12的电池续航是 4 小时，达不到不低于5小时的要求", False)),
        (["噪音要在70分贝以下"], "qf-75", ("QF-75的噪声是 68 dB(A)，满足70分贝以下的要求", True)),
        (["保温至少3天"], "bt-40", ("BT-40的2–8℃ 保温时长是 96 小时，满足至少3天的要求", True)),
        (["人家电池能撑6个钟"], "al-12", None),  # a figure, not a requirement
    ],
)
def test_when_the_customer_states_a_requirement_then_our_figure_is_held_against_it(turns: list[str], product: str, fit: tuple | None) -> None:
    assert reading.requirement_fit(turns, load_catalog().get(product)) == fit


def test_when_the_customer_asks_whether_we_hold_a_certificate_then_it_is_named() -> None:
    assert reading.credential_asked(["要进我们集团供应商库", "得有等保三级 你们有没"]) == "等保三级"
    assert reading.credential_asked(["注册证能提供吗 明天截止"]) == "注册证"
    assert reading.credential_asked(["授权书今天能出吗 明天截止"]) is None  # a letter we issue, not a certificate we may lack
    assert reading.credential_asked(["证书我们回头再看"]) is None
