"""Which of our product lines a request is about (knowledge.lines.resolve)."""

from __future__ import annotations

import pytest
import yaml

from knowledge.catalog import load_catalog
from knowledge.lines import LINES_FILE, Lines, load_lines, resolve


@pytest.mark.parametrize(
    ("industry", "conversation", "line", "source"),
    [
        ("三甲医院", "22年11月到的那批 坏了一台 换要钱吗", "medical_devices", "industry's usual line"),  # nothing in the talk: the usual line
        ("三甲医院", "我们想上一套系统 销售账号大概二十个", "saas", "conversation"),  # the talk wins over the prior
        ("汽车零部件", "声音特别大 还在保修吧", "industrial_equipment", "industry's usual line"),
        ("电商", "四周能弄完不", None, None),  # an industry without a usual line stays unresolved
    ],
)
def test_when_the_talk_names_no_line_then_the_industrys_usual_line_is_the_last_resort(industry: str, conversation: str, line: str | None, source: str | None) -> None:
    resolved = resolve(load_lines(), load_catalog(), industry, {}, conversation)
    assert (resolved.line_key, resolved.line_from) == (line, source)


def test_when_an_industry_names_an_unknown_usual_line_then_the_lines_file_is_refused() -> None:
    data = yaml.safe_load(LINES_FILE.read_text(encoding="utf-8"))
    data["industries"][0]["usual_line"] = "spaceships"
    with pytest.raises(ValueError, match="usual_line"):
        Lines.model_validate(data)
