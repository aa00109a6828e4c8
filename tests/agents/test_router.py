"""Scenario routing, table-driven."""

from __future__ import annotations

import pytest

from agents.registry import get_registry
from agents.router import classify
from knowledge.catalog import load_catalog
from knowledge.taxonomy import FIXED_KEYS, load_taxonomy

CASES = [
    (["你们这个价格太贵了，预算只有38万"], "price"),
    (["衡川的HC-75比你们便宜不少"], "competitor"),
    (["别家报的方案和你们差不多"], "competitor"),
    (["合同里违约金这条我们法务不同意"], "contract"),
    (["我们再考虑考虑，等领导回来再说"], "stall"),
    (["多久能到货？安装要几天"], "delivery"),
    (["设备坏了，工程师什么时候能上门"], "after_sales"),
    (["我们要走招标流程，资质文件发一下"], "procurement"),
    (["你好，在吗"], "other"),
    (["价格太贵了", "那交期呢？多久能到货"], "delivery"),  # the latest turn weighs most
    (["太贵了，衡川便宜好几万"], "competitor"),  # naming a competitor outweighs a price cue
    (["能不能保证回本？多久能回本"], "price"),
]


@pytest.mark.parametrize(("turns", "scenario"), CASES, ids=[c[0][-1][:10] for c in CASES])
def test_when_a_customer_speaks_then_the_scenario_follows(turns: list[str], scenario: str) -> None:
    assert classify(turns, load_catalog()) == scenario


def test_when_the_taxonomy_loads_then_the_fixed_keys_are_there() -> None:
    assert set(FIXED_KEYS) <= {s.key for s in load_taxonomy().scenarios}


def test_when_agents_are_registered_then_each_scenario_has_one() -> None:
    registry = get_registry()
    assert registry.names == ["competitor_response", "contract_risk", "script_suggestion"]
    for key in FIXED_KEYS:
        assert registry.for_scenario(key), key
