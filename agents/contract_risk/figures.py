"""The figures in a clause: numbers (incl. 大写 and Chinese numerals), percentages (百分之五,
千分之三, 三成, 五分之二, or an amount against the contract total), daily rates and periods."""

from __future__ import annotations

import regex as re

_CAPITALS = str.maketrans("壹贰叁肆伍陆柒捌玖拾佰仟", "一二三四五六七八九十百千")
NUMBER = r"(?:\d+(?:\.\d+)?|[零一二两三四五六七八九十百千]+(?:点[零一二三四五六七八九]+)?)"
_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_PERCENT = re.compile(
    rf"(\d+(?:\.\d+)?)\s*[%％]|百分之({NUMBER})|千分之({NUMBER})|万分之({NUMBER})"
    r"|(?<![八九])([一二三四五六七八九])成(?=[^本品交熟立功为员]|$)|([二三四五六七八九十])分之([一二三四五六七八九])"
)
_AMOUNT = re.compile(rf"(?:人民币|[¥￥])?\s*(\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|{NUMBER})\s*(?:来|多)?(万|千|元|块)|(?<=[扣罚赔])\s*(\d{{3,}})(?![\d.%％万千元块])")
# the contract total is named right before its amount (合同总价80万, 总价款为人民币…, 合同一共才10万)
_TOTAL = re.compile(r"(?:合同(?:总价款?|总金额|总额|金额|额|价)?|总价款?|总金额|总额|一共|总共|才|货值|[Cc]ontract [Pp]rice)(?:为|是|共|约|计|:|：|of|也就|只有|才)?\s*(?:人民币|[¥￥])?\s*$")
_WORD_FRACTIONS = {"one-third": 100 / 3, "one third": 100 / 3, "half": 50.0, "one quarter": 25.0, "a quarter": 25.0, "two-thirds": 200 / 3}
_DAYS = re.compile(rf"({NUMBER})\s*(?:个)?(?:自然日|工作日|日|天)|(\d+)\)?\s*(?:calendar |business )?days")
# months of a warranty period are not a payment term (5% 质保金于 12 个月质保期满后支付)
_MONTHS = re.compile(rf"(?<!(?:质保|保修)期[为（(]?\s?)({NUMBER})\s*个月(?!的?(?:质保|保修))")
PER_DAY = re.compile(r"[Ee]ach day|[Pp]er day|每(?:逾期|迟延|延迟)?(?:一)?[日天]|按日|(?:晚|逾期|延期|迟延|延迟|迟|拖)[^，,。]{0,2}(?:一|1)\s*[天日]|/\s*[日天]")
_PARTS = re.compile(r"[，,；;]")


def plain(text: str) -> str:
    """大写 numerals written as ordinary ones (叁拾陆万 → 三十六万)."""
    return text.translate(_CAPITALS)


def number(text: str) -> float:
    """12, 0.5, 1,200, 五, 十五, 九十, 一百二十, 三千五 → a number."""
    if text[0].isdigit():
        return float(text.replace(",", ""))
    if "点" in text:  # 三点五
        whole, fraction = text.split("点", 1)
        return number(whole) + float("0." + "".join(str(_DIGITS[c]) for c in fraction if c in _DIGITS))
    total, current = 0, 0
    for char in text:
        if char in _DIGITS:
            current = _DIGITS[char]
        elif char in _UNITS:
            total += (current or 1) * _UNITS[char]
            current = 0
    return float(total + current)


_CAP = re.compile(r"(?:封顶|上限|不超过|最高|最多|累计|总额|为限|capped at|up to)[^，,。；;\d]{0,10}$")


def _explicit(text: str, caps: bool = True) -> list[float]:
    """Written percentages; with ``caps`` false, not those named as a cap (封顶5%, 累计不超过10%)."""
    values = [value for words, value in _WORD_FRACTIONS.items() if words in text.lower()]
    for match in _PERCENT.finditer(text):
        if not caps and _CAP.search(text[max(0, match.start() - 10) : match.start()]):
            continue
        percent, hundredths, thousandths, ten_thousandths, tenths, denominator, numerator = match.groups()
        if percent or hundredths:
            values.append(number(percent or hundredths))
        elif thousandths:
            values.append(number(thousandths) / 10)
        elif ten_thousandths:
            values.append(number(ten_thousandths) / 100)
        elif tenths:
            values.append(number(tenths) * 10)
        else:
            values.append(number(numerator) / number(denominator) * 100)
    return values


def _amounts(text: str) -> list[tuple[int, float, bool]]:
    """(position, yuan, is it the contract total) for every amount of money."""
    found = []
    for match in _AMOUNT.finditer(text):
        value = number(match.group(1) or match.group(3)) * {"万": 10_000, "千": 1_000}.get(match.group(2) or "", 1)
        start = match.start(1) if match.group(1) else match.start(3)
        found.append((start, value, bool(_TOTAL.search(text[max(0, start - 14) : start]))))
    return found


def _ratios(part: str, clause: str) -> list[float]:
    """Amounts in ``part`` as percentages of the contract total named in ``clause``."""
    totals = [value for _, value, is_total in _amounts(clause) if is_total and value]
    if not totals:
        return []
    return [value / totals[0] * 100 for _, value, is_total in _amounts(part) if not is_total]


def percents(clause: str) -> list[float]:
    """Every percentage in a clause: written ones, and amounts against the contract total."""
    clause = plain(clause)
    return _explicit(clause) + _ratios(clause, clause)


def daily_percents(clause: str) -> list[float]:
    """Rates charged per day: a percentage (or an amount against the total) in the part that
    says 每日 / 晚一天, or in the part right after it when that part has none (每逾期一日，按总价的1%…);
    a cap beside it (累计不超过5%) is not a daily rate."""
    clause = plain(clause)
    parts = _PARTS.split(clause)
    rates: list[float] = []
    for i, part in enumerate(parts):
        if not PER_DAY.search(part):
            continue
        here = _explicit(part, caps=False) + _ratios(part, clause)
        if not here and i + 1 < len(parts):
            here = _explicit(parts[i + 1], caps=False) + _ratios(parts[i + 1], clause)
        rates += here
    return rates


def days(clause: str) -> list[float]:
    """Periods in days (months count as 30)."""
    clause = plain(clause)
    return [number(d or english) for d, english in _DAYS.findall(clause)] + [number(m) * 30 for m in _MONTHS.findall(clause)]
