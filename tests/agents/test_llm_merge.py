"""An agent's run with an LLM: the model's usable drafts join the extractive ones, marked
and ranked on their own merit; a failure leaves the extractive drafts and says why."""

from __future__ import annotations

import asyncio
import json
import time
from concurrent.futures import ThreadPoolExecutor

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from agents.base import AgentContext, Draft, Source, Turn
from agents.composers.grounded import MERIT_FLOOR, MERIT_SPAN, draft_with_llm, merit
from agents.composers.llm import LlmComposer
from prompts.library import get_prompt_library

PROMPT = get_prompt_library().get("script_suggestion", 1)
POOL = ThreadPoolExecutor(2)
SAID = "你们这台设备价格太贵了，预算只有三十八万"


class TwoDrafts:
    name, version, scenarios = "script_suggestion", "1", frozenset({"price"})

    def draft(self, context: AgentContext) -> list[Draft]:
        return [
            Draft(self.name, "理解，单看报价我们不占优势，我做一份总成本明细发您。", 0.9, (Source("playbook:price.total_cost", 1.0),), move="price.total_cost"),
            Draft(self.name, "我们之前有客户按季度分期付款，压力小很多。", 0.7, (Source("snip-9", 0.82),)),
        ]


def run(model_says: dict) -> object:
    context = AgentContext((Turn("customer", SAID),), "price", "industrial_equipment", {}, None, None)
    composer = LlmComposer(GenericFakeChatModel(messages=iter([AIMessage(content=json.dumps(model_says, ensure_ascii=False))])))
    return asyncio.run(draft_with_llm(TwoDrafts(), context, POOL, composer, PROMPT, time.perf_counter() + 2))


def test_when_the_model_writes_a_usable_draft_then_it_joins_the_others_marked_and_scored_on_its_own() -> None:
    written = "三十八万的预算我记下了，我按这个数出一版配置给您比较，设备价格也一起列清楚。"
    result = run({"suggestions": [{"text": written, "source_ids": ["snip-9"]}]})
    assert [d.composer for d in result.drafts] == ["llm", "playbook", "retrieved"]
    model_draft = result.drafts[0]
    assert model_draft.prompt_version == PROMPT.ref and model_draft.sources == (Source("snip-9", 0.82),)
    assert model_draft.confidence == merit(written, [SAID]) != 0.7  # its own merit, not the cited snippet's score
    assert result.llm["used"] == 1 and result.llm["circuit"] == "closed"


def test_when_the_model_returns_its_format_example_then_only_the_extractive_drafts_stand() -> None:
    result = run({"suggestions": [{"text": "建议的回复内容", "source_ids": ["snip-9"]}]})
    assert [d.composer for d in result.drafts] == ["playbook", "retrieved"]
    assert result.llm["failure"] == "unusable"


def test_when_a_draft_takes_up_more_of_what_the_customer_said_then_its_merit_is_higher() -> None:
    assert merit("好的，我问问。", [SAID]) == MERIT_FLOOR
    assert MERIT_FLOOR < merit("预算三十八万我记下了。", [SAID]) < merit("设备价格太贵、预算只有三十八万，我按这个数出方案。", [SAID]) <= MERIT_FLOOR + MERIT_SPAN
