"""What a model wrote is checked before it may become a suggestion.

A small or confused model returns its prompt's format example ("建议的回复内容"),
placeholders it was meant to fill ("【客户名称】", "XX元"), the customer's own words
back, or a pleasantry with nothing in it. Each is dropped here with a reason; the rest
go on to the grounding check and the guard like any other draft.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rapidfuzz import fuzz

Unusable = str  # "prompt_copy" | "placeholder" | "echo" | "no_content"

NEAR_COPY = 85  # rapidfuzz ratio (0–100) from which a text counts as a copy
MIN_CONTENT_CHARS = 4  # CJK, letters or digits left once pleasantries are removed
MIN_ECHO_CHARS = 6  # a customer turn shorter than this is not checked for echoes
_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)
_TEMPLATE_VARIABLE = re.compile(r"\$\{|\{\{|\}\}|%s|\{[a-z_]+\}")
_ANGLE = re.compile(r"<([^<>]{0,40})>")
_OUR_PLACEHOLDER = re.compile(r"^[A-Z][A-Z_]*_\d+$")  # <PERSON_1>: the desensitizer's own, kept as they are
_BLANK = re.compile(r"[XxＸｘ×＊*]{2,}|某某|＿{2,}|_{2,}|此处(?:填|写|插入)|待(?:补充|填写?)|(?:填写|插入)(?:具体|实际)")
# 【客户名称】, [产品型号]: a label in square brackets, nothing filled in
_BRACKETED = re.compile(r"[【\[［]\s*[\u4e00-\u9fff]{0,4}(?:名称|姓名|名字|公司|金额|日期|时间|产品|客户|数量|价格|型号|联系人)[\u4e00-\u9fff]{0,3}\s*[】\]］]")
_PLEASANTRIES = re.compile(r"好的|收到|明白|了解|谢谢|感谢|您好|你好|嗯+|哈+|没问题|可以的|是的|对的|OK|ok")


def _bare(text: str) -> str:
    return _NOISE.sub("", text)


def unusable(text: str, *, prompt_text: str, customer_turns: Sequence[str]) -> Unusable | None:
    """Why ``text`` cannot be offered to the rep, or None. ``prompt_text`` is the prompt
    template (its instructions and format example, not the data it was given);
    ``customer_turns`` are what the customer said (desensitized)."""
    bare = _bare(text)
    if len(_bare(_PLEASANTRIES.sub("", text))) < MIN_CONTENT_CHARS:
        return "no_content"
    if _TEMPLATE_VARIABLE.search(text) or _BLANK.search(text) or _BRACKETED.search(text):
        return "placeholder"
    if any(not _OUR_PLACEHOLDER.match(inner) for inner in _ANGLE.findall(text)):
        return "placeholder"
    template = _bare(prompt_text)
    if bare in template or (len(bare) <= 2 * len(template) and fuzz.partial_ratio(bare, template) >= 95 and len(bare) < 40):
        return "prompt_copy"
    for turn in customer_turns:
        said = _bare(turn)
        if len(said) < MIN_ECHO_CHARS:  # "好的" in a reply is not an echo of the customer's "好的"
            continue
        if fuzz.ratio(bare, said) >= NEAR_COPY or bare in said or (said in bare and len(bare) - len(said) < max(4, len(said) // 4)):
            return "echo"
    return None
