"""The agent registry: every agent comes from the entry-point group ``zhice.agents``."""

from __future__ import annotations

from functools import lru_cache
from importlib.metadata import entry_points

from agents.base import Agent

GROUP = "zhice.agents"


class AgentRegistry:
    def __init__(self, agents: list[Agent]) -> None:
        self._agents = {agent.name: agent for agent in agents}

    def register(self, agent: Agent) -> None:
        if not isinstance(agent, Agent):
            raise TypeError(f"{agent!r} does not implement the Agent protocol (name, version, scenarios, draft)")
        self._agents[agent.name] = agent

    @property
    def names(self) -> list[str]:
        return sorted(self._agents)

    def get(self, name: str) -> Agent:
        return self._agents[name]

    def for_scenario(self, scenario: str) -> list[Agent]:
        """Agents that declare they serve ``scenario``."""
        return [agent for agent in self._agents.values() if scenario in agent.scenarios]


@lru_cache(maxsize=1)
def get_registry() -> AgentRegistry:
    """All agents installed for this Python environment, built-in or not."""
    registry = AgentRegistry([])
    for entry_point in entry_points(group=GROUP):
        registry.register(entry_point.load()())
    return registry
