"""Prompt templates as data: ``prompts/<agent>/<id>@<version>.yaml``, validated at load.

Placeholders use :class:`string.Template` syntax, ``${name}`` (``$name`` works too);
a literal dollar sign is written ``$$``. Braces are plain text, so the JSON schema a
prompt shows the model needs no escaping. Every placeholder must be declared in
``variables``, every declared variable must be used, and only the values a composer
supplies (:data:`RENDER_VARIABLES`) may be declared; ``data`` and
``customer_messages`` are required, because a prompt without them could not keep
the model to the approved facts nor fence off what the customer wrote.

``stage`` marks a version ``stable`` (served by default: the highest stable version
of an agent) or ``canary`` (served only when asked for by number, e.g. to a share of
requests). The id, version and agent inside the file are authoritative and must
match the file's name and folder.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from string import Template
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from core.errors import ConfigError, describe_errors

PROMPTS_DIR = Path(__file__).parent
SLUG = r"^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$"
RENDER_VARIABLES: frozenset[str] = frozenset({"scenario", "data", "customer_messages", "max_suggestions"})
"""The values a composer supplies when it renders a prompt."""
REQUIRED_VARIABLES: frozenset[str] = frozenset({"data", "customer_messages"})
_FILE_NAME = re.compile(r"^(?P<id>[^@]+)@(?P<version>[^@]+)\.yaml$")


def placeholders(template: str) -> set[str]:
    """Names of the ``${name}``/``$name`` placeholders in ``template``.

    Raises ValueError on a ``$`` that starts no valid placeholder (write ``$$``)."""
    names: set[str] = set()
    for match in Template.pattern.finditer(template):
        if match.group("invalid") is not None:
            line = template.count("\n", 0, match.start()) + 1
            raise ValueError(f"stray '$' on line {line}: write '$$' for a literal dollar sign, or '${{name}}' for a variable")
        name = match.group("named") or match.group("braced")
        if name is not None:
            names.add(name)
    return names


class PromptTemplate(BaseModel):
    """One versioned prompt of one agent: a system message and a user message template."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=SLUG, max_length=64)
    version: int = Field(ge=1, strict=True)
    agent: str = Field(pattern=SLUG, max_length=64)
    stage: Literal["stable", "canary"] = "stable"
    description: str = Field(min_length=1)
    system: str = Field(min_length=1)
    user: str = Field(min_length=1)
    variables: tuple[str, ...]

    @model_validator(mode="after")
    def _variables_match_placeholders(self) -> PromptTemplate:
        declared = set(self.variables)
        if len(declared) != len(self.variables):
            raise ValueError("variables: a name is declared twice")
        used = placeholders(self.system) | placeholders(self.user)
        if undeclared := sorted(used - declared):
            raise ValueError(f"placeholders used but not declared in variables: {undeclared}")
        if unused := sorted(declared - used):
            raise ValueError(f"variables declared but never used in system/user: {unused}")
        if unknown := sorted(declared - RENDER_VARIABLES):
            raise ValueError(f"variables no composer supplies: {unknown}; allowed: {sorted(RENDER_VARIABLES)}")
        if missing := sorted(REQUIRED_VARIABLES - declared):
            raise ValueError(f"variables must include {missing}: the model needs the data block and the fenced customer messages")
        return self

    @property
    def ref(self) -> str:
        """``<id>@<version>``: how the audit ledger and logs name this prompt."""
        return f"{self.id}@{self.version}"

    def render(self, values: Mapping[str, object]) -> tuple[str, str]:
        """The system and user messages with ``values`` substituted (single pass: text
        inside a value is never itself expanded). Extra values are ignored; a missing
        one raises ConfigError."""
        if missing := sorted(set(self.variables) - set(values)):
            raise ConfigError(f"提示词 {self.ref} 需要变量 {missing}，调用方没有提供。Prompt {self.ref} needs {missing}.")
        strings = {name: str(values[name]) for name in self.variables}
        return Template(self.system).substitute(strings), Template(self.user).substitute(strings)


def load_template(path: Path, agent_dir: str | None = None) -> PromptTemplate:
    """One prompt file, validated, its name checked against its content.

    Raises ConfigError naming the file and the problem."""
    name = _FILE_NAME.match(path.name)
    if name is None:
        raise _bad(path, "file name must be <id>@<version>.yaml, e.g. script-reply@1.yaml")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise _bad(path, f"cannot read YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise _bad(path, "the file must hold one mapping (id, version, agent, description, system, user, variables)")
    try:
        template = PromptTemplate.model_validate(raw)
    except ValidationError as exc:
        raise _bad(path, describe_errors(exc, root="file")) from exc
    if template.id != name["id"] or str(template.version) != name["version"]:
        raise _bad(path, f"id/version inside ({template.ref}) do not match the file name ({name['id']}@{name['version']})")
    if agent_dir is not None and template.agent != agent_dir:
        raise _bad(path, f"agent {template.agent!r} does not match its folder {agent_dir!r}")
    return template


def _bad(path: Path, problem: str) -> ConfigError:
    return ConfigError(f"提示词文件 {path} 无效：{problem}。请修正该文件后重启。", file=str(path))


class PromptLibrary:
    """All prompt templates, by agent and version."""

    def __init__(self, templates: list[PromptTemplate]) -> None:
        self._by_key: dict[tuple[str, int], PromptTemplate] = {}
        for template in templates:
            key = (template.agent, template.version)
            if key in self._by_key:
                raise ConfigError(f"智能体 {template.agent} 的提示词版本 {template.version} 重复；每个版本只能有一个文件。")
            self._by_key[key] = template

    @classmethod
    def load(cls, directory: Path = PROMPTS_DIR) -> PromptLibrary:
        """Every ``<agent>/<id>@<version>.yaml`` under ``directory``; ConfigError on any invalid file."""
        if not directory.is_dir():
            raise ConfigError(f"提示词目录 {directory} 不存在。Prompt directory {directory} does not exist.")
        templates: list[PromptTemplate] = []
        for path in sorted(p for p in directory.glob("*/*") if p.suffix in {".yaml", ".yml"}):
            templates.append(load_template(path, agent_dir=path.parent.name))
        return cls(templates)

    @property
    def agents(self) -> list[str]:
        """Agents that have at least one prompt, sorted."""
        return sorted({agent for agent, _ in self._by_key})

    def versions(self, agent: str) -> list[int]:
        """All versions of ``agent``'s prompt (stable and canary), ascending; [] if none."""
        return sorted(version for name, version in self._by_key if name == agent)

    def get(self, agent: str, version: int | None = None) -> PromptTemplate:
        """The given version, or (``None``) the highest stable one; ConfigError if absent."""
        if version is None:
            stable = [v for v in self.versions(agent) if self._by_key[(agent, v)].stage == "stable"]
            if not stable:
                raise ConfigError(f"智能体 {agent} 没有 stable 版本的提示词；请在 prompts/{agent}/ 下添加。No stable prompt for {agent}.")
            version = stable[-1]
        try:
            return self._by_key[(agent, version)]
        except KeyError:
            raise ConfigError(
                f"智能体 {agent} 没有第 {version} 版提示词（现有：{self.versions(agent) or '无'}）。No prompt {agent} v{version}."
            ) from None


@lru_cache(maxsize=1)
def get_prompt_library() -> PromptLibrary:
    """The shipped prompts (prompts/<agent>/*.yaml), loaded and validated once per process."""
    return PromptLibrary.load()
