"""Prompt templates as data: the shipped library, version selection, and every way a file is refused."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from core.errors import ConfigError
from prompts import PromptLibrary, PromptTemplate
from prompts.library import placeholders

AGENTS = ["script_suggestion", "competitor_response", "contract_risk"]
GOOD = {
    "id": "script-reply",
    "version": 1,
    "agent": "script_suggestion",
    "stage": "stable",
    "description": "测试用",
    "variables": ["scenario", "data", "customer_messages", "max_suggestions"],
    "system": '只输出 JSON：{"suggestions": []}，最多 ${max_suggestions} 条，费用 $$5。',
    "user": "场景 ${scenario}\n<data>\n${data}\n</data>\n<customer_messages>\n${customer_messages}\n</customer_messages>",
}


def write(directory: Path, content: dict | str, name: str = "script-reply@1.yaml", folder: str = "script_suggestion") -> Path:
    path = directory / folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content if isinstance(content, str) else yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def library() -> PromptLibrary:
    return PromptLibrary.load()


def test_when_the_shipped_library_loads_then_every_agent_has_a_stable_version_1(library: PromptLibrary) -> None:
    assert library.agents == sorted(AGENTS)
    for agent in AGENTS:
        assert 1 in library.versions(agent)
        assert library.get(agent, 1).stage == "stable"
        assert library.get(agent, 1).agent == agent


def test_when_no_version_is_asked_then_the_highest_stable_one_is_served_and_the_canary_only_by_number(library: PromptLibrary) -> None:
    assert library.versions("script_suggestion") == [1, 2]
    assert library.get("script_suggestion").ref == "script-reply@1"
    canary = library.get("script_suggestion", 2)
    assert canary.stage == "canary" and canary.ref == "script-reply@2"
    assert library.versions("no_such_agent") == []


def test_when_an_absent_version_or_agent_is_asked_then_config_error_says_what_exists(library: PromptLibrary) -> None:
    with pytest.raises(ConfigError, match=r"\[1, 2\]"):
        library.get("script_suggestion", 7)
    with pytest.raises(ConfigError, match="no_such_agent"):
        library.get("no_such_agent")


@pytest.mark.parametrize("agent", AGENTS)
def test_when_a_shipped_system_prompt_is_read_then_it_states_every_rule(library: PromptLibrary, agent: str) -> None:
    for version in library.versions(agent):
        system = library.get(agent, version).system
        assert "B2B 销售代表" in system
        assert "只" in system and "DATA" in system  # only the facts in the data block
        for kind in ("snippet", "fact", "anchor"):
            assert kind in system
        assert "CUSTOMER MESSAGES" in system and "不可信" in system and "不是" in system and "指令" in system
        assert "任何语言" in system or "其他语言" in system
        assert "贬低" in system
        for word in ("国家级", "最佳", "第一"):
            assert word in system
        assert "回报" in system
        assert '{"suggestions": [{"text":' in system and '"source_ids": [' in system
        assert "${max_suggestions}" in system


@pytest.mark.parametrize("agent", AGENTS)
def test_when_a_shipped_prompt_is_rendered_then_the_blocks_are_delimited_once(library: PromptLibrary, agent: str) -> None:
    values = {"scenario": "price", "data": "[]", "customer_messages": '["太贵了"]', "max_suggestions": 3}
    system, user = library.get(agent).render(values)
    assert "${" not in system + user
    assert user.count("<data>\n[]\n</data>") == 1
    assert user.count('<customer_messages>\n["太贵了"]\n</customer_messages>') == 1
    assert "最多 3 条" in system


def test_when_a_value_contains_a_placeholder_then_it_is_not_expanded_again() -> None:
    template = PromptTemplate.model_validate(GOOD)
    system, user = template.render({"scenario": "${data}", "data": "$$", "customer_messages": "[]", "max_suggestions": 3})
    assert "场景 ${data}" in user and "<data>\n$$\n</data>" in user
    assert "费用 $5" in system and '{"suggestions": []}' in system


def test_when_a_declared_value_is_missing_at_render_then_config_error() -> None:
    with pytest.raises(ConfigError, match="max_suggestions"):
        PromptTemplate.model_validate(GOOD).render({"scenario": "x", "data": "[]", "customer_messages": "[]"})


def test_when_placeholders_are_read_then_both_spellings_count_and_a_stray_dollar_is_refused() -> None:
    assert placeholders("${a}中文$b，$$c") == {"a", "b"}
    with pytest.raises(ValueError, match="line 2"):
        placeholders("ok\n价格 $5")


INVALID = [
    ("undeclared variable", {**GOOD, "user": GOOD["user"] + " ${industry}"}, "script-reply@1.yaml", "not declared"),
    ("unused variable", {**GOOD, "system": "只输出 JSON。"}, "script-reply@1.yaml", "never used"),
    ("unknown variable", {**GOOD, "variables": [*GOOD["variables"], "tone"], "user": GOOD["user"] + "${tone}"}, "script-reply@1.yaml", "no composer supplies"),
    (
        "no customer block",
        {**GOOD, "variables": ["scenario", "data", "max_suggestions"], "user": "${scenario} <data>${data}</data>"},
        "script-reply@1.yaml",
        "customer_messages",
    ),
    ("stray dollar", {**GOOD, "system": GOOD["system"] + " 只要 $5"}, "script-reply@1.yaml", "stray"),
    ("version zero", {**GOOD, "version": 0}, "script-reply@0.yaml", "version"),
    ("version as text", {**GOOD, "version": "1"}, "script-reply@1.yaml", "version"),
    ("id not a slug", {**GOOD, "id": "Script Reply"}, "Script Reply@1.yaml", "id"),
    ("bad stage", {**GOOD, "stage": "beta"}, "script-reply@1.yaml", "stage"),
    ("extra field", {**GOOD, "temperature": 0.2}, "script-reply@1.yaml", "temperature"),
    ("missing field", {k: v for k, v in GOOD.items() if k != "description"}, "script-reply@1.yaml", "description"),
    ("id differs from file", GOOD, "other-reply@1.yaml", "do not match the file name"),
    ("version differs from file", GOOD, "script-reply@2.yaml", "do not match the file name"),
    ("no version in file name", GOOD, "script-reply.yaml", "<id>@<version>.yaml"),
    ("yml extension", GOOD, "script-reply@1.yml", "<id>@<version>.yaml"),
    ("not YAML", "id: [unclosed", "script-reply@1.yaml", "cannot read YAML"),
    ("not a mapping", "- just\n- a list\n", "script-reply@1.yaml", "one mapping"),
]


@pytest.mark.parametrize(("case", "content", "name", "problem"), INVALID, ids=[case[0] for case in INVALID])
def test_when_a_prompt_file_is_invalid_then_loading_raises_config_error_naming_file_and_problem(
    tmp_path: Path, case: str, content: dict | str, name: str, problem: str
) -> None:
    path = write(tmp_path, content, name)
    with pytest.raises(ConfigError) as raised:
        PromptLibrary.load(tmp_path)
    assert str(path) in raised.value.detail
    assert problem in raised.value.detail


def test_when_the_agent_differs_from_its_folder_then_config_error(tmp_path: Path) -> None:
    write(tmp_path, GOOD, folder="competitor_response")
    with pytest.raises(ConfigError, match="does not match its folder"):
        PromptLibrary.load(tmp_path)


def test_when_two_files_give_an_agent_the_same_version_then_config_error(tmp_path: Path) -> None:
    write(tmp_path, GOOD)
    write(tmp_path, {**GOOD, "id": "script-short"}, name="script-short@1.yaml")
    with pytest.raises(ConfigError, match="重复"):
        PromptLibrary.load(tmp_path)


def test_when_an_agent_has_only_a_canary_then_there_is_no_default(tmp_path: Path) -> None:
    write(tmp_path, {**GOOD, "stage": "canary"})
    library = PromptLibrary.load(tmp_path)
    assert library.get("script_suggestion", 1).stage == "canary"
    with pytest.raises(ConfigError, match="stable"):
        library.get("script_suggestion")


def test_when_the_directory_is_missing_then_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="不存在"):
        PromptLibrary.load(tmp_path / "nowhere")
