"""Prompt templates as validated YAML data, one folder per agent, versioned."""
