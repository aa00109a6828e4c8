"""What a model wrote that cannot be offered: format examples, placeholders, echoes, nothing."""

from __future__ import annotations

import pytest

from agents.composers.checks import unusable
from prompts.library import get_prompt_library

PROMPT = get_prompt_library().get("script_suggestion", 1)
TEMPLATE = f"{PROMPT.system}\n{PROMPT.user}"
CUSTOMER = ["你们这台设备价格太贵了，预算只有三十八万，能便宜点吗？"]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("建议的回复内容", "prompt_copy"),
        ("所依据的 DATA 条目 id", "prompt_copy"),
        ("只能使用 DATA 块中的事实。", "prompt_copy"),
        ("您好【客户名称】，我们的报价是 XX 元。", "placeholder"),
        ("您好，这是给 [公司名称] 的方案。", "placeholder"),
        ("价格方面我们可以给到 ${price}。", "placeholder"),
        ("您好 <客户>，方案已发。", "placeholder"),
        ("您好某某经理，方案已经发您邮箱了。", "placeholder"),
        ("你们这台设备价格太贵了，预算只有三十八万，能便宜点吗？", "echo"),
        ("你们这台设备价格太贵了，预算只有三十八万，能便宜点吗", "echo"),
        ("您说：你们这台设备价格太贵了，预算只有三十八万，能便宜点吗？", "echo"),
        ("好的，收到！", "no_content"),
        ("谢谢您，没问题。", "no_content"),
        ("……", "no_content"),
    ],
)
def test_when_a_model_writes_this_then_it_is_unusable_for_that_reason(text: str, reason: str) -> None:
    assert unusable(text, prompt_text=TEMPLATE, customer_turns=CUSTOMER) == reason


@pytest.mark.parametrize(
    "text",
    [
        "三十八万这个预算我记下了，我按这个数出一版配置给您对比，今天下班前发您。",
        "华信 HX-200 质保 24 个月，交期 30 天（数据来源：2026 产品目录）。",
        "<PERSON_1>您好，付款方式可以分到货、验收两期，当期压力会小一些。",
        "好的，我今天就去跟公司申请价格，明天上午给您回复。",
        "【限时】本月签约可以加送一次上门培训，您看需要吗？",
    ],
)
def test_when_a_model_writes_a_real_reply_then_it_passes(text: str) -> None:
    assert unusable(text, prompt_text=TEMPLATE, customer_turns=CUSTOMER) is None


def test_when_the_customer_only_said_ok_then_a_reply_starting_with_ok_is_no_echo() -> None:
    assert unusable("好的，马上给您发合同，今天下班前到您邮箱。", prompt_text=TEMPLATE, customer_turns=["好的"]) is None
