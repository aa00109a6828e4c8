"""Slots a playbook phrasing may use, filled only from this conversation (as written there),
the customer record and the catalog facts of the line discussed. A slot that cannot be
filled is absent: the phrasing that needs it is not offered.
"""

from __future__ import annotations

from functools import lru_cache

import regex as re

from agents import reading
from agents.base import AgentContext
from core import clock
from knowledge.catalog import Catalog
from knowledge.lines import Lines

_NUMBER = r"(?:\d+(?:\.\d+)?|[零一二两三四五六七八九十百千]+)"
AMOUNT = re.compile(
    rf"(?<![\d.A-Za-z])(?:[零一二两三四五六七八九十百千]+万[一二三四五六七八九](?![千百十万])|{_NUMBER}\s*(?:万元|万块|万(?:\d(?![\d.]))?|w(?![A-Za-z])|元|块钱))"
)
QUANTITY = re.compile(
    r"(?<![\d.A-Za-z])(?:\d+|(?:[二两三四五六七八九十]|一[十百千])[零一二两三四五六七八九十百千]*)\s*(?:台|套|个账号|个席位|个用户|只|箱|床|个(?!月|小时|钟|工作日|人|问题|点|事|方|立方|平))"
)
DEADLINE = re.compile(r"(?:下?周[一二三四五六日天](?:之?前)?|(?:这|本)周[一二三四五六日天内]?(?:之?前)?|\d{1,2}月\d{1,2}[日号](?:之?前)?|(?:下个?月)?\d{1,2}号(?:之?前)?|月底(?:之?前)?|年底(?:之?前)?|明天|后天)")
REPLY_BY = re.compile(rf"({DEADLINE.pattern})[^，。,.]{{0,8}}?(?:准话|答复|回复|给个话|回我|要定|定下来|就签|签)")
BUDGET_CUE = re.compile(r"预算|经费|压到|控制在|不超过|超过|以内|上限|封顶|最多")


def names_a_quote(text: str) -> bool:
    """Whether ``text`` names a price in money (38万, 3万四, 凌霜报我们5800, 7千5)."""
    return bool(AMOUNT.search(text) or reading.QUOTE_NAMED.search(text))


def _budget(customer_turns: list[str]) -> str | None:
    """The amount the customer names next to 预算, 经费, 压到, 以内 … (the latest such turn first)."""
    for turn in reversed(customer_turns):
        for cue in BUDGET_CUE.finditer(turn):
            near = [m for m in AMOUNT.finditer(turn) if abs(m.start() - cue.end()) <= 10 or abs(cue.start() - m.end()) <= 6]
            if near:
                return re.sub(r"\s+", "", min(near, key=lambda m: abs(m.start() - cue.end()))[0])
    return None


def _last(pattern: re.Pattern, texts: list[str]) -> str | None:
    for text in reversed(texts):
        found = pattern.findall(text)
        if found:
            return re.sub(r"\s+", "", found[-1])
    return None


@lru_cache(maxsize=8)
def _our_words(catalog: Catalog, lines: Lines) -> tuple[str, ...]:
    """Every word naming something we sell: our products' names and aliases, the lines' aliases."""
    words = [w for p in catalog.ours() for w in (*p.aliases, *p.name.split())]
    return tuple(words + [alias for line in lines.product_lines for alias in line.aliases])


def _order_size(texts: list[str]) -> str | None:
    """The largest quantity in the last four turns (两百个 of 两百个, 先到一百个)."""
    found = [re.sub(r"\s+", "", m) for text in texts[-4:] for m in QUANTITY.findall(text)]
    return max(found, key=lambda q: reading.count_of(q) or 0) if found else None


TODAY_SAID = re.compile(r"(?:今天|今儿|现在)(?:都|已经|是)?$")  # 今天周一, 今天都18号了: today's date, not a deadline
OTHER_EVENT = re.compile(r"^[^，。,.？?]{0,6}?(?:签|(?<![一确肯])定(?![制位做])|付款|答复|回复|开会|汇报)")  # 这周能签: when they sign, not when goods are due


def _deadline(customer_turns: list[str]) -> str | None:
    """When the customer needs it by: the latest date they name that is neither today's
    date (今天周一) nor the date of another step (合同这周能签)."""
    for text in reversed(customer_turns):
        for match in reversed(list(DEADLINE.finditer(text))):
            if TODAY_SAID.search(text[: match.start()].rstrip()) or OTHER_EVENT.match(text[match.end() :]):
                continue
            return re.sub(r"\s+", "", match[0])
    return None


TIERED = re.compile(r"(?:三级|三甲|二级|二甲|重点|大客户|VIP)[^，,；;]{0,6}?(?=\s*\d|\s*[一二两三四五六七八九十])")  # 三级医院 24 小时响应: a promise for one tier


def _tier_names(tier: str) -> tuple[str, ...]:
    """A tier as customers write it: 三级 is also 三甲, 二级 also 二甲."""
    if tier[1:] in ("级", "甲"):
        return (tier[0] + "级", tier[0] + "甲")
    return (tier,)


def _service_for(coverage: str, texts: list[str], attributes: dict) -> str:
    """The line's service promise as this customer may be told it: a clause promised to
    one tier of customer (三级医院 24 小时响应) only when this customer says they are of it."""
    said = " ".join([*texts, *(str(value) for value in attributes.values())])
    clauses = re.split(r"(?<=[，,；;])", coverage)
    kept = [c for c in clauses if not (tier := TIERED.search(c)) or any(name in said for name in _tier_names(tier[0][:2]))]
    return "".join(kept).rstrip("，,；;") or coverage


def _by(deadline: str | None) -> str | None:
    """A deadline as phrasings use it (周五, to which a phrasing adds 前 or 之前)."""
    return re.sub(r"之?前$", "", deadline) if deadline else None


CLAUSE_TOPICS = {  # what a contract term is about (the name a reply uses) and the words that say it
    "违约金": "违约金|罚款|扣钱|扣款|按天扣",
    "赔偿责任": "赔偿|赔|损失|兜底|上限|封顶",
    "付款": "账期|付款|尾款|预付|首付|回款|月结|承兑",
    "质保金": "质保金",
    "验收": "验收|终验",
    "知识产权": "知识产权|源码|源代码|著作权|版权|专利",
    "保密和宣传": "保密|宣传|案例|商标",
    "续约": "续约|续费|续签|续期",
    "解约": "解约|解除|终止",
    "独家": "独家|排他",
    "交期": "交期|到货|交货|工期",
    "争议解决": "管辖|仲裁|法院|起诉",
}
_CLAUSE_PATTERNS = tuple((re.compile(words), topic) for topic, words in CLAUSE_TOPICS.items())


def _clause_topic(customer_turns: list[str]) -> str | None:
    """The first topic the last three customer turns name, latest turn first."""
    for turn in reversed(customer_turns[-3:]):
        for pattern, topic in _CLAUSE_PATTERNS:
            if pattern.search(turn):
                return topic
    return None


WARRANTY_MARGIN = 2  # months: closer to the warranty's end than this, the rep checks the serial number before saying either way


def _warranty_status(customer_turns: list[str], warranty_months: int) -> dict[str, str]:
    """``in_warranty`` or ``out_of_warranty`` when the customer said how long the goods have
    been in use (用了一年半, 去年4月装的) and it is clearly inside or past the warranty."""
    today = clock.now()
    used = reading.months_in_use(customer_turns, (today.year, today.month))
    if used is None:
        return {}
    said, months = used
    if months <= warranty_months - WARRANTY_MARGIN:
        return {"in_warranty": f"按您说的{said}，还在 {warranty_months} 个月的质保期内"}
    if months >= warranty_months + WARRANTY_MARGIN:
        return {"out_of_warranty": f"按您说的{said}，已经过了 {warranty_months} 个月的质保期"}
    return {}


def fill(context: AgentContext, lines: Lines) -> dict[str, str]:
    """Every slot this conversation can fill."""
    customer, everyone = context.customer_turns, [turn.text for turn in context.turns]
    slots: dict[str, str] = {}
    for name, value in (
        ("budget", _budget(customer)),
        ("their_price", reading.their_price(customer) or _budget(customer[-2:])),
        ("quantity", _order_size(everyone)),
        ("deadline", _by(_deadline(customer))),
        ("reply_by", _by(_last(REPLY_BY, customer))),
        ("later", reading.put_off_until(customer)),
        ("approver", reading.approver(customer)),
        ("missing", reading.not_ours(customer, _our_words(context.catalog, lines))),
        ("issue", reading.complaint(customer)),
        ("clause_topic", _clause_topic(customer)),
        ("credential", reading.credential_asked(customer)),
        ("conceded", reading.concession([turn.text for turn in context.turns if turn.role == "rep"])),
    ):
        if value:
            slots[name] = value
    if len(context.turns) >= 2 and all(turn.role == "rep" for turn in context.turns[-2:]):
        slots["chasing"] = "yes"  # the rep wrote twice since the customer's last word
    quoted = [turn.text for turn in context.turns[-6:] if turn.role == "rep"]  # our quote: never the price they proposed
    if fit := reading.budget_fit(quoted, slots.get("budget"), slots.get("quantity")):
        slots["budget_fits" if fit[1] else "budget_short"] = fit[0]
    industry = lines.industry_by_key(context.customer_industry)
    slots["address"] = industry.address if industry else "贵方"
    named = [p for text in everyone for p in context.catalog.mentioned(text)]
    rival = next((p for p in named if not p.ours), None)
    if rival is not None:
        slots["rival"] = next(alias for alias in (*rival.aliases, rival.name) if any(alias in text for text in everyone))
    line = rival.industry if rival else context.product_line
    ours = next((p for p in named if p.ours and p.industry == line), None) or next(iter(context.catalog.ours(line)), None) if line else None
    slots["lineup"] = ours.what if ours else "、".join(dict.fromkeys(p.what for p in context.catalog.ours()))
    if ours is not None:
        slots["product"] = ours.aliases[0]
        if len(context.catalog.ours(line)) == 1:
            slots["only_model"] = ours.aliases[0]  # the line's one model: no smaller or larger one to offer
        slots["warranty"] = f"{ours.warranty_months} 个月质保"
        slots.update(_warranty_status(customer, ours.warranty_months))
        slots["delivery"] = f"{ours.delivery_days} 天"
        slots["service"] = _service_for(ours.service_coverage, [*everyone, context.industry_label or ""], context.attributes)
        if fit := reading.requirement_fit(customer, ours):
            slots["requirement_met" if fit[1] else "requirement_short"] = fit[0]
        if raised := reading.raised_facts(customer, ours):
            slots["raised_fact"] = raised
        if fact := reading.asked_fact(customer, ours):
            slots["fact"] = fact
            if ("质保是" not in fact or "；" in fact) and "不够" not in fact:
                slots["metric_fact"] = fact  # a performance figure that may do, which a trial can show
    return slots
