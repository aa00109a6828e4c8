"""Specifics in a reply, and whether each is grounded in what this conversation allows.

A specific is what would be wrong if copied from another deal: a number with a unit
(money, quantity, duration, percentage, a measurement), a model code, a clause number,
a person addressed by surname and title, a role honorific (贵院, 主任, 车间 …) or a
placeholder left over from another conversation (``<PERSON_1>``). It is grounded when
it appears in the conversation, the customer record or the catalog entries of the line
under discussion, literally or (for numbers) by value and kind: 39万8 is 398000 yuan,
三十八万 is 380000 yuan, and 12 台 is not grounded by 12 个月.
Places are not detected (that needs the NLP engine).

The suggestion path's grounding check (``agents.grounding``) and the suggestion eval
(``evals.suggest``) both use it: one definition of what a reply may say.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import cn2an
import regex as re

from knowledge.catalog import Catalog
from knowledge.lines import Industry

_UNITS = (
    "万元|万块|万|千元|元|块钱|块|台|套|个月|天|日|周|星期|月|年|小时|分钟|%|％|人|kg|公斤|吨|"
    "m³/min|kW|dB|英寸|项|℃|倍|折|公里|米|期|成|个点|点"
)
_CHINESE = r"[零〇一二两三四五六七八九十百千万]+"
NUMBER_WITH_UNIT = re.compile(rf"(?<![A-Za-z0-9.])(?P<number>\d+(?:\.\d+)?|{_CHINESE})\s*(?P<unit>{_UNITS})")
WAN_TAIL = re.compile(r"(?<![A-Za-z0-9.])(?:\d+万\d(?![\d.])|[零一二两三四五六七八九十百千]+万[一二三四五六七八九](?![千百十万元块]))")  # 39万8, 两万八
# Chinese numerals with these units are manner of speech, not specifics: 一起, 一下, 一点, 两点想法, 一项项
_SPEECH = {("一", "点"), ("一", "个点"), ("两", "点"), ("一", "期"), ("一", "成"), ("一", "项")}
MODEL_CODE = re.compile(r"(?<![A-Za-z0-9])[A-Z]{1,4}-?\d{1,4}[A-Z]?(?![A-Za-z0-9])")
CLAUSE = re.compile(r"第[0-9一二三四五六七八九十百]+条")
PLACEHOLDER = re.compile(r"<[A-Z][A-Z_]*_\d+>")
SURNAME_TITLE = re.compile(
    r"(?<![\p{Han}])[王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤]"
    r"(?:总|工|经理|主任|院长|厂长|局长|处长|科长|老师|医生|主管|总监)"
)
HONORIFICS = ("贵院", "院长", "主任", "科室", "贵厂", "车间", "厂长", "贵校", "校长", "贵局", "局长", "护士长", "医生", "病区", "产线")


_KINDS = {
    "money": ("万元", "万块", "万", "千元", "元", "块钱", "块"),
    "time": ("个月", "天", "日", "周", "星期", "月", "年", "小时", "分钟"),
    "share": ("%", "％", "个点", "点", "成", "折"),
    "measure": ("kg", "公斤", "吨", "m³/min", "kW", "dB", "英寸", "℃", "公里", "米"),
}


def _kind_of(unit: str) -> str:
    """What a unit measures, so that 12 台 is never grounded by 12 个月."""
    return next((kind for kind, units in _KINDS.items() if unit in units), "count")


@dataclass(frozen=True)
class Specific:
    kind: str  # number, model, clause, person, honorific, placeholder
    text: str


def _numbers(text: str) -> list[tuple[int, str, float | None, str]]:
    """(position, as written, value, kind) of every number with a unit; 39万8 is one number."""
    tails = [(m.start(), m.end(), m[0]) for m in WAN_TAIL.finditer(text)]
    found = [(start, written, value_of(written), "money") for start, _, written in tails]
    for match in NUMBER_WITH_UNIT.finditer(text):
        if (match["number"], match["unit"]) in _SPEECH or any(start <= match.start() < end for start, end, _ in tails):
            continue
        value = value_of(match["number"])
        found.append((match.start(), match[0], _scaled(value, match["unit"]) if value is not None else None, _kind_of(match["unit"])))
    return found


def value_of(number: str) -> float | None:
    """39万8 → 398000, 三十八万 → 380000, 4.5 → 4.5; None when it is not a number."""
    match = re.fullmatch(r"(\d+(?:\.\d+)?)万(\d)", number)
    if match:
        return float(match[1]) * 10_000 + int(match[2]) * 1_000
    if not number:
        return None
    try:
        return float(cn2an.cn2an(number, "smart"))
    except (ValueError, KeyError, TypeError, IndexError):
        return None


def _scaled(value: float, unit: str) -> float:
    return value * 10_000 if unit.startswith("万") else value * 1_000 if unit == "千元" else value


def specifics(text: str) -> list[Specific]:
    """Every specific in ``text``, in order of appearance; one inside another (主任 in 李主任) counts once."""
    found = [(start, start + len(written), Specific("number", written)) for start, written, _, _ in _numbers(text)]
    for kind, pattern in (("model", MODEL_CODE), ("clause", CLAUSE), ("placeholder", PLACEHOLDER), ("person", SURNAME_TITLE)):
        found += [(match.start(), match.end(), Specific(kind, match[0])) for match in pattern.finditer(text)]
    found += [(index, index + len(word), Specific("honorific", word)) for word in HONORIFICS for index in _positions(text, word)]
    inside = {i for i, (start, end, _) in enumerate(found) for j, (s2, e2, _) in enumerate(found) if i != j and s2 <= start and end <= e2 and (s2, e2) != (start, end)}
    return [specific for _, _, specific in sorted((f for i, f in enumerate(found) if i not in inside), key=lambda f: f[0])]


def _positions(text: str, word: str) -> list[int]:
    return [match.start() for match in re.finditer(re.escape(word), text)]


class Grounding:
    """What one conversation allows a reply to say. On desensitized text (the suggestion
    path) a placeholder of this conversation is grounded (``placeholders_ok``); on the
    rep's view (the eval) a placeholder never is: it could not be restored."""

    def __init__(self, allowed_text: str, *, placeholders_ok: bool = False) -> None:
        self._allowed, self._placeholders_ok = allowed_text, placeholders_ok
        self._text = re.sub(r"\s+", "", allowed_text)
        self._values = {(kind, self._rounded(value)) for _, _, value, kind in _numbers(allowed_text) if value is not None}

    def plus(self, text: str) -> Grounding:
        """This grounding and ``text`` too (a legal-approved term a draft proposes)."""
        return Grounding(f"{self._allowed}\n{text}", placeholders_ok=self._placeholders_ok) if text else self

    @staticmethod
    def _rounded(value: float) -> float:
        return round(value, 3)

    def grounded(self, specific: Specific) -> bool:
        if specific.kind == "placeholder" and not self._placeholders_ok:
            return False
        if re.sub(r"\s+", "", specific.text) in self._text:
            return True
        if specific.kind != "number":
            return False
        return any((kind, self._rounded(value)) in self._values for _, _, value, kind in _numbers(specific.text) if value is not None)

    def foreign(self, text: str) -> list[Specific]:
        """The specifics of ``text`` this conversation does not ground."""
        return [specific for specific in specifics(text) if not self.grounded(specific)]


def allowed_text(texts: Iterable[str], record: str, catalog: Catalog, line: str | None, industry: Industry | None) -> str:
    """What a reply may draw specifics from: the conversation's ``texts``, the customer
    ``record``, the catalog facts of the ``line`` discussed, and the words that fit the
    customer's ``industry`` (贵院 and 科室 for a hospital)."""
    facts = [p.facts_text() for p in catalog.products if line and p.industry == line]
    roles = [industry.address, *industry.roles] if industry else []
    return "\n".join([*texts, record, *facts, *roles])
