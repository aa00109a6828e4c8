"""Products named in a conversation (knowledge.catalog.Catalog.mentioned), typos by ear included."""

from __future__ import annotations

import pytest

from knowledge.catalog import load_catalog


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("衡川的报价便宜两万", ["hc-75"]),
        ("博瑞客服是7×24 你们只有7×12", ["br-crm"]),  # 博瑞 for 博睿
        ("康兰的才两万二三", ["kl-10"]),  # 康兰 for 康岚
        ("博士学位的人不多", []),  # same first character, other sounds
        ("康复科要两台监护仪", []),
    ],
)
def test_when_a_product_is_named_or_written_by_ear_then_it_is_found(text: str, named: list[str]) -> None:
    assert [p.id for p in load_catalog().mentioned(text)] == named
