"""Prompt templates as validated YAML data, one folder per agent, versioned.

``prompts/<agent>/<id>@<version>.yaml``; see :mod:`prompts.library` for the format.
"""

from prompts.library import PromptLibrary, PromptTemplate

__all__ = ["PromptLibrary", "PromptTemplate"]
