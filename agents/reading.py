"""What the customer's recent turns ask, read as values a reply can echo: the price they
propose, when they put the matter off to, who has to approve it, the catalog fact they ask
about, and what they ask for that we do not sell. Each reader returns None when the turns
do not say it; a reply then does without (the move needing it is not offered).

Only the customer's own words are read, latest turn first, so an echo is always grounded
in this conversation.
"""

from __future__ import annotations

from functools import lru_cache

import regex as re

from knowledge.catalog import Metric, Product
from knowledge.specifics import value_of

_CN = r"[一二两三四五六七八九十][零〇一二两三四五六七八九十百千万]+"
PRICE = rf"(?:\d+(?:\.\d+)?\s*万[\d一二两三四五六七八九]?|\d{{3,}}(?:\.\d+)?|\d+(?:\.\d+)?(?=块|元)|{_CN})(?:块钱|块|元)?(?!\s*(?:个|台|套|人|天|周|月|年|号|小时|%|\d|平|㎡|米|公里|度|公斤|kg|升|吨|方|瓦|kW))"
COUNTER = re.compile(
    rf"(?:给个|给到|直接|压到|降到|便宜到|做到|就按|按)\s*(?P<price>{PRICE})"
    rf"|(?P<price2>{PRICE})\s*(?:以内|以下|[^，。,.\d]{{0,8}}?(?:行的话|行就行|行不行|行吗|行不|可以吗|可以不|能做吗|能做不|能不能做|做不做|就签|我就签))"
)
QUOTE_NAMED = re.compile(rf"(?:报|报价|卖|要价)[^，。,.]{{0,3}}?(?:{PRICE})|\d+\s*千\s*\d?(?![个台套人天])")  # 凌霜报我们5800, 你们7千5
UNIT_PRICE = re.compile(
    rf"(?:单台|单价|单个报价|单个|每台|每个|一台|一个)\s*(?P<a>{PRICE})|(?P<b>{PRICE})\s*(?:/人/年|/人|/台|/个|/账号|元/人|一台|一个|每台)"
)
LATER = re.compile(r"年后|过完年|节后|过完节|下半年|明年|天热了?|天暖和了?|下个月中旬|下个月|下月|下周|下礼拜|月底|年底|开春|下季度|过段时间|过阵子|过两天")
PUT_OFF = re.compile(r"再说|再看|再聊|再定|再议|放放|放一放|等|以后|之后|不急|才回|才开会")
APPROVER = re.compile(r"集团|总部|老板|领导|合伙人|董事会|院领导|院里|设备科|采购部|上级|总经理|老总|一把手|上面")
DECIDES = re.compile(r"批|商量|拍板|上会|同意|审批|决定|做主|签字|点头|过会|流程|开会")
ASKS_VALUE = re.compile(r"多少|几|多久|多大|多长|多重|来着|够不够|够用吗|够吗|你们呢|你们的呢|你们家呢|你们这个呢")  # asks for a value (不是说99.9%吗 challenges one)
SUPPLY_ASK = re.compile(
    r"(?:有卖|有没有卖|卖不卖|有没有|有木有|有配套|能配|配不配|做不做|能不能做|能做|能投|能供|代理|推荐|在找|找|你们卖|卖)(?:的|个|一下|合作的|做)?"
    r"(?P<thing>[\p{Han}A-Za-z0-9-]{2,10}?)?(?=吗|么|嘛|没|不|\s|$|[，。？?！!])"
)
_KINDS = r"(?:机|器|仪|箱|柜|罐|阀|系统|软件|设备|工程|培训|机构|平台|耗材|试剂|泵|车|配件|材料|机组)"
PRODUCTISH = re.compile(rf"(?:..{_KINDS}|\p{{Han}}(?:车|泵|罐|阀|柜))$")  # a kind with what it is for (冷干机, 冷库工程), not a bare 系统
THING_ASKED = re.compile(  # the thing first, then the ask: 冷库机组供不供, 冷干机你们修吗
    r"(?P<thing>[\p{Han}A-Za-z0-9-]{2,8}?)(?:你们)?(?:供不供|卖不卖|做不做|修不修|能不能供|能不能修|能修吗|能供吗|有卖吗|有没有货)"
)
REPAIR_ASK = re.compile(r"(?:能修|能不能修|可以修|帮忙修|修一下)(?P<thing>[\p{Han}A-Za-z0-9-]{2,8}?)(?=吗|么|嘛|不|没|\s|$|[，。？?！!])")
NOUN = re.compile(rf"[\p{{Han}}]{{2,4}}(?:工程|机组|系统|软件|设备|平台|耗材|试剂|机构|培训|罐)")  # what a bare 能投吗 refers to
_LEADING = re.compile(r"^(?:你们|我们|贵司|有个|有|个|的|在|做|卖|买|找|一套|一台|一款|一个|一)+")


TRIP = re.compile(
    r"(?:路上|运输|来回|转运|全程|一趟|要跑|要用)[^，。,.；;]{0,5}?"
    r"(?P<number>\d+(?:\.\d+)?|[一二两三四五六七八九十半]+)\s*(?P<unit>天|个小时|小时|个钟头?|分钟)"
)
_HOURS = {"天": 24.0, "个小时": 1.0, "小时": 1.0, "个钟": 1.0, "个钟头": 1.0, "分钟": 1 / 60}
AIR_NEED = re.compile(r"(?:要|需要|用气量|算了下|算下来|大概|差不多)[^，。,.；;]{0,8}?(?P<number>\d+(?:\.\d+)?|[一二两三四五六七八九十]+)\s*个?(?:方|立方)")
_RANGE = re.compile(r"^(?P<tens>[二三四五六七八九]?十)(?P<low>[一二三四五六七八九])(?P<high>[一二三四五六七八九])$")  # 二十五六: 25 to 26


def _need_of(number: str) -> float | None:
    """A figure the customer needs, the top of a spoken range (二十五六 → 26)."""
    if match := _RANGE.match(number):
        return value_of(match["tens"] + match["high"])
    return value_of(number)


def fit_to_need(metric: Metric, customer_turns: list[str]) -> str:
    """How a figure fits what the customer said they need: an hours figure against the
    duration they gave (路上得四天, 来回四十分钟), an air flow against the 方 they use;
    enough, tight, or not enough on its own; "" when they gave none."""
    if metric.unit == "m³/min":
        for turn in _recent(customer_turns, depth=3):
            if (match := AIR_NEED.search(turn)) and (need := _need_of(match["number"])):
                said = f"{match['number']}个方"
                if metric.value >= need:
                    return f"，按您说的{said}算够用" + ("" if metric.value >= 1.1 * need else "，但余量不大")
                if 1.25 * metric.value < need <= 2 * metric.value:  # well past one unit: two side by side
                    return f"，按您说的{said}算单台不够，两台并联能覆盖，我们一起核一下配置和总价"
                return f"，按您说的{said}算单台不够，需要一起核一下配置，我不建议硬上"
        return ""
    if metric.unit != "小时":
        return ""
    for turn in _recent(customer_turns, depth=3):
        if (match := TRIP.search(turn)) and (number := value_of(match["number"])) is not None:
            need = number * _HOURS[match["unit"]]
            said = f"{match['number']}{match['unit']}"
            if metric.value >= 1.25 * need:
                return f"，按您说的{said}算是够用的，还有余量"
            if metric.value >= need:
                return f"，按您说的{said}算刚好够，余量不大，建议留好应急预案"
            return f"，按您说的{said}算单靠它不够，需要中途接力，我们一起把方案定细"
    return ""


def _recent(customer_turns: list[str], depth: int = 2) -> list[str]:
    """The last ``depth`` turns, latest first."""
    return list(reversed(customer_turns[-depth:]))


def their_price(customer_turns: list[str]) -> str | None:
    """The price the customer proposes (给个六千五, 一百一十万行的话, 直接一千二)."""
    for turn in _recent(customer_turns, depth=3):
        found = [m.group("price") or m.group("price2") for m in COUNTER.finditer(turn)]
        if found:
            return re.sub(r"\s+", "", found[-1])
    return None


def _amount(written: str) -> float | None:
    """39万8 → 398000, 1380 → 1380, 三十六万 → 360000 (spaces and 块/元 ignored)."""
    return value_of(re.sub(r"w$", "万", re.sub(r"\s+|块钱|块|元", "", written)))


def count_of(quantity: str | None) -> float | None:
    """两百个 → 200, 20台 → 20 (the number a quantity slot holds); None without one."""
    return value_of(re.sub(r"[^\d零一二两三四五六七八九十百千]", "", quantity or ""))


def budget_fit(texts: list[str], budget: str | None, quantity: str | None) -> tuple[str, bool] | None:
    """Whether the unit price we quoted (``texts``: the rep's turns) times the quantity fits the customer's budget, said
    with their own numbers only ("按20个账号、单价980算，总价在您两万的预算以内"), and
    whether it fits; None when the conversation lacks one of the three."""
    units = [m["a"] or m["b"] for text in texts for m in UNIT_PRICE.finditer(text)]
    count = count_of(quantity)
    if not (units and budget and count):
        return None
    unit, limit = re.sub(r"\s+", "", units[-1]), _amount(budget)
    price = _amount(unit)
    if not (price and limit):
        return None
    fits = price * count <= limit
    verdict = "在您" + budget + "的预算以内" if fits else "比您" + budget + "的预算" + ("高出不少" if price * count > 1.15 * limit else "高一些")
    return f"按{quantity}、单价{unit}算，总价{verdict}", fits


def put_off_until(customer_turns: list[str]) -> str | None:
    """When the customer puts the matter off to (年后, 下半年, 下个月 …), said in the same
    burst of turns as the putting off (等他回来再说吧 / 估计得下礼拜)."""
    recent = _recent(customer_turns, depth=3)
    if not any(PUT_OFF.search(turn) for turn in recent):
        return None
    return next((match[0] for turn in recent if (match := LATER.search(turn))), None)


def approver(customer_turns: list[str]) -> str | None:
    """Who the customer says must approve or agree (集团, 合伙人, 老板 …)."""
    for turn in _recent(customer_turns):
        if DECIDES.search(turn) and (match := APPROVER.search(turn)):
            return match[0]
    return None


def asked_fact(customer_turns: list[str], product: Product | None) -> str | None:
    """The catalog facts of ``product`` the customer's recent turns ask about, as a reply
    states them (BT-40的2–8℃ 保温时长是 96 小时，空箱重量是 18.5 kg); None when none is asked."""
    if product is None:
        return None
    facts: list[str] = []
    recent = _recent(customer_turns, depth=3)  # questions come in bursts of short turns
    if any(ASKS_VALUE.search(turn) for turn in recent):
        said = "\n".join(recent)
        facts += [f"{m.label}是 {m.value:g} {m.unit}{fit_to_need(m, customer_turns)}" for m in product.metrics if any(word in said for word in m.asked_as)]
        if any(ASKS_VALUE.search(turn) and re.search(r"质保|保修", turn) for turn in recent):
            facts.append(f"质保是 {product.warranty_months} 个月")
    if facts:
        return f"{product.aliases[0]}的" + "；".join(dict.fromkeys(facts))
    return None


def raised_facts(customer_turns: list[str], product: Product) -> str | None:
    """Our catalog figures for the metrics the customer's last two turns bring up, asked or
    not (你们才4个钟, 是不是落后了): AL-12的监测参数是 6 项."""
    said = "\n".join(customer_turns[-2:])
    facts = [f"{m.label}是 {m.value:g} {m.unit}" for m in product.metrics if any(word in said for word in (m.label, *m.asked_as))]
    return f"{product.aliases[0]}的" + "；".join(facts) if facts else None


_GRANTED = r"[一二三四五六七八九\d]{1,2}(?:\.\d)?折|特价[^，。,.]{0,2}?\d+(?:\.\d+)?万\d?|\d+(?:\.\d+)?万\d?"  # 九七折, 特价38万6, 36万
CONCESSION = re.compile(
    rf"(?P<what>{_GRANTED}|特价)(?=[^，。,]{{0,6}}(?:申请下来|批下来|申请到|批了))"
    rf"|(?:申请下来|批下来|申请到|已经给到|已经让到|已经降到)了?[^，。,.]{{0,3}}?(?P<what2>{_GRANTED})"
)


def concession(rep_turns: list[str]) -> str | None:
    """A discount or special price our side already granted in this conversation (九七折,
    特价38万6), as the rep wrote it; None when none was."""
    for turn in reversed(rep_turns[-4:]):
        if match := CONCESSION.search(turn):
            return match["what"] or match["what2"]
    return None


PROBLEM = re.compile(
    r"声音.{0,3}大|噪音|异味|冒烟|发烫|漏水|坏了|故障|报警|报错|不进来|进不去|登不上|登录不了|打不开|挂了|卡死|死机|很慢|太慢|不准|不对劲|撑不到|不制冷|不启动|启动不了"
    r"|漏气|漏油|漏液|异响|停机|跳闸|掉线|闪退|用不了|不能用|没反应|黑屏|不显示|温度.{0,6}一直|一直在\d|失灵|超温|不稳"
)
_CLAUSES = re.compile(r"[，。,.!?！？；;~…\s]+")
_PERSONAL = re.compile(r"[你我您他她咱]")
_FILLER = re.compile(r"^(?:有|那个|这个|就是|而且|然后|现在|结果|又|还|我们的|你们的)+|(?:了|啊|呀|哦|呢|吧|的)+$")


def complaint(customer_turns: list[str]) -> str | None:
    """The fault the customer reports, in their words and short enough to echo
    (电池撑不到一个钟, 两个箱子显示温度一直在9度); None when no turn reports one, or
    when the words would need their pronouns turned round to echo (你们那个…)."""
    for turn in _recent(customer_turns, depth=3):
        for clause in _CLAUSES.split(turn):
            if PROBLEM.search(clause) and not _PERSONAL.search(clause):
                core = _FILLER.sub("", clause).replace("现在", "")
                if 4 <= len(core) <= 18:
                    return core
    return None


def not_ours(customer_turns: list[str], our_words: tuple[str, ...]) -> str | None:
    """The thing the customer's recent turns ask whether we sell or can supply (冷干机,
    领导力培训的机构, the 冷库工程 of a bare 能投吗) when it is none of ours; None when they
    ask for nothing or for ours."""

    def foreign(thing: str) -> bool:
        return not any(word in thing or thing in word for word in our_words)

    for turn in _recent(customer_turns, depth=3):
        asks = [*SUPPLY_ASK.finditer(turn), *THING_ASKED.finditer(turn), *REPAIR_ASK.finditer(turn)]
        for match in asks:
            thing = _LEADING.sub("", match["thing"] or "")
            if PRODUCTISH.search(thing) and foreign(thing):
                return thing
        if asks and (noun := NOUN.search(turn)):
            thing = _LEADING.sub("", noun[0])
            if PRODUCTISH.search(thing) and foreign(thing):
                return thing
    return None


_YEARS = r"(?:\d{1,2}|[一二两三四五六七八九十])"
IN_USE = re.compile(  # how long the goods have been in use, as the customer says it
    r"(?P<span>(?:用了|买了|装了|到了|快|有|都)(?P<n>一年半|半年|[一二两三四五六七八九十\d]+年半?多?|[一二两三四五六七八九十\d]+个多?月))"
    r"|(?P<date>(?P<year>20\d{2}|\d{2}|去|前|今)年(?:(?P<month>\d{1,2}|[一二三四五六七八九十]{1,2})月|(?P<part>年初|年头|年中|年底|年末|初|底))?)"
    r"(?:[^，。,.？?]{0,6}?(?P<verb>装|到|买|交付|上线|投用|验收|开始用|那批|用的))?"
)
_VERB_SAID = {"那批": "到的", "用的": "开始用的", "开始用": "开始用的"}
_PART_MONTH = {"年初": 1, "年头": 1, "初": 1, "年中": 6, "年底": 12, "年末": 12, "底": 12}


def months_in_use(customer_turns: list[str], today: tuple[int, int]) -> tuple[str, float] | None:
    """How long the goods have been in use, by the customer's own words (用了一年半, 去年4月装的,
    22年11月到的那批), as (what they said, months to ``today`` = (year, month)); None when
    the recent turns do not say."""
    for turn in _recent(customer_turns, depth=4):
        match = IN_USE.search(turn)
        if match is None:
            continue
        if match["span"]:
            n, more = match["n"].rstrip("多"), match["n"].endswith("多")
            months = 18.0 if n == "一年半" else 6.0 if n == "半年" else None
            if months is None:
                half = n.endswith("年半")
                count = value_of(n.removesuffix("年半").removesuffix("年").removesuffix("个月"))
                if count is None:
                    continue
                months = count * 12 + (6 if half else 3 if more else 0) if "年" in n else count
            return match["span"].removeprefix("都").removeprefix("有"), float(months)
        if match["verb"] is None:  # a bare date (去年3月) may be any event: only a date of delivery or use counts
            continue
        year = {"去": today[0] - 1, "前": today[0] - 2, "今": today[0]}.get(match["year"]) or int(match["year"])
        year = year + 2000 if year < 100 else year
        month = value_of(match["month"]) if match["month"] else _PART_MONTH.get(match["part"] or "", 6)
        if month is None or not 1 <= month <= 12:
            continue
        verb = _VERB_SAID.get(match["verb"], match["verb"] + "的")
        return match["date"] + verb, float((today[0] - year) * 12 + today[1] - month)
    return None


_AT_LEAST = r"不低于|不少于|至少|不小于|大于|高于|超过|≥|>="
_AT_MOST = r"不高于|不超过|不大于|小于|低于|≤|<="
REQUIREMENT = (
    r"(?P<op>{at_least}|{at_most})?\s*(?P<number>\d+(?:\.\d+)?)\s*(?P<unit>个?小时|个钟头?|h|天|分贝|dB|公斤|kg|项|个|个?方|立方|%|％|周)?\s*(?P<post>以上|以内|以下)?"
)
_TO_METRIC_UNIT = {"天": 24.0}  # a requirement in days read against a figure in hours


@lru_cache(maxsize=64)
def _requirement_of(words: tuple[str, ...]) -> re.Pattern:
    """A requirement stated for a metric named by ``words`` (compiled once per metric)."""
    named = "|".join(re.escape(w) for w in words)
    return re.compile(rf"(?:{named})[^，。,.？?！!\d]{{0,8}}?" + REQUIREMENT.format(at_least=_AT_LEAST, at_most=_AT_MOST))


def requirement_fit(customer_turns: list[str], product: Product) -> tuple[str, bool] | None:
    """Whether ``product`` meets a requirement the customer states for one of its metrics
    (续航要求不低于5小时, 噪音不超过65分贝), said with their words and our catalog figure:
    (AL-12的电池续航是 4 小时，达不到不低于5小时的要求, False); None when they state none."""
    for turn in _recent(customer_turns, depth=3):
        for metric in product.metrics:
            for match in _requirement_of((metric.label, *metric.asked_as)).finditer(turn):
                at_least = bool(match["op"] and re.fullmatch(_AT_LEAST, match["op"])) or match["post"] == "以上"
                at_most = bool(match["op"] and re.fullmatch(_AT_MOST, match["op"])) or match["post"] in ("以内", "以下")
                if not (at_least or at_most):
                    continue  # a figure, not a requirement (他们能保6个小时)
                need = float(match["number"]) * _TO_METRIC_UNIT.get(match["unit"] or "", 1.0) if metric.unit == "小时" else float(match["number"])
                meets = metric.value >= need if at_least else metric.value <= need
                said = re.sub(r"\s+", "", match[0][match.start("op") - match.start() if match["op"] else match.start("number") - match.start() :])
                verdict = f"满足{said}的要求" if meets else f"达不到{said}的要求"
                return f"{product.aliases[0]}的{metric.label}是 {metric.value:g} {metric.unit}，{verdict}", meets
    return None


CREDENTIAL = re.compile(
    r"(?P<thing>等保[一二三四]级|等保|ISO\s?\d{4,5}|ISO|注册证|生产许可证|经营许可证|软著|软件著作权|检测报告|CE认证|CE|FDA|3C认证|高新技术企业|资质)"
    r"[^，。,.]{0,6}?(?:有没有?|有吗|有木有|有么|能出吗|能不能出|能提供吗|能不能提供|能给吗|出得了|齐吗|有没)"
    r"|(?:有没有|有木有|能不能出|能不能提供)[^，。,.]{0,4}?(?P<thing2>等保[一二三四]级|ISO\s?\d{4,5}|注册证|软著|检测报告|资质)"
)


def credential_asked(customer_turns: list[str]) -> str | None:
    """A certificate or document the customer asks whether we have (得有等保三级 你们有没):
    the catalog does not list them, so a reply checks before it says yes."""
    for turn in _recent(customer_turns, depth=2):
        if match := CREDENTIAL.search(turn):
            return re.sub(r"\s+", "", match["thing"] or match["thing2"])
    return None
