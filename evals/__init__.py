"""Evaluation datasets, evaluators and the `zhice eval` runner."""
