"""The README stays true: its configuration table lists exactly the settings that exist."""

from __future__ import annotations

import re
from pathlib import Path

from core.settings import Settings

README = Path(__file__).parents[1] / "README.md"


def test_when_a_setting_exists_then_the_readme_table_lists_it_and_nothing_else() -> None:
    table = README.read_text(encoding="utf-8").split("## Configuration", 1)[1].split("##", 1)[0]
    documented = set(re.findall(r"^\| `(ZHICE_[A-Z_]+)`", table, re.M))
    assert documented == {f"ZHICE_{name.upper()}" for name in Settings.model_fields}


def test_when_the_quick_start_is_read_then_it_has_the_two_commands() -> None:
    text = README.read_text(encoding="utf-8")
    commands = re.findall(r"```\n(.+?)\n```", text.split("## Quick start", 1)[1].split("## ", 1)[0])
    assert len(commands) == 2
    assert commands[0].endswith("zhice serve --demo")
    assert commands[1].endswith("pytest")
