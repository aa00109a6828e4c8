"""Fitting the contract reviewer's classifier (`zhice eval train-contracts`): the contract dev
split (formal clauses, and chat read with the parties named) and the clause library. Never the
held-out split."""

from __future__ import annotations

from agents.contract_risk.classifier import CUTOFF, NONE, ContractModel
from agents.contract_risk.detector import as_clauses, with_parties
from evals.contracts import Case, load_cases
from evals.model_training import Labelled, cross_validated, described
from knowledge.demo_data import demo_clauses


def read_as_reviewed(case: Case) -> str:
    """The text as the reviewer reads it (a chat message with 我们/你们 named as the parties)."""
    return as_clauses(case.text) if case.form == "chat" else with_parties(case.text)


def examples() -> list[Labelled]:
    """Every labelled term the classifier is fitted on (an item with two risks counts as its first)."""
    rows = [Labelled(read_as_reviewed(c), c.risks[0] if c.risks else NONE, True) for c in load_cases(split="dev")]
    return rows + [Labelled(with_parties(clause["text"]), clause["risk"], False) for clause in demo_clauses()]


def check(rows: list[Labelled]) -> dict[str, float]:
    """The classifier alone, at the shipped cutoff, on held-back dev items."""
    fit = lambda texts, labels: ContractModel.fit(texts, labels, fitted_on="cross-validation")  # noqa: E731
    return cross_validated(rows, fit, lambda model, text: model.risk(text, CUTOFF) is not None, NONE)


def train(rows: list[Labelled], when: str) -> ContractModel:
    """The classifier on every labelled term."""
    return ContractModel.fit([r.text for r in rows], [r.label for r in rows], fitted_on=described(rows, when))
